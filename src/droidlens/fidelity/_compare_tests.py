"""Each fidelity test of the comparison, run for one method: its curves and summary numbers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from droidlens.data.encode import EncodedApps
from droidlens.fidelity._curves import area_under
from droidlens.fidelity.augmentation import augmentation_test
from droidlens.fidelity.deduction import deduction_test
from droidlens.fidelity.descriptive import descriptive_accuracy, descriptive_sparsity
from droidlens.fidelity.efficiency import efficiency
from droidlens.fidelity.stability import stability
from droidlens.models.base import Detector

__all__ = [
    "CompareSettings",
    "MethodRun",
    "TestOutcome",
    "METRIC_GOALS",
    "PLOTTED_VALUES",
    "TEST_FUNCTIONS",
]


@dataclass(frozen=True)
class CompareSettings:
    """Settings of the fidelity tests in a comparison.

    Attributes
    ----------
    count_grid, percent_grid : sequence of int or None
        Grids of k; None takes the defaults of :mod:`droidlens.fidelity.grids`.
    n_pairs : int
        Augmentation: benign apps paired with each malicious app.
    stability_k : int
        Stability: size of the top sets.
    n_stability_runs : int
        Stability: runs compared, with seeds ``seed, seed + 1, ...``.
    batch_size : int
        Apps per forward pass in the tests.
    """

    count_grid: tuple[int, ...] | None = None
    percent_grid: tuple[int, ...] | None = None
    n_pairs: int = 5
    stability_k: int = 10
    n_stability_runs: int = 3
    batch_size: int = 100

    def __post_init__(self) -> None:
        for name in ("n_pairs", "stability_k", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.n_stability_runs < 2:
            raise ValueError(f"n_stability_runs must be at least 2, got {self.n_stability_runs}")


@dataclass
class MethodRun:
    """The explanations of all apps by one method in one run, in the row order of the apps."""

    method: str
    rankings: list[np.ndarray]
    relevances: list[np.ndarray]
    total_seconds: np.ndarray


@dataclass
class TestContext:
    """What every test reads: the model, the apps and the runs of one method."""

    model: Detector
    encoded: EncodedApps
    runs: list[MethodRun]
    settings: CompareSettings
    seed: int


@dataclass
class TestOutcome:
    """Curves (long format, without the method column) and summary numbers of one test.

    A curve without a ``test`` column belongs to the test that made it.
    """

    curves: list[pd.DataFrame] = field(default_factory=list)
    summary: dict[str, float] = field(default_factory=dict)


METRIC_GOALS = {
    "synthetic f1 area": "max",
    "deduction area": "min",
    "augmentation area": "max",
    "descriptive accuracy area": "min",
    "sparsity area": "max",
    "stability": "max",
    "median seconds": "min",
    "p90 seconds": "min",
}
"""Summary metric names and whether the best method has the largest or the smallest value."""

PLOTTED_VALUES = {
    "synthetic": "f1",
    "deduction": "positive rate",
    "augmentation": "positive rate",
    "descriptive-accuracy": "descriptive accuracy",
    "sparsity": "mass",
    "sparsity histogram": "fraction",
    "stability": "intersection",
    "efficiency": "fraction",
}
"""The curve column drawn for each test."""


def _long(table: pd.DataFrame, *, by: str, x_column: str) -> pd.DataFrame:
    """Return ``table`` with its x column renamed ``k`` and a ``by`` column in front."""
    table = table.rename(columns={x_column: "k"})
    table.insert(0, "by", by)
    return table


def _by_count_and_percent(
    context: TestContext, curve_of: Callable[..., pd.DataFrame], value: str
) -> tuple[list[pd.DataFrame], float]:
    """Run ``curve_of(by=..., grid=...)`` both ways; return the curves and the percent area."""
    curves = []
    area = float("nan")
    for by, grid, x_column in (
        ("count", context.settings.count_grid, "k"),
        ("percent", context.settings.percent_grid, "percent k"),
    ):
        table = curve_of(by=by, grid=grid)
        curves.append(_long(table, by=by, x_column=x_column))
        if by == "percent":
            area = area_under(table[x_column].to_numpy(), table[value].to_numpy())
    return curves, area


def _run_synthetic(context: TestContext) -> TestOutcome:
    # Imported here because the synthetic test lives with the occlusion code.
    from droidlens.fidelity.synthetic import synthetic_test

    def curve_of(*, by: str, grid: tuple[int, ...] | None) -> pd.DataFrame:
        return synthetic_test(
            context.model,
            context.encoded,
            context.runs[0].rankings,
            by=by,
            grid=grid,
            batch_size=context.settings.batch_size,
        )

    curves, area = _by_count_and_percent(context, curve_of, "f1")
    return TestOutcome(curves=curves, summary={"synthetic f1 area": area})


def _run_deduction(context: TestContext) -> TestOutcome:
    def curve_of(*, by: str, grid: tuple[int, ...] | None) -> pd.DataFrame:
        return deduction_test(
            context.model,
            context.encoded,
            context.runs[0].rankings,
            by=by,
            grid=grid,
            batch_size=context.settings.batch_size,
        )

    curves, area = _by_count_and_percent(context, curve_of, "positive rate")
    return TestOutcome(curves=curves, summary={"deduction area": area})


def _run_augmentation(context: TestContext) -> TestOutcome:
    def curve_of(*, by: str, grid: tuple[int, ...] | None) -> pd.DataFrame:
        return augmentation_test(
            context.model,
            context.encoded,
            context.runs[0].rankings,
            by=by,
            grid=grid,
            n_pairs=context.settings.n_pairs,
            seed=context.seed,
            batch_size=context.settings.batch_size,
        )

    curves, area = _by_count_and_percent(context, curve_of, "positive rate")
    return TestOutcome(curves=curves, summary={"augmentation area": area})


def _run_descriptive_accuracy(context: TestContext) -> TestOutcome:
    def curve_of(*, by: str, grid: tuple[int, ...] | None) -> pd.DataFrame:
        result = descriptive_accuracy(
            context.model,
            context.encoded,
            context.runs[0].rankings,
            by=by,
            grid=grid,
            batch_size=context.settings.batch_size,
        )
        return result.curve

    curves, area = _by_count_and_percent(context, curve_of, "descriptive accuracy")
    return TestOutcome(curves=curves, summary={"descriptive accuracy area": area})


def _run_sparsity(context: TestContext) -> TestOutcome:
    result = descriptive_sparsity(context.runs[0].relevances)
    maz = _long(result.maz, by="radius", x_column="r")
    histogram = result.histogram.assign(k=lambda t: (t["bin left"] + t["bin right"]) / 2)
    histogram.insert(0, "by", "bin")
    histogram.insert(0, "test", "sparsity histogram")
    return TestOutcome(curves=[maz, histogram], summary={"sparsity area": result.auc})


def _run_stability(context: TestContext) -> TestOutcome:
    result = stability([run.rankings for run in context.runs], k=context.settings.stability_k)
    curve = _long(result.curve, by="count", x_column="k")
    return TestOutcome(curves=[curve], summary={"stability": result.score})


def _run_efficiency(context: TestContext) -> TestOutcome:
    result = efficiency(context.runs[0].total_seconds)
    curve = _long(result.curve, by="seconds", x_column="seconds")
    summary = {"median seconds": result.median_seconds, "p90 seconds": result.p90_seconds}
    return TestOutcome(curves=[curve], summary=summary)


TEST_FUNCTIONS: dict[str, Callable[[TestContext], TestOutcome]] = {
    "synthetic": _run_synthetic,
    "deduction": _run_deduction,
    "augmentation": _run_augmentation,
    "descriptive-accuracy": _run_descriptive_accuracy,
    "sparsity": _run_sparsity,
    "stability": _run_stability,
    "efficiency": _run_efficiency,
}
"""Test names accepted by the comparison, in their reporting order."""
