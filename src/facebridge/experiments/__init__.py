"""The study's experiments as functions of (embedding sets, protocol, parameters)."""

from facebridge.experiments.evaluate import MODES, POOLS, EvaluationResult, evaluate

__all__ = ["MODES", "POOLS", "EvaluationResult", "evaluate"]
