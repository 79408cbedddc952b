"""The explanation of one app, shared by every explanation method."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["MethodOutput", "Explanation", "rank_relevance"]


def rank_relevance(relevance: np.ndarray) -> np.ndarray:
    """Return positions ordered by decreasing relevance; ties keep the earlier position first."""
    return np.argsort(-np.asarray(relevance, dtype=np.float64), kind="stable").astype(np.int64)


@dataclass
class MethodOutput:
    """Output of an explanation method for one app.

    Attributes
    ----------
    relevance : ndarray of shape (seq_len,)
        One score per call; larger means the call supports the explained class more. The
        ranking is ``rank_relevance(relevance)`` unless ``ranking`` is given.
    prediction_seconds : float
        Time spent in model calls.
    extras : dict
        Method-specific columns for the output table, keyed by column name
        (for occlusion: ``"synthetic y"``, ``"fusedlasso coef"``, ...).
    ranking : ndarray of shape (seq_len,), optional
        An explicit ranking, for methods whose order is not the order of ``relevance``.
    """

    relevance: np.ndarray
    prediction_seconds: float = 0.0
    extras: dict[str, Any] = field(default_factory=dict)
    ranking: np.ndarray | None = None


@dataclass
class Explanation:
    """One row of an explanation table.

    Attributes
    ----------
    app_id : str
    label : int
        True label: ``1`` malicious, ``0`` benign, ``-1`` unknown.
    proba : ndarray of shape (2,)
        The model's ``[p_benign, p_malicious]`` for the whole app.
    seq_len : int
        Calls the model saw.
    method : str
        Method name, such as ``"occlusion"``.
    relevance : ndarray of shape (seq_len,)
    ranking : ndarray of shape (seq_len,)
        A permutation of ``0 .. seq_len - 1``, most important call first.
    prediction_seconds : float
    total_seconds : float
    extras : dict
        Method-specific columns.
    """

    app_id: str
    label: int
    proba: np.ndarray
    seq_len: int
    method: str
    relevance: np.ndarray
    ranking: np.ndarray
    prediction_seconds: float
    total_seconds: float
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def predicted(self) -> int:
        """Predicted class: ``1`` malicious when ``p_malicious >= 0.5``, else ``0``."""
        return int(self.proba[1] >= 0.5)
