"""A case as FHIR: one transaction ``Bundle`` per case, and bulk-data NDJSON for many cases.

FHIR release: **R4B (4.3.0)**, checked with the models of ``fhir.resources.R4B`` (extra
``isletflow[fhir]``; fhir.resources 8 ships R5 at its top level and R4B, not plain R4, beside
it). Clinical systems take R4 today (US Core, the EHR vendors' APIs, bulk data); R4B changed
none of the resources written here, and no R5-only element is used
(``BiologicallyDerivedProduct.expirationDate`` is R5: the expiry goes in ``storage.duration``).

Why a *transaction* Bundle whose entries are ``PUT Type/id``: every id is derived from the case
(uuid5 of its ``created`` event, the seed and case index, and the timeline index), never random,
so a server loads a case in one atomic request, and exporting the same case again, or further
on, updates the same resources instead of adding copies. A ``collection`` would read the same
but tells a server nothing. References are relative (``Patient/<id>``), so the very same
resources also stand alone, one per line, in the bulk-data NDJSON files of ``write_ndjson``.

The mapping (each resource's ``Provenance`` lists the timeline events it comes from):

- ``created``: the recipient ``Patient`` (identifier only) and a body-weight ``Observation``;
- ``start_isolation`` … end of purification: the isolation ``Procedure`` (a local code: CPT has
  none for it), a cold-ischaemia ``Observation`` (with the warning, if one was given), and the IEQ
  counts of digest and purified product as ``Observation``\\ s;
- the purified product: a ``BiologicallyDerivedProduct`` (processing: isolation, culture, heparin
  added, rejection; storage period ending at its viability deadline, the sooner of
  release + ``max_release_to_infusion`` and end of isolation + ``max_culture``);
- ``record_release_tests``: one ``Observation`` per release test, focused on the product;
- ``give_induction``: a ``MedicationAdministration``;
- portal access … sealing: the infusion ``Procedure`` coded CPT 0584T/0585T/0586T by approach
  [S22], status ``completed``, ``stopped`` (aborted, or a partial dose), ``not-done`` (never
  started, case over), ``in-progress``/``on-hold`` (paused)/``preparation`` while the case goes
  on; its steps as time-stamped notes; portal pressures and the dose delivered as
  ``Observation``\\ s; complications as ``Condition``\\ s. Its ``Provenance`` names the product
  as a source: an R4 ``Procedure`` has no element that may reference one;
- ``record_trough``: an ``Observation``, and one maintenance ``MedicationRequest`` per drug;
- ``assess_graft``: the Igls grade as an ``Observation``;
- a ``Device`` for isletflow itself, the agent of every ``Provenance``.

Units are UCUM: ``mm[Hg]``, ``%``, ``mL``, ``kg``, ``h``, ``ng/mL``. UCUM has no islet equivalent
or endotoxin unit, so those are annotations, ``{IEQ}/kg`` and ``{EU}/kg`` (``EU`` bare would read
as exa-enzyme-units). Heparin is a processing step of the product, its dose written ``[IU]/kg``
in the step's text: UCUM's bare ``U`` is the enzyme unit (µmol/min), not a heparin unit.
A stopped or never-begun procedure has a note saying when and how the case ended, so every
clinical event's time is in some resource; ``note`` and ``start_follow_up`` (bookkeeping) are not
exported.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from .. import __version__
from ..case import Case
from ..timeline import Accepted
from . import MissingTool
from ._fhir_base import (
    CPT,
    NAMESPACE,
    SYSTEM,
    UCUM,
    Made,
    ref,
    stamp,
)
from ._fhir_resources import Builder

__all__ = [
    "CPT",
    "UCUM",
    "case_bundle",
    "validate_bundle",
    "write_ndjson",
]


def _device() -> dict[str, Any]:
    return {
        "resourceType": "Device",
        "id": str(uuid.uuid5(NAMESPACE, f"Device/isletflow/{__version__}")),
        "deviceName": [{"name": "isletflow", "type": "manufacturer-name"}],
        "version": [{"value": __version__}],
    }


def _provenance(b: Builder, made: Made, device: dict[str, Any]) -> dict[str, Any]:
    resource = made.resource
    times = [b.events[i].at for i in made.events]
    entity = [
        {
            "role": "source",
            "what": {
                "identifier": {"system": f"{SYSTEM}:case", "value": str(b.key)},
                "display": "isletflow case",
            },
        }
    ]
    for index in made.events:
        event = b.events[index]
        label = event.action if isinstance(event, Accepted) else event.kind
        entity.append(
            {
                "role": "source",
                "what": {
                    "identifier": {
                        "system": f"{SYSTEM}:timeline-event",
                        "value": f"{b.key}/{index}",
                    },
                    "display": f"timeline event {index}: {label}",
                },
            }
        )
    if b.seed is not None:
        entity.append(
            {
                "role": "source",
                "what": {
                    "identifier": {"system": f"{SYSTEM}:seed", "value": str(b.seed)},
                    "display": "simulation seed",
                },
            }
        )
    if b.case_index is not None:
        entity.append(
            {
                "role": "source",
                "what": {
                    "identifier": {"system": f"{SYSTEM}:case-index", "value": str(b.case_index)},
                    "display": "case index in its cohort",
                },
            }
        )
    entity += [{"role": "source", "what": source} for source in made.sources]
    return {
        "resourceType": "Provenance",
        "id": b.id("Provenance", resource["resourceType"], resource["id"]),
        "target": [ref(resource)],
        "occurredPeriod": {"start": stamp(min(times)), "end": stamp(max(times))},
        "recorded": stamp(max(times)),
        "agent": [{"who": ref(device)}],
        "entity": entity,
    }


def _bundle(b: Builder) -> dict[str, Any]:
    made = b.build()
    device = _device()
    resources = [m.resource for m in made]
    resources += [device, *(_provenance(b, m, device) for m in made)]
    return {
        "resourceType": "Bundle",
        "id": b.id("Bundle"),
        "identifier": {"system": f"{SYSTEM}:case", "value": str(b.key)},
        "type": "transaction",
        "timestamp": stamp(b.events[-1].at),
        "entry": [
            {
                "fullUrl": f"urn:uuid:{r['id']}",
                "resource": r,
                "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
            }
            for r in resources
        ],
    }


def case_bundle(
    case: Case, seed: int | None = None, *, case_index: int | None = None, validate: bool = True
) -> dict[str, Any]:
    """The case as a FHIR R4B transaction Bundle, JSON-ready; the same case gives the same bundle.

    ``seed`` (and ``case_index``, a case's place in its cohort) are recorded in every
    ``Provenance`` and enter every id, so cases of one cohort never share an id.
    ``validate`` parses the result with ``fhir.resources`` (extra ``isletflow[fhir]``).
    """
    bundle = _bundle(Builder(case, seed, case_index))
    if validate:
        validate_bundle(bundle)
    return bundle


def validate_bundle(bundle: dict[str, Any]) -> None:
    """Parse ``bundle`` with the ``fhir.resources`` R4B models; raise if it does not conform."""
    try:
        from fhir.resources.R4B.bundle import Bundle
    except ImportError:
        raise MissingTool(
            "FHIR validation", "fhir.resources", "install it with: pip install 'isletflow[fhir]'"
        ) from None
    Bundle.model_validate(bundle)


def write_ndjson(
    cases: Iterable[Case],
    directory: str | Path,
    *,
    seed: int | None = None,
    validate: bool = False,
) -> dict[str, Path]:
    """Write bulk-data NDJSON: one file per resource type (``Patient.ndjson`` …), one resource
    a line, in case order; return the files by type.

    This is the layout of FHIR Bulk Data ``$export`` output, which servers' bulk import reads.
    With ``seed`` (a cohort's), each case is identified by its index in ``cases`` too. Files of
    the same names in ``directory`` are replaced. Cases are read one at a time (a generator of a
    large cohort is never held whole); the ``Device`` is written once.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, IO[str]] = {}
    paths: dict[str, Path] = {}
    seen_devices: set[str] = set()
    try:
        for index, case in enumerate(cases):
            bundle = case_bundle(
                case, seed, case_index=index if seed is not None else None, validate=validate
            )
            for resource in _resources(bundle):
                kind = resource["resourceType"]
                if kind == "Device":
                    if resource["id"] in seen_devices:
                        continue
                    seen_devices.add(resource["id"])
                if kind not in files:
                    paths[kind] = out / f"{kind}.ndjson"
                    files[kind] = paths[kind].open("w", encoding="utf-8")
                files[kind].write(json.dumps(resource, separators=(",", ":")) + "\n")
    finally:
        for handle in files.values():
            handle.close()
    return dict(sorted(paths.items()))


def _resources(bundle: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for entry in bundle["entry"]:
        resource: dict[str, Any] = entry["resource"]
        yield resource
