"""Every source tag used in the code and docs resolves in docs/references.md, and every entry
there is used.

A tag is ``S`` and a number, with a letter for a part of a source (``S5a``); ``S29–S31`` and
``S29-S31`` are ranges and use every tag between their ends.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCES = ROOT / "docs" / "references.md"
SCANNED = [ROOT / "src", ROOT / "docs", ROOT / "README.md", ROOT / "examples"]
TEXT = {".py", ".md", ".yaml", ".yml", ".toml", ".json", ".txt"}

TAG = re.compile(
    r"(?<![A-Za-z0-9_])S(\d{1,3})([a-z]?)(?:\s?[-–]\s?S(\d{1,3})([a-z]?))?(?![A-Za-z0-9_])"
)
ENTRY = re.compile(r"^- \*\*(S\d{1,3}[a-z]?)\*\* (.+?)(?=^- \*\*|^#|\Z)", re.M | re.S)


def tags_in(text: str) -> set[str]:
    """The tags a text uses, ranges expanded."""
    found: set[str] = set()
    for first, letter, last, last_letter in TAG.findall(text):
        found.add(f"S{first}{letter}")
        if last:
            found.add(f"S{last}{last_letter}")
            found.update(f"S{n}" for n in range(int(first) + 1, int(last)))
    return found


def _files() -> list[Path]:
    files: list[Path] = []
    for place in SCANNED:
        found = [place] if place.is_file() else sorted(place.rglob("*"))
        files += [f for f in found if f.is_file() and f.suffix in TEXT and f != REFERENCES]
    return files


def used_tags() -> dict[str, list[str]]:
    """Each tag used, with the files (relative to the repository) that use it."""
    users: dict[str, list[str]] = {}
    for path in _files():
        for tag in tags_in(path.read_text(encoding="utf-8")):
            users.setdefault(tag, []).append(path.relative_to(ROOT).as_posix())
    return users


def entries() -> dict[str, str]:
    """The bibliography: each tag with the text of its entry."""
    text = REFERENCES.read_text(encoding="utf-8")
    return {tag: " ".join(body.split()) for tag, body in ENTRY.findall(text)}


def _order(tag: str) -> tuple[int, str]:
    return int(tag[1:].rstrip("abcdefghijklmnopqrstuvwxyz")), tag[-1:].strip("0123456789")


def test_ranges_are_expanded_and_look_alikes_ignored() -> None:
    """S29–S31 uses S30 too; S5a is its own tag; CSS3, S3xy, HS256 and S1_ are not tags."""
    expected = {"S29", "S30", "S31", "S33", "S34", "S35", "S5a", "S39b"}
    assert tags_in("[S29–S31] [S33-S35] S5a, S39b.") == expected
    assert tags_in("CSS3 S3xy HS256 S1_ 0584T") == set()


def test_every_tag_used_has_an_entry() -> None:
    """No file uses a tag that docs/references.md does not resolve."""
    missing = {tag: files for tag, files in used_tags().items() if tag not in entries()}
    assert not missing, f"tags with no entry in docs/references.md: {missing}"


def test_every_entry_is_used() -> None:
    """No entry of docs/references.md is cited by nothing."""
    unused = sorted(set(entries()) - set(used_tags()), key=_order)
    assert not unused, f"entries nothing uses (cite them or remove them): {unused}"


def test_entries_are_unique_and_in_order() -> None:
    """Each tag has one entry, and the entries run in the order of their tags."""
    tags = re.findall(r"^- \*\*(S\d+[a-z]?)\*\*", REFERENCES.read_text(encoding="utf-8"), re.M)
    assert len(tags) == len(set(tags))
    assert tags == sorted(tags, key=_order)


def test_every_entry_is_a_citation_or_says_what_is_missing() -> None:
    """An entry gives a year, or says plainly which details could not be read."""
    vague = [
        tag
        for tag, body in entries().items()
        if not re.search(r"\b(19|20)\d\d\b", body)
        and not re.search(r"not re-found|not re-read|not shown", body, re.I)
    ]
    assert not vague, f"entries with neither a year nor a note of what is missing: {vague}"
