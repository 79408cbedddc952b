"""The synthetic test: keep only each app's top-k ranked calls, nullify the rest, re-measure.

If a ranking puts the calls the verdict depends on first, a few kept calls already restore the
full-input scores. The curve runs over k by count of calls and by percent of each app's length.
At ``k = seq_len`` every app is whole, so the point equals the full-input metrics; at ``k = 0``
every app is empty, and the point shows the model's verdict on an app with no calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from droidlens.data.encode import EncodedApps
from droidlens.data.vocab import NULL_ID
from droidlens.fidelity.grids import count_grid, k_for_percent, percent_grid
from droidlens.fidelity.metrics import binary_metrics
from droidlens.models.base import Detector

__all__ = ["synthetic_test", "keep_top_k", "check_rankings", "random_rankings"]


def check_rankings(encoded: EncodedApps, rankings: Sequence[np.ndarray]) -> None:
    """Raise ValueError unless each ranking is a permutation of its app's positions."""
    if len(rankings) != len(encoded):
        raise ValueError(
            f"got {len(rankings)} rankings for {len(encoded)} apps; give one "
            "ranking per app, in the same order"
        )
    for row, ranking in enumerate(rankings):
        seq_len = int(encoded.seq_len[row])
        ranking = np.asarray(ranking)
        if ranking.shape != (seq_len,) or not np.array_equal(np.sort(ranking), np.arange(seq_len)):
            raise ValueError(
                f"the ranking of app {encoded.ids[row]} is not a permutation of 0..{seq_len - 1}"
            )


def keep_top_k(tokens: np.ndarray, ranking: np.ndarray, k: int) -> np.ndarray:
    """Return a copy of one app's ``(seq_len, max_words)`` tokens keeping only its top-k calls."""
    result = np.array(tokens, copy=True)
    result[np.asarray(ranking[k:], dtype=np.int64)] = NULL_ID
    return result


def random_rankings(encoded: EncodedApps, *, seed: int) -> list[np.ndarray]:
    """Return a seeded random permutation of each app's positions (the baseline ranking)."""
    rng = np.random.default_rng(seed)
    return [rng.permutation(int(n)).astype(np.int64) for n in encoded.seq_len]


class _KeptPredictions:
    """Model scores of apps reduced to their top-k calls, each (app, k) predicted once.

    Consecutive grid values often keep the same number of calls of an app (every k past
    an app's length keeps it whole), so the scores are cached by app and kept count.
    """

    def __init__(
        self,
        model: Detector,
        encoded: EncodedApps,
        rankings: Sequence[np.ndarray],
        batch_size: int,
    ) -> None:
        self._model = model
        self._encoded = encoded
        self._rankings = rankings
        self._batch_size = batch_size
        self._scores: dict[tuple[int, int], np.ndarray] = {}

    def predict(self, ks: np.ndarray) -> np.ndarray:
        """Return ``(n_apps, 2)`` probabilities with app ``i`` reduced to ``ks[i]`` calls."""
        encoded = self._encoded
        missing = [row for row in range(len(encoded)) if (row, int(ks[row])) not in self._scores]
        if missing:
            tokens = encoded.tokens[missing].copy()
            for index, row in enumerate(missing):
                reduced = keep_top_k(encoded.app_tokens(row), self._rankings[row], int(ks[row]))
                tokens[index, : encoded.seq_len[row]] = reduced
            proba = self._model.predict_proba(tokens, batch_size=self._batch_size)
            for index, row in enumerate(missing):
                self._scores[(row, int(ks[row]))] = proba[index]
        return np.stack([self._scores[(row, int(ks[row]))] for row in range(len(encoded))])


def synthetic_test(
    model: Detector,
    encoded: EncodedApps,
    rankings: Sequence[np.ndarray],
    *,
    by: str = "count",
    grid: Sequence[int] | np.ndarray | None = None,
    batch_size: int = 100,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Measure the detector on apps reduced to their top-k ranked calls.

    Parameters
    ----------
    model : Detector
    encoded : EncodedApps
        Labelled apps.
    rankings : sequence of ndarray
        One ranking per app (row order of ``encoded``), a permutation of its positions.
    by : {"count", "percent"}, default="count"
        Read ``k`` as a number of calls (an app shorter than ``k`` stays whole) or as a
        percent of each app's length, rounded up.
    grid : sequence of int, optional
        Values of k. Default: 0..10 then every 10 up to the longest app (count), or 0..100
        (percent).
    batch_size : int, default=100
    progress : callable, optional
        Called with 1 after each k.

    Returns
    -------
    pandas.DataFrame
        One row per k: ``k`` (or ``percent k``), ``f1``, ``tpr``, ``fpr``, ``accuracy``,
        ``precision``, ``tp``, ``tn``, ``fp``, ``fn``, ``n_apps``.

    Raises
    ------
    ValueError
        If ``by`` is unknown, a grid value is negative (or above 100 by percent), a ranking
        is not a permutation, or labels are missing.
    """
    if by not in ("count", "percent"):
        raise ValueError(f"by must be 'count' or 'percent', got {by!r}")
    check_rankings(encoded, rankings)
    if not np.isin(encoded.labels, (0, 1)).all():
        raise ValueError("the synthetic test needs labelled apps (label 0 or 1)")
    if grid is None:
        grid = count_grid(int(encoded.seq_len.max())) if by == "count" else percent_grid()
    grid = np.asarray(grid, dtype=np.int64)
    if (grid < 0).any() or (by == "percent" and (grid > 100).any()):
        allowed = "in 0..100" if by == "percent" else "non-negative"
        raise ValueError(f"grid values must be {allowed} with by={by!r}, got {grid.tolist()}")
    column = "k" if by == "count" else "percent k"

    predictions = _KeptPredictions(model, encoded, rankings, batch_size)
    records = []
    for k in grid:
        if by == "count":
            ks = np.minimum(encoded.seq_len, k)
        else:
            ks = k_for_percent(encoded.seq_len, float(k))
        proba = predictions.predict(ks)
        metrics = binary_metrics(encoded.labels, (proba[:, 1] >= 0.5).astype(np.int64))
        record = {column: int(k), **metrics.as_dict()}
        records.append(record)
        if progress is not None:
            progress(1)
    ordered = [
        column,
        "f1",
        "tpr",
        "fpr",
        "accuracy",
        "precision",
        "tp",
        "tn",
        "fp",
        "fn",
        "n_apps",
    ]
    return pd.DataFrame.from_records(records)[ordered]
