"""Tests of LEMNA's perturbed copies."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal

from droidlens.data.vocab import NULL_ID
from droidlens.explain.lemna.perturb import (
    largest_occlusion_position,
    perturb_app,
    sample_kept_calls,
    window_positions,
)
from droidlens.models.base import Detector


class CountingDetector(Detector):
    """Malicious logit = 0.1 * (number of real calls whose first word is 5) - 1."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(0.1))

    def forward_compact(self, calls: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        steps = torch.arange(calls.shape[1])[None, :] < lengths[:, None]
        count = ((calls[:, :, 0] == 5) & steps).sum(dim=1).float()
        logit = self.scale * count - 1.0
        return torch.stack([torch.zeros_like(logit), logit], dim=1)


def _tokens(seq_len=30, seed=0):
    rng = np.random.default_rng(seed)
    tokens = rng.integers(3, 9, size=(seq_len, 4)).astype(np.int32)
    return tokens


def test_sample_kept_calls_first_row_is_original():
    kept = sample_kept_calls(25, n_samples=50, rng=np.random.default_rng(0))

    assert kept.shape == (50, 25)
    assert kept[0].all()


def test_sample_kept_calls_counts_in_range():
    kept = sample_kept_calls(25, n_samples=400, rng=np.random.default_rng(0))
    n_nullified = 25 - kept[1:].sum(axis=1)

    assert n_nullified.min() >= 1
    assert n_nullified.max() <= 25
    # 399 uniform draws from 1..25 cover both ends with near certainty.
    assert set(n_nullified.tolist()) == set(range(1, 26))


def test_sample_kept_calls_fraction_fixes_count():
    kept = sample_kept_calls(40, n_samples=30, rng=np.random.default_rng(0), fraction=0.25)

    assert_array_equal(40 - kept[1:].sum(axis=1), np.full(29, 10))


def test_sample_kept_calls_same_seed_same_draw():
    first = sample_kept_calls(40, n_samples=30, rng=np.random.default_rng(3))
    second = sample_kept_calls(40, n_samples=30, rng=np.random.default_rng(3))

    assert_array_equal(first, second)


@pytest.mark.parametrize(
    ("seq_len", "window", "position", "expected"),
    [
        (10, None, None, list(range(10))),
        (100, 3, 50, list(range(47, 54))),
        (100, 3, 1, list(range(0, 5))),
        (100, 3, 98, list(range(95, 100))),
    ],
)
def test_window_positions_table(seq_len, window, position, expected):
    assert_array_equal(window_positions(seq_len, window=window, position=position), expected)


@pytest.mark.parametrize("position", [None, -1, 10])
def test_window_positions_invalid_position(position):
    with pytest.raises(ValueError, match=r"position must be a call position in \[0, 10\)"):
        window_positions(10, window=3, position=position)


def test_perturb_app_target_matches_model():
    model = CountingDetector()
    tokens = _tokens()

    samples = perturb_app(model, tokens, target=1, rng=np.random.default_rng(0), n_samples=20)
    count = samples.design @ (tokens[:, 0] == 5)
    expected = 1.0 / (1.0 + np.exp(-(0.1 * count - 1.0)))

    np.testing.assert_allclose(samples.target, expected, rtol=1e-6, atol=1e-7)


def test_perturb_app_window_keeps_outside_calls():
    model = CountingDetector()
    tokens = _tokens()
    positions = window_positions(30, window=2, position=10)

    samples = perturb_app(
        model, tokens, target=0, rng=np.random.default_rng(0), n_samples=20, positions=positions
    )
    count = samples.design @ (tokens[positions, 0] == 5) + np.sum(
        np.delete(tokens[:, 0], positions) == 5
    )
    expected = 1.0 - 1.0 / (1.0 + np.exp(-(0.1 * count - 1.0)))

    assert samples.design.shape == (20, 5)
    np.testing.assert_allclose(samples.target, expected, rtol=1e-6, atol=1e-7)


def test_perturb_app_small_budget_same_result():
    model = CountingDetector()
    tokens = _tokens()

    large = perturb_app(model, tokens, target=1, rng=np.random.default_rng(0), n_samples=20)
    small = perturb_app(
        model,
        tokens,
        target=1,
        rng=np.random.default_rng(0),
        n_samples=20,
        memory_budget_mb=1e-4,
    )

    np.testing.assert_allclose(small.target, large.target, rtol=0, atol=1e-7)


def test_largest_occlusion_position_finds_only_call():
    tokens = np.full((12, 4), 3, dtype=np.int32)
    tokens[7, 0] = 5

    position, seconds = largest_occlusion_position(CountingDetector(), tokens, target=1)

    assert position == 7
    assert seconds > 0
    assert NULL_ID not in tokens
