"""Verification protocols as data (pair lists with folds, parsed from LFW / YTF / CSV files) and metrics as pure
functions of scores, labels and folds."""

from facebridge.protocols.csv_pairs import parse_pairs_csv, people_disjoint_folds
from facebridge.protocols.kfold import KFoldAccuracy, best_threshold, kfold_accuracy
from facebridge.protocols.lfw import lfw_image_id, parse_lfw_pairs
from facebridge.protocols.metrics import VerificationResult, verify
from facebridge.protocols.pairs import PairList, person_of
from facebridge.protocols.roc import Roc, roc_curve, tar_at_fars
from facebridge.protocols.scoring import pair_scores, score_pairs
from facebridge.protocols.ytf import list_ytf_frames, parse_ytf_splits, video_embeddings

__all__ = [
    "KFoldAccuracy",
    "PairList",
    "Roc",
    "VerificationResult",
    "best_threshold",
    "kfold_accuracy",
    "lfw_image_id",
    "list_ytf_frames",
    "pair_scores",
    "parse_lfw_pairs",
    "parse_pairs_csv",
    "parse_ytf_splits",
    "people_disjoint_folds",
    "person_of",
    "roc_curve",
    "score_pairs",
    "tar_at_fars",
    "verify",
    "video_embeddings",
]
