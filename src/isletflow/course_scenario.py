"""A scenario's recipient course: the candidate's eligibility data and the course's settings.

The ``course`` section of a scenario file. Each value is fixed or a distribution, like every
section. The defaults describe one typical eligible candidate: they meet every published
criterion (``isletflow.recipient``) but their values are UNCONFIRMED, illustrative; the
waiting time for the next ABO-compatible donor is too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from .distributions import NumberValue, OneOf, Range, TextValue, Time
from .models import Term

__all__ = ["CourseSpec"]

_UNCONFIRMED = "UNCONFIRMED: an illustrative value; set your population's."


def _d(text: str, default: Any) -> Any:
    return Field(default, description=text)


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProfileSpec(_Section):
    """The candidate's eligibility data (weight is the recipient section's) [S53, S54, S55]."""

    age_years: Annotated[NumberValue, Range(0, 120, decimals=0)] = _d(
        f"Age; 18-65 eligible [S53]. {_UNCONFIRMED}", 45
    )
    bmi_kg_per_m2: Annotated[NumberValue, Range(10, 60, decimals=1, unit="kg/m²")] = _d(
        f"Body-mass index; over 30 excludes [S54]. {_UNCONFIRMED}", 24.0
    )
    abo_group: Annotated[TextValue, OneOf("O", "A", "B", "AB")] = _d(
        f"ABO blood group; every infusion is ABO-compatible [S56]. {_UNCONFIRMED}", "O"
    )
    hba1c_percent: Annotated[NumberValue, Range(4, 20, decimals=1, unit="%")] = _d(
        f"Baseline HbA1c, the Igls reference [S21]. {_UNCONFIRMED}", 7.5
    )
    insulin_units_per_kg_per_day: Annotated[
        NumberValue, Range(0, 3, decimals=2, unit="U/kg/day")
    ] = _d(f"Baseline insulin; over 1.0 excludes [S54]. {_UNCONFIRMED}", 0.6)
    c_peptide_stimulated_ng_per_ml: Annotated[
        NumberValue, Range(0, 10, decimals=2, unit="ng/mL")
    ] = _d(f"Stimulated C-peptide; under 0.3 eligible [S53]. {_UNCONFIRMED}", 0.1)
    severe_hypoglycaemia_events: Annotated[NumberValue, Range(0, 100, decimals=0)] = _d(
        f"Severe hypoglycaemic events in the last 12 months; at least 1 [S53]. {_UNCONFIRMED}", 2
    )
    clarke_score: Annotated[NumberValue, Range(0, 7, decimals=0)] = _d(
        f"Hypoglycaemia-awareness (Clarke) score; 4 or more [S53, S55]. {_UNCONFIRMED}", 5
    )


class CourseSpec(_Section):
    """The recipient's course of infusions: who the candidate is, how long donors take."""

    profile: ProfileSpec = ProfileSpec()
    donor_wait: Time = _d(
        "From the decision to infuse again (or a donor's product not infused) to the next "
        f"ABO-compatible donor's cross-clamp. {_UNCONFIRMED}",
        timedelta(days=90),
    )
    max_donors: Annotated[NumberValue, Range(1, 20, decimals=0)] = _d(
        "Most donors offered to one recipient, infused or not (a product can fail release). "
        f"{_UNCONFIRMED}",
        6,
    )
    later_induction_agent: Annotated[TextValue, OneOf(), Term("induction_agent")] = _d(
        "Induction of a second or third infusion: basiliximab (CIT-07) [S6]; the first takes "
        "the treatment section's (rabbit ATG [S6, S41])",
        "basiliximab",
    )
