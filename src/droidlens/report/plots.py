"""Figures of the fidelity curves: one figure per test, one line per explanation method.

Figures are drawn on matplotlib's Agg canvas directly, without pyplot, so no global backend or
figure state is touched and no display is needed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["plot_test_curves"]

_AXIS_LABELS = {
    "count": "k (calls)",
    "percent": "k (% of the app's calls)",
    "radius": "r",
    "seconds": "seconds per app",
    "bin": "scaled relevance",
}


def plot_test_curves(
    curves: pd.DataFrame,
    *,
    value: str,
    title: str,
    out_path: str | Path,
    dpi: int = 120,
) -> Path:
    """Draw one test's curves, one line per method and one panel per way of reading k.

    Parameters
    ----------
    curves : DataFrame
        Long-format curves of one test with columns ``method``, ``by``, ``k`` and ``value``.
    value : str
        Column drawn on the y axis.
    title : str
        Figure title, usually the test name.
    out_path : str or Path
        PNG file to write; its folder must exist.
    dpi : int, default=120

    Returns
    -------
    Path
        ``out_path``.

    Raises
    ------
    ValueError
        If ``curves`` is empty or lacks a required column.
    """
    missing = {"method", "by", "k", value} - set(curves.columns)
    if missing:
        raise ValueError(f"curves lack the columns {sorted(missing)}; got {list(curves.columns)}")
    if curves.empty:
        raise ValueError(f"no curves to draw for {title!r}")

    panels = list(dict.fromkeys(curves["by"]))
    figure = Figure(figsize=(5.0 * len(panels), 3.8), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for axis, by in zip(axes, panels, strict=True):
        panel = curves[curves["by"] == by]
        for method, lines in panel.groupby("method", sort=False):
            lines = lines.sort_values("k")
            axis.plot(lines["k"], lines[value], label=str(method), linewidth=1.4)
        axis.set_xlabel(_AXIS_LABELS.get(str(by), str(by)))
        axis.set_ylabel(value)
        axis.grid(True, alpha=0.3)
    axes[0].legend(fontsize="small")
    figure.suptitle(title)

    out_path = Path(out_path)
    figure.savefig(out_path, dpi=dpi)
    return out_path
