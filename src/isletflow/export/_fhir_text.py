"""The narrative of every exported FHIR resource: a short generated XHTML summary (``text``).

FHIR's ``dom-6`` asks every resource for a narrative, so a person reading the resource in any
viewer sees what it says. It is generated from the resource's own elements (``status:
generated``): what it is, its status, when, and its value; nothing is said there that the
structured data does not hold.
"""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["narrative"]

_XHTML = "http://www.w3.org/1999/xhtml"


def _label(resource: dict[str, Any]) -> str:
    for element in ("code", "medicationCodeableConcept", "productCode"):
        concept = resource.get(element)
        if isinstance(concept, dict) and "text" in concept:
            return str(concept["text"])
    if resource["resourceType"] == "Patient":
        return "recipient " + ", ".join(str(i["value"]) for i in resource["identifier"])
    if "deviceName" in resource:
        return str(resource["deviceName"][0]["name"])
    if resource["resourceType"] == "Provenance":
        return f"where {len(resource['target'])} resources of an isletflow case come from"
    return str(resource.get("productCategory", resource["resourceType"]))


def _when(resource: dict[str, Any]) -> str | None:
    for element in ("effectiveDateTime", "onsetDateTime", "authoredOn", "recorded"):
        if element in resource:
            return str(resource[element])
    period = resource.get("performedPeriod") or resource.get("occurredPeriod")
    if isinstance(period, dict) and "start" in period:
        end = period.get("end")
        return f"{period['start']} to {end}" if end else f"from {period['start']}"
    return None


def _value(resource: dict[str, Any]) -> str | None:
    quantity = resource.get("valueQuantity")
    if isinstance(quantity, dict):
        return f"{quantity['value']:g} {quantity.get('unit', '')}".strip()
    concept = resource.get("valueCodeableConcept")
    if isinstance(concept, dict):
        return str(concept.get("text", ""))
    for element in ("valueString", "valueBoolean"):
        if element in resource:
            return (
                str(resource[element]).lower() if element == "valueBoolean" else resource[element]
            )
    return None


def narrative(resource: dict[str, Any]) -> dict[str, str]:
    """A generated narrative for ``resource``, from its code, status, time and value."""
    parts = [f"<b>{escape(resource['resourceType'])}</b>: {escape(_label(resource))}"]
    for name, said in (
        ("status", resource.get("status")),
        ("when", _when(resource)),
        ("value", _value(resource)),
    ):
        if said:
            parts.append(f"{name}: {escape(str(said))}")
    return {"status": "generated", "div": f'<div xmlns="{_XHTML}"><p>{"; ".join(parts)}</p></div>'}
