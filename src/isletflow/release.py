"""The release tests of an islet product [S5b, S24]: what each compares, by which rule.

Each test is a row: the value observed on the preparation, the protocol's limit, the rule from
``rules`` that must hold between them, its unit, and the sentence a trainee reads. The
``release_criteria`` guard reads this table; a vectorised cohort can apply the same rules to
arrays of observed values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import rules
from .models import Preparation, Recipient
from .protocol import Protocol

__all__ = ["RELEASE_TESTS"]


@dataclass(frozen=True, slots=True)
class ReleaseTest:
    """One release test; ``subcode`` names its failure."""

    subcode: str
    observed: Callable[[Preparation, Recipient], Any]
    limit: Callable[[Protocol, Recipient], Any]
    rule: Callable[[Any, Any], Any]
    unit: str | None
    sentence: Callable[[Any, Any], str]

    def passes(self, prep: Preparation, recipient: Recipient, protocol: Protocol) -> bool:
        return bool(self.rule(self.observed(prep, recipient), self.limit(protocol, recipient)))


def _amount(value: float, limit: float) -> str:
    """A dose to the unit, unless rounding would make it read as the limit it misses."""
    whole = f"{value:,.0f}"
    return whole if whole != f"{limit:,.0f}" or value == limit else f"{value:,.2f}"


RELEASE_TESTS: tuple[ReleaseTest, ...] = (
    ReleaseTest(
        "dose_below_minimum",
        lambda prep, who: prep.dose_ieq_per_kg(who),
        lambda p, who: (
            p.min_dose_ieq_per_kg if who.infusion_number == 1 else p.min_later_dose_ieq_per_kg
        ),
        rules.at_least,
        "IEQ/kg",
        lambda dose, low: (
            f"Dose {_amount(dose, low)} IEQ/kg against a minimum of {low:,.0f} IEQ/kg."
        ),
    ),
    ReleaseTest(
        "tissue_volume_above_limit",
        lambda prep, who: prep.tissue_volume_ml,
        lambda p, who: p.max_tissue_volume_ml,
        rules.at_most,
        "mL",
        lambda ml, high: f"Tissue volume {ml:g} mL against a limit of {high:g} mL.",
    ),
    ReleaseTest(
        "purity_below_minimum",
        lambda prep, who: prep.purity_percent,
        lambda p, who: p.min_purity_percent,
        rules.at_least,
        "%",
        lambda pct, low: f"Purity {pct:g} % against a minimum of {low:g} %.",
    ),
    ReleaseTest(
        "viability_below_minimum",
        lambda prep, who: prep.viability_percent,
        lambda p, who: p.min_viability_percent,
        rules.at_least,
        "%",
        lambda pct, low: f"Viability {pct:g} % against a minimum of {low:g} %.",
    ),
    ReleaseTest(
        "endotoxin_above_limit",
        lambda prep, who: prep.endotoxin_eu_per_kg,
        lambda p, who: p.max_endotoxin_eu_per_kg,
        rules.at_most,
        "EU/kg",
        lambda eu, high: f"Endotoxin {eu:g} EU/kg against a limit of {high:g} EU/kg.",
    ),
    ReleaseTest(
        "gram_stain_positive",
        lambda prep, who: prep.gram_stain_positive,
        lambda p, who: False,
        rules.implies,
        None,
        lambda positive, _: "Gram stain shows organisms." if positive else "Gram stain is clear.",
    ),
    ReleaseTest(
        "stimulation_index_below_minimum",
        lambda prep, who: prep.stimulation_index,
        lambda p, who: p.min_stimulation_index,
        rules.above,
        None,
        lambda index, low: f"Stimulation index {index:g} must be above {low:g}.",
    ),
    ReleaseTest(
        "identity_mismatch",
        lambda prep, who: prep.labelled_recipient_id,
        lambda p, who: who.id,
        rules.equal,
        None,
        lambda label, who: f"The product is labelled for {label}; the recipient is {who}.",
    ),
)
