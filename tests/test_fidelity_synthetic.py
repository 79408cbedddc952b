"""The synthetic test: known results with the marker detector, and the curve's end points."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from droidlens.data.encode import encode_apps
from droidlens.data.vocab import NULL_ID
from droidlens.fidelity.metrics import binary_metrics
from droidlens.fidelity.synthetic import (
    check_rankings,
    keep_top_k,
    random_rankings,
    synthetic_test,
)
from droidlens.models.registry import build_model
from tiny import MARKER_CALL, build_vocab, marker_setup, tiny_apps


def marker_first(apps) -> list[np.ndarray]:
    rankings = []
    for app in apps:
        order = list(range(app.n_calls))
        if MARKER_CALL in app.calls:
            marker = app.calls.index(MARKER_CALL)
            order = [marker] + [i for i in order if i != marker]
        rankings.append(np.array(order))
    return rankings


def metrics_of(model, tokens: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    proba = model.predict_proba(tokens)
    return binary_metrics(labels, (proba[:, 1] >= 0.5).astype(np.int64)).as_dict()


def test_synthetic_marker_kept_at_k1() -> None:
    model, encoded, apps = marker_setup(n_apps=10, seq_len=12)
    curve = synthetic_test(model, encoded, marker_first(apps), grid=[0, 1, 2, 12])
    at_one = curve[curve["k"] == 1].iloc[0]
    assert at_one["tp"] == 5
    assert at_one["tpr"] == 1.0
    assert at_one["fpr"] == 0.0
    assert at_one["f1"] == 1.0
    # Without the marker first, one kept call rarely is the marker.
    reversed_rankings = [ranking[::-1].copy() for ranking in marker_first(apps)]
    worst = synthetic_test(model, encoded, reversed_rankings, grid=[1, 11])
    assert worst["tp"].tolist() == [0, 0]


def test_synthetic_end_points_marker() -> None:
    model, encoded, apps = marker_setup(n_apps=10, seq_len=12)
    curve = synthetic_test(model, encoded, random_rankings(encoded, seed=0))
    full = metrics_of(model, encoded.tokens, encoded.labels)
    last = curve[curve["k"] == 12].iloc[0]
    for name, value in full.items():
        assert_allclose(last[name], value, rtol=0, atol=0, equal_nan=True)
    first = curve[curve["k"] == 0].iloc[0]
    assert (first["tp"], first["fp"]) == (0, 0)


@pytest.fixture(scope="module")
def bilstm_setup():
    apps = tiny_apps(16, seed=5, max_len=40)
    vocab = build_vocab(apps)
    torch.manual_seed(3)
    model = build_model("bilstm1", vocab_size=len(vocab), max_words=10).eval()
    with torch.no_grad():
        model.dense.bias.copy_(torch.tensor([0.0, 0.3]))
    return model, encode_apps(apps, vocab)


@pytest.mark.parametrize("by", ["count", "percent"])
def test_synthetic_end_points_bilstm(bilstm_setup, by: str) -> None:
    model, encoded = bilstm_setup
    rankings = random_rankings(encoded, seed=1)
    grid = [0, int(encoded.seq_len.max())] if by == "count" else [0, 100]
    curve = synthetic_test(model, encoded, rankings, by=by, grid=grid)
    full = metrics_of(model, encoded.tokens, encoded.labels)
    empty_app = np.full((1, 1, encoded.tokens.shape[2]), NULL_ID, dtype=np.int32)
    empty_predicted = int(model.predict_proba(empty_app)[0, 1] >= 0.5)
    empty = binary_metrics(encoded.labels, np.full(len(encoded), empty_predicted)).as_dict()
    for name in ("f1", "tpr", "fpr", "accuracy", "precision", "tp", "tn", "fp", "fn"):
        assert_allclose(curve.iloc[-1][name], full[name], rtol=0, atol=0, equal_nan=True)
        assert_allclose(curve.iloc[0][name], empty[name], rtol=0, atol=0, equal_nan=True)


def test_synthetic_default_grids(bilstm_setup) -> None:
    model, encoded = bilstm_setup
    rankings = random_rankings(encoded, seed=1)
    by_percent = synthetic_test(model, encoded, rankings, by="percent")
    assert by_percent["percent k"].tolist() == list(range(101))
    calls: list[int] = []
    by_count = synthetic_test(model, encoded, rankings, progress=calls.append)
    assert by_count["k"].iloc[-1] == encoded.seq_len.max()
    assert len(calls) == len(by_count)
    assert list(by_count.columns) == [
        "k",
        "f1",
        "tpr",
        "fpr",
        "accuracy",
        "precision",
        "tp",
        "tn",
        "fp",
        "fn",
        "n_apps",
    ]


def test_keep_top_k() -> None:
    tokens = np.arange(3, 15, dtype=np.int32).reshape(6, 2)
    kept = keep_top_k(tokens, np.array([4, 1, 0, 2, 3, 5]), 2)
    assert (kept[[1, 4]] == tokens[[1, 4]]).all()
    assert (kept[[0, 2, 3, 5]] == NULL_ID).all()
    assert tokens[0, 0] == 3


def test_random_rankings_seeded(bilstm_setup) -> None:
    _, encoded = bilstm_setup
    first = random_rankings(encoded, seed=4)
    second = random_rankings(encoded, seed=4)
    for a, b, n in zip(first, second, encoded.seq_len, strict=True):
        np.testing.assert_array_equal(a, b)
        assert sorted(a.tolist()) == list(range(n))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r[:-1], "one ranking per app"),
        (lambda r: [r[0][:-1], *r[1:]], r"ranking of app marker-0 is not a permutation of 0..11"),
        (lambda r: [np.zeros_like(r[0]), *r[1:]], "is not a permutation"),
        (lambda r: [r[0] + 1, *r[1:]], "is not a permutation"),
    ],
)
def test_synthetic_invalid_rankings(change, message: str) -> None:
    model, encoded, apps = marker_setup(n_apps=4, seq_len=12)
    rankings = change(marker_first(apps))
    with pytest.raises(ValueError, match=message):
        check_rankings(encoded, rankings)
    with pytest.raises(ValueError, match=message):
        synthetic_test(model, encoded, rankings)


@pytest.mark.parametrize(
    ("by", "grid", "message"),
    [
        ("calls", None, "by must be 'count' or 'percent', got 'calls'"),
        ("count", [0, -1], r"grid values must be non-negative with by='count', got \[0, -1\]"),
        ("percent", [0, 101], r"grid values must be in 0\.\.100 with by='percent', got \[0, 101\]"),
    ],
)
def test_synthetic_invalid_options(by: str, grid, message: str) -> None:
    model, encoded, apps = marker_setup(n_apps=4, seq_len=12)
    with pytest.raises(ValueError, match=message):
        synthetic_test(model, encoded, marker_first(apps), by=by, grid=grid)


def test_synthetic_needs_labels() -> None:
    model, encoded, apps = marker_setup(n_apps=4, seq_len=12)
    encoded.labels[1] = -1
    with pytest.raises(ValueError, match="needs labelled apps"):
        synthetic_test(model, encoded, marker_first(apps))


def test_synthetic_predicts_each_kept_count_once(monkeypatch) -> None:
    model, encoded, apps = marker_setup(n_apps=6, seq_len=8)
    predicted_rows = []
    original = type(model).predict_proba

    def counting(self, tokens, **kwargs):
        predicted_rows.append(len(tokens))
        return original(self, tokens, **kwargs)

    monkeypatch.setattr(type(model), "predict_proba", counting)
    grid = [0, 2, 4, 8, 20, 50]
    synthetic_test(model, encoded, marker_first(apps), by="count", grid=grid)

    # Every k from 8 on keeps each 8-call app whole, so those apps are predicted once for
    # k = 0, 2, 4 and 8 and never again.
    distinct_pairs = {(row, min(k, int(n))) for row, n in enumerate(encoded.seq_len) for k in grid}
    assert sum(predicted_rows) == len(distinct_pairs)
