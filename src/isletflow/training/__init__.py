"""Training sessions: a trainee drives a case; the engine explains, scores and debriefs.

The public API::

    TrainingSession   act, wait, view, score, debrief, snapshot, restore, on a Case
    View              what a UI shows at one moment (JSON-ready)
    Lab, FixedLab     where measured values come from; LabRequest is what a lab is asked
    Rubric            what each kind of deviation costs (data; load from a file)
    score, deviations the score as a pure function of (trainee, expert, rubric)
    debrief, Debrief  the report after a session, as data and as text
    Exercise          a case, its lab and its expert path; standard_exercise() is built in,
                      Exercise.from_scenario(name or Scenario, seed, index) trains on a scenario
    (ScenarioLab, in training.scenario_lab, measures what a scenario sampled for one case)
    xapi_statements   the session as xAPI statements for a learning record store
"""

from .debrief import Debrief, debrief
from .exercise import Exercise, PlanStep, moves_of, standard_exercise, walk
from .lab import LAB_KINDS, MEASURED, FixedLab, Lab, LabRequest, lab_from_data
from .rubric import DEVIATION_KINDS, Rubric, Weights
from .scoring import Deviation, Score, deviations, score
from .session import SessionSnapshot, TrainingSession, View
from .xapi import Actor, xapi_statements

__all__ = [
    "DEVIATION_KINDS",
    "LAB_KINDS",
    "MEASURED",
    "Actor",
    "Debrief",
    "Deviation",
    "Exercise",
    "FixedLab",
    "Lab",
    "LabRequest",
    "PlanStep",
    "Rubric",
    "Score",
    "SessionSnapshot",
    "TrainingSession",
    "View",
    "Weights",
    "debrief",
    "deviations",
    "lab_from_data",
    "moves_of",
    "score",
    "standard_exercise",
    "walk",
    "xapi_statements",
]
