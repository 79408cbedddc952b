"""Tests of the augmentation test: planting the top calls of malicious apps in benign ones."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from droidlens.fidelity.augmentation import _augmented_copies, augmentation_test, map_positions
from fidelity_models import MARKER, MarkerCountDetector, make_apps, marker_first_rankings


@pytest.fixture(scope="module")
def marker_case():
    encoded, markers = make_apps(n_apps=10, seq_len=12, seed=5)
    return MarkerCountDetector().eval(), encoded, markers


@pytest.mark.parametrize(
    ("positions", "source_len", "target_len", "expected"),
    [
        ([0, 5, 9], 10, 10, [0, 5, 9]),
        ([0, 5, 9], 10, 4, [0, 2, 3]),
        ([0, 1, 2], 3, 9, [0, 3, 6]),
        ([2], 3, 1, [0]),
    ],
)
def test_map_positions_table(positions, source_len, target_len, expected):
    assert map_positions(np.array(positions), source_len, target_len).tolist() == expected


def test_augmentation_marker_turns_benign_malicious(marker_case):
    model, encoded, markers = marker_case
    curve = augmentation_test(model, encoded, marker_first_rankings(encoded, markers), n_pairs=3)
    assert curve["positive rate"].iloc[0] == 0.0
    assert (curve["positive rate"].iloc[1:] == 1.0).all()
    assert (curve["n_pairs"] == 15).all()
    # The targets are benign, so every flip is a false positive.
    assert curve["fpr"].iloc[1] == 1.0
    assert curve["fp"].iloc[1] == 15


def test_augmentation_irrelevant_calls_change_nothing(marker_case):
    model, encoded, markers = marker_case
    worst = [np.concatenate([r[1:], r[:1]]) for r in marker_first_rankings(encoded, markers)]
    curve = augmentation_test(model, encoded, worst, grid=[0, 1, 5, 11])
    assert (curve["positive rate"] == 0.0).all()


def test_augmentation_pairs_seeded(marker_case):
    model, encoded, markers = marker_case
    rankings = marker_first_rankings(encoded, markers)
    first = augmentation_test(model, encoded, rankings, grid=[1], n_pairs=2, seed=3)
    again = augmentation_test(model, encoded, rankings, grid=[1], n_pairs=2, seed=3)
    assert first.equals(again)


def test_augmentation_copies_at_mapped_positions():
    encoded, markers = make_apps(n_apps=2, seq_len=10, seed=0)
    encoded.seq_len[1] = 5
    rankings = marker_first_rankings(encoded, markers)
    copies = _augmented_copies(encoded, rankings, (np.array([0]), np.array([1])), np.array([1]))
    position = map_positions(np.array([markers[0]]), 10, 5)[0]
    assert copies[0, position, 1] == MARKER
    unchanged = np.delete(np.arange(10), position)
    assert_array_equal(copies[0, unchanged], encoded.tokens[1, unchanged])


def test_augmentation_rejects_n_pairs(marker_case):
    model, encoded, markers = marker_case
    with pytest.raises(ValueError, match="n_pairs must be at least 1"):
        augmentation_test(model, encoded, marker_first_rankings(encoded, markers), n_pairs=0)
