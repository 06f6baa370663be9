"""Hypothesis strategies for the fault and fuzz tier: hostile files and hostile values.

``hostile_texts`` builds file text from the pieces that break parsers (anchors, aliases, deep
brackets, NaN spellings, long numbers, tabs, duplicate keys, lone surrogates, Unicode digits);
``hostile_values`` are the values a strict model must refuse or read exactly.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

_PIECES = [
    "a",
    "b",
    ":",
    ": ",
    "- ",
    "\n",
    "\n  ",
    "\t",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&x ",
    "*x",
    "<<: ",
    "!!binary ",
    "!!python/object:os.system ",
    "!!float ",
    "---\n",
    "...",
    "'",
    '"',
    "\\ud800",
    ".nan",
    ".inf",
    "-.inf",
    "NaN",
    "Infinity",
    "1e400",
    "1" * 120,
    "9" * 4400,
    "0x1F",
    "1:30",
    "yes",
    "no",
    "on",
    "~",
    "null",
    "true",
    "１２",
    "١h",
    "2026-01-05",
    "#",
    "?",
    "%",
    "@",
    "`",
    "\u00e9",
    "\u2028",
    "\x00",
    "\x85",
    "\ufeff",
]

hostile_texts = st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)
"""Text that mixes valid YAML/JSON/TOML syntax with the pieces that break parsers."""

hostile_bytes = st.one_of(
    hostile_texts.map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.binary(max_size=200),
    hostile_texts.map(lambda text: text.encode("utf-16")),
)
"""File contents: hostile text as UTF-8 (surrogates kept), random bytes, or UTF-16."""

hostile_values: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(
        [
            float("nan"),
            float("inf"),
            -float("inf"),
            True,
            False,
            None,
            "",
            "70",
            "１２",
            "1:30",
            "yes",
            "24",
            24,
            0,
            -1,
            10**400,
            1e308,
            -0.0,
            5e-324,
            [],
            {},
            [1, 2],
            {"dist": "?"},
            {"uniform": [float("nan"), 1]},
            {"normal": [1, float("inf")]},
            {"bernoulli": float("nan")},
            {"choice": {"a": float("inf")}},
            {"choice": [1, 2], "weights": [1e308, 1e308]},
            {"lognormal": ["1h", "9999999999d"]},
            "１h",
            "١h",
            "24",
            "PT１H",
            "P1Y",
            "\ud800",
        ]
    ),
    st.floats(),
    st.integers(),
    st.text(max_size=8),
)
"""Values to put in any scenario field: non-finite, lax-coercible, oversized or malformed."""
