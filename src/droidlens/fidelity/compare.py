"""Compare explanation methods on one model and one set of apps, test by test."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from rich.progress import Progress

import droidlens.explain.baselines  # noqa: F401  (registers the baseline methods)
from droidlens.data.encode import EncodedApps
from droidlens.explain.options import ExplainOptions
from droidlens.explain.registry import get_method
from droidlens.fidelity._compare_table import summary_table, write_table
from droidlens.fidelity._compare_tests import (
    METRIC_GOALS,
    PLOTTED_VALUES,
    TEST_FUNCTIONS,
    CompareSettings,
    MethodRun,
    TestContext,
)
from droidlens.models.base import Detector
from droidlens.report.plots import plot_test_curves

__all__ = [
    "TEST_NAMES",
    "CompareSettings",
    "ComparisonResult",
    "MethodRun",
    "check_names",
    "compare_methods",
]

logger = logging.getLogger(__name__)

# NOTE: without droidlens.explain.runner, apps are explained in a local loop that writes no
# explanation rows. The runner path has not been run against the real runner yet.

TEST_NAMES = tuple(TEST_FUNCTIONS)
"""Names of the fidelity tests that :func:`compare_methods` runs."""


@dataclass
class ComparisonResult:
    """Result of :func:`compare_methods`.

    Attributes
    ----------
    table : DataFrame
        One row per method: ``method``, one column per summary metric (see ``METRIC_GOALS`` in
        :mod:`droidlens.fidelity._compare_tests`), and ``best``, the metrics it wins.
    curves : DataFrame
        Long format: ``method, test, by, k`` then the value columns of each test.
    runs : dict of str to list of MethodRun
        The explanation runs of each method; the first uses ``seed``.
    files : dict of str to Path
        Files written under ``out_dir``.
    """

    table: pd.DataFrame
    curves: pd.DataFrame
    runs: dict[str, list[MethodRun]]
    files: dict[str, Path] = field(default_factory=dict)


def check_names(methods: Sequence[str], tests: Sequence[str]) -> None:
    """Raise ValueError or DroidlensError unless every method and test name is known."""
    if not methods:
        raise ValueError("methods is empty; name at least one explanation method")
    for name in methods:
        get_method(name)
    unknown = [name for name in tests if name not in TEST_FUNCTIONS]
    if unknown or not tests:
        raise ValueError(
            f"unknown or missing fidelity tests {unknown or list(tests)}; choose from "
            f"{', '.join(TEST_NAMES)}"
        )


def _explain_with_runner(
    model: Detector,
    encoded: EncodedApps,
    *,
    method: str,
    options: ExplainOptions,
    seed: int,
    out_dir: Path,
    jobs: int,
    advance: Callable[[int], None],
) -> MethodRun:
    """Explain every app with the explanation runner, which journals rows and resumes."""
    from droidlens.explain.runner import explain_apps

    table = explain_apps(
        model,
        encoded,
        method=method,
        options=options,
        out_dir=out_dir,
        seed=seed,
        resume=True,
        jobs=jobs,
        progress=advance,
    )
    rows = table.frame
    return MethodRun(
        method,
        [np.asarray(ranking, dtype=np.int64) for ranking in rows["ranking"]],
        [np.asarray(relevance, dtype=np.float64) for relevance in rows["relevance"]],
        rows["total seconds"].to_numpy(dtype=np.float64),
    )


def _write_outputs(
    table: pd.DataFrame, curves: pd.DataFrame, tests: Sequence[str], out_dir: Path
) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    files = write_table(table, out_dir, METRIC_GOALS)
    files["curves"] = out_dir / "curves.parquet"
    curves.to_parquet(files["curves"], index=False)

    plot_dir = out_dir / "plots"
    plot_dir.mkdir(exist_ok=True)
    for test, value in PLOTTED_VALUES.items():
        selected = curves[curves["test"] == test]
        if selected.empty or test.split()[0] not in tests:
            continue
        name = test.replace(" ", "-")
        files[f"plot {test}"] = plot_test_curves(
            selected, value=value, title=test, out_path=plot_dir / f"{name}.png"
        )
    return files


def compare_methods(
    model: Detector,
    encoded: EncodedApps,
    *,
    methods: Sequence[str],
    tests: Sequence[str] = TEST_NAMES,
    options: ExplainOptions | None = None,
    out_dir: str | Path,
    seed: int = 0,
    progress: bool = True,
    settings: CompareSettings | None = None,
    jobs: int = 1,
) -> ComparisonResult:
    """Explain the apps with each method, run each fidelity test, and write table and curves.

    Parameters
    ----------
    model : Detector
    encoded : EncodedApps
        Apps to explain; every method explains the class the model predicts for each app.
    methods : sequence of str
        Registered explanation methods, such as ``["occlusion", "lime", "random"]``.
    tests : sequence of str, default=TEST_NAMES
        Tests to run, from :data:`TEST_NAMES`: ``synthetic``, ``deduction``,
        ``augmentation``, ``descriptive-accuracy``, ``sparsity``, ``stability``,
        ``efficiency``.
    options : ExplainOptions, optional
        Options of the methods; defaults when None.
    out_dir : str or Path
        Folder for ``table.parquet``, ``table.csv``, ``table.md``, ``curves.parquet`` and
        ``plots/<test>.png``; created when missing. With the explanation runner installed, the
        explanation rows go to ``explanations/seed<seed>/<table>.parquet`` (journalled, so
        an interrupted comparison resumes).
    seed : int, default=0
        Seed of the first explanation run and of the augmentation pairs. For the stability
        test, methods that are not deterministic run again with ``seed + 1, ...``. A
        deterministic method (occlusion, the gradients, attention) runs once and scores 1.0.
    progress : bool, default=True
        Show progress bars.
    settings : CompareSettings, optional
        Grids and test settings; defaults when None.
    jobs : int, default=1
        Worker processes that explain apps in parallel.

    Returns
    -------
    ComparisonResult

    Raises
    ------
    ValueError
        If no method is given or a test name is unknown.
    DroidlensError
        If a method name is not registered.
    """
    check_names(methods, tests)
    options = options or ExplainOptions()
    settings = settings or CompareSettings()
    n_runs = settings.n_stability_runs if "stability" in tests else 1
    # A deterministic method ranks the same for every seed, so its one run is reused for
    # every seed of the stability test, which then scores 1.0.
    runs_per_method = {
        method: 1 if get_method(method).deterministic else n_runs for method in methods
    }

    summaries: dict[str, dict[str, float]] = {}
    curves: list[pd.DataFrame] = []
    runs: dict[str, list[MethodRun]] = {}
    with Progress(disable=not progress, transient=True) as bars:
        total = sum(runs_per_method.values()) * len(encoded)
        explaining = bars.add_task("explaining", total=total)
        testing = bars.add_task("testing", total=len(methods) * len(tests))

        def advance_explaining(n: int = 1) -> None:
            bars.advance(explaining, n)

        for method in methods:
            runs[method] = []
            for index in range(runs_per_method[method]):
                run_seed = seed + index
                run = _explain_with_runner(
                    model,
                    encoded,
                    method=method,
                    options=options,
                    seed=run_seed,
                    out_dir=Path(out_dir) / "explanations" / f"seed{run_seed}",
                    jobs=jobs,
                    advance=advance_explaining,
                )
                runs[method].append(run)
            repeats = n_runs // runs_per_method[method]
            context = TestContext(model, encoded, runs[method] * repeats, settings, seed)
            summaries[method] = {}
            for test in tests:
                logger.info("running the %s test on method %s", test, method)
                outcome = TEST_FUNCTIONS[test](context)
                summaries[method].update(outcome.summary)
                for curve in outcome.curves:
                    curves.append(_label_curve(curve, method=method, test=test))
                bars.advance(testing)

    table = summary_table(summaries, METRIC_GOALS)
    all_curves = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()
    files = _write_outputs(table, all_curves, tests, Path(out_dir))
    return ComparisonResult(table=table, curves=all_curves, runs=runs, files=files)


def _label_curve(curve: pd.DataFrame, *, method: str, test: str) -> pd.DataFrame:
    """Put the ``method`` and ``test`` columns first; a curve's own ``test`` column is kept."""
    curve = curve.copy()
    if "test" not in curve.columns:
        curve.insert(0, "test", test)
    curve.insert(0, "method", method)
    front = ["method", "test", "by", "k"]
    return curve[front + [column for column in curve.columns if column not in front]]
