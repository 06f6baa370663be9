"""``python -m isletflow.model`` prints the coefficient table of ``docs/model.md``."""

from __future__ import annotations

from .coefficients import markdown_table
from .parameters import DEFAULT

print(markdown_table(DEFAULT), end="")
