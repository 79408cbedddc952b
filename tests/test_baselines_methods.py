"""Tests of the baseline explanation methods: known results, shapes, seeding and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from torch import nn

import droidlens.explain.baselines  # noqa: F401  (registers the methods)
import droidlens.explain.occlusion  # noqa: F401  (registers occlusion-raw)
from droidlens.data.vocab import NULL_ID
from droidlens.errors import DroidlensError
from droidlens.explain.baselines import rnn_backward_mode
from droidlens.explain.options import ExplainOptions
from droidlens.explain.registry import get_method
from droidlens.models.attention import AttentionDetector
from droidlens.models.bilstm import BiLSTMDetector
from fidelity_models import MARKER, MAX_WORDS, VOCAB_SIZE, MarkerCountDetector, make_apps

FAITHFUL = ["gradient", "integrated-gradients", "lime", "kernelshap"]
OPTIONS = ExplainOptions(n_samples=120, ig_steps=20)


def _explain(name, model, tokens, *, target=1, seed=0, options=OPTIONS):
    return get_method(name).explain(
        model, tokens, target=target, rng=np.random.default_rng(seed), options=options
    )


def _small_bilstm(n_layers: int = 1) -> BiLSTMDetector:
    torch.manual_seed(0)
    model = BiLSTMDetector(
        vocab_size=VOCAB_SIZE,
        max_words=MAX_WORDS,
        embedding_dim=4,
        hidden_size=5,
        n_layers=n_layers,
    )
    return model.eval()


@pytest.mark.parametrize(
    ("name", "deterministic"),
    [
        ("random", False),
        ("gradient", True),
        ("integrated-gradients", True),
        ("lime", False),
        ("kernelshap", False),
        ("attention", True),
    ],
)
def test_baselines_registered(name, deterministic):
    assert get_method(name).deterministic is deterministic


@pytest.mark.parametrize("name", ["occlusion-raw", *FAITHFUL])
def test_baselines_rank_marker_first(name):
    encoded, markers = make_apps(n_apps=4, seq_len=12, seed=3)
    model = MarkerCountDetector().eval()
    for row in (0, 2):
        output = _explain(name, model, encoded.app_tokens(row))
        assert int(np.argmax(output.relevance)) == markers[row]


@pytest.mark.parametrize("name", ["gradient", "integrated-gradients"])
def test_baselines_gradients_zero_off_marker(name):
    encoded, markers = make_apps(n_apps=2, seq_len=9, seed=1)
    output = _explain(name, MarkerCountDetector().eval(), encoded.app_tokens(0))
    others = np.delete(output.relevance, markers[0])
    assert_allclose(others, 0.0, rtol=0, atol=1e-12)


def test_baselines_ig_completeness():
    # Attributions of integrated gradients sum to p(x) - p(baseline); 20 steps of a smooth
    # one-dimensional path leave an error well below 1e-2.
    encoded, _ = make_apps(n_apps=2, seq_len=9, seed=1)
    model = MarkerCountDetector().eval()
    output = _explain("integrated-gradients", model, encoded.app_tokens(0))
    p_full = torch.sigmoid(torch.tensor(4.0 - 2.0)).item()
    p_zero = torch.sigmoid(torch.tensor(-2.0)).item()
    assert_allclose(output.relevance.sum(), p_full - p_zero, rtol=0, atol=1e-2)
    assert output.extras["ig delta"] < 1e-2


def test_baselines_kernelshap_matches_shapley_value():
    # With one relevant call the Shapley value of the marker call is p(x) - p(x without it),
    # and every other call gets 0; Kernel SHAP fits that exactly.
    encoded, markers = make_apps(n_apps=2, seq_len=8, seed=2)
    output = _explain("kernelshap", MarkerCountDetector().eval(), encoded.app_tokens(0))
    p_full = torch.sigmoid(torch.tensor(2.0)).item()
    p_empty = torch.sigmoid(torch.tensor(-2.0)).item()
    assert_allclose(output.relevance[markers[0]], p_full - p_empty, rtol=1e-6, atol=1e-6)
    assert_allclose(np.delete(output.relevance, markers[0]), 0.0, rtol=0, atol=1e-6)


def test_baselines_random_seeded():
    tokens = make_apps(n_apps=1, seq_len=30)[0].app_tokens(0)
    model = MarkerCountDetector().eval()
    first = _explain("random", model, tokens, seed=1).relevance
    again = _explain("random", model, tokens, seed=1).relevance
    other = _explain("random", model, tokens, seed=2).relevance
    assert_allclose(first, again, rtol=0, atol=0)
    assert not np.array_equal(np.argsort(first), np.argsort(other))


@pytest.mark.parametrize("name", ["lime", "kernelshap"])
def test_baselines_sampling_seeded(name):
    tokens = make_apps(n_apps=1, seq_len=10)[0].app_tokens(0)
    model = _small_bilstm()
    first = _explain(name, model, tokens, seed=5).relevance
    again = _explain(name, model, tokens, seed=5).relevance
    other = _explain(name, model, tokens, seed=6).relevance
    assert_allclose(first, again, rtol=0, atol=0)
    assert not np.allclose(first, other, rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", ["lime", "kernelshap"])
def test_baselines_sampling_keeps_global_rng(name):
    tokens = make_apps(n_apps=1, seq_len=6)[0].app_tokens(0)
    model = MarkerCountDetector().eval()
    state = torch.random.get_rng_state()
    _explain(name, model, tokens)
    assert torch.equal(torch.random.get_rng_state(), state)


@pytest.mark.parametrize("name", ["random", *FAITHFUL])
def test_baselines_bilstm_shapes(name):
    tokens = make_apps(n_apps=1, seq_len=7)[0].app_tokens(0)
    output = _explain(name, _small_bilstm(n_layers=2), tokens)
    assert output.relevance.shape == (7,)
    assert np.isfinite(output.relevance).all()
    assert output.prediction_seconds >= 0.0


@pytest.mark.parametrize("name", ["gradient", "integrated-gradients"])
def test_baselines_gradients_skip_nullified(name):
    tokens = make_apps(n_apps=1, seq_len=7)[0].app_tokens(0).copy()
    tokens[[1, 4]] = NULL_ID
    output = _explain(name, _small_bilstm(), tokens)
    assert_allclose(output.relevance[[1, 4]], 0.0, rtol=0, atol=0)
    assert np.count_nonzero(output.relevance) == 5


@pytest.mark.parametrize("name", ["random", *FAITHFUL])
def test_baselines_empty_app(name):
    tokens = np.zeros((0, MAX_WORDS), dtype=np.int32)
    assert _explain(name, _small_bilstm(), tokens).relevance.shape == (0,)


def test_baselines_attention_matches_weights():
    torch.manual_seed(0)
    model = AttentionDetector(
        vocab_size=VOCAB_SIZE, max_words=MAX_WORDS, embedding_dim=4, hidden_size=3
    ).eval()
    tokens = make_apps(n_apps=1, seq_len=6)[0].app_tokens(0)
    output = _explain("attention", model, tokens)
    assert_allclose(output.relevance, model.attention_weights(tokens), rtol=1e-12, atol=0)
    assert_allclose(output.relevance.sum(), 1.0, rtol=1e-6, atol=1e-6)


def test_baselines_attention_needs_attention_model():
    tokens = make_apps(n_apps=1, seq_len=6)[0].app_tokens(0)
    with pytest.raises(DroidlensError, match="needs a detector with attention weights"):
        _explain("attention", _small_bilstm(), tokens)


def test_baselines_gradient_needs_embedding():
    class NoEmbedding(MarkerCountDetector):
        def __init__(self) -> None:
            super().__init__()
            self.words = self.embedding
            del self.embedding

    tokens = make_apps(n_apps=1, seq_len=4)[0].app_tokens(0)
    with pytest.raises(DroidlensError, match="has no 'embedding' module"):
        _explain("gradient", NoEmbedding(), tokens)


def test_baselines_rejects_batched_tokens():
    encoded, _ = make_apps(n_apps=2, seq_len=4)
    with pytest.raises(ValueError, match=r"shape \(seq_len, max_words\)"):
        _explain("lime", MarkerCountDetector(), encoded.tokens)


@pytest.mark.parametrize("model_kind", ["bilstm", "attention"])
def test_rnn_backward_mode_keeps_outputs(model_kind):
    torch.manual_seed(0)
    if model_kind == "bilstm":
        model = _small_bilstm(n_layers=2)
    else:
        model = AttentionDetector(
            vocab_size=VOCAB_SIZE, max_words=MAX_WORDS, embedding_dim=4, hidden_size=3
        ).eval()
    tokens = torch.as_tensor(make_apps(n_apps=3, seq_len=6)[0].tokens, dtype=torch.long)
    with torch.no_grad():
        before = model(tokens)
        with rnn_backward_mode(model):
            inside = model(tokens)
            lstm_modes = [m.training for m in model.modules() if isinstance(m, nn.LSTM)]
            other_modes = [m.training for m in model.modules() if not isinstance(m, nn.LSTM)]
    assert_allclose(inside.numpy(), before.numpy(), rtol=0, atol=0)
    assert all(lstm_modes)
    assert not any(other_modes)


def test_rnn_backward_mode_restores_dropout():
    model = nn.Sequential(nn.LSTM(4, 3, num_layers=2, dropout=0.3)).eval()
    with rnn_backward_mode(model):
        assert model[0].dropout == 0.0
    assert model[0].dropout == 0.3
    assert not model[0].training


def test_baselines_marker_word_fixture():
    # Guards the known-answer tests: the marker word occurs only where it was put.
    encoded, markers = make_apps(n_apps=4, seq_len=5)
    proba = MarkerCountDetector().predict_proba(encoded.tokens)
    assert (proba[:, 1] >= 0.5).tolist() == [True, False, True, False]
    assert (encoded.tokens[1] == MARKER).sum() == 0
    assert encoded.tokens[0, markers[0], 1] == MARKER


@pytest.mark.parametrize("model_kind", ["bilstm", "attention"])
def test_baselines_ig_batches_agree(model_kind):
    torch.manual_seed(0)
    if model_kind == "bilstm":
        model = _small_bilstm()
    else:
        model = AttentionDetector(
            vocab_size=VOCAB_SIZE, max_words=MAX_WORDS, embedding_dim=4, hidden_size=3
        ).eval()
    tokens = make_apps(n_apps=1, seq_len=6)[0].app_tokens(0)
    one_pass = _explain("integrated-gradients", model, tokens, options=OPTIONS)
    # A budget this small runs the 20 steps in several passes.
    small = ExplainOptions(ig_steps=20, memory_budget_mb=0.002)
    batched = _explain("integrated-gradients", model, tokens, options=small)
    assert_allclose(batched.relevance, one_pass.relevance, rtol=1e-5, atol=1e-8)
    assert one_pass.extras["ig delta"] < 1e-3
    assert batched.extras["ig delta"] < 1e-3
