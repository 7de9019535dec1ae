"""The study's experiments as functions of (embedding sets, protocol, parameters), one subpackage per study:
``verification`` (native accuracy, the penalty matrix, sample-size and rank curves, View 1 selection), ``upgrade``
(1:N migration, transition, deployment, shifted domain), ``privacy`` (the audit), ``canonical`` (one shared space),
with ``shared`` holding what they share; ``reproduce`` runs them all.

Words: a *penalty* is the accuracy a map loses against the target's own embeddings (points); a ridge map's
regularisation is its *alpha*. A *view* (``maps.TargetView``) is the space pairs are scored in; LFW's protocols
are written *View 1* (development) and *View 2* (the ten test folds).
"""

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
