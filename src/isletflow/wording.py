"""The one table of words a trainee reads: actions, states and recorded fields with their units.

The engine names things as they are typed (``start_isolation``, ``digest_ieq``, ``infuse.paused``)
and its sentences quote them so (``Measure the baseline portal pressure (record_portal_pressure)
before infusing.``). Whatever a trainee reads says them in the words of this table: the debrief
(``report.describe(event, words=True)``), the terminal trainer, the session view's verdicts and
the score's reasons (``prose``), and the trainer page, which reads the same table from the
service (``GET /api/v1/words``, ``table()``) rather than keeping a second one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .workflow import ACTIONS as _WORKFLOW_ACTIONS
from .workflow import AUTOMATIC, STATES

__all__ = [
    "ACTIONS",
    "FIELDS",
    "Said",
    "Words",
    "action_words",
    "capitalised",
    "data_text",
    "field_text",
    "number",
    "prose",
    "state_words",
    "table",
]

ACTIONS: Mapping[str, str] = {
    "start_isolation": "start the isolation",
    "finish_digestion": "finish the digestion",
    "start_culture": "start the culture",
    "submit_for_release": "submit for release",
    "record_release_tests": "record the release tests",
    "release": "release the product",
    "reject": "reject the product",
    "access_portal_vein": "access the portal vein",
    "give_induction": "give induction",
    "add_heparin": "add heparin",
    "record_portal_pressure": "record the portal pressure",
    "start_infusion": "start the infusion",
    "pause_infusion": "pause the infusion",
    "resume_infusion": "resume the infusion",
    "complete_infusion": "complete the infusion",
    "seal_access": "seal the access",
    "record_trough": "record a trough level",
    "record_complication": "record a complication",
    "treat_complication": "treat a complication",
    "start_follow_up": "start the follow-up",
    "assess_graft": "assess the graft",
    "abort": "abort the case",
    "note": "take a note",
}
"""Each action (and automatic step) as a trainee reads it, in lower case."""


@dataclass(frozen=True, slots=True)
class FieldWords:
    """A recorded field as a trainee reads it: its label (lower case but for names) and unit;
    ``scale`` turns the stored value into the unit's (a fraction into %)."""

    label: str
    unit: str | None = None
    scale: float = 1.0


FIELDS: Mapping[str, FieldWords] = {
    "digest_ieq": FieldWords("digest", "IEQ"),
    "purified_ieq": FieldWords("purified yield", "IEQ"),
    "ieq": FieldWords("islet equivalents", "IEQ"),
    "tissue_volume_ml": FieldWords("tissue volume", "mL"),
    "purity_percent": FieldWords("purity", "%"),
    "viability_percent": FieldWords("viability", "%"),
    "endotoxin_eu_per_kg": FieldWords("endotoxin", "EU/kg"),
    "gram_stain_positive": FieldWords("Gram stain positive"),
    "stimulation_index": FieldWords("stimulation index"),
    "labelled_recipient_id": FieldWords("labelled for recipient"),
    "reason": FieldWords("reason"),
    "anesthesia": FieldWords("anaesthesia"),
    "imaging": FieldWords("imaging"),
    "agent": FieldWords("agent"),
    "units_per_kg": FieldWords("heparin", "U/kg"),
    "mmhg": FieldWords("portal pressure", "mmHg"),
    "fraction_delivered": FieldWords("share of the product infused", "%", 100.0),
    "track_sealant": FieldWords("track sealant"),
    "drug": FieldWords("drug"),
    "ng_per_ml": FieldWords("trough level", "ng/mL"),
    "igls_grade": FieldWords("Igls grade"),
    "insulin_independent": FieldWords("insulin independent"),
    "c_peptide_stimulated_ng_per_ml": FieldWords("stimulated C-peptide", "ng/mL"),
    "insulin_units_per_kg_per_day": FieldWords("insulin", "U/kg/day"),
    "hba1c_percent": FieldWords("HbA1c", "%"),
    "severe_hypoglycaemia_events": FieldWords("severe hypoglycaemia events"),
    "kind": FieldWords("complication"),
    "detail": FieldWords("detail"),
    "extent": FieldWords("extent"),
    "treatment": FieldWords("treatment"),
    "text": FieldWords("note"),
}
"""Each field an action records, as a trainee reads it, with its unit."""


