"""Tests of the stability measure."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import droidlens.explain.baselines  # noqa: F401  (registers the methods)
from droidlens.explain.options import ExplainOptions
from droidlens.explain.registry import get_method
from droidlens.explain.result import rank_relevance
from droidlens.fidelity.stability import stability
from fidelity_models import MarkerCountDetector, make_apps


def _runs(method: str, seeds=(0, 1, 2)):
    encoded, _ = make_apps(n_apps=4, seq_len=20, seed=2)
    model = MarkerCountDetector().eval()
    spec = get_method(method)
    options = ExplainOptions(n_samples=60, ig_steps=10)
    return [
        [
            rank_relevance(
                spec.explain(
                    model,
                    encoded.app_tokens(row),
                    target=1,
                    rng=np.random.default_rng(seed),
                    options=options,
                ).relevance
            )
            for row in range(len(encoded))
        ]
        for seed in seeds
    ]


@pytest.mark.parametrize("method", ["gradient", "integrated-gradients"])
def test_stability_deterministic_is_one(method):
    result = stability(_runs(method), k=10)
    assert result.score == 1.0
    assert_allclose(result.curve["intersection"], 1.0, rtol=0, atol=0)


def test_stability_random_below_one():
    result = stability(_runs("random"), k=5)
    assert result.score < 0.9


def test_stability_known_overlap():
    runs = [[np.array([0, 1, 2, 3])], [np.array([0, 2, 1, 3])], [np.array([3, 2, 1, 0])]]
    result = stability(runs, k=2)
    # Top-2 sets {0,1}, {0,2}, {3,2}: pair overlaps 1/2, 0, 1/2.
    assert_allclose(result.score, (0.5 + 0.0 + 0.5) / 3, rtol=1e-12, atol=0)
    # Top-1 sets {0}, {0}, {3}: overlaps 1, 0, 0.
    assert_allclose(result.curve["intersection"].iloc[0], 1 / 3, rtol=1e-12, atol=0)


def test_stability_short_apps_use_their_length():
    runs = [[np.array([1, 0]), np.array([], dtype=np.int64)], [np.array([0, 1]), np.array([])]]
    result = stability(runs, k=10)
    assert result.score == 1.0
    assert np.isnan(result.per_app[1])


@pytest.mark.parametrize(
    ("runs", "k", "message"),
    [
        ([[np.arange(3)]], 3, "at least 2 runs"),
        ([[np.arange(3)], [np.arange(3)]], 0, "k must be at least 1"),
        ([[np.arange(3)], []], 3, "run 1 has 0 rankings"),
        ([[np.arange(3)], [np.arange(4)]], 3, "app 0 has a ranking of 4 calls"),
    ],
)
def test_stability_rejects_runs(runs, k, message):
    with pytest.raises(ValueError, match=message):
        stability(runs, k=k)
