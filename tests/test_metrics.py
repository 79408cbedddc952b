"""Binary metrics with hand-checked values, and the grids of k."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from droidlens.fidelity.grids import count_grid, k_for_percent, percent_grid
from droidlens.fidelity.metrics import binary_metrics


def test_binary_metrics_hand_checked() -> None:
    labels = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    predicted = np.array([1, 1, 1, 0, 1, 0, 0, 0, 0, 0])
    metrics = binary_metrics(labels, predicted)
    assert (metrics.tp, metrics.fn, metrics.fp, metrics.tn, metrics.n_apps) == (3, 1, 1, 5, 10)
    assert_allclose(metrics.accuracy, 0.8, rtol=0, atol=1e-15)
    assert_allclose(metrics.tpr, 0.75, rtol=0, atol=1e-15)
    assert_allclose(metrics.fpr, 1 / 6, rtol=0, atol=1e-15)
    assert_allclose(metrics.precision, 0.75, rtol=0, atol=1e-15)
    assert_allclose(metrics.f1, 0.75, rtol=0, atol=1e-15)


def test_binary_metrics_all_benign() -> None:
    metrics = binary_metrics(np.array([0, 0, 0]), np.array([0, 0, 1]))
    assert math.isnan(metrics.tpr)
    assert_allclose(metrics.fpr, 1 / 3, rtol=0, atol=1e-15)
    assert metrics.precision == 0.0
    assert metrics.f1 == 0.0


def test_binary_metrics_nothing_predicted_malicious() -> None:
    metrics = binary_metrics(np.array([0, 0]), np.array([0, 0]))
    assert math.isnan(metrics.precision)
    assert math.isnan(metrics.f1)
    assert math.isnan(metrics.tpr)
    assert metrics.fpr == 0.0


def test_binary_metrics_empty() -> None:
    metrics = binary_metrics(np.array([], dtype=int), np.array([], dtype=int))
    assert metrics.n_apps == 0
    assert math.isnan(metrics.accuracy)


def test_binary_metrics_as_dict() -> None:
    values = binary_metrics(np.array([1, 0]), np.array([1, 0])).as_dict()
    assert values["f1"] == 1.0
    assert set(values) == {
        "n_apps",
        "tp",
        "tn",
        "fp",
        "fn",
        "accuracy",
        "tpr",
        "fpr",
        "f1",
        "precision",
    }


@pytest.mark.parametrize(
    ("labels", "predicted", "message"),
    [
        ([1, 0], [1], "1-D arrays of one shape"),
        ([[1, 0]], [[1, 0]], "1-D arrays"),
        ([1, 2], [1, 0], "labels must be 0 or 1, found 2 at index 1"),
        ([1, 0], [-1, 0], "predictions must be 0 or 1, found -1 at index 0"),
    ],
)
def test_binary_metrics_rejects(labels: list, predicted: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        binary_metrics(np.array(labels), np.array(predicted))


@pytest.mark.parametrize(
    ("max_len", "expected"),
    [
        (0, [0]),
        (3, [0, 1, 2, 3]),
        (10, list(range(11))),
        (11, [*range(11), 11]),
        (35, [*range(11), 20, 30, 35]),
        (40, [*range(11), 20, 30, 40]),
    ],
)
def test_count_grid(max_len: int, expected: list[int]) -> None:
    assert count_grid(max_len).tolist() == expected


def test_count_grid_options() -> None:
    assert count_grid(20, dense_until=2, step=5).tolist() == [0, 1, 2, 7, 12, 17, 20]
    with pytest.raises(ValueError, match="max_len must be non-negative, got -1"):
        count_grid(-1)


def test_percent_grid() -> None:
    assert percent_grid().tolist() == list(range(101))
    assert percent_grid(30).tolist() == [0, 30, 60, 90, 100]
    with pytest.raises(ValueError, match=r"percent step must be in 1..100, got 0"):
        percent_grid(0)


@pytest.mark.parametrize(
    ("percent", "expected"),
    [
        (0, [0, 0, 0, 0]),
        (1, [1, 1, 1, 1]),
        (10, [1, 1, 1, 10]),
        (33, [1, 1, 1, 33]),
        (50, [1, 1, 2, 50]),
        (99, [1, 2, 3, 99]),
        (100, [1, 2, 3, 100]),
    ],
)
def test_k_for_percent_rounds_up(percent: float, expected: list[int]) -> None:
    assert k_for_percent(np.array([1, 2, 3, 100]), percent).tolist() == expected


def test_k_for_percent_exact_products_not_rounded_up() -> None:
    # 70% of 10 is 7 exactly, though 10 * 0.7 is 7.000000000000001 in floating point.
    assert k_for_percent(np.array([10, 20]), 70).tolist() == [7, 14]
