"""Augmentation test: copy the top-ranked calls of malicious apps into benign apps."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from droidlens.data.encode import EncodedApps
from droidlens.fidelity._curves import (
    check_rankings,
    k_column,
    k_per_app,
    metric_columns,
    predict_malicious_proba,
    resolve_grid,
)
from droidlens.models.base import Detector

__all__ = ["augmentation_test", "map_positions"]


def map_positions(positions: np.ndarray, source_len: int, target_len: int) -> np.ndarray:
    """Map positions of an app of ``source_len`` calls to the same relative place in another.

    Position p goes to ``round(p / source_len * target_len)``, clipped to the target's last call.

    Examples
    --------
    >>> map_positions(np.array([0, 5, 9]), 10, 4).tolist()
    [0, 2, 3]
    """
    mapped = np.rint(np.asarray(positions, dtype=np.float64) / source_len * target_len)
    return mapped.astype(np.int64).clip(0, max(target_len - 1, 0))


def _draw_pairs(
    sources: np.ndarray, targets: np.ndarray, n_pairs: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pair each source row with ``n_pairs`` distinct target rows drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    per_source = min(n_pairs, len(targets))
    pair_sources, pair_targets = [], []
    for source in sources:
        drawn = rng.choice(targets, size=per_source, replace=False)
        pair_sources.extend([source] * per_source)
        pair_targets.extend(drawn.tolist())
    return np.asarray(pair_sources, dtype=np.int64), np.asarray(pair_targets, dtype=np.int64)


def _augmented_copies(
    encoded: EncodedApps,
    rankings: list[np.ndarray],
    pairs: tuple[np.ndarray, np.ndarray],
    ks: np.ndarray,
) -> np.ndarray:
    """Return the target apps with their source's top-k calls written over mapped positions."""
    sources, targets = pairs
    copies = np.array(encoded.tokens[targets], copy=True)
    for i, (source, target, k) in enumerate(zip(sources, targets, ks, strict=True)):
        top = rankings[source][:k]
        mapped = map_positions(top, int(encoded.seq_len[source]), int(encoded.seq_len[target]))
        copies[i, mapped] = encoded.tokens[source, top]
    return copies


def augmentation_test(
    model: Detector,
    encoded: EncodedApps,
    rankings: Sequence[np.ndarray],
    *,
    by: str = "count",
    grid: Sequence[int] | np.ndarray | None = None,
    n_pairs: int = 5,
    seed: int = 0,
    batch_size: int = 100,
) -> pd.DataFrame:
    """Copy the top-k calls of each app called malicious into apps called benign and re-predict.

    If a ranking names the calls that make an app malicious, planting them in benign apps
    should turn those malicious.

    Parameters
    ----------
    model, encoded, rankings, by, grid, batch_size
        As in :func:`~droidlens.fidelity.deduction.deduction_test`. Sources are the apps called
        malicious and targets the non-empty apps called benign; by percent, k is a percent of
        the source app's length.
    n_pairs : int, default=5
        Target apps drawn, without replacement, for each source app (fewer when there are
        fewer targets).
    seed : int, default=0
        Seed of the draw of the pairs.

    Returns
    -------
    DataFrame
        One row per k with columns ``k`` (``percent k`` by percent), ``positive rate`` (share
        of the augmented benign apps now called malicious), ``n_pairs`` (pairs tested), then
        the binary metrics against the target apps' true labels.

    Raises
    ------
    ValueError
        If the inputs are invalid, as in ``deduction_test``, or ``n_pairs`` is below 1.

    Notes
    -----
    Source position p of a source of length L goes to ``round(p / L * L_target)`` in the
    target (see :func:`map_positions`) and replaces the call there. When the target is shorter
    than the source, several calls can land on one position and the last one written stays.
    """
    if n_pairs < 1:
        raise ValueError(f"n_pairs must be at least 1, got {n_pairs}")
    rankings = check_rankings(encoded, rankings)
    grid = resolve_grid(by, grid, int(encoded.seq_len.max(initial=0)))

    full = predict_malicious_proba(model, encoded.tokens, batch_size)
    sources = np.flatnonzero(full >= 0.5)
    targets = np.flatnonzero((full < 0.5) & (encoded.seq_len > 0))
    pairs = _draw_pairs(sources, targets, n_pairs, seed)
    labels = encoded.labels[pairs[1]]

    records = []
    for k in grid:
        ks = k_per_app(by, int(k), encoded.seq_len[pairs[0]])
        copies = _augmented_copies(encoded, rankings, pairs, ks)
        predicted = (predict_malicious_proba(model, copies, batch_size) >= 0.5).astype(np.int64)
        records.append(
            {
                k_column(by): int(k),
                "positive rate": float(predicted.mean()) if len(predicted) else float("nan"),
                "n_pairs": len(predicted),
                **metric_columns(labels, predicted),
            }
        )
    return pd.DataFrame.from_records(records)
