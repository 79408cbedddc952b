"""The hierarchical attention detector and its context attention layer."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from droidlens.data.vocab import N_RESERVED, NULL_ID, PAD_ID
from droidlens.models.attention import AttentionDetector, ContextAttention
from droidlens.models.base import compact_calls
from droidlens.models.summary import count_parameters

VOCAB_SIZE = 30
MAX_WORDS = 5


def build(**overrides: float) -> AttentionDetector:
    torch.manual_seed(0)
    return AttentionDetector(vocab_size=VOCAB_SIZE, max_words=MAX_WORDS, **overrides).eval()


def make_app(n_calls: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    tokens = rng.integers(N_RESERVED, VOCAB_SIZE, size=(n_calls, MAX_WORDS), dtype=np.int64)
    n_words = rng.integers(1, MAX_WORDS + 1, size=n_calls)
    tokens[np.arange(MAX_WORDS) >= n_words[:, None]] = PAD_ID
    return tokens


def test_attention_parameter_counts_original() -> None:
    model = AttentionDetector(vocab_size=20761, max_words=10)
    counts = count_parameters(model)
    assert counts.trainable == 462_838
    assert counts.non_trainable == 128
    assert counts.total == 462_966


def test_attention_word_level_count_original() -> None:
    model = AttentionDetector(vocab_size=20761, max_words=10)
    word_level = [model.embedding, model.word_lstm, model.word_attention]
    assert sum(count_parameters(layer).total for layer in word_level) == 433_268


@pytest.mark.parametrize(
    ("layer", "expected"),
    [
        ("word_lstm", 13_824),
        ("word_attention", 4_224),
        ("call_lstm", 25_088),
        ("batch_norm", 256),
        ("call_attention", 4_224),
        ("dense", 130),
    ],
)
def test_attention_layer_counts(layer: str, expected: int) -> None:
    model = AttentionDetector(vocab_size=20761, max_words=10)
    assert count_parameters(getattr(model, layer)).total == expected


def test_context_attention_known_answer() -> None:
    layer = ContextAttention(2)
    with torch.no_grad():
        layer.projection.weight.copy_(torch.eye(2))
        layer.projection.bias.zero_()
        layer.context.weight.copy_(torch.tensor([[1.0, 0.0]]))
    steps = torch.tensor([[[0.0, 1.0], [1.0, 3.0], [5.0, 5.0]]])
    mask = torch.tensor([[True, True, False]])
    with torch.no_grad():
        pooled, weights = layer(steps, mask)

    # Scores tanh(0) = 0 and tanh(1); the third step is masked.
    expected = np.exp([0.0, np.tanh(1.0)]) / np.exp([0.0, np.tanh(1.0)]).sum()
    assert_allclose(weights[0, :2].numpy(), expected, rtol=1e-6, atol=0)
    assert weights[0, 2].item() == 0.0
    assert_allclose(pooled[0].numpy(), expected @ steps[0, :2].numpy(), rtol=1e-6, atol=0)


def test_context_attention_all_masked_zero() -> None:
    layer = ContextAttention(3)
    steps = torch.randn(2, 4, 3, generator=torch.Generator().manual_seed(0))
    mask = torch.tensor([[False] * 4, [True, True, False, False]])
    with torch.no_grad():
        pooled, weights = layer(steps, mask)
    assert torch.equal(pooled[0], torch.zeros(3))
    assert torch.equal(weights[0], torch.zeros(4))
    assert_allclose(weights[1].sum().item(), 1.0, rtol=0, atol=1e-6)


def test_attention_pad_word_slots_ignored() -> None:
    # The same words with more trailing PAD slots per call give the same output.
    model = build()
    wide_model = AttentionDetector(vocab_size=VOCAB_SIZE, max_words=MAX_WORDS + 3).eval()
    wide_model.load_state_dict(model.state_dict())
    app = make_app(6, seed=1)
    wide = np.concatenate([app, np.zeros((6, 3), dtype=np.int64)], axis=1)
    assert_allclose(
        wide_model.predict_proba(wide[None]), model.predict_proba(app[None]), rtol=0, atol=1e-6
    )


def test_attention_pad_inside_call_skipped() -> None:
    # A call's words are its non-PAD slots, wherever the PAD slots are.
    model = build()
    app = np.array([[5, 6, 7, PAD_ID, PAD_ID], [8, 9, PAD_ID, PAD_ID, PAD_ID]])
    gapped = np.array([[5, PAD_ID, 6, PAD_ID, 7], [8, PAD_ID, PAD_ID, 9, PAD_ID]])
    assert_allclose(
        model.predict_proba(gapped[None]), model.predict_proba(app[None]), rtol=0, atol=1e-6
    )


def test_attention_forward_compact_zero_calls() -> None:
    model = build()
    calls = torch.zeros(2, 1, MAX_WORDS, dtype=torch.long)
    logits = model.forward_compact(calls, torch.tensor([0, 0]))
    # The app vector is zero, so the logits are the dense layer's bias.
    assert_allclose(
        logits.detach().numpy(), model.dense.bias.detach().expand(2, 2).numpy(), rtol=0, atol=1e-7
    )


def test_attention_weights_sum_to_one() -> None:
    model = build()
    app = make_app(8, seed=2)
    app[3] = NULL_ID
    weights = model.attention_weights(app)
    assert weights.shape == (8,)
    assert weights[3] == 0.0
    assert_allclose(weights.sum(), 1.0, rtol=0, atol=1e-6)
    assert (weights[np.arange(8) != 3] > 0).all()


def test_attention_weights_follow_positions() -> None:
    # Nullifying a call leaves the others' weights as for the app without that call.
    model = build()
    app = make_app(8, seed=3)
    nullified = app.copy()
    nullified[2] = NULL_ID
    deleted = np.delete(app, 2, axis=0)
    assert_allclose(
        np.delete(model.attention_weights(nullified), 2),
        model.attention_weights(deleted),
        rtol=0,
        atol=1e-6,
    )


def test_attention_weights_batch() -> None:
    model = build()
    apps = np.zeros((3, 6, MAX_WORDS), dtype=np.int64)
    apps[0] = make_app(6, seed=4)
    apps[1, :2] = make_app(2, seed=5)
    weights = model.attention_weights(apps)
    assert weights.shape == (3, 6)
    assert_allclose(weights[:2].sum(axis=1), [1.0, 1.0], rtol=0, atol=1e-6)
    assert (weights[1, 2:] == 0).all()
    assert (weights[2] == 0).all()


def test_attention_weights_keep_mode() -> None:
    model = build().train()
    model.attention_weights(make_app(3, seed=6))
    assert model.training


@pytest.mark.parametrize("shape", [(5,), (1, 2, 3, MAX_WORDS)])
def test_attention_weights_bad_shape(shape: tuple[int, ...]) -> None:
    model = build()
    with pytest.raises(ValueError, match="tokens must have shape"):
        model.attention_weights(np.full(shape, 5))


def test_attention_batch_norm_statistics_real_steps() -> None:
    # In training, the running mean moves towards the mean over real calls only.
    model = build(dropout=0.0).train()
    model.batch_norm.momentum = 1.0
    apps = np.zeros((2, 9, MAX_WORDS), dtype=np.int64)
    apps[0, :3] = make_app(3, seed=7)
    apps[1, :9] = make_app(9, seed=8)
    tokens = torch.as_tensor(apps)
    with torch.no_grad():
        model(tokens)
        calls, lengths = compact_calls(tokens)
        mask = torch.arange(calls.shape[1]) < lengths.unsqueeze(1)
        call_vectors = model._encode_calls(calls, mask)
        # Reference: each app alone, so no padding step can enter the mean.
        real_steps = [
            model.call_lstm(call_vectors[i : i + 1, :n], lengths[i : i + 1])[0][0]
            for i, n in enumerate(lengths.tolist())
        ]
        states = torch.cat(real_steps)
    assert_allclose(
        model.batch_norm.running_mean.numpy(),
        states.mean(dim=0).numpy(),
        rtol=1e-5,
        atol=1e-6,
    )


def test_attention_trains_on_one_call() -> None:
    # One real call in a training batch has no batch variance and must not raise.
    model = build().train()
    running_mean = model.batch_norm.running_mean.clone()
    logits = model(torch.as_tensor(make_app(1, seed=9))[None])
    logits.sum().backward()
    assert torch.isfinite(logits).all()
    assert torch.equal(model.batch_norm.running_mean, running_mean)


def test_attention_gradients_reach_embedding() -> None:
    model = build().train()
    logits = model(torch.as_tensor(np.stack([make_app(4, seed=10), make_app(4, seed=11)])))
    logits.sum().backward()
    assert model.embedding.weight.grad is not None
    assert model.embedding.weight.grad[PAD_ID].abs().sum().item() == 0.0
    assert model.embedding.weight.grad.abs().sum().item() > 0.0
