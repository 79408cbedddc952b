"""Padding, nullification and batching semantics shared by every registered detector."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from droidlens.data.encode import nullify
from droidlens.data.vocab import N_RESERVED, NULL_ID, PAD_ID
from droidlens.models.base import Detector
from droidlens.models.registry import build_model

MODEL_NAMES = ["bilstm1", "bilstm2", "bilstm3", "attention"]
VOCAB_SIZE = 40
MAX_WORDS = 4


def make_app(n_calls: int, seed: int) -> np.ndarray:
    """Return one app of ``n_calls`` calls with 1 to MAX_WORDS words each, then PAD slots."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(N_RESERVED, VOCAB_SIZE, size=(n_calls, MAX_WORDS), dtype=np.int32)
    n_words = rng.integers(1, MAX_WORDS + 1, size=n_calls)
    tokens[np.arange(MAX_WORDS) >= n_words[:, None]] = PAD_ID
    return tokens


def pad_apps(apps: list[np.ndarray], n_positions: int) -> np.ndarray:
    """Stack apps into (n_apps, n_positions, MAX_WORDS), padding each with PAD calls."""
    batch = np.full((len(apps), n_positions, MAX_WORDS), PAD_ID, dtype=np.int32)
    for row, app in enumerate(apps):
        batch[row, : len(app)] = app
    return batch


def build(name: str, **overrides: float) -> Detector:
    torch.manual_seed(0)
    model = build_model(name, vocab_size=VOCAB_SIZE, max_words=MAX_WORDS, **overrides)
    return model.eval()


def train_mode_logits(model: Detector, tokens: np.ndarray) -> np.ndarray:
    """Return logits in train mode, with the training-time statistics of this batch."""
    model.train()
    with torch.no_grad():
        logits = model(torch.as_tensor(tokens, dtype=torch.long))
    return logits.numpy()


@pytest.fixture(params=MODEL_NAMES)
def model(request: pytest.FixtureRequest) -> Detector:
    return build(request.param)


def test_semantics_padding_changes_nothing(model: Detector) -> None:
    app = make_app(7, seed=1)
    plain = model.predict_proba(app[None])
    padded = model.predict_proba(pad_apps([app], 20))
    assert_allclose(padded, plain, rtol=0, atol=1e-6)


def test_semantics_nullify_equals_delete(model: Detector) -> None:
    app = make_app(9, seed=2)
    for position in (0, 4, 8):
        nullified = model.predict_proba(nullify(app, [position])[None])
        deleted = model.predict_proba(np.delete(app, position, axis=0)[None])
        assert_allclose(nullified, deleted, rtol=0, atol=1e-6)


def test_semantics_deleting_call_changes_output(model: Detector) -> None:
    # Guards the tests above against a model whose output ignores its input.
    app = make_app(9, seed=2)
    full = model.predict_proba(app[None])
    deleted = model.predict_proba(np.delete(app, 4, axis=0)[None])
    assert np.abs(full - deleted).max() > 1e-6


def test_semantics_batch_equals_one_at_a_time(model: Detector) -> None:
    apps = [make_app(n_calls, seed=10 + n_calls) for n_calls in (1, 12, 5, 8)]
    batched = model.predict_proba(pad_apps(apps, 15), batch_size=4)
    single = np.vstack([model.predict_proba(app[None]) for app in apps])
    assert_allclose(batched, single, rtol=0, atol=1e-6)


def test_semantics_all_null_app_finite(model: Detector) -> None:
    app = np.full((6, MAX_WORDS), NULL_ID, dtype=np.int32)
    proba = model.predict_proba(app[None])
    assert np.isfinite(proba).all()
    assert_allclose(proba.sum(axis=1), [1.0], rtol=0, atol=1e-6)


def test_semantics_empty_app_in_batch(model: Detector) -> None:
    empty = np.full((6, MAX_WORDS), NULL_ID, dtype=np.int32)
    app = make_app(6, seed=3)
    batched = model.predict_proba(np.stack([empty, app]))
    alone = np.vstack([model.predict_proba(empty[None]), model.predict_proba(app[None])])
    assert_allclose(batched, alone, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_semantics_train_mode_padding(name: str) -> None:
    # Dropout off, so train mode differs from eval mode only by batch statistics.
    overrides = {"dropout": 0.0}
    if name.startswith("bilstm"):
        overrides["spatial_dropout"] = 0.0
    model = build(name, **overrides)
    apps = [make_app(n_calls, seed=20 + n_calls) for n_calls in (3, 8)]
    tight = train_mode_logits(model, pad_apps(apps, 8))
    padded = train_mode_logits(model, pad_apps(apps, 30))
    assert_allclose(padded, tight, rtol=0, atol=1e-6)
