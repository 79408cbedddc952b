"""Descriptive accuracy and descriptive sparsity of explanations.

Both criteria follow Warnecke, Arp, Wressnegger and Rieck, "Evaluating Explanation Methods for
Deep Learning in Security", IEEE EuroS&P 2020.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from droidlens.data.encode import EncodedApps
from droidlens.fidelity._curves import (
    area_under,
    check_rankings,
    k_column,
    metric_columns,
    predict_malicious_proba,
    removal_curve,
    resolve_grid,
)
from droidlens.models.base import Detector

__all__ = [
    "DescriptiveAccuracy",
    "DescriptiveSparsity",
    "descriptive_accuracy",
    "descriptive_sparsity",
]


@dataclass(frozen=True)
class DescriptiveAccuracy:
    """Result of :func:`descriptive_accuracy`.

    Attributes
    ----------
    curve : DataFrame
        One row per k: ``k`` (``percent k`` by percent), ``descriptive accuracy`` and the binary
        metrics of the predictions after removal.
    auc : float
        Mean height of the descriptive-accuracy curve (trapezoid area over the width of the
        grid); lower is better.
    """

    curve: pd.DataFrame
    auc: float


@dataclass(frozen=True)
class DescriptiveSparsity:
    """Result of :func:`descriptive_sparsity`.

    Attributes
    ----------
    histogram : DataFrame
        Columns ``bin left``, ``bin right``, ``fraction``: the share of an app's scaled
        relevances in each bin of [-1, 1], averaged over apps.
    maz : DataFrame
        Columns ``r`` and ``mass``: the share of scaled relevances within [-r, r], averaged
        over apps (the MAZ curve).
    auc : float
        Area under the MAZ curve for r in [0, 1]; higher is sparser.
    n_apps : int
        Apps used; apps without calls or with all relevances zero are left out.
    """

    histogram: pd.DataFrame
    maz: pd.DataFrame
    auc: float
    n_apps: int


def descriptive_accuracy(
    model: Detector,
    encoded: EncodedApps,
    rankings: Sequence[np.ndarray],
    *,
    by: str = "count",
    grid: Sequence[int] | np.ndarray | None = None,
    batch_size: int = 100,
) -> DescriptiveAccuracy:
    """Measure the predicted class's mean score after removing each app's top-k calls.

    Parameters
    ----------
    model, encoded, rankings, by, grid, batch_size
        As in :func:`~droidlens.fidelity.deduction.deduction_test`; every app is used, and its
        ranking should explain the class the model predicts for it.

    Returns
    -------
    DescriptiveAccuracy

    Notes
    -----
    With ``c_i`` the class predicted for the full app ``x_i`` and ``x_i \\ k`` the app without
    its top-k calls, the curve is ``DA(k) = mean_i p_{c_i}(x_i \\ k)``. A faithful ranking
    removes the evidence for ``c_i`` first, so ``DA`` falls fast and its area is small.
    """
    rankings = check_rankings(encoded, rankings)
    grid = resolve_grid(by, grid, int(encoded.seq_len.max(initial=0)))

    rows = np.arange(len(encoded))
    predicted_class = predict_malicious_proba(model, encoded.tokens, batch_size) >= 0.5
    curve = removal_curve(model, encoded, rankings, rows, by=by, grid=grid, batch_size=batch_size)

    records = []
    for k, p_malicious in zip(grid, curve, strict=True):
        score = np.where(predicted_class, p_malicious, 1.0 - p_malicious)
        records.append(
            {
                k_column(by): int(k),
                "descriptive accuracy": float(score.mean()) if len(score) else float("nan"),
                **metric_columns(encoded.labels, (p_malicious >= 0.5).astype(np.int64)),
            }
        )
    table = pd.DataFrame.from_records(records)
    return DescriptiveAccuracy(curve=table, auc=area_under(grid, table["descriptive accuracy"]))


def descriptive_sparsity(
    relevances: Sequence[np.ndarray],
    *,
    n_bins: int = 20,
    n_radii: int = 101,
) -> DescriptiveSparsity:
    """Measure how few calls carry an explanation's relevance (MAZ curve and its area).

    Parameters
    ----------
    relevances : sequence of ndarray
        One relevance vector per app.
    n_bins : int, default=20
        Bins of the histogram over [-1, 1].
    n_radii : int, default=101
        Points r of the MAZ curve, evenly spaced over [0, 1].

    Returns
    -------
    DescriptiveSparsity

    Raises
    ------
    ValueError
        If ``n_bins`` or ``n_radii`` is too small.

    Notes
    -----
    Each app's relevances are divided by their maximum absolute value, giving values in
    [-1, 1]. ``MAZ(r)`` is the share of those values with ``|value| <= r``. A sparse
    explanation has most values near 0, so ``MAZ`` rises fast and its area approaches 1; a
    one-hot relevance over n calls has an area of about ``(n - 1) / n``.
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1, got {n_bins}")
    if n_radii < 2:
        raise ValueError(f"n_radii must be at least 2, got {n_radii}")

    edges = np.linspace(-1.0, 1.0, n_bins + 1)
    radii = np.linspace(0.0, 1.0, n_radii)
    histograms, masses = [], []
    for relevance in relevances:
        values = np.asarray(relevance, dtype=np.float64).reshape(-1)
        scale = np.max(np.abs(values), initial=0.0)
        if scale == 0.0 or not np.isfinite(scale):
            continue
        scaled = values / scale
        histograms.append(np.histogram(scaled, bins=edges)[0] / len(scaled))
        masses.append((np.abs(scaled)[None, :] <= radii[:, None] + 1e-12).mean(axis=1))

    n_apps = len(masses)
    fraction = np.mean(histograms, axis=0) if n_apps else np.full(n_bins, np.nan)
    mass = np.mean(masses, axis=0) if n_apps else np.full(n_radii, np.nan)
    histogram = pd.DataFrame({"bin left": edges[:-1], "bin right": edges[1:], "fraction": fraction})
    maz = pd.DataFrame({"r": radii, "mass": mass})
    return DescriptiveSparsity(
        histogram=histogram, maz=maz, auc=area_under(radii, mass), n_apps=n_apps
    )
