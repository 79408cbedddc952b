"""Plot synthetic-test curves: F1 against k, one line per ranking."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["plot_synthetic"]


def plot_synthetic(
    by_count: pd.DataFrame,
    by_percent: pd.DataFrame,
    path: str | Path,
    *,
    title: str,
    value: str = "f1",
) -> Path:
    """Write a PNG with F1 (or ``value``) against k by count and by percent, one line per ranking.

    The count axis is logarithmic after k = 1 (symlog), so the first calls stay visible.
    """
    figure = Figure(figsize=(11, 4.2), dpi=110)
    FigureCanvasAgg(figure)
    for index, (table, column, label) in enumerate(
        ((by_count, "k", "k (calls kept)"), (by_percent, "percent k", "k (% of calls kept)"))
    ):
        axes = figure.add_subplot(1, 2, index + 1)
        for name, part in table.groupby("ranking", sort=False):
            axes.plot(part[column], 100 * part[value], marker=".", label=str(name))
        if column == "k":
            axes.set_xscale("symlog", linthresh=1)
        axes.set_xlabel(label)
        axes.set_ylabel(f"{value} (%)")
        axes.grid(alpha=0.3)
        axes.legend()
    figure.suptitle(title)
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path)
    return path
