"""The infusion of a chunk's cases: the patient's portal pressure read as the product goes in.

``Patient`` (``isletflow.patient``) is the reference: a reading every ``check_every`` (and one
as the last of the product goes in), each the model's pressure plus noise from the case's
``portal_pressure.readings`` stream; an automatic pause at the site's stop rule, a resume once a
reading is below it, and a stop with the part delivered once paused too long. A loop over
reading steps, never over cases.
"""

from __future__ import annotations

import numpy as np

from ..draws import normal_quantile, rounded
from ..model.parameters import ModelParameters
from ..model.pressure import must_pause, pressure_rise_mmhg
from ..protocol import Protocol
from .plans import Plans
from .streams import Streams, uniforms
from .walk import Walk

__all__ = ["Readings", "infuse", "reading"]

_US = 1_000_000
_READINGS = 8  # readings drawn at a time, for every case of the chunk


class Readings:
    """The ``portal_pressure.readings`` stream of each case, read one value at a time.

    Drawn ``_READINGS`` at a time per case: the cases of the first read get their streams
    opened once (``Streams``) and drawn on from where they stopped; a case first read later
    (none, as the infusion reads the baseline's readers) opens its stream at its draw."""

    def __init__(self, seed: int, index: np.ndarray, name: str) -> None:
        self.seed, self.index, self.name = seed, index, name
        self.u = np.zeros((index.size, 0))
        self.taken = np.zeros(index.size, dtype=np.int64)
        self.fetched = np.zeros(index.size, dtype=np.int64)
        self.streams: Streams | None = None
        self.row = np.full(index.size, -1, dtype=np.int64)  # each case's row in ``streams``

    def next(self, rows: np.ndarray) -> np.ndarray:
        """The next uniform of each case at ``rows`` (positions in the chunk), in that order."""
        needy = rows[self.taken[rows] >= self.fetched[rows]]
        if needy.size:
            self._fetch(needy)
        out: np.ndarray = self.u[rows, self.taken[rows]]
        self.taken[rows] += 1
        return out

    def _fetch(self, needy: np.ndarray) -> None:
        """The next block of draws of the cases ``needy``, who have read all theirs."""
        if self.streams is None:
            self.streams = Streams.open(self.seed, self.index[needy], self.name)
            self.row[needy] = np.arange(needy.size)
        start = self.fetched[needy]
        end = int(start.max()) + _READINGS
        if end > self.u.shape[1]:
            wider = np.zeros((self.index.size, end - self.u.shape[1]))
            self.u = np.concatenate([self.u, wider], axis=1)
        columns = start[:, None] + np.arange(_READINGS)
        opened = self.row[needy] >= 0
        if opened.any():
            drawn = self.streams.take(self.row[needy[opened]], _READINGS)
            self.u[needy[opened, None], columns[opened]] = drawn
        for begin in np.unique(start[~opened]).tolist():
            group = needy[~opened & (start == begin)]
            self.u[group, begin : begin + _READINGS] = uniforms(
                self.seed, self.index[group], self.name, _READINGS, start=begin
            )
        self.fetched[needy] += _READINGS


