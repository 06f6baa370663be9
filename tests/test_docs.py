"""The docs stay true to the code."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from isletflow import Protocol
from isletflow.duration import format_duration

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _row(name: str) -> str:
    info = Protocol.model_fields[name]
    default = info.default
    if isinstance(default, timedelta):
        default = format_duration(default)
    elif isinstance(default, tuple):
        default = ", ".join(default)
    meaning = (info.description or "").rsplit(" [", 1)[0]
    return f"| `{name}` | {default} | {meaning} | {Protocol.sources()[name]} |"


def test_clinical_sources_table_matches_the_protocol() -> None:
    """docs/clinical-sources.md lists every Protocol field with its default and source tag."""
    text = (DOCS / "clinical-sources.md").read_text(encoding="utf-8")
    missing = [name for name in Protocol.model_fields if _row(name) not in text]
    assert not missing, f"docs/clinical-sources.md is stale for: {missing}"


def test_every_protocol_field_names_a_source() -> None:
    """Each protocol default carries a source tag (S…) or says UNCONFIRMED."""
    for name, tag in Protocol.sources().items():
        assert tag == "UNCONFIRMED" or tag.startswith("S"), name


def test_readme_diagram_is_the_workflow_table() -> None:
    """The Mermaid diagram in the README is what `isletflow diagram` draws from the table now."""
    from isletflow.export.diagram import mermaid

    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert block == mermaid(), "regenerate the README's diagram with: isletflow diagram"
