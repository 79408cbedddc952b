"""Tests of trend filtering against closed forms, optimality conditions and genlasso."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from droidlens.solvers import smooth, trend_filter
from droidlens.solvers._operators import difference_matrix
from droidlens.solvers._signals import synthetic_y_column

SIGNALS = ("step", "ramp", "spikes", "occlusion", "noise")
ORDERS = (1, 2, 3)


def _kkt_error(y: np.ndarray, result, order: int) -> float:
    """Return the largest violation of the optimality conditions certified by result.dual."""
    z = result.dual
    lam = result.lam
    difference = difference_matrix(y.size, order)
    penalty = difference @ result.coef
    scale = max(1.0, float(np.abs(y).max()))
    moving = np.abs(penalty) > 1e-9 * scale
    errors = [
        float(np.abs(y - difference.T @ z - result.coef).max()) / scale,
        (float(np.abs(z).max()) - lam) / max(1.0, lam),
        float(np.abs(z[moving] - lam * np.sign(penalty[moving])).max(initial=0.0)) / max(1.0, lam),
    ]
    return max(errors)


@pytest.mark.parametrize("order", ORDERS)
def test_trend_filter_polynomial_signal_unchanged(order: int) -> None:
    x = np.linspace(-1, 1, 40)
    y = 0.3 - x + 0.5 * x**order
    result = trend_filter(y, lam=10.0, order=order)
    assert_allclose(result.coef, y, rtol=0, atol=1e-10)


@pytest.mark.parametrize("order", ORDERS)
def test_trend_filter_zero_lam_returns_signal(order: int) -> None:
    y = np.random.default_rng(0).normal(size=30)
    assert_allclose(trend_filter(y, lam=0.0, order=order).coef, y, rtol=0, atol=0)


@pytest.mark.parametrize("order", ORDERS)
def test_trend_filter_large_lam_returns_polyfit(order: int) -> None:
    rng = np.random.default_rng(order)
    y = rng.normal(size=60)
    x = np.arange(60.0)
    expected = np.polynomial.Polynomial.fit(x, y, deg=order)(x)
    result = trend_filter(y, lam=1e7, order=order)
    # D D^T of the 4th difference has condition number near 1e9 at n = 60, which costs the
    # dual solve a few digits at order 3.
    assert_allclose(result.coef, expected, rtol=0, atol=1e-8)


def test_trend_filter_short_signal_returns_it() -> None:
    y = np.array([1.0, 5.0, 2.0])
    assert_allclose(trend_filter(y, lam=1.0, order=2).coef, y, rtol=0, atol=0)


@pytest.mark.parametrize("order", ORDERS)
def test_trend_filter_kkt_random_signal(order: int) -> None:
    rng = np.random.default_rng(10 + order)
    y = np.cumsum(rng.normal(size=200)) * 0.1 + rng.normal(size=200)
    result = trend_filter(y, lam=2.0, order=order)
    assert _kkt_error(y, result, order) < 1e-8
    assert abs(result.duality_gap) < 1e-8


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lam": 1.0, "order": 0}, "order must be one of"),
        ({"lam": 1.0, "order": 4}, "order must be one of"),
        ({"lam": -1.0, "order": 1}, "lam must be a finite number >= 0"),
        ({"lam": 1.0, "tol": 0.0}, "tol must be a positive number"),
        ({"lam": 1.0, "max_iter": 0}, "max_iter must be a positive integer"),
    ],
)
def test_trend_filter_invalid_options(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        trend_filter(np.arange(10.0), **kwargs)


def test_smooth_trend_matches_direct_call() -> None:
    y = np.sin(np.linspace(0, 6, 50))
    assert_allclose(
        smooth(y, smoother="trend2", lam=0.1).coef,
        trend_filter(y, lam=0.1, order=2).coef,
        rtol=0,
        atol=0,
    )


def _reference(genlasso_dir, order: int, signal: str) -> tuple[np.ndarray, pd.DataFrame]:
    y = pd.read_csv(genlasso_dir / "signals.csv")[signal].to_numpy()
    return y, pd.read_csv(genlasso_dir / f"ord{order}_{signal}_maxsteps200000_coef.csv")


@pytest.mark.shared
@pytest.mark.parametrize(("order", "atol"), [(1, 1e-8), (2, 1e-6)])
@pytest.mark.parametrize("signal", SIGNALS)
def test_trend_filter_matches_genlasso(genlasso_dir, order: int, atol: float, signal: str) -> None:
    y, reference = _reference(genlasso_dir, order, signal)
    for column in reference.columns:
        lam = float(column.removeprefix("lam_"))
        coef = trend_filter(y, lam=lam, order=order).coef
        assert_allclose(coef, reference[column].to_numpy(), rtol=0, atol=atol, err_msg=column)


@pytest.mark.shared
@pytest.mark.parametrize("signal", SIGNALS)
def test_trend_filter_order3_optimal(genlasso_dir, signal: str) -> None:
    y, reference = _reference(genlasso_dir, 3, signal)
    difference = difference_matrix(y.size, 3)
    for column in reference.columns:
        lam = float(column.removeprefix("lam_"))
        result = trend_filter(y, lam=lam, order=3)
        genlasso_coef = reference[column].to_numpy()
        genlasso_objective = (
            0.5 * np.sum((y - genlasso_coef) ** 2) + lam * np.abs(difference @ genlasso_coef).sum()
        )
        assert result.objective <= genlasso_objective + 1e-9 * max(1.0, genlasso_objective)
        assert _kkt_error(y, result, 3) < 1e-8, column


@pytest.mark.shared
@pytest.mark.parametrize("signal", ["spikes", "occlusion"])
def test_trend_filter_order3_matches_genlasso(genlasso_dir, signal: str) -> None:
    # genlasso 1.6.1 returns suboptimal order-3 fits on the other signals.
    y, reference = _reference(genlasso_dir, 3, signal)
    for column in reference.columns:
        lam = float(column.removeprefix("lam_"))
        coef = trend_filter(y, lam=lam, order=3).coef
        assert_allclose(coef, reference[column].to_numpy(), rtol=0, atol=1e-6, err_msg=column)


@pytest.mark.parametrize("order", [2, 3])
@pytest.mark.parametrize("seed", [0, 3])
def test_trend_filter_synthetic_y_column_exact(order: int, seed: int) -> None:
    # On these columns the knot polish used to walk through 1,000 to 1,600 single-row
    # corrections, seconds per column. The round budget and the tightest gap tier bound the
    # work, and the result must still be the exact optimum.
    y = synthetic_y_column(seed)
    lam = 0.01 * float(np.ptp(y))

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = trend_filter(y, lam=lam, order=order)

    assert result.n_iter < 600
    assert _kkt_error(y, result, order) < 1e-8
    assert abs(result.duality_gap) < 1e-12 * float(y @ y)


def test_trend_filter_without_polish_certified(monkeypatch) -> None:
    # With no polish rounds allowed the result is the interior-point point at the tightest
    # gap tier: no warning, and within sqrt(2 * gap) of the exact fit.
    import droidlens.solvers.trend as trend_module

    y = synthetic_y_column(1, n=600)
    lam = 0.01 * float(np.ptp(y))
    exact = trend_filter(y, lam=lam, order=2)
    no_rounds = tuple(tier._replace(rounds_per_knot=0.0) for tier in trend_module._GAP_TIERS)
    monkeypatch.setattr(trend_module, "_ROUNDS_FIXED", 0)
    monkeypatch.setattr(trend_module, "_GAP_TIERS", no_rounds)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        approximate = trend_filter(y, lam=lam, order=2)

    bound = float(np.sqrt(2 * max(approximate.duality_gap, 0.0)))
    assert 0 < approximate.duality_gap < 1e-12 * float(y @ y)
    assert np.linalg.norm(approximate.coef - exact.coef) <= bound + 1e-14
    assert approximate.objective >= exact.objective - 1e-15


@pytest.mark.parametrize("order", [1, 2, 3])
def test_trend_filter_flat_signal_with_jumps(order: int) -> None:
    # A probability column: flat near 0.99 with 1e-5 noise and a few 1e-3 jumps, with lam at
    # 1% of the range. The polish finds its knots at once; the many-near-knot case is
    # test_trend_filter_synthetic_y_column_exact.
    rng = np.random.default_rng(7)
    y = np.full(600, 0.99) + 1e-5 * rng.standard_normal(600)
    for start in (100, 250, 420):
        y[start:] += 1e-3
    lam = 0.01 * float(np.ptp(y))

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = trend_filter(y, lam=lam, order=order)

    difference = difference_matrix(y.size, order)
    assert np.max(np.abs(result.dual)) <= lam * (1 + 1e-9)
    np.testing.assert_allclose(y - result.coef, difference.T @ result.dual, rtol=0, atol=1e-12)


def _flat_with_steps(n: int = 2000) -> np.ndarray:
    rng = np.random.default_rng(4)
    y = np.full(n, 0.9987) + 1e-7 * rng.standard_normal(n)
    for start, size in ((300, 5e-5), (900, 1e-4), (1400, 3e-4)):
        y[start:] += size
    return y


@pytest.mark.parametrize("order", ORDERS)
def test_trend_filter_huge_lam_polyfit(order: int) -> None:
    y = _flat_with_steps()
    x = np.arange(y.size, dtype=float)
    expected = np.polynomial.Polynomial.fit(x, y, deg=order)(x)
    result = trend_filter(y, lam=1e12 * float(np.ptp(y)), order=order)
    assert_allclose(result.coef, expected, rtol=0, atol=1e-9 * float(np.ptp(y)))
    assert result.duality_gap == 0.0
    assert result.n_iter == 0


@pytest.mark.parametrize("order", [2, 3])
def test_trend_filter_ill_conditioned_lam(order: int) -> None:
    # Between the signal's range and the first knot the dual is badly conditioned. The
    # solver may warn there, but its fit must be no worse than the polynomial fit.
    y = _flat_with_steps()
    lam = 1e6 * float(np.ptp(y))
    x = np.arange(y.size, dtype=float)
    polyfit = np.polynomial.Polynomial.fit(x, y, deg=order)(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = trend_filter(y, lam=lam, order=order)
    assert np.isfinite(result.coef).all()
    assert result.objective <= 0.5 * float(np.sum((y - polyfit) ** 2)) * (1 + 1e-12)
