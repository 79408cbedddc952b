"""Tests of the FISTA solver for weighted fused-lasso regression used by LEMNA."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from numpy.testing import assert_allclose

from droidlens.explain.lemna.regression import (
    fit_fused_regression,
    fused_regression_objective,
    solve_fused_regressions,
)

REFERENCE_LAMBDAS = ["0.001", "0.01", "0.1", "1", "10", "43.13350908"]


def _load_reference(genlasso_dir):
    X = np.loadtxt(genlasso_dir / "reg_X.csv", delimiter=",")
    y = np.loadtxt(genlasso_dir / "reg_y.csv", delimiter=",")
    header = (genlasso_dir / "reg_ord0_coef.csv").read_text().splitlines()[0]
    names = [name.strip('"') for name in header.split(",")]
    coef = np.loadtxt(genlasso_dir / "reg_ord0_coef.csv", delimiter=",", skiprows=1)
    return X, y, names, coef


def _cvxpy_solution(X, y, weight, lam):
    beta = cp.Variable(X.shape[1])
    objective = 0.5 * cp.sum(cp.multiply(weight, cp.square(y - X @ beta)))
    problem = cp.Problem(cp.Minimize(objective + lam * cp.norm1(cp.diff(beta))))
    problem.solve(solver=cp.CLARABEL)
    return beta.value


def _weighted_problem(seed):
    rng = np.random.default_rng(seed)
    X = (rng.random((80, 15)) < rng.random((80, 1))).astype(float)
    truth = np.r_[np.full(5, 0.4), np.full(6, -0.1), np.full(4, 0.2)]
    y = X @ truth + 0.05 * rng.normal(size=80)
    weight = rng.random(80)
    return X, y, weight


@pytest.mark.parametrize("lam_name", REFERENCE_LAMBDAS)
def test_fit_fused_regression_matches_genlasso(genlasso_dir, lam_name):
    X, y, names, coef = _load_reference(genlasso_dir)
    expected = coef[:, names.index(f"lam_{lam_name}")]

    fit = fit_fused_regression(X, y, lam=float(lam_name), tol=1e-12, max_iter=100_000)

    assert fit.converged
    # The coefficients are about 1e-3; 1e-6 of that is what a 1e-12 relative step reaches.
    assert_allclose(fit.coef, expected, rtol=0, atol=1e-6 * np.abs(expected).max())


@pytest.mark.parametrize("lam", [0.05, 0.5, 5.0])
def test_fit_fused_regression_weighted_matches_cvxpy(lam):
    X, y, weight = _weighted_problem(0)
    expected = _cvxpy_solution(X, y, weight, lam)

    fit = fit_fused_regression(X, y, lam=lam, sample_weight=weight, tol=1e-12, max_iter=100_000)

    # CLARABEL's interior point stops near 1e-8 relative accuracy, so the match is looser.
    assert_allclose(fit.coef, expected, rtol=0, atol=1e-6)


def test_fit_fused_regression_objective_not_above_cvxpy():
    X, y, weight = _weighted_problem(1)
    expected = _cvxpy_solution(X, y, weight, 0.5)

    fit = fit_fused_regression(X, y, lam=0.5, sample_weight=weight, tol=1e-12, max_iter=100_000)
    reference = fused_regression_objective(X, y, expected, lam=0.5, sample_weight=weight)

    assert fit.objective <= reference + 1e-9


def test_fit_fused_regression_matches_exact_solver():
    solvers = pytest.importorskip("droidlens.solvers")
    exact = getattr(solvers, "fused_lasso_regression", None)
    if exact is None:
        pytest.skip("droidlens.solvers.fused_lasso_regression is not available yet")
    X, y, weight = _weighted_problem(2)

    expected = exact(X, y, lam=0.5, order=0, sample_weight=weight).coef
    fit = fit_fused_regression(X, y, lam=0.5, sample_weight=weight, tol=1e-12, max_iter=100_000)

    assert_allclose(fit.coef, expected, rtol=0, atol=1e-7)


def test_solve_fused_regressions_batch_equals_single_solves():
    X, y, weight = _weighted_problem(3)
    weights = np.column_stack([weight, 1.0 - weight, np.ones_like(weight)])

    batch, _, converged = solve_fused_regressions(
        X, y, weights, np.zeros((15, 3)), lam=0.5, tol=1e-12, max_iter=100_000
    )

    assert converged.all()
    for k in range(3):
        single = fit_fused_regression(X, y, lam=0.5, sample_weight=weights[:, k], tol=1e-12)
        assert_allclose(batch[:, k], single.coef, rtol=0, atol=1e-9)


def test_solve_fused_regressions_float32_design_close():
    X, y, weight = _weighted_problem(4)
    exact = fit_fused_regression(X, y, lam=0.5, sample_weight=weight, tol=1e-12).coef

    coef, _, _ = solve_fused_regressions(
        X.astype(np.float32),
        y,
        weight[:, None],
        np.zeros((15, 1)),
        lam=0.5,
        tol=1e-9,
        max_iter=100_000,
    )

    # float32 products carry about 1e-7 relative rounding into the gradient.
    assert_allclose(coef[:, 0], exact, rtol=0, atol=1e-4)


def test_solve_fused_regressions_zero_weights_keep_start():
    X, y, weight = _weighted_problem(5)
    start = np.linspace(-1, 1, 15)[:, None]
    weights = np.column_stack([weight, np.zeros_like(weight)])

    coef, _, _ = solve_fused_regressions(
        X, y, weights, np.hstack([start, start]), lam=0.5, tol=1e-10, max_iter=1000
    )

    assert_allclose(coef[:, 1], start[:, 0], rtol=0, atol=0)


def test_fit_fused_regression_warm_start_fewer_iterations():
    X, y, weight = _weighted_problem(6)
    cold = fit_fused_regression(X, y, lam=0.5, sample_weight=weight, tol=1e-10)

    warm = fit_fused_regression(X, y, lam=0.5, sample_weight=weight, coef_init=cold.coef, tol=1e-10)

    assert warm.n_iter < cold.n_iter


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"X": np.ones(5)}, "X must be a non-empty 2-D array"),
        ({"y": np.ones(4)}, r"y must have shape \(5,\)"),
        ({"y": np.array([0.0, 1.0, np.nan, 1.0, 0.0])}, "X and y must be finite"),
        ({"lam": -1.0}, "lam must be a finite number >= 0"),
        ({"sample_weight": -np.ones(5)}, "sample_weight must be >= 0"),
        ({"sample_weight": np.ones(3)}, r"sample_weight must have shape \(5,\)"),
        ({"coef_init": np.ones(2)}, r"coef_init must have shape \(3,\)"),
        ({"tol": 0.0}, "tol must be > 0"),
        ({"max_iter": 0}, "max_iter >= 1"),
    ],
)
def test_fit_fused_regression_invalid_input(kwargs, message):
    arguments = {"X": np.ones((5, 3)), "y": np.ones(5), "lam": 1.0, **kwargs}

    with pytest.raises(ValueError, match=message):
        fit_fused_regression(arguments.pop("X"), arguments.pop("y"), **arguments)
