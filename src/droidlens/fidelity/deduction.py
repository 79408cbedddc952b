"""Deduction test: remove the top-ranked calls of apps called malicious and re-predict."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from droidlens.data.encode import EncodedApps
from droidlens.fidelity._curves import (
    check_rankings,
    k_column,
    metric_columns,
    predict_malicious_proba,
    removal_curve,
    resolve_grid,
)
from droidlens.models.base import Detector

__all__ = ["deduction_test"]


def deduction_test(
    model: Detector,
    encoded: EncodedApps,
    rankings: Sequence[np.ndarray],
    *,
    by: str = "count",
    grid: Sequence[int] | np.ndarray | None = None,
    batch_size: int = 100,
) -> pd.DataFrame:
    """Nullify the top-k calls of each app called malicious and count those still malicious.

    A faithful ranking puts the calls that make an app malicious first, so the share of apps
    still called malicious falls fast as k grows.

    Parameters
    ----------
    model : Detector
    encoded : EncodedApps
        The apps; only those the model calls malicious (``p_malicious >= 0.5``) are used.
    rankings : sequence of ndarray
        One ranking per app of ``encoded``, in row order, most relevant call first; each a
        permutation of ``0 .. seq_len - 1``. Rankings of apps called benign are ignored.
    by : {"count", "percent"}, default="count"
        Read k as a number of calls or as a percent of each app's length (rounded up).
    grid : sequence of int, optional
        Values of k; by default :func:`~droidlens.fidelity.grids.count_grid` up to the longest
        app, or :func:`~droidlens.fidelity.grids.percent_grid`.
    batch_size : int, default=100
        Apps per forward pass.

    Returns
    -------
    DataFrame
        One row per k with columns ``k`` (``percent k`` by percent), ``positive rate`` (share
        of the apps still called malicious), then the metrics of
        :func:`~droidlens.fidelity.metrics.binary_metrics` against the true labels of those
        apps: ``n_apps, tp, tn, fp, fn, accuracy, tpr, fpr, f1, precision``.

    Raises
    ------
    ValueError
        If ``rankings`` does not match ``encoded``, or ``by`` or ``grid`` is invalid.
    """
    rankings = check_rankings(encoded, rankings)
    grid = resolve_grid(by, grid, int(encoded.seq_len.max(initial=0)))

    full = predict_malicious_proba(model, encoded.tokens, batch_size)
    rows = np.flatnonzero(full >= 0.5)
    labels = encoded.labels[rows]
    curve = removal_curve(model, encoded, rankings, rows, by=by, grid=grid, batch_size=batch_size)

    records = []
    for k, p_malicious in zip(grid, curve, strict=True):
        predicted = (p_malicious >= 0.5).astype(np.int64)
        rate = float(predicted.mean()) if len(predicted) else float("nan")
        records.append(
            {k_column(by): int(k), "positive rate": rate, **metric_columns(labels, predicted)}
        )
    return pd.DataFrame.from_records(records)
