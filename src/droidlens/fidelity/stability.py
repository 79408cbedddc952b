"""Stability: how much the top-k calls of an app agree between runs with different seeds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

__all__ = ["Stability", "stability"]


@dataclass(frozen=True)
class Stability:
    """Result of :func:`stability`.

    Attributes
    ----------
    score : float
        Mean top-k intersection at the requested k, in [0, 1]; 1 when every run agrees.
    curve : DataFrame
        Columns ``k`` and ``intersection``: the mean intersection for k = 1 .. the requested k.
    per_app : ndarray of shape (n_apps,)
        Mean intersection of each app at the requested k; NaN for apps without calls.
    """

    score: float
    curve: pd.DataFrame
    per_app: np.ndarray


def _intersections(runs: Sequence[Sequence[np.ndarray]], app: int, k: int) -> float:
    """Mean of ``|T_a ∩ T_b| / k'`` over pairs of runs, with ``k' = min(k, seq_len)``."""
    seq_len = len(runs[0][app])
    size = min(k, seq_len)
    if size == 0:
        return float("nan")
    tops = [set(np.asarray(run[app][:size]).tolist()) for run in runs]
    return float(np.mean([len(a & b) / size for a, b in combinations(tops, 2)]))


def _nan_mean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else float("nan")


def stability(runs: Sequence[Sequence[np.ndarray]], *, k: int = 10) -> Stability:
    """Measure the mean intersection of the top-k calls between explanation runs.

    Parameters
    ----------
    runs : sequence of sequence of ndarray
        Two or more runs of one method with different seeds; each run contains one ranking per
        app, most relevant call first, apps in the same order in every run.
    k : int, default=10
        Size of the top sets; apps shorter than k compare all their calls.

    Returns
    -------
    Stability

    Raises
    ------
    ValueError
        If there are fewer than two runs, the runs differ in their number of apps or in the
        length of an app's ranking, or ``k`` is below 1.

    Notes
    -----
    For runs a and b and an app with top sets ``T_a`` and ``T_b``, the intersection is
    ``|T_a ∩ T_b| / min(k, seq_len)``; the score averages it over pairs of runs, then apps.
    """
    if len(runs) < 2:
        raise ValueError(f"stability needs at least 2 runs, got {len(runs)}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    n_apps = len(runs[0])
    for index, run in enumerate(runs):
        if len(run) != n_apps:
            raise ValueError(f"run {index} has {len(run)} rankings, run 0 has {n_apps}")
        for app in range(n_apps):
            if len(run[app]) != len(runs[0][app]):
                raise ValueError(
                    f"app {app} has a ranking of {len(run[app])} calls in run {index} and "
                    f"{len(runs[0][app])} in run 0; rank the same apps in every run"
                )

    table = np.empty((k, n_apps), dtype=np.float64)
    for size in range(1, k + 1):
        for app in range(n_apps):
            table[size - 1, app] = _intersections(runs, app, size)
    means = [_nan_mean(row) for row in table]
    curve = pd.DataFrame({"k": np.arange(1, k + 1), "intersection": means})
    return Stability(score=means[-1], curve=curve, per_app=table[-1])
