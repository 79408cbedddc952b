"""Tests of descriptive sparsity (the MAZ curve)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from droidlens.fidelity.descriptive import descriptive_sparsity


def test_sparsity_one_hot_near_one():
    relevance = np.zeros(200)
    relevance[17] = 3.0
    result = descriptive_sparsity([relevance, -relevance])
    # MAZ is 199/200 for r < 1 and 1 at r = 1; the last trapezoid adds half a step of 1/200.
    assert_allclose(result.auc, 199 / 200 + 0.5 * 0.01 / 200, rtol=1e-9, atol=1e-12)
    assert result.auc > 0.99


def test_sparsity_uniform_magnitudes_low():
    result = descriptive_sparsity([np.ones(50), -np.ones(30)])
    # Every scaled value is +-1, so MAZ is 0 below r = 1: only the last trapezoid counts.
    assert_allclose(result.auc, 0.5 * 0.01, rtol=1e-9, atol=1e-12)


def test_sparsity_linear_spread():
    relevance = np.linspace(-1.0, 1.0, 2001)
    result = descriptive_sparsity([relevance * 5.0])
    # Scaled values are uniform on [-1, 1], so MAZ(r) is about r and its area about 1/2.
    assert_allclose(result.maz["mass"], result.maz["r"], rtol=0, atol=1e-3)
    assert_allclose(result.auc, 0.5, rtol=0, atol=1e-3)


def test_sparsity_histogram_sums_to_one():
    rng = np.random.default_rng(0)
    result = descriptive_sparsity([rng.normal(size=40), rng.normal(size=13)], n_bins=8)
    assert len(result.histogram) == 8
    assert_allclose(result.histogram["fraction"].sum(), 1.0, rtol=1e-12, atol=1e-12)


def test_sparsity_skips_all_zero_apps():
    result = descriptive_sparsity([np.zeros(5), np.array([]), np.array([0.0, 2.0])])
    assert result.n_apps == 1
    assert_allclose(result.maz["mass"].iloc[0], 0.5, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"n_bins": 0}, "n_bins must be at least 1"), ({"n_radii": 1}, "n_radii must be at least 2")],
)
def test_sparsity_rejects_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        descriptive_sparsity([np.ones(3)], **kwargs)
