"""Tests of fused lasso regression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from droidlens.solvers import fused_lasso, fused_lasso_regression


def test_regression_identity_design_is_fused_lasso() -> None:
    y = np.random.default_rng(0).normal(size=30)
    result = fused_lasso_regression(np.eye(30), y, lam=0.4, order=0)
    assert_allclose(result.coef, fused_lasso(y, lam=0.4).coef, rtol=0, atol=1e-10)


def test_regression_zero_lam_is_least_squares() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 6))
    y = rng.normal(size=40)
    expected = np.linalg.lstsq(x, y, rcond=None)[0]
    assert_allclose(fused_lasso_regression(x, y, lam=0.0).coef, expected, rtol=0, atol=1e-10)


def test_regression_sample_weight_equals_row_scaling() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 8))
    y = rng.normal(size=40)
    weights = rng.uniform(0.1, 2.0, size=40)
    weighted = fused_lasso_regression(x, y, lam=1.0, order=1, sample_weight=weights).coef
    root = np.sqrt(weights)
    scaled = fused_lasso_regression(x * root[:, None], y * root, lam=1.0, order=1).coef
    assert_allclose(weighted, scaled, rtol=0, atol=1e-10)


@pytest.mark.parametrize(
    ("x", "kwargs", "match"),
    [
        (np.ones((5, 3)), {"lam": 1.0, "order": 2}, "order must be one of"),
        (np.ones((4, 3)), {"lam": 1.0}, "X must have shape"),
        (np.full((5, 3), np.nan), {"lam": 1.0}, r"X\[0, 0\] = nan"),
        (np.ones((5, 3)), {"lam": 1.0, "sample_weight": -np.ones(5)}, "sample_weight must"),
    ],
)
def test_regression_invalid_input(x: np.ndarray, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fused_lasso_regression(x, np.ones(5), **kwargs)


@pytest.mark.shared
@pytest.mark.parametrize("order", [0, 1])
def test_regression_matches_genlasso(genlasso_dir, order: int) -> None:
    x = pd.read_csv(genlasso_dir / "reg_X.csv", header=None).to_numpy(dtype=float)
    y = pd.read_csv(genlasso_dir / "reg_y.csv", header=None).to_numpy()[:, 0]
    reference = pd.read_csv(genlasso_dir / f"reg_ord{order}_coef.csv")
    for column in reference.columns:
        lam = float(column.removeprefix("lam_"))
        coef = fused_lasso_regression(x, y, lam=lam, order=order).coef
        assert_allclose(coef, reference[column].to_numpy(), rtol=0, atol=1e-8, err_msg=column)
