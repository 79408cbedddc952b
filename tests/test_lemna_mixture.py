"""Tests of the EM fit of a mixture of fused-lasso regressions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from droidlens.explain.lemna.mixture import (
    EMConvergenceWarning,
    FusedMixtureRegression,
    default_lambda,
)
from droidlens.explain.lemna.perturb import sample_kept_calls
from droidlens.explain.lemna.regression import fit_fused_regression

BETA_KEPT = np.r_[np.full(10, 0.3), np.full(10, -0.1)]
BETA_DROPPED = np.r_[np.full(5, -0.2), np.full(15, 0.2)]


def _two_regimes(seed=1):
    """Return a black box that is X @ BETA_KEPT when call 0 is kept, else X @ BETA_DROPPED."""
    rng = np.random.default_rng(seed)
    X = sample_kept_calls(20, n_samples=500, rng=rng).astype(float)
    y = np.where(X[:, 0] == 1, X @ BETA_KEPT, X @ BETA_DROPPED)
    return X, y


def _match_components(model):
    """Return the components' indices ordered as (kept regime, dropped regime)."""
    kept = int(np.argmin(np.abs(model.coef_ - BETA_KEPT).max(axis=1)))
    return kept, 1 - kept


# lam = 1 shrinks each jump of the piecewise-constant coefficients by a few thousandths; hard
# assignment also gives some copies that both regimes fit almost alike to the wrong one.
@pytest.mark.parametrize(("assignment", "atol"), [("soft", 0.01), ("hard", 0.02)])
def test_mixture_recovers_two_regimes(assignment, atol):
    X, y = _two_regimes()

    model = FusedMixtureRegression(2, lam=1.0, assignment=assignment).fit(
        X, y, rng=np.random.default_rng(0)
    )
    kept, dropped = _match_components(model)

    assert_allclose(model.coef_[kept], BETA_KEPT, rtol=0, atol=atol)
    # Call 0 is never kept in the dropped regime, so its coefficient is not identified.
    assert_allclose(model.coef_[dropped, 1:], BETA_DROPPED[1:], rtol=0, atol=atol)


def test_mixture_assigns_samples_to_their_regime():
    X, y = _two_regimes()

    model = FusedMixtureRegression(2, lam=1.0).fit(X, y, rng=np.random.default_rng(0))
    kept, _ = _match_components(model)

    # Copies that both regimes predict alike (few calls kept) may go to either component.
    distinct = np.abs(X @ BETA_KEPT - X @ BETA_DROPPED) > 0.05
    in_kept = model.responsibilities_.argmax(axis=1) == kept
    assert np.mean(in_kept[distinct] == (X[distinct, 0] == 1)) > 0.99


def test_mixture_loglik_trace_recorded():
    X, y = _two_regimes()

    model = FusedMixtureRegression(2, lam=1.0).fit(X, y, rng=np.random.default_rng(0))

    assert model.loglik_.shape == (model.n_iter_,)
    assert model.converged_
    assert np.isfinite(model.loglik_).all()


def test_mixture_same_seed_same_fit():
    X, y = _two_regimes()

    first = FusedMixtureRegression(3, lam=1.0).fit(X, y, rng=np.random.default_rng(7))
    second = FusedMixtureRegression(3, lam=1.0).fit(X, y, rng=np.random.default_rng(7))

    assert_allclose(first.coef_, second.coef_, rtol=0, atol=0)
    assert_allclose(first.loglik_, second.loglik_, rtol=0, atol=0)


def test_mixture_single_component_is_fused_regression():
    X, y = _two_regimes()
    expected = fit_fused_regression(X, y, lam=2.0, tol=1e-12, max_iter=100_000).coef

    model = FusedMixtureRegression(1, lam=2.0, tol=1e-8, max_iter=500, inner_tol=1e-12).fit(
        X, y, rng=np.random.default_rng(0)
    )

    # The M-step runs its products in float32 (about 1e-7 relative rounding).
    assert_allclose(model.coef_[0], expected, rtol=0, atol=1e-4)


def test_mixture_exact_fit_keeps_sigma_at_floor():
    X, y = _two_regimes()
    floor = 1e-4 * np.std(y)

    model = FusedMixtureRegression(2, lam=0.0).fit(X, y, rng=np.random.default_rng(0))

    assert (model.sigma_ >= floor).all()
    assert np.isfinite(model.loglik_[-1])


def test_mixture_iteration_cap_warns():
    X, y = _two_regimes()

    with pytest.warns(EMConvergenceWarning, match=r"max_iter=2 .* > tol=1e-12"):
        model = FusedMixtureRegression(2, lam=1.0, tol=1e-12, max_iter=2).fit(
            X, y, rng=np.random.default_rng(0)
        )

    assert not model.converged_


def test_mixture_restarts_keep_best_loglik():
    X, y = _two_regimes()
    singles = [
        FusedMixtureRegression(3, lam=1.0).fit(X, y, rng=np.random.default_rng(seed))
        for seed in range(3)
    ]

    best = FusedMixtureRegression(3, lam=1.0, n_restarts=3).fit(X, y, rng=np.random.default_rng(0))

    # The restarts draw their seeds from one generator, so compare with the best possible.
    assert best.loglik_[-1] >= min(model.loglik_[-1] for model in singles) - 1e-9


def test_mixture_rmse_uses_most_responsible_component():
    X, y = _two_regimes()

    model = FusedMixtureRegression(2, lam=1.0).fit(X, y, rng=np.random.default_rng(0))
    best = model.responsibilities_.argmax(axis=1)
    prediction = np.sum(X * model.coef_[best], axis=1)

    assert model.rmse_ == pytest.approx(np.sqrt(np.mean((y - prediction) ** 2)), rel=1e-12)


def test_mixture_responsibilities_rows_sum_to_one():
    X, y = _two_regimes()
    model = FusedMixtureRegression(2, lam=1.0).fit(X, y, rng=np.random.default_rng(0))

    responsibilities = model.responsibilities(X, y)

    assert_allclose(responsibilities.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_default_lambda_is_lemna_value():
    assert default_lambda(500, 2000) == pytest.approx(math.sqrt(500 * math.log(2000)), rel=1e-15)
    assert default_lambda(500, 1) == 0.0
    assert default_lambda(500, 2000, y_std=0.01) == pytest.approx(
        0.01 * math.sqrt(math.log(2000)), rel=1e-15
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"n_components": 0}, "n_components must be an integer >= 1"),
        ({"max_iter": 0}, "max_iter must be an integer >= 1"),
        ({"n_restarts": 1.5}, "n_restarts must be an integer >= 1"),
        ({"assignment": "fuzzy"}, "assignment must be one of"),
        ({"tol": 0.0}, "tol must be > 0"),
        ({"lam": -1.0}, "lam must be a finite number >= 0"),
    ],
)
def test_mixture_invalid_settings(settings, message):
    X, y = _two_regimes()

    with pytest.raises(ValueError, match=message):
        FusedMixtureRegression(**settings).fit(X, y, rng=np.random.default_rng(0))


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.ones(5), np.ones(5), "X must be 2-D with at least 2 rows"),
        (np.ones((5, 2)), np.ones(4), r"y must have shape \(5,\)"),
        (np.ones((5, 2)), np.array([1.0, np.inf, 0, 0, 0]), "X and y must be finite"),
    ],
)
def test_mixture_invalid_data(X, y, message):
    with pytest.raises(ValueError, match=message):
        FusedMixtureRegression(2).fit(X, y, rng=np.random.default_rng(0))
