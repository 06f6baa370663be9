"""Exports of isletflow cases and definitions to other systems' formats.

::

    fhir       a case as a FHIR transaction Bundle; many cases as bulk-data NDJSON (extra ``fhir``)
    schemas    JSON Schemas of every file and payload, from the pydantic models
    diagram    the workflow table as Mermaid or Graphviz DOT text (SVG/PNG through ``dot``)

Each is imported on its own, so ``import isletflow`` never pays for FHIR models.
"""

from __future__ import annotations

# MissingTool lives with every other error in isletflow.errors; diagram.py and fhir.py still
# import it from here, so it stays importable as isletflow.export.MissingTool.
from ..errors import MissingTool

__all__ = ["MissingTool"]
