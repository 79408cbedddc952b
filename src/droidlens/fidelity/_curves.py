"""Shared steps of the fidelity curves: input checks, grids of k, perturbed copies, metrics."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from droidlens.data.encode import EncodedApps
from droidlens.data.vocab import NULL_ID
from droidlens.fidelity.grids import count_grid, k_for_percent, percent_grid
from droidlens.fidelity.metrics import binary_metrics
from droidlens.models.base import Detector

__all__ = [
    "BY",
    "area_under",
    "check_rankings",
    "k_column",
    "k_per_app",
    "metric_columns",
    "predict_malicious_proba",
    "removal_copies",
    "removal_curve",
    "resolve_grid",
]

BY = ("count", "percent")
"""Units of k: a number of calls, or a percent of each app's length."""


def check_rankings(encoded: EncodedApps, rankings: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Return the rankings as int64 arrays after checking them against the apps.

    Raises
    ------
    ValueError
        If the number of rankings differs from the number of apps, or a ranking is not a
        permutation of ``0 .. seq_len - 1`` of its app.
    """
    if len(rankings) != len(encoded):
        raise ValueError(
            f"got {len(rankings)} rankings for {len(encoded)} apps; pass one ranking per app, "
            "in the row order of the encoded apps"
        )
    checked = []
    for row, ranking in enumerate(rankings):
        array = np.asarray(ranking, dtype=np.int64).reshape(-1)
        seq_len = int(encoded.seq_len[row])
        if len(array) != seq_len or not np.array_equal(np.sort(array), np.arange(seq_len)):
            raise ValueError(
                f"ranking of app {encoded.ids[row]!r} (row {row}) must be a permutation of "
                f"0..{seq_len - 1}, got {len(array)} values starting {array[:5].tolist()}"
            )
        checked.append(array)
    return checked


def resolve_grid(by: str, grid: Sequence[int] | np.ndarray | None, max_len: int) -> np.ndarray:
    """Return the sorted grid of k, the default one for ``by`` when ``grid`` is None."""
    if by not in BY:
        raise ValueError(f"by must be one of {BY}, got {by!r}")
    if grid is None:
        return count_grid(max_len) if by == "count" else percent_grid()
    values = np.unique(np.asarray(grid, dtype=np.int64))
    upper = 100 if by == "percent" else None
    if values.size == 0 or values[0] < 0 or (upper is not None and values[-1] > upper):
        allowed = "0..100" if upper else "non-negative integers"
        raise ValueError(f"grid for by={by!r} must hold {allowed}, got {list(grid)}")
    return values


def k_column(by: str) -> str:
    """Return the column name of k: ``"k"`` by count, ``"percent k"`` by percent."""
    return "k" if by == "count" else "percent k"


def k_per_app(by: str, k: int, seq_len: np.ndarray) -> np.ndarray:
    """Return, for each app, the number of calls that ``k`` means, at most its length."""
    seq_len = np.asarray(seq_len, dtype=np.int64)
    if by == "count":
        return np.minimum(k, seq_len)
    return k_for_percent(seq_len, k)


def removal_copies(
    encoded: EncodedApps, rows: np.ndarray, rankings: Sequence[np.ndarray], ks: np.ndarray
) -> np.ndarray:
    """Return copies of the apps at ``rows`` with their top ``ks[i]`` calls nullified."""
    copies = np.array(encoded.tokens[rows], copy=True)
    for i, (row, k) in enumerate(zip(rows, ks, strict=True)):
        copies[i, rankings[row][:k]] = NULL_ID
    return copies


def predict_malicious_proba(model: Detector, tokens: np.ndarray, batch_size: int) -> np.ndarray:
    """Return ``p_malicious`` of each app, an empty array when there is none."""
    if len(tokens) == 0:
        return np.empty(0, dtype=np.float64)
    return model.predict_proba(tokens, batch_size=batch_size)[:, 1]


def metric_columns(labels: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Return the binary metrics over the apps with a known label (NaN rates when none)."""
    known = np.isin(labels, (0, 1))
    metrics = binary_metrics(labels[known], np.asarray(predicted, dtype=np.int64)[known])
    return dict(metrics.as_dict())


def area_under(x: np.ndarray, y: np.ndarray) -> float:
    """Return the trapezoid area under ``y(x)`` divided by the width of ``x``.

    The result is the mean height of the curve, in the units of ``y``; with a single point it
    is that point's value.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if len(x) == 1:
        return float(y[0])
    width = x[-1] - x[0]
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2.0 / width)


def removal_curve(
    model: Detector,
    encoded: EncodedApps,
    rankings: Sequence[np.ndarray],
    rows: np.ndarray,
    *,
    by: str,
    grid: np.ndarray,
    batch_size: int,
) -> list[np.ndarray]:
    """Return, for each k of ``grid``, ``p_malicious`` of the apps at ``rows`` minus their top k."""
    curve = []
    for k in grid:
        ks = k_per_app(by, int(k), encoded.seq_len[rows])
        copies = removal_copies(encoded, rows, rankings, ks)
        curve.append(predict_malicious_proba(model, copies, batch_size))
    return curve
