"""Printed output of the commands: results and the files they were written to."""

from __future__ import annotations

from typing import Any

import typer

__all__ = [
    "print_training",
    "print_evaluation",
    "print_explanations",
    "print_fidelity",
    "print_run",
    "print_demo",
    "print_apk_verdict",
    "print_extraction",
]


def _files(files: dict[str, Any]) -> None:
    width = max((len(name) for name in files), default=0)
    for name, path in files.items():
        typer.echo(f"  {name:<{width}}  {path}")


def print_training(summary) -> None:
    """Print the best epoch, the test scores and the run folder."""
    from droidlens.pipeline.evaluation import format_metrics

    result = summary.result
    typer.echo(
        f"best epoch {result.best_epoch} (validation F1 "
        f"{100 * result.best_validation_f1:.2f}%), "
        f"{result.seconds_per_epoch:.1f} s per epoch"
    )
    if summary.test is not None:
        typer.echo(format_metrics(summary.test.metrics, title="test split:"))
    typer.echo(f"run folder: {summary.run_dir}")


def print_evaluation(result) -> None:
    """Print the metrics table and the files written."""
    from droidlens.pipeline.evaluation import format_metrics

    typer.echo(format_metrics(result.metrics, title=f"{result.name}:"))
    _files(
        {
            "metrics": result.json_path,
            "table": result.csv_path,
            "predictions": result.predictions_path,
        }
    )


def print_explanations(table) -> None:
    """Print how many apps were explained and where the table is."""
    frame = table.frame
    typer.echo(
        f"explained {len(frame)} apps ({table.n_resumed} resumed from an earlier run); "
        f"median {frame['total seconds'].median():.3f} s per app"
    )
    _files({"explanations": table.path})


def print_fidelity(result) -> None:
    """Print the synthetic-test curves at a few k and the files written."""
    count = result.by_count
    head = count[count["k"] <= 10]
    typer.echo("synthetic test by count (F1 %):")
    pivot = head.pivot(index="k", columns="ranking", values="f1") * 100
    typer.echo(pivot.round(2).to_string())
    _files(result.files)


def print_run(summary) -> None:
    """Print the test scores and where each result is."""
    from droidlens.pipeline.evaluation import format_metrics

    typer.echo(format_metrics(summary.evaluation.metrics, title="test apps:"))
    print_fidelity(summary.fidelity)
    typer.echo("results:")
    _files(summary.files)


def print_demo(result) -> None:
    """Print the run results and the ground-truth check."""
    print_run(result.run)
    typer.echo("explanation correctness (share of top-k calls on inserted malicious chains):")
    typer.echo(result.ground_truth.round(3).to_string(index=False))
    _files({"ground truth": result.files["ground truth"]})


def print_apk_verdict(result) -> None:
    """Print the verdict text of one app file."""
    typer.echo(result.text)
    if result.html_path is not None:
        typer.echo(f"HTML page: {result.html_path}")


def print_extraction(summary) -> None:
    """Print the counts of an extraction and its failures."""
    typer.echo(
        f"extracted {summary.n_succeeded}, skipped {summary.n_skipped} (already in "
        f"{summary.out_path}), failed {summary.n_failed}"
    )
    for failure in summary.failures:
        typer.echo(f"  failed: {failure.path}: {failure.reason}", err=True)
