"""Reading a saved case for a command: a timeline (``Timeline.to_json``) or a snapshot."""

from __future__ import annotations

import json
from pathlib import Path

from ..case import Case
from ..errors import InvalidInput
from ..timeline import Timeline

__all__ = ["read_case"]


def read_case(path: Path) -> Case:
    """The case saved in ``path``: a timeline JSON list is replayed, a snapshot restored."""
    what = f"case file {path}"
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except OSError as error:
        raise InvalidInput.single(
            what, "path", str(path), f"cannot be read ({error.strerror})"
        ) from None
    except json.JSONDecodeError as error:
        raise InvalidInput.single(what, "(file)", path.name, f"is not JSON: {error}") from None
    if isinstance(data, list):
        return Case.replay(Timeline.from_json(text))
    if isinstance(data, dict) and "timeline" in data:
        return Case.restore(text)
    raise InvalidInput.single(
        what, "(root)", type(data).__name__,
        "must be a timeline (a JSON list of events) or a case snapshot (an object with a "
        "'timeline')",
    )  # fmt: skip