def _plain(name: str) -> str:
    return name.replace("_", " ")


def capitalised(words: str) -> str:
    """``digest`` -> ``Digest``, for a label that opens a line (``HbA1c`` stays as it is)."""
    return words[:1].upper() + words[1:]


def action_words(action: str) -> str:
    """``start_isolation`` -> ``start the isolation`` (an unknown name: its words unjoined)."""
    return ACTIONS.get(action) or _plain(action)


def state_words(state: str) -> str:
    """``harvest.procured`` -> ``procured (harvest)``; ``completed`` -> ``completed``."""
    phase, _, step = state.rpartition(".")
    return f"{_plain(step)} ({_plain(phase)})" if phase else _plain(step)


def number(value: float, unit: str | None) -> str:
    """A measured number as a clinician reads it: thousands grouped, with its unit."""
    shown = f"{value:,.0f}" if abs(value) >= 100 else f"{value:g}"
    return f"{shown} {unit}" if unit else shown


def _value(value: Any, words: FieldWords) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        scaled = value if words.scale == 1 else round(value * words.scale, 1)
        return number(scaled, words.unit)
    if isinstance(value, list | tuple | set | frozenset):
        return " and ".join(_plain(str(v)) for v in sorted(value, key=str))
    return _plain(str(value))


def field_text(name: str, value: Any) -> str:
    """``digest_ieq``, 620000 -> ``digest 620,000 IEQ``; ``fraction_delivered``, 0.6 -> ``share
    of the product infused 60 %``."""
    words = FIELDS.get(name) or FieldWords(_plain(name))
    return f"{words.label} {_value(value, words)}"


def data_text(data: Mapping[str, Any]) -> str:
    """An action's data as a trainee reads it: each field in words with its unit, by ``; ``."""
    return "; ".join(field_text(name, value) for name, value in data.items())


# A state (``infuse.access``) first, then any name joined by underscores.
_STATE = "|".join(
    re.escape(state) for state in sorted(STATES, key=len, reverse=True) if "." in state
)
_TYPED = re.compile(rf"\b(?:{_STATE})\b|\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_QUOTED = re.compile(r" \(([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\)")


def prose(text: str) -> str:
    """A sentence of the engine with every name as typed said in words: an action by this
    table, a field by its label, a state as ``state_words`` says it, any other code
    (``collagen_paste``) with its words unjoined. A name quoted just after its own words
    ("Record the release tests (record_release_tests)") is said once."""

    def said(match: re.Match[str]) -> str:
        name = match.group(0)
        if "." in name:
            return state_words(name)
        if name in ACTIONS:
            return ACTIONS[name]
        return FIELDS[name].label if name in FIELDS else _plain(name)

    def unless_said_before(match: re.Match[str]) -> str:
        words = _TYPED.sub(said, match.group(1)).lower()
        return "" if text[: match.start()].lower().endswith(words) else match.group(0)

    return _TYPED.sub(said, _QUOTED.sub(unless_said_before, text))


class Said(BaseModel):
    """One event as a trainee reads it (``report.describe(event, words=True)``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str = Field(description="e.g. finish the digestion")
    detail: str = Field(description="e.g. digest 620,000 IEQ")


class Words(BaseModel):
    """The table of words, as the service serves it to a page: each action, state and field."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actions: dict[str, str] = Field(description="Each action as a trainee reads it")
    states: dict[str, str] = Field(description="Each state, e.g. procured (harvest)")
    fields: dict[str, FieldWords] = Field(description="Each field's label and unit (and scale)")


@functools.cache
def table() -> Words:
    """The whole table (every action of the workflow has its words: a test holds them)."""
    names = [*_WORKFLOW_ACTIONS, *(a.trigger for a in AUTOMATIC)]
    return Words(
        actions={name: action_words(name) for name in names},
        states={state: state_words(state) for state in STATES},
        fields=dict(FIELDS),
    )
