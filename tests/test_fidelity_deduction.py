"""Tests of the deduction test and the descriptive-accuracy curve on a model with known results."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from droidlens.fidelity.deduction import deduction_test
from droidlens.fidelity.descriptive import descriptive_accuracy
from fidelity_models import MarkerCountDetector, make_apps, marker_first_rankings


@pytest.fixture(scope="module")
def marker_case():
    encoded, markers = make_apps(n_apps=8, seq_len=10, seed=4)
    return MarkerCountDetector().eval(), encoded, markers


def _reversed(rankings):
    # Marker call last: the worst ranking for these apps.
    return [np.concatenate([ranking[1:], ranking[:1]]) for ranking in rankings]


def test_deduction_drops_to_zero_at_one(marker_case):
    model, encoded, markers = marker_case
    curve = deduction_test(model, encoded, marker_first_rankings(encoded, markers))
    assert curve["k"].tolist()[:3] == [0, 1, 2]
    assert curve["positive rate"].iloc[0] == 1.0
    assert_allclose(curve["positive rate"].iloc[1:], 0.0, rtol=0, atol=0)


def test_deduction_metric_columns(marker_case):
    model, encoded, markers = marker_case
    curve = deduction_test(model, encoded, marker_first_rankings(encoded, markers), grid=[0, 1])
    # Four malicious apps are called malicious; after removing their marker none is.
    assert curve[["n_apps", "tp", "fn", "fp", "tn"]].values.tolist() == [
        [4, 4, 0, 0, 0],
        [4, 0, 4, 0, 0],
    ]
    assert curve["tpr"].tolist() == [1.0, 0.0]
    assert np.isnan(curve["fpr"]).all()


def test_deduction_worst_ranking_keeps_malicious(marker_case):
    model, encoded, markers = marker_case
    rankings = _reversed(marker_first_rankings(encoded, markers))
    curve = deduction_test(model, encoded, rankings)
    before_last = curve[curve["k"] < 10]
    assert_allclose(before_last["positive rate"], 1.0, rtol=0, atol=0)
    assert curve["positive rate"].iloc[-1] == 0.0


def test_deduction_by_percent(marker_case):
    model, encoded, markers = marker_case
    curve = deduction_test(
        model, encoded, marker_first_rankings(encoded, markers), by="percent", grid=[0, 1, 50]
    )
    assert list(curve.columns[:2]) == ["percent k", "positive rate"]
    # 1 % of 10 calls rounds up to one call, the marker.
    assert curve["positive rate"].tolist() == [1.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r[:-1], "got 7 rankings for 8 apps"),
        (lambda r: [r[0][:-1], *r[1:]], "must be a permutation"),
        (lambda r: [np.zeros_like(r[0]), *r[1:]], "must be a permutation"),
    ],
)
def test_deduction_rejects_rankings(marker_case, change, message):
    model, encoded, markers = marker_case
    with pytest.raises(ValueError, match=message):
        deduction_test(model, encoded, change(marker_first_rankings(encoded, markers)))


@pytest.mark.parametrize(
    ("by", "grid", "message"),
    [
        ("calls", None, "by must be one of"),
        ("percent", [0, 101], "must hold 0..100"),
        ("count", [-1, 2], "non-negative"),
    ],
)
def test_deduction_rejects_grid(marker_case, by, grid, message):
    model, encoded, markers = marker_case
    with pytest.raises(ValueError, match=message):
        deduction_test(model, encoded, marker_first_rankings(encoded, markers), by=by, grid=grid)


def test_descriptive_accuracy_known_curve(marker_case):
    model, encoded, markers = marker_case
    result = descriptive_accuracy(
        model, encoded, marker_first_rankings(encoded, markers), grid=[0, 1, 2]
    )
    confident = 1 / (1 + np.exp(-2.0))
    # Each app's predicted class has probability sigmoid(2) at k = 0. Removing the marker
    # turns a malicious app's score to 1 - sigmoid(2); benign apps have nothing to lose.
    expected_k0 = confident
    expected_k1 = (4 * (1 - confident) + 4 * confident) / 8
    assert_allclose(
        result.curve["descriptive accuracy"],
        [expected_k0, expected_k1, expected_k1],
        rtol=1e-6,
        atol=1e-6,
    )
    assert_allclose(result.auc, (expected_k0 + 3 * expected_k1) / 4, rtol=1e-6, atol=1e-6)


def test_descriptive_accuracy_faithful_beats_reversed(marker_case):
    model, encoded, markers = marker_case
    faithful = descriptive_accuracy(model, encoded, marker_first_rankings(encoded, markers))
    worst = descriptive_accuracy(model, encoded, _reversed(marker_first_rankings(encoded, markers)))
    assert faithful.auc < worst.auc
