"""The study's experiments as functions of (embedding sets, protocol, parameters)."""

from facebridge.experiments.verification.evaluate import MODES, POOLS, EvaluationResult, evaluate
from facebridge.experiments.verification.methods import DEFAULT_METHODS, METHOD_KEYS, STUDY_METHODS
from facebridge.experiments.verification.study import StudyResults, run_study, run_ytf_study

__all__ = [
    "DEFAULT_METHODS",
    "METHOD_KEYS",
    "MODES",
    "POOLS",
    "STUDY_METHODS",
    "EvaluationResult",
    "StudyResults",
    "evaluate",
    "run_study",
    "run_ytf_study",
]