def reading(
    value: np.ndarray, sd: np.ndarray, rows: np.ndarray, mask: np.ndarray, draws: Readings
) -> np.ndarray:
    """``Patient.reading`` of the cases at ``rows`` (``value`` and ``sd`` theirs) where ``mask``:
    the model's value plus noise, kept in 0-100 and to 0.1 mmHg (the others' entries unused)."""
    noisy = mask & (sd > 0)
    value = value.copy()
    if noisy.any():
        u = np.clip(draws.next(rows[noisy]), 1e-12, 1 - 1e-12)
        value[noisy] = value[noisy] + sd[noisy] * normal_quantile(u, 0.0, 1.0)
    shown: np.ndarray = rounded(np.minimum(np.maximum(value, 0.0), 100.0), 1)
    return shown


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

    The loop runs on the cases still infusing only (``rows``, positions in the chunk): their
    arrays shrink to them whenever fewer than half are left, and what the others came to is
    written back first (it no longer changes)."""
    n = plans.index.size
    pressure = plans.pressure
    slope = params.pressure.model_copy(update={"rise_mmhg_per_ml": pressure["rise_mmhg_per_ml"]})
    rise = np.asarray(
        pressure_rise_mmhg(plans.prep["tissue_volume_ml"], pressure["liver_volume_ratio"], slope)
    )
    out_fraction = np.ones(n)
    out_paused = np.zeros(n, dtype=bool)
    out_peak = np.full(n, -np.inf)
    rows: np.ndarray = np.flatnonzero(w.alive)
    infusion: np.ndarray = plans.timings["infusion"][rows]
    per_second: np.ndarray = rise[rows] / (infusion / _US)
    every, half_life = pressure["check_every"][rows], pressure["fall_half_life"][rows]
    max_pause, baseline = pressure["max_pause"][rows], pressure["baseline_mmhg"][rows]
    sd, base = pressure["noise_sd_mmhg"][rows], base[rows]
    now = w.now[rows]
    started = now.copy()
    m = rows.size
    active: np.ndarray = np.ones(m, dtype=bool)
    paused_now: np.ndarray = np.zeros(m, dtype=bool)
    paused_ever: np.ndarray = np.zeros(m, dtype=bool)
    infused: np.ndarray = np.zeros(m, dtype=np.int64)
    excess: np.ndarray = np.zeros(m)
    last: np.ndarray = base.copy()
    peak: np.ndarray = np.full(m, -np.inf)
    fraction: np.ndarray = np.ones(m)

    def stops(reading: np.ndarray) -> np.ndarray:
        return np.asarray(
            must_pause(
                reading,
                base,
                absolute_limit_mmhg=protocol.portal_pressure_stop_mmhg,
                rise_limit_mmhg=protocol.portal_pressure_stop_rise_mmhg,
            ),
            dtype=bool,
        )

    def write_back() -> None:
        w.now[rows], out_fraction[rows] = now, fraction
        out_paused[rows], out_peak[rows] = paused_ever, peak

    while active.any():
        if 2 * int(active.sum()) < active.size:
            write_back()
            keep = np.flatnonzero(active)
            rows, infusion, per_second, every, half_life = (
                a[keep] for a in (rows, infusion, per_second, every, half_life)
            )
            max_pause, baseline, sd, base, now, started = (
                a[keep] for a in (max_pause, baseline, sd, base, now, started)
            )
            active, paused_now, paused_ever, infused, excess, last, peak, fraction = (
                a[keep]
                for a in (active, paused_now, paused_ever, infused, excess, last, peak, fraction)
            )
        left = infusion - infused
        # paused: all in → complete; below the stop rule → resume; too long → stop part-way
        in_pause = active & paused_now
        all_in = in_pause & (infused >= infusion)
        resume = in_pause & ~all_in & ~stops(last)
        paused_for = now - started - infused
        too_long = in_pause & ~all_in & ~resume & (paused_for + every > max_pause)
        share = np.minimum(1.0, infused / infusion)
        stopped = np.maximum(0.001, np.floor(share * 1000) / 1000)
        fraction = np.where(too_long, np.where(share >= 1, 1.0, stopped), fraction)
        paused_now &= ~resume
        read_paused = in_pause & ~all_in & ~resume & ~too_long
        # infusing: all in → complete; else read after check_every (or what is left)
        in_flow = active & ~in_pause
        done = in_flow & (left <= 0)
        read_flow = in_flow & ~done
        step = np.minimum(every, left)
        flow_excess = excess + per_second * (step / _US)
        fall_excess = excess * 0.5 ** ((every / _US) / (half_life / _US))
        new_excess = np.where(read_flow, flow_excess, np.where(read_paused, fall_excess, excess))
        reading_mask = read_flow | read_paused
        value = reading(baseline + new_excess, sd, rows, reading_mask, readings)
        wait = np.where(read_flow, step, every)
        now = np.where(reading_mask, now + wait, now)
        infused = np.where(read_flow, infused + step, infused)
        excess = np.where(reading_mask, new_excess, excess)
        last = np.where(reading_mask, value, last)
        peak = np.where(reading_mask, np.maximum(peak, value), peak)
        pause = read_flow & stops(value)
        paused_now |= pause
        paused_ever |= pause
        active &= ~(all_in | too_long | done)
    write_back()
    return {"fraction": out_fraction, "paused": out_paused, "peak": out_peak}
