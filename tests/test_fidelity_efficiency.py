"""Tests of the efficiency summary."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from droidlens.fidelity.efficiency import efficiency


def test_efficiency_median_and_p90():
    result = efficiency(np.arange(1, 11, dtype=float))
    assert result.median_seconds == 5.5
    assert_allclose(result.p90_seconds, 9.1, rtol=1e-12, atol=0)
    assert result.curve["fraction"].iloc[-1] == 1.0


def test_efficiency_rejects_negative():
    with pytest.raises(ValueError, match="finite and non-negative"):
        efficiency([1.0, -2.0])


def test_efficiency_empty():
    result = efficiency([])
    assert result.n_apps == 0
    assert np.isnan(result.median_seconds)
