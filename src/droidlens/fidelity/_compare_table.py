"""The method x metric table of a comparison, with the best method marked per metric."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["summary_table", "markdown_table", "write_table"]


def summary_table(
    summaries: Mapping[str, Mapping[str, float]], goals: Mapping[str, str]
) -> pd.DataFrame:
    """Build the table: one row per method, one column per metric, and a ``best`` column.

    ``best`` lists, comma-separated, the metrics on which the row's method has the best value:
    the largest for goal ``"max"`` and the smallest for ``"min"``. Every tied method is marked.
    """
    table = pd.DataFrame.from_dict(summaries, orient="index")
    table = table[[name for name in goals if name in table.columns]]
    table.index.name = "method"
    best: dict[str, list[str]] = {method: [] for method in table.index}
    for metric in table.columns:
        winners = _winners(table[metric], goals[metric])
        for method in winners:
            best[method].append(metric)
    table["best"] = [", ".join(best[method]) for method in table.index]
    return table.reset_index()


def _winners(values: pd.Series, goal: str) -> list[str]:
    finite = values[np.isfinite(values.to_numpy(dtype=np.float64))]
    if finite.empty:
        return []
    target = finite.max() if goal == "max" else finite.min()
    return [str(method) for method, value in finite.items() if math.isclose(value, target)]


def markdown_table(table: pd.DataFrame, goals: Mapping[str, str] | None = None) -> str:
    """Render the table as Markdown, with a trailing ``*`` on each metric's best value.

    A missing value (NaN) shows as ``n/a``. With ``goals`` (metric to ``"max"`` or
    ``"min"``), lines below the table list the metrics where higher and where lower is
    better.
    """
    metrics = [column for column in table.columns if column not in ("method", "best")]
    lines = [
        "| method | " + " | ".join(metrics) + " |",
        "|---|" + "---|" * len(metrics),
    ]
    missing = False
    for _, row in table.iterrows():
        won = set(filter(None, str(row["best"]).split(", ")))
        cells = []
        for metric in metrics:
            value = float(row[metric])
            missing = missing or not math.isfinite(value)
            text = f"{value:.4g}" if math.isfinite(value) else "n/a"
            cells.append(text + ("*" if metric in won else ""))
        lines.append(f"| {row['method']} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("`*` marks the best method per metric.")
    if goals:
        higher = [metric for metric in metrics if goals.get(metric) == "max"]
        lower = [metric for metric in metrics if goals.get(metric) == "min"]
        if higher:
            lines.append(f"Higher is better: {', '.join(higher)}.")
        if lower:
            lines.append(f"Lower is better: {', '.join(lower)}.")
    if missing:
        lines.append(
            "n/a: the test had nothing to measure, for example no app called benign to "
            "receive calls in the augmentation test."
        )
    return "\n".join(lines) + "\n"


def write_table(
    table: pd.DataFrame, out_dir: Path, goals: Mapping[str, str] | None = None
) -> dict[str, Path]:
    """Write the table as ``table.parquet``, ``table.csv`` and ``table.md`` under ``out_dir``.

    ``goals`` is passed to :func:`markdown_table`.
    """
    paths = {
        "table parquet": out_dir / "table.parquet",
        "table csv": out_dir / "table.csv",
        "table markdown": out_dir / "table.md",
    }
    table.to_parquet(paths["table parquet"], index=False)
    table.to_csv(paths["table csv"], index=False)
    paths["table markdown"].write_text(markdown_table(table, goals), encoding="utf-8")
    return paths
