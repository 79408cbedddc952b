"""Tests of the fused lasso path, solve_path and choose_lambda."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from droidlens.solvers import choose_lambda, fused_lasso, fused_lasso_path, solve_path

SIGNALS = ("step", "ramp", "spikes", "occlusion", "noise")


def test_fused_lasso_path_single_step_knot() -> None:
    y = np.concatenate([np.zeros(4), np.ones(6)])
    # The step survives while 1 > lam * (1/4 + 1/6).
    assert_allclose(fused_lasso_path(y)[0], 1 / (1 / 4 + 1 / 6), rtol=1e-14, atol=0)


def test_fused_lasso_path_piece_counts() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=60)
    knots = fused_lasso_path(y)
    assert knots.size == 59
    assert np.all(np.diff(knots) <= 0)
    for j in (1, 5, 20):
        lam = 0.5 * (knots[j] + knots[j - 1])
        n_pieces = 1 + np.count_nonzero(np.abs(np.diff(fused_lasso(y, lam=lam).coef)) > 1e-12)
        assert n_pieces == j + 1


def test_solve_path_matches_single_solves() -> None:
    y = np.sin(np.linspace(0, 5, 80))
    results = solve_path(y, [0.5, 0.01], smoother="trend1")
    assert [result.lam for result in results] == [0.5, 0.01]
    assert_allclose(results[1].coef, solve_path(y, [0.01], smoother="trend1")[0].coef, atol=0)


def test_choose_lambda_pieces_gives_target() -> None:
    y = np.repeat([0.0, 1.0, 0.2, 0.8], 25) + 0.05 * np.random.default_rng(1).normal(size=100)
    lam = choose_lambda(y, method="pieces", n_pieces=4).lam
    coef = fused_lasso(y, lam=lam).coef
    assert 1 + np.count_nonzero(np.abs(np.diff(coef)) > 1e-12) == 4


def test_choose_lambda_cv_finds_steps() -> None:
    y = np.repeat([0.0, 1.0, 0.3], 60) + 0.2 * np.random.default_rng(2).normal(size=180)
    choice = choose_lambda(y, smoother="fusedlasso", n_folds=5)
    assert choice.lam <= choice.lam_1se
    assert choice.cv_error.shape == choice.lams.shape
    coef = fused_lasso(y, lam=choice.lam_1se).coef
    assert np.abs(coef - np.repeat([0.0, 1.0, 0.3], 60)).max() < 0.3


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "bic"}, "method must be 'cv' or 'pieces'"),
        ({"method": "pieces"}, "needs smoother='fusedlasso' and n_pieces"),
        ({"method": "pieces", "n_pieces": 3, "smoother": "trend1"}, "needs smoother"),
        ({"method": "pieces", "n_pieces": 0}, "n_pieces must be between 1"),
        ({"n_folds": 1}, "n_folds must be an integer"),
        ({"smoother": "tv"}, "unknown smoother"),
        ({"lams": [1.0, -1.0]}, "lams must be a non-empty array"),
    ],
)
def test_choose_lambda_invalid_options(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        choose_lambda(np.arange(20.0), **kwargs)


@pytest.mark.shared
@pytest.mark.parametrize("signal", SIGNALS)
def test_fused_lasso_path_matches_genlasso(genlasso_dir, signal: str) -> None:
    y = pd.read_csv(genlasso_dir / "signals.csv")[signal].to_numpy()
    reference = pd.read_csv(genlasso_dir / f"ord0_{signal}_maxsteps2000_path.csv")["lambda"]
    assert_allclose(fused_lasso_path(y), reference.to_numpy(), rtol=1e-8, atol=0)
