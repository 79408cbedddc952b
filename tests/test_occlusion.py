"""Occlusion: synthetic y, the fast 1-layer path, batching, smoothing and ranking."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from droidlens.data.encode import nullify
from droidlens.data.vocab import N_RESERVED, NULL_ID, PAD_ID
from droidlens.explain.batching import copies_per_batch
from droidlens.explain.occlusion import (
    RELATIVE_LAMBDA,
    explain_occlusion,
    explain_occlusion_raw,
    smoothing_lambda,
    synthetic_y,
)
from droidlens.explain.options import ExplainOptions
from droidlens.models.bilstm import BiLSTMDetector
from droidlens.models.registry import build_model
from droidlens.solvers import fused_lasso
from tiny import MarkerDetector, marker_setup

VOCAB_SIZE = 30
MAX_WORDS = 3
RNG = np.random.default_rng(0)


def random_app(seq_len: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    tokens = rng.integers(N_RESERVED, VOCAB_SIZE, size=(seq_len, MAX_WORDS), dtype=np.int32)
    tokens[:, 2] = PAD_ID
    return tokens


@pytest.fixture(scope="module")
def bilstm1() -> BiLSTMDetector:
    torch.manual_seed(0)
    # Larger embeddings than the default make the one-call effects clearly non-zero.
    with torch.no_grad():
        model = build_model("bilstm1", vocab_size=VOCAB_SIZE, max_words=MAX_WORDS)
        model.embedding.weight.mul_(3.0)
    return model.eval()


def predict_copies(model, tokens: np.ndarray) -> np.ndarray:
    """Predict each copy with one call nullified, one at a time, the plain way."""
    return np.concatenate(
        [model.predict_proba(nullify(tokens, [i])[None]) for i in range(len(tokens))]
    )


@pytest.mark.parametrize("seq_len", [1, 2, 7, 50])
def test_synthetic_y_fast_path_equals_generic(
    bilstm1, seq_len: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = random_app(seq_len, seed=seq_len)
    fast, _ = synthetic_y(bilstm1, tokens)
    direct = bilstm1.occlusion_outputs(tokens)
    assert_allclose(fast, direct, rtol=0, atol=0)
    monkeypatch.setattr(BiLSTMDetector, "occlusion_outputs", lambda self, tokens: None)
    generic, _ = synthetic_y(bilstm1, tokens)
    assert fast.shape == (seq_len, 2)
    assert_allclose(fast, generic, rtol=0, atol=1e-6)


def test_synthetic_y_row_i_nullifies_call_i(bilstm1) -> None:
    tokens = random_app(9, seed=3)
    synthetic, seconds = synthetic_y(bilstm1, tokens)
    assert_allclose(synthetic, predict_copies(bilstm1, tokens), rtol=0, atol=1e-6)
    assert_allclose(
        synthetic[4],
        bilstm1.predict_proba(np.delete(tokens, 4, axis=0)[None])[0],
        rtol=0,
        atol=1e-6,
    )
    assert seconds >= 0.0


def test_synthetic_y_only_real_calls_copied() -> None:
    model, encoded, _ = marker_setup(n_apps=2, seq_len=6)
    calls: list[np.ndarray] = []
    original = model.predict_proba

    def recording(tokens, **kwargs):
        calls.append(np.asarray(tokens).copy())
        return original(tokens, **kwargs)

    model.predict_proba = recording  # type: ignore[method-assign]
    synthetic, _ = synthetic_y(model, encoded.app_tokens(0))
    copies = np.concatenate(calls)
    assert synthetic.shape == (6, 2)
    assert copies.shape == (6, 6, encoded.tokens.shape[2])
    for i in range(6):
        assert (copies[i, i] == NULL_ID).all()
        assert (np.delete(copies[i], i, axis=0)[:, 0] > NULL_ID).all()


def test_synthetic_y_stacked_model_generic_path() -> None:
    torch.manual_seed(1)
    model = build_model("bilstm2", vocab_size=VOCAB_SIZE, max_words=MAX_WORDS).eval()
    assert model.occlusion_outputs(random_app(3)) is None
    tokens = random_app(11, seed=4)
    synthetic, _ = synthetic_y(model, tokens)
    assert_allclose(synthetic, predict_copies(model, tokens), rtol=0, atol=1e-6)


def test_synthetic_y_tiny_memory_budget_same_result() -> None:
    torch.manual_seed(2)
    model = build_model("bilstm2", vocab_size=VOCAB_SIZE, max_words=MAX_WORDS).eval()
    tokens = random_app(23, seed=5)
    large, _ = synthetic_y(model, tokens, memory_budget_mb=256.0)
    # A budget below one copy still runs, one copy per batch.
    small, _ = synthetic_y(model, tokens, memory_budget_mb=1e-4)
    assert_allclose(small, large, rtol=0, atol=1e-6)


def test_synthetic_y_empty_app(bilstm1) -> None:
    synthetic, seconds = synthetic_y(bilstm1, np.zeros((0, MAX_WORDS), dtype=np.int32))
    assert synthetic.shape == (0, 2)
    assert seconds == 0.0


def test_occlusion_fast_path_restores_training_mode(bilstm1) -> None:
    bilstm1.train()
    try:
        bilstm1.occlusion_outputs(random_app(4))
        assert bilstm1.training
    finally:
        bilstm1.eval()


@pytest.mark.parametrize("smoother", ["fusedlasso", "trend1", "trend2", "trend3", "none"])
def test_occlusion_ranking_is_permutation(bilstm1, smoother: str) -> None:
    tokens = random_app(30, seed=6)
    output = explain_occlusion(
        bilstm1, tokens, target=1, rng=RNG, options=ExplainOptions(smoother=smoother)
    )
    assert sorted(output.ranking.tolist()) == list(range(30))
    assert output.relevance.shape == (30,)
    assert output.extras["synthetic y"].shape == (30, 2)


@pytest.mark.parametrize("smoother", ["fusedlasso", "trend1", "trend2", "trend3"])
def test_occlusion_columns_named_by_smoother(bilstm1, smoother: str) -> None:
    output = explain_occlusion(
        bilstm1, random_app(12), target=1, rng=RNG, options=ExplainOptions(smoother=smoother)
    )
    assert {"synthetic y", f"{smoother} coef", f"{smoother} ranking", "smoother", "lambda"} <= set(
        output.extras
    )
    assert output.extras["smoother"] == smoother
    np.testing.assert_array_equal(output.extras[f"{smoother} ranking"], output.ranking)


def test_occlusion_no_smoother_columns_without_smoothing(bilstm1) -> None:
    output = explain_occlusion_raw(
        bilstm1, random_app(12), target=1, rng=RNG, options=ExplainOptions()
    )
    assert not any(key.endswith((" coef", " ranking")) for key in output.extras)
    assert output.extras["smoother"] == "none"


@pytest.mark.parametrize("seq_len", [1, 2, 3])
@pytest.mark.parametrize("smoother", ["fusedlasso", "trend1", "trend2", "trend3"])
def test_occlusion_short_apps(bilstm1, seq_len: int, smoother: str) -> None:
    output = explain_occlusion(
        bilstm1, random_app(seq_len), target=0, rng=RNG, options=ExplainOptions(smoother=smoother)
    )
    assert sorted(output.ranking.tolist()) == list(range(seq_len))


def test_occlusion_marker_call_ranks_first() -> None:
    model, encoded, apps = marker_setup(n_apps=6, seq_len=15)
    for row in (0, 2, 4):
        marker = next(i for i, call in enumerate(apps[row].calls) if "Payload" in call)
        for smoother in ("fusedlasso", "none"):
            output = explain_occlusion(
                model,
                encoded.app_tokens(row),
                target=1,
                rng=RNG,
                options=ExplainOptions(smoother=smoother),
            )
            assert output.ranking[0] == marker
            assert output.relevance[marker] > 0


def test_occlusion_relevance_is_drop_of_target_probability() -> None:
    model, encoded, _ = marker_setup(n_apps=2, seq_len=8)
    tokens = encoded.app_tokens(0)
    output = explain_occlusion(
        model, tokens, target=1, rng=RNG, options=ExplainOptions(smoother="none")
    )
    full = model.predict_proba(tokens[None])[0, 1]
    assert_allclose(output.relevance, full - output.extras["synthetic y"][:, 1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("lam", [None, 0.0, 0.002, 0.05])
def test_occlusion_rank_by_benign_original_rule(bilstm1, lam: float | None) -> None:
    tokens = random_app(40, seed=8)
    output = explain_occlusion(
        bilstm1, tokens, target=1, rng=RNG, options=ExplainOptions(rank_by="benign", lam=lam)
    )
    benign = predict_copies(bilstm1, tokens)[:, 0]
    expected_lam = RELATIVE_LAMBDA * np.ptp(benign) if lam is None else lam
    coef = fused_lasso(benign, lam=expected_lam).coef
    expected = np.argsort(-coef, kind="stable")
    assert_allclose(output.extras["fusedlasso coef"], coef, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(output.ranking, expected)
    assert_allclose(output.extras["lambda"], expected_lam, rtol=1e-6, atol=1e-12)


def test_occlusion_explicit_lambda_flattens(bilstm1) -> None:
    tokens = random_app(20, seed=9)
    output = explain_occlusion(
        bilstm1, tokens, target=1, rng=RNG, options=ExplainOptions(lam=100.0)
    )
    assert output.extras["lambda"] == 100.0
    coef = output.extras["fusedlasso coef"]
    # A huge penalty fuses every call into one piece: the mean of synthetic y's column.
    assert_allclose(coef, np.full(20, output.extras["synthetic y"][:, 1].mean()), rtol=0, atol=1e-9)


def test_smoothing_lambda_default_and_explicit() -> None:
    column = np.array([0.2, 0.7, 0.4])
    assert_allclose(smoothing_lambda(column, None), RELATIVE_LAMBDA * 0.5, rtol=1e-12, atol=0)
    assert smoothing_lambda(column, 0.3) == 0.3
    assert smoothing_lambda(np.array([]), None) == 0.0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "smoother",
            "wavelet",
            "unknown smoother 'wavelet'; choose one of fusedlasso, trend1, trend2, trend3, none",
        ),
        ("lam", -1.0, "lam must be non-negative, got -1.0"),
        ("rank_by", "malicious", "rank_by must be one of"),
        ("memory_budget_mb", 0.0, "memory_budget_mb must be positive"),
        ("n_samples", 0, "n_samples must be at least 1"),
        ("assignment", "fuzzy", "assignment must be 'soft' or 'hard'"),
        ("window", 0, "window must be at least 1"),
        ("fraction", 1.5, r"fraction must be in \(0, 1\]"),
    ],
)
def test_explain_options_rejects(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ExplainOptions(**{field: value})


def test_occlusion_deterministic(bilstm1) -> None:
    tokens = random_app(25, seed=10)
    first = explain_occlusion(
        bilstm1, tokens, target=1, rng=np.random.default_rng(1), options=ExplainOptions()
    )
    second = explain_occlusion(
        bilstm1, tokens, target=1, rng=np.random.default_rng(2), options=ExplainOptions()
    )
    np.testing.assert_array_equal(first.relevance, second.relevance)


def test_marker_detector_semantics() -> None:
    model, encoded, _ = marker_setup(n_apps=4, seq_len=5)
    proba = model.predict_proba(encoded.tokens)
    assert (proba[[0, 2], 1] > 0.5).all()
    assert (proba[[1, 3], 1] < 0.5).all()
    assert isinstance(model, MarkerDetector)


@pytest.mark.parametrize(("seq_len", "budget_mb"), [(10**6, 1.0), (0, 1.0), (2000, 256.0)])
def test_copies_per_batch_at_least_one(seq_len: int, budget_mb: float) -> None:
    model = build_model("bilstm1", vocab_size=50, max_words=10)
    assert copies_per_batch(model, seq_len=seq_len, memory_budget_mb=budget_mb) >= 1


def test_copies_per_batch_grows_with_budget() -> None:
    model = build_model("bilstm1", vocab_size=50, max_words=10)
    small = copies_per_batch(model, seq_len=500, memory_budget_mb=16.0)
    large = copies_per_batch(model, seq_len=500, memory_budget_mb=256.0)
    assert large > small
