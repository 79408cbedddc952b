"""Tests of the exact fused lasso and the smoother dispatcher."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from droidlens.solvers import SMOOTHERS, SmoothingResult, fused_lasso, smooth
from droidlens.solvers.fused import fused_lasso_dual

SIGNALS = ("step", "ramp", "spikes", "occlusion", "noise")


@pytest.mark.parametrize("value", [0.0, -3.5, 0.2])
def test_fused_lasso_constant_signal(value: float) -> None:
    y = np.full(50, value)
    result = fused_lasso(y, lam=0.7)
    assert_allclose(result.coef, y, rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    ("n_left", "n_right", "height", "lam"),
    [(5, 7, 1.0, 0.5), (1, 10, 2.0, 0.3), (20, 3, -0.4, 0.2), (4, 4, 1.0, 1.9)],
)
def test_fused_lasso_single_step_closed_form(
    n_left: int, n_right: int, height: float, lam: float
) -> None:
    y = np.concatenate([np.zeros(n_left), np.full(n_right, height)])
    shrink = lam * (1 / n_left + 1 / n_right)
    assert abs(height) > shrink
    sign = np.sign(height)
    expected = np.concatenate(
        [np.full(n_left, sign * lam / n_left), np.full(n_right, height - sign * lam / n_right)]
    )
    assert_allclose(fused_lasso(y, lam=lam).coef, expected, rtol=0, atol=1e-14)


def test_fused_lasso_single_step_merges_below_threshold() -> None:
    y = np.concatenate([np.zeros(4), np.ones(4)])
    result = fused_lasso(y, lam=2.0)
    assert_allclose(result.coef, np.full(8, 0.5), rtol=0, atol=1e-15)


def test_fused_lasso_zero_lam_returns_signal() -> None:
    y = np.random.default_rng(0).normal(size=30)
    assert_allclose(fused_lasso(y, lam=0.0).coef, y, rtol=0, atol=0)


def test_fused_lasso_large_lam_returns_mean() -> None:
    y = np.random.default_rng(1).normal(size=40)
    result = fused_lasso(y, lam=1e3)
    assert_allclose(result.coef, np.full(40, y.mean()), rtol=0, atol=1e-13)


def test_fused_lasso_single_value_returns_it() -> None:
    result = fused_lasso(np.array([0.3]), lam=5.0)
    assert_allclose(result.coef, [0.3], rtol=0, atol=0)


def test_fused_lasso_kkt_on_random_signal() -> None:
    rng = np.random.default_rng(2)
    y = np.repeat(rng.normal(size=12), 25) + 0.3 * rng.normal(size=300)
    lam = 0.8
    result = fused_lasso(y, lam=lam)
    dual = fused_lasso_dual(y, result.coef)
    jumps = np.diff(result.coef)
    moving = np.abs(jumps) > 1e-12
    assert np.abs(dual).max() <= lam * (1 + 1e-12)
    assert_allclose(dual[moving], lam * np.sign(jumps[moving]), rtol=0, atol=1e-10)
    assert abs(np.sum(y - result.coef)) < 1e-10
    assert abs(result.duality_gap) < 1e-9


def test_fused_lasso_result_fields() -> None:
    result = fused_lasso([1.0, 2.0, 4.0], lam=0.5)
    assert isinstance(result, SmoothingResult)
    assert result.lam == 0.5
    assert result.order == 0
    assert result.name == "fusedlasso"
    expected = 0.5 * np.sum((np.array([1.0, 2.0, 4.0]) - result.coef) ** 2) + 0.5 * np.sum(
        np.abs(np.diff(result.coef))
    )
    assert result.objective == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize(
    ("y", "lam", "error", "match"),
    [
        ([], 1.0, ValueError, "empty"),
        ([[1.0, 2.0]], 1.0, ValueError, "1-D"),
        ([1.0, np.nan, 2.0], 1.0, ValueError, r"y\[1\] = nan"),
        ([1.0, 2.0, np.inf], 1.0, ValueError, r"y\[2\] = inf"),
        (["a", "b"], 1.0, TypeError, "real numbers"),
        ([1.0, 2.0], -0.1, ValueError, "lam must be a finite number >= 0"),
        ([1.0, 2.0], float("nan"), ValueError, "lam must be a finite number"),
        ([1.0, 2.0], "1", TypeError, "lam must be a real number"),
    ],
)
def test_fused_lasso_invalid_input(y: object, lam: object, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        fused_lasso(y, lam=lam)  # type: ignore[arg-type]


def test_smooth_unknown_smoother() -> None:
    with pytest.raises(ValueError, match="unknown smoother 'tv'"):
        smooth([1.0, 2.0], smoother="tv", lam=1.0)


def test_smooth_fusedlasso_matches_direct_call() -> None:
    y = np.array([0.0, 0.1, 0.9, 1.0, 0.2])
    assert_allclose(
        smooth(y, smoother="fusedlasso", lam=0.1).coef,
        fused_lasso(y, lam=0.1).coef,
        rtol=0,
        atol=0,
    )


def test_smoothers_names() -> None:
    assert SMOOTHERS == ("fusedlasso", "trend1", "trend2", "trend3")


@pytest.mark.shared
@pytest.mark.parametrize("signal", SIGNALS)
def test_fused_lasso_matches_genlasso(genlasso_dir, signal: str) -> None:
    y = pd.read_csv(genlasso_dir / "signals.csv")[signal].to_numpy()
    reference = pd.read_csv(genlasso_dir / f"ord0_{signal}_maxsteps2000_coef.csv")
    for column in reference.columns:
        lam = float(column.removeprefix("lam_"))
        coef = fused_lasso(y, lam=lam).coef
        assert_allclose(coef, reference[column].to_numpy(), rtol=0, atol=1e-10, err_msg=column)
