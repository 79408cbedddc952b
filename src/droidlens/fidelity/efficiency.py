"""Efficiency: the time an explanation method takes per app."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Efficiency", "efficiency"]


@dataclass(frozen=True)
class Efficiency:
    """Result of :func:`efficiency`.

    Attributes
    ----------
    median_seconds : float
        Median seconds per app.
    p90_seconds : float
        90th percentile of the seconds per app.
    mean_seconds : float
    n_apps : int
    curve : DataFrame
        Columns ``seconds`` and ``fraction``: the empirical distribution function, the share
        of apps explained within each time.
    """

    median_seconds: float
    p90_seconds: float
    mean_seconds: float
    n_apps: int
    curve: pd.DataFrame


def efficiency(total_seconds: Sequence[float] | np.ndarray) -> Efficiency:
    """Summarise the seconds per app of an explanation run.

    Parameters
    ----------
    total_seconds : sequence of float
        The ``total seconds`` column of the explanation rows, one value per app.

    Returns
    -------
    Efficiency

    Raises
    ------
    ValueError
        If a time is negative or not finite.
    """
    seconds = np.sort(np.asarray(total_seconds, dtype=np.float64).reshape(-1))
    bad = ~np.isfinite(seconds) | (seconds < 0)
    if bad.any():
        raise ValueError(f"times must be finite and non-negative, got {seconds[bad][0]!r}")
    if len(seconds) == 0:
        nan = float("nan")
        empty = pd.DataFrame({"seconds": [], "fraction": []})
        return Efficiency(nan, nan, nan, 0, empty)

    fraction = np.arange(1, len(seconds) + 1) / len(seconds)
    return Efficiency(
        median_seconds=float(np.median(seconds)),
        p90_seconds=float(np.quantile(seconds, 0.9)),
        mean_seconds=float(seconds.mean()),
        n_apps=len(seconds),
        curve=pd.DataFrame({"seconds": seconds, "fraction": fraction}),
    )
