"""Training sessions: a trainee drives a case; the engine explains, scores and debriefs.

The public API::

    TrainingSession   act, wait, view, score, debrief, snapshot, restore, on a Case
    View              what a UI shows at one moment (JSON-ready)
    Lab, ScenarioLab  where measured values come from (the lab measures a scenario's sampled
                      case); LabRequest is what a lab is asked
    Rubric            what each kind of deviation costs (data; load from a file)
    score, deviations the score as a pure function of (trainee, expert, rubric)
    debrief, Debrief  the report after a session, as data and as text
    Exercise          a case, its lab and its expert path: Exercise.from_scenario(name or
                      Scenario, seed, index); standard_exercise(approach) is the bundled one
    moves_of, walk    a timeline as the moves that reproduce it, and making them (PlanStep)
    xapi_statements   the session as xAPI statements for a learning record store
    CourseSession     a recipient's course: each donor's procedure a TrainingSession, the
                      re-infusion decisions the trainee's (decide), view, score, debrief,
                      snapshot, restore; CourseView, CourseSessionSnapshot
    CourseRubric      what procedures and decisions (DecisionWeights) cost in a course;
                      CourseScore, Decision
    CourseDebrief     the course's debrief: procedures, decisions, the recipient's function
                      over the years beside the expert's (data and text)
"""

from .course_debrief import CourseDebrief, CourseRubric, CourseScore, Decision, DecisionWeights
from .course_session import CourseSession, CourseSessionSnapshot, CourseView
from .debrief import Debrief, debrief
from .exercise import Exercise, PlanStep, moves_of, standard_exercise, walk
from .lab import Lab, LabRequest, ScenarioLab, lab_from_data
from .rubric import Rubric, Weights
from .scoring import Deviation, Score, deviations, score
from .session import SessionSnapshot, TrainingSession
from .view import View
from .xapi import Actor, xapi_statements

__all__ = [
    "Actor",
    "CourseDebrief",
    "CourseRubric",
    "CourseScore",
    "CourseSession",
    "CourseSessionSnapshot",
    "CourseView",
    "Debrief",
    "Decision",
    "DecisionWeights",
    "Deviation",
    "Exercise",
    "Lab",
    "LabRequest",
    "PlanStep",
    "Rubric",
    "ScenarioLab",
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
