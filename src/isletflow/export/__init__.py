"""Exports of isletflow cases and definitions to other systems' formats.

::

    fhir       a case as a FHIR transaction Bundle; many cases as bulk-data NDJSON (extra ``fhir``)
    schemas    JSON Schemas of every file and payload, from the pydantic models
    diagram    the workflow table as Mermaid or Graphviz DOT text (SVG/PNG through ``dot``)

Each is imported on its own, so ``import isletflow`` never pays for FHIR models.
"""

from __future__ import annotations

from ..errors import IsletflowError

__all__ = ["MissingTool"]


class MissingTool(IsletflowError):
    """An optional package or program an export needs is not installed; says how to get it."""

    def __init__(self, what: str, needed: str, how: str) -> None:
        self.what = what
        self.needed = needed
        self.how = how
        super().__init__(f"{what} needs {needed}, which is not installed; {how}")
