"""The model of cause and effect inside one procedure: small pure functions of plain values.

Each relation takes floats or numpy arrays (elementwise, the same code for the per-case engine
and the vectorised cohort) and a section of the coefficient table, ``ModelParameters``, whose
every value is sourced, CALIBRATED to a named published target, or UNCONFIRMED
(``docs/model.md`` shows the table; ``docs/references.md`` resolves the tags)::

    median_digest_ieq, digest_ieq     isolation yield from donor, cold ischaemia, solution
    pressure_rise_mmhg, must_pause     portal-pressure rise from tissue and liver; stop rule
    bleeding_probability               Villiger's odds ratios, sealing, approach [S47, S18, S14]
    management, management_steps       what a bleed leads to, as steps with times
    thrombosis_probability             Kawahara's preventive measures [S15]
    main_branch, consequence           a thrombosis's extent and what it bars [S2]
    trough_target, trough_status       maintenance targets [S10]; below, within, above
    occurs                             realises a risk with the caller's uniform draw

A risk is realised where it applies: the caller draws ``u`` from the case's own stream and asks
``occurs(p, u)``; a choice that changes ``p`` never changes the draws.
"""

from __future__ import annotations

from .bleeding import bleeding_probability, management, management_steps
from .isolation import digest_ieq, median_digest_ieq
from .parameters import DEFAULT, ModelParameters
from .pressure import must_pause, pressure_rise_mmhg
from .regimen import trough_status, trough_target
from .risk import occurs
from .thrombosis import consequence, main_branch, thrombosis_probability

__all__ = [
    "DEFAULT",
    "ModelParameters",
    "bleeding_probability",
    "consequence",
    "digest_ieq",
    "main_branch",
    "management",
    "management_steps",
    "median_digest_ieq",
    "must_pause",
    "occurs",
    "pressure_rise_mmhg",
    "thrombosis_probability",
    "trough_status",
    "trough_target",
]
