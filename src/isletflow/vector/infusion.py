"""The infusion of a chunk's cases: the patient's portal pressure read as the product goes in.

``Patient`` (``isletflow.patient``) is the reference: a reading every ``check_every`` (and one
as the last of the product goes in), each the model's pressure plus noise from the case's
``portal_pressure.readings`` stream; an automatic pause at the site's stop rule, a resume once a
reading is below it, and a stop with the part delivered once paused too long. A loop over
reading steps, never over cases.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..elementwise import normal_quantile, rounded
from ..model.parameters import ModelParameters
from ..model.pressure import must_pause, pressure_rise_mmhg
from ..protocol import Protocol
from .plans import Plans
from .streams import Streams, uniforms
from .walk import Walk

__all__ = ["Readings", "infuse", "reading"]

_US = 1_000_000
_READINGS = 8  # readings drawn at a time per case; a power of two (``Readings.next``)


class Readings:
    """The ``portal_pressure.readings`` stream of each case, read one value at a time.

    Drawn ``_READINGS`` at a time: ``u[j]`` holds draw j of each case's current block, drawn
    when the case reads the block's first. The cases of the first read get their streams opened
    once (``Streams``) and drawn on from where they stopped; a case first read later (none, as
    the infusion reads the baseline's readers) opens its stream at its draw."""

    def __init__(self, seed: int, index: np.ndarray, name: str) -> None:
        self.seed, self.index, self.name = seed, index, name
        self.u = np.zeros((_READINGS, index.size))
        self.taken = np.zeros(index.size, dtype=np.int64)
        self.streams: Streams | None = None
        self.row = np.full(index.size, -1, dtype=np.int64)  # each case's row in ``streams``

    def next(self, rows: np.ndarray) -> np.ndarray:
        """The next uniform of each case at ``rows`` (positions in the chunk), in that order."""
        taken = self.taken[rows]
        column = taken & (_READINGS - 1)  # taken % _READINGS, at a fraction of the cost
        starts = column == 0
        if starts.any():
            self._fetch(rows[starts], taken[starts])
        flat = column * self.index.size + rows  # u[column, rows], a flat take at half the cost
        out: np.ndarray = self.u.reshape(-1).take(flat)
        self.taken[rows] = taken + 1
        return out

    def _fetch(self, needy: np.ndarray, start: np.ndarray) -> None:
        """The block of draws from ``start`` of the cases ``needy``, who read its first now."""
        if self.streams is None:
            self.streams = Streams.open(self.seed, self.index[needy], self.name)
            self.row[needy] = np.arange(needy.size)
        opened = self.row[needy] >= 0
        mine = needy[opened]
        self.u[:, mine] = self.streams.take(self.row[mine], _READINGS).T
        for begin in np.unique(start[~opened]).tolist():
            group = needy[~opened & (start == begin)]
            self.u[:, group] = uniforms(
                self.seed, self.index[group], self.name, _READINGS, start=begin
            ).T


def reading(value: np.ndarray, sd: np.ndarray, rows: np.ndarray, draws: Readings) -> np.ndarray:
    """``Patient.reading`` of the cases at ``rows`` (``value`` and ``sd`` theirs): the model's
    value plus noise, kept in 0-100 and to 0.1 mmHg."""
    noisy = sd > 0
    picked = slice(None) if noisy.all() else noisy  # a slice: no copy for the usual all
    value = value.copy()
    u = np.clip(draws.next(rows[picked]), 1e-12, 1 - 1e-12)
    value[picked] = value[picked] + sd[picked] * normal_quantile(u, 0.0, 1.0)
    shown: np.ndarray = rounded(np.minimum(np.maximum(value, 0.0), 100.0), 1)
    return shown


@dataclass(slots=True)
class _Infusing:
    """The cases still infusing (``rows``, positions in the chunk), what is fixed of each and
    where each has got to (microseconds infused and paused, the pressure's excess over the
    baseline, the highest reading, paused now and ever)."""

    rows: np.ndarray
    infusion: np.ndarray
    per_second: np.ndarray
    every: np.ndarray
    half_life: np.ndarray
    max_pause: np.ndarray
    baseline: np.ndarray
    sd: np.ndarray
    base: np.ndarray
    started: np.ndarray
    infused: np.ndarray
    paused_for: np.ndarray
    excess: np.ndarray
    peak: np.ndarray
    paused: np.ndarray
    paused_ever: np.ndarray

    def keep(self, kept: np.ndarray) -> None:
        """Only the cases at positions ``kept`` go on."""
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name)[kept])


