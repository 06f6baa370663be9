"""A case as FHIR: one transaction ``Bundle`` per case, and bulk-data NDJSON for many cases.

FHIR release: **R4B (4.3.0)**, checked with the models of ``fhir.resources.R4B`` (extra
``isletflow[fhir]``; fhir.resources 8 ships R5 at its top level and R4B, not plain R4, beside
it). Clinical systems take R4 today (US Core, the EHR vendors' APIs, bulk data); R4B changed
none of the resources written here, and no R5-only element is used
(``BiologicallyDerivedProduct.expirationDate`` is R5: the expiry goes in ``storage.duration``).

A recipient's course (``course_bundle``) is one Bundle of every donor's case under one
``Patient``: its first case has the ids of the scenario's single case, later ones derive from the
course (``identity.procedure_case_id``); a batch by default, as a course passes 50 entries.

Why a *transaction* Bundle whose entries are ``PUT Type/id``: every id is derived from the
case's id (``isletflow.export.identity``: from the scenario's content, seed and index, or set by
the caller), never random, so a server loads a case in one atomic request, exporting the same
case again, or further on, updates the same resources instead of adding copies, and two
different cases never touch each other's resources. The ``Patient`` derives from the
recipient's course (a case alone is its own course). A transaction holds at most 50 entries by
default (servers cap the updates of one transaction: Medplum at 50), which one ``Provenance``
for the whole case keeps every bundled case within; ``kind="batch"`` gives a bundle of any size
whose entries a server takes one by one.

References follow the Bundle rules: in a transaction, every entry's ``fullUrl`` is
``urn:uuid:<id>`` and references to it are written so; in a batch (whose entries are not
resolved against each other) and in the bulk-data NDJSON of ``write_ndjson``, references are
relative (``Patient/<id>``), the same resources standing alone one per line. Every resource has
a generated narrative (``text``).

The mapping (the case's one ``Provenance`` targets every resource and lists the timeline events
they come from):

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
  ``Observation``\\ s; complications as ``Condition``\\ s. The ``Provenance`` names the product
  as a source: an R4 ``Procedure`` has no element that may reference one;
- ``record_trough``: an ``Observation``, and one maintenance ``MedicationRequest`` per drug;
- ``assess_graft``: the Igls grade as an ``Observation``;
- a ``Device`` for isletflow itself, the agent of the ``Provenance``.

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
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any, Literal

from .. import __version__
from ..case import Case
from ..errors import InvalidInput
from ..timeline import Accepted
from . import MissingTool
from ._fhir_base import CPT, SYSTEM, UCUM, Made, ref, stamp
from ._fhir_resources import Builder
from ._fhir_text import narrative
from .identity import NAMESPACE, IdentifiedCase, key, procedure_case_id, timeline_case_id

__all__ = [
    "CPT",
    "MAX_TRANSACTION_ENTRIES",
    "UCUM",
    "case_bundle",
    "case_resources",
    "course_bundle",
    "validate_bundle",
    "write_ndjson",
]

MAX_TRANSACTION_ENTRIES = 50
"""The most entries a transaction Bundle may have by default: Medplum's FHIR engine refuses more
update operations in one transaction (``@medplum/fhir-router``), and other servers cap it too."""

BundleType = Literal["transaction", "batch"]


def _device() -> dict[str, Any]:
    return {
        "resourceType": "Device",
        "id": str(uuid.uuid5(NAMESPACE, f"Device/isletflow/{__version__}")),
        "deviceName": [{"name": "isletflow", "type": "manufacturer-name"}],
        "version": [{"value": __version__}],
    }


def _source(system: str, value: object, display: str) -> dict[str, Any]:
    identifier = {"system": f"{SYSTEM}:{system}", "value": str(value)}
    return {"role": "source", "what": {"identifier": identifier, "display": display}}


def _provenance(b: Builder, made: list[Made], device: dict[str, Any]) -> dict[str, Any]:
    """One Provenance for the whole case: it targets every resource, and names the case, every
    timeline event a resource comes from, the seed and the case index as its sources."""
    cited = sorted({i for m in made for i in m.events})
    times = [b.events[i].at for i in cited]
    entity = [_source("case", b.case_id, "isletflow case")]
    for index in cited:
        event = b.events[index]
        label = event.action if isinstance(event, Accepted) else event.kind
        entity.append(
            _source("timeline-event", f"{b.case_id}/{index}", f"timeline event {index}: {label}")
        )
    if b.seed is not None:
        entity.append(_source("seed", b.seed, "simulation seed"))
    if b.case_index is not None:
        entity.append(_source("case-index", b.case_index, "case index in its cohort"))
    entity += [{"role": "source", "what": source} for m in made for source in m.sources]
    return {
        "resourceType": "Provenance",
        "id": b.id("Provenance"),
        "target": [ref(m.resource) for m in made],
        "occurredPeriod": {"start": stamp(min(times)), "end": stamp(max(times))},
        "recorded": stamp(max(times)),
        "agent": [{"who": ref(device)}],
        "entity": entity,
    }


def _made(
    case: Case,
    seed: int | None,
    case_index: int | None,
    case_id: str | None,
    course_id: str | None,
) -> tuple[Builder, list[dict[str, Any]]]:
    if case_id is None:
        case_id = timeline_case_id(case.timeline.created, seed, case_index)
    b = Builder(case, seed, case_index, case_id, course_id or case_id)
    made = b.build()
    device = _device()
    resources = [m.resource for m in made] + [device, _provenance(b, made, device)]
    # The narrative goes after the id, where a reader of the JSON looks first.
    return b, [
        {"resourceType": r["resourceType"], "id": r["id"], "text": narrative(r), **r}
        for r in resources
    ]


def case_resources(
    case: Case,
    seed: int | None = None,
    *,
    case_index: int | None = None,
    case_id: str | None = None,
    course_id: str | None = None,
) -> list[dict[str, Any]]:
    """The case's resources, each with its narrative, references relative (``Patient/<id>``):
    the clinical ones in a fixed order, then the ``Device`` and the case's ``Provenance``.

    ``case_id`` is the case's identity (``isletflow.export.identity``): every id derives from
    it, so different cases never share a resource and the same case always gives the same ids.
    Without it, the id comes from the timeline's created event, ``seed`` and ``case_index``
    (``timeline_case_id``). ``course_id`` is the recipient's course, which the ``Patient``
    derives from (default: the case is its own course).
    """
    return _made(case, seed, case_index, case_id, course_id)[1]


def _urn(value: Any, bundled: dict[str, str]) -> Any:
    """``value`` with every reference to a bundled resource written as its ``urn:uuid``."""
    if isinstance(value, dict):
        return {
            k: bundled.get(v, v) if k == "reference" else _urn(v, bundled) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_urn(v, bundled) for v in value]
    return value


def case_bundle(
    case: Case,
    seed: int | None = None,
    *,
    case_index: int | None = None,
    case_id: str | None = None,
    course_id: str | None = None,
    kind: BundleType = "transaction",
    max_entries: int = MAX_TRANSACTION_ENTRIES,
    validate: bool = True,
) -> dict[str, Any]:
    """The case as a FHIR R4B Bundle of ``PUT Type/id`` entries, JSON-ready; the same case gives
    the same bundle.

    A ``transaction`` (atomic) names each entry ``urn:uuid:<id>`` and references it so, as the
    Bundle rules resolve references; it may hold at most ``max_entries`` entries (an
    ``InvalidInput`` otherwise: ask for a ``batch``, or raise the limit for a server that
    allows more). A ``batch`` (each entry on its own, any size) has no ``fullUrl`` and keeps
    references relative: a batch's entries are not resolved against each other.
    ``seed`` and ``case_index`` are recorded in the ``Provenance``; ``case_id`` and
    ``course_id`` are as in ``case_resources``. ``validate`` parses the result with
    ``fhir.resources`` (extra ``isletflow[fhir]``).
    """
    b, resources = _made(case, seed, case_index, case_id, course_id)
    return _bundle(
        resources,
        bundle_id=b.id("Bundle"),
        identifier={"system": f"{SYSTEM}:case", "value": b.case_id},
        timestamp=stamp(b.events[-1].at),
        kind=kind,
        max_entries=max_entries,
        validate=validate,
    )


def course_bundle(
    cases: Sequence[Case],
    course_id: str,
    seed: int | None = None,
    *,
    case_index: int | None = None,
    kind: BundleType = "batch",
    max_entries: int = MAX_TRANSACTION_ENTRIES,
    validate: bool = True,
) -> dict[str, Any]:
    """A recipient's course as one FHIR R4B Bundle: one ``Patient`` (derived from ``course_id``)
    and every donor's case under it, each case's resources as ``case_resources`` gives them
    (the k-th case's id is ``identity.procedure_case_id(course_id, k)``: the first is the
    scenario's single case, with the same ids).

    A batch by default: a course of two or three procedures passes a transaction's usual 50
    entries; ask for a ``transaction`` when the server allows ``max_entries`` more.
    """
    if not cases:
        raise InvalidInput.single("FHIR course", "cases", 0, "a course has at least one case")
    resources: dict[tuple[str, str], dict[str, Any]] = {}
    for donor, case in enumerate(cases, start=1):
        case_id = procedure_case_id(course_id, donor)
        _, made = _made(case, seed, case_index, case_id, course_id)
        for r in made:  # the Patient and the Device are the same resource in every case
            resources.setdefault((r["resourceType"], r["id"]), r)
    return _bundle(
        list(resources.values()),
        bundle_id=str(uuid.uuid5(key("course", course_id), "Bundle")),
        identifier={"system": f"{SYSTEM}:course", "value": course_id},
        timestamp=stamp(max(case.timeline[-1].at for case in cases)),
        kind=kind,
        max_entries=max_entries,
        validate=validate,
    )


def _bundle(
    resources: list[dict[str, Any]],
    *,
    bundle_id: str,
    identifier: dict[str, str],
    timestamp: str,
    kind: BundleType,
    max_entries: int,
    validate: bool,
) -> dict[str, Any]:
    if kind not in ("transaction", "batch"):
        raise InvalidInput.single("FHIR bundle", "kind", kind, "must be transaction or batch")
    if kind == "transaction" and len(resources) > max_entries:
        raise InvalidInput.single(
            "FHIR transaction",
            "entries",
            len(resources),
            f"must be at most {max_entries} (servers cap a transaction's updates); "
            "export a batch instead, or raise the limit if your server allows more",
        )
    if kind == "transaction":
        bundled = {f"{r['resourceType']}/{r['id']}": f"urn:uuid:{r['id']}" for r in resources}
        resources = [_urn(r, bundled) for r in resources]
    entries = [
        {
            **({"fullUrl": f"urn:uuid:{r['id']}"} if kind == "transaction" else {}),
            "resource": r,
            "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
        }
        for r in resources
    ]
    bundle = {
        "resourceType": "Bundle",
        "id": bundle_id,
        "identifier": identifier,
        "type": kind,
        "timestamp": timestamp,
        "entry": entries,
    }
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
    cases: Iterable[Case | IdentifiedCase],
    directory: str | Path,
    *,
    seed: int | None = None,
    validate: bool = False,
) -> dict[str, Path]:
    """Write bulk-data NDJSON: one file per resource type (``Patient.ndjson`` …), one resource
    a line, in case order; return the files by type.

    This is the layout of FHIR Bulk Data ``$export`` output, which servers' bulk import reads.
    Each case comes alone or as an ``IdentifiedCase`` (with its case id, seed and index), and its
    resources are those of ``case_resources``: the same ids as the case's own bundle. A case
    alone is named by its timeline; with ``seed`` (a cohort's), by its index in ``cases`` too.
    Files of the same names in ``directory`` are replaced. Cases are read one at a time (a
    generator of a large cohort is never held whole); the ``Device`` is written once.
    ``validate`` parses each resource.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, IO[str]] = {}
    paths: dict[str, Path] = {}
    seen_devices: set[str] = set()
    try:
        for index, item in enumerate(cases):
            if not isinstance(item, IdentifiedCase):
                item = IdentifiedCase(item, None, seed, index if seed is not None else None)
            resources = case_resources(
                item.case, item.seed, case_index=item.case_index, case_id=item.resolved_id()
            )
            if validate:
                _validate_resources(resources)
            for resource in resources:
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


def _validate_resources(resources: list[dict[str, Any]]) -> None:
    """Parse resources as a batch Bundle would hold them (relative references, no fullUrl)."""
    entries = [
        {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
        for r in resources
    ]
    validate_bundle({"resourceType": "Bundle", "type": "batch", "entry": entries})
