"""One longest common subsequence of two lists of steps: how the debrief sets a trainee's steps
beside the expert's (``lcs_pairs``). Scoring judges order as each action is taken instead
(``scoring.Scorer``), so a penalty never moves; this only lays the two paths out.

``Alignment`` keeps it for a list as it grows against a fixed one.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

__all__ = ["lcs_pairs"]


def lcs_pairs(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int]]:
    """Index pairs of one longest common subsequence of ``a`` and ``b`` (earliest matches)."""
    alignment = Alignment(b)
    for name in a:
        alignment.append(name)
    return alignment.pairs()


class Alignment:
    """One longest common subsequence of a growing ``a`` and a fixed ``b``: ``lcs_pairs``.

    The pairs are those of the textbook walk (from the start, matching where ``a[i] == b[j]``,
    else skipping ``a[i]`` if that keeps the longest common subsequence of what is left, else
    ``b[j]``), found without the table of every ``(i, j)``: for each ``j`` and length ``k`` it
    keeps the last start in ``a`` from which ``k`` of ``b[j:]`` can still be matched, read off
    the positions of each name in ``a``. Appending to ``a`` costs nothing; ``pairs`` then costs
    ``len(b)²`` binary searches, however long ``a`` is. ``b`` is the expert's path: short.
    """

    def __init__(self, b: Sequence[str]) -> None:
        self._b = list(b)
        self._length = 0
        self._positions: dict[str, list[int]] = {}  # name -> where it stands in a, ascending
        self._pairs: list[tuple[int, int]] | None = []

    def append(self, name: str) -> None:
        self._positions.setdefault(name, []).append(self._length)
        self._length += 1
        self._pairs = None

    def pairs(self) -> list[tuple[int, int]]:
        if self._pairs is None:
            self._pairs = self._walk(self._starts())
        return self._pairs

    def _starts(self) -> list[list[int]]:
        """``starts[j][k]``: the last ``i`` with ``k`` of ``b[j:]`` matched in ``a[i:]`` (or -1)."""
        b, n = self._b, self._length
        starts = [[n] + [-1] * (len(b) - j) for j in range(len(b) + 1)]
        for j in range(len(b) - 1, -1, -1):
            row, below = starts[j], starts[j + 1]
            at = self._positions.get(b[j], [])
            for k in range(1, len(row)):
                best = below[k] if k < len(below) else -1
                end = below[k - 1]  # b[j] matched before this, the rest of k from here
                found = bisect_left(at, end) - 1 if end > 0 else -1
                if found >= 0 and at[found] > best:
                    best = at[found]
                row[k] = best
        return starts

    def _walk(self, starts: list[list[int]]) -> list[tuple[int, int]]:
        pairs: list[tuple[int, int]] = []
        i = j = 0
        left = max(k for k, start in enumerate(starts[0]) if start >= 0)
        while left > 0:  # left of the longest common subsequence of a[i:] and b[j:]
            at = self._positions.get(self._b[j], [])
            nxt = bisect_left(at, i)
            match = at[nxt] if nxt < len(at) else self._length
            last = starts[j][left]  # skipping a[i] keeps `left` up to here
            if match <= last:
                pairs.append((match, j))
                i, left = match + 1, left - 1
            else:
                i = last  # here skipping b[j] keeps `left`
            j += 1
        return pairs