def _infusing(plans: Plans, w: Walk, base: np.ndarray, params: ModelParameters) -> _Infusing:
    """The cases of ``w`` still going, as their infusion starts (``base``: baseline readings)."""
    rows = np.flatnonzero(w.alive)
    pressure = {name: values[rows] for name, values in plans.pressure.items()}
    slope = params.pressure.model_copy(update={"rise_mmhg_per_ml": pressure["rise_mmhg_per_ml"]})
    tissue = plans.prep["tissue_volume_ml"][rows]
    rise = np.asarray(pressure_rise_mmhg(tissue, pressure["liver_volume_ratio"], slope))
    infusion = plans.timings["infusion"][rows]
    m = rows.size
    return _Infusing(
        rows=rows,
        infusion=infusion,
        per_second=rise / (infusion / _US),
        every=pressure["check_every"],
        half_life=pressure["fall_half_life"],
        max_pause=pressure["max_pause"],
        baseline=pressure["baseline_mmhg"],
        sd=pressure["noise_sd_mmhg"],
        base=base[rows],
        started=w.now[rows],
        infused=np.zeros(m, dtype=np.int64),
        paused_for=np.zeros(m, dtype=np.int64),
        excess=np.zeros(m),
        peak=np.full(m, -np.inf),
        paused=np.zeros(m, dtype=bool),
        paused_ever=np.zeros(m, dtype=bool),
    )


def _stopped_fraction(infused: np.ndarray, infusion: np.ndarray) -> np.ndarray:
    """The part delivered of an infusion stopped part-way, to 0.1 % (at least 0.1 %)."""
    share = np.minimum(1.0, infused / infusion)
    stopped = np.maximum(0.001, np.floor(share * 1000) / 1000)
    fraction: np.ndarray = np.where(share >= 1, 1.0, stopped)
    return fraction


def infuse(
    plans: Plans,
    protocol: Protocol,
    w: Walk,
    readings: Readings,
    base: np.ndarray,
    params: ModelParameters,
) -> dict[str, np.ndarray]:
    """The infusion: a reading every ``check_every`` (and as the last of it goes in), automatic
    pauses at the stop rule, resumes, and a stop with the part delivered once paused too long.

    Each step, every case still infusing ends (all in, or paused too long) or takes a reading:
    flowing, ``check_every`` later (or once what is left is in); paused, ``check_every`` later,
    the excess pressure falling. A reading at the stop rule pauses the case (keeps it paused),
    one below it resumes it (``Patient`` resumes at its next step, which reads nothing and takes
    no time). The cases that end are written out and dropped, so a step works on the cases
    still infusing only."""
    n = plans.index.size
    out = {"fraction": np.ones(n), "paused": np.zeros(n, dtype=bool), "peak": np.full(n, -np.inf)}
    c = _infusing(plans, w, base, params)
    _end(c, w, out)
    while c.rows.size:
        _step(c, protocol, readings)
        _end(c, w, out)
    return out


def _end(c: _Infusing, w: Walk, out: dict[str, np.ndarray]) -> None:
    """The cases of ``c`` all in, or paused too long (stopped with the part delivered), written
    out (``w.now`` their end) and dropped."""
    too_long = c.paused & (c.paused_for + c.every > c.max_pause)
    ends = (c.infused >= c.infusion) | too_long
    if not ends.any():
        return
    cut = c.rows[too_long]
    out["fraction"][cut] = _stopped_fraction(c.infused[too_long], c.infusion[too_long])
    done = c.rows[ends]
    w.now[done] = (c.started + c.infused + c.paused_for)[ends]
    out["paused"][done], out["peak"][done] = c.paused_ever[ends], c.peak[ends]
    c.keep(np.flatnonzero(~ends))


def _step(c: _Infusing, protocol: Protocol, readings: Readings) -> None:
    """One reading of each case of ``c``: flowing, after ``check_every`` (or what is left);
    paused, after ``check_every`` with the excess falling meanwhile."""
    step = np.minimum(c.every, c.infusion - c.infused)
    excess = c.excess + c.per_second * (step / _US)
    held = np.flatnonzero(c.paused)
    if held.size:
        every, fall = c.every[held], c.half_life[held]
        excess[held] = c.excess[held] * 0.5 ** ((every / _US) / (fall / _US))
        step[held] = 0
        c.paused_for[held] += every
    c.infused += step
    c.excess = excess
    value = reading(c.baseline + excess, c.sd, c.rows, readings)
    c.peak = np.maximum(c.peak, value)
    c.paused = np.asarray(
        must_pause(
            value,
            c.base,
            absolute_limit_mmhg=protocol.portal_pressure_stop_mmhg,
            rise_limit_mmhg=protocol.portal_pressure_stop_rise_mmhg,
        ),
        dtype=bool,
    )
    c.paused_ever |= c.paused
