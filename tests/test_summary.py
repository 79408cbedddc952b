"""Layer tables and parameter counts of detectors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from droidlens.models.registry import build_model
from droidlens.models.summary import ParameterCounts, count_parameters, summarize


def test_count_parameters_batch_norm_buffers() -> None:
    counts = count_parameters(nn.BatchNorm1d(64))
    assert counts == ParameterCounts(trainable=128, non_trainable=128)
    assert counts.total == 256


def test_count_parameters_frozen() -> None:
    layer = nn.Linear(3, 2)
    layer.weight.requires_grad_(False)
    assert count_parameters(layer) == ParameterCounts(trainable=2, non_trainable=6)


def test_summarize_attention_original_counts() -> None:
    model = build_model("attention", vocab_size=20_761, max_words=10)
    table = summarize(model, n_calls=20)
    assert "Total params: 462,966" in table
    assert "Trainable params: 462,838" in table
    assert "Non-trainable params: 128" in table


def test_summarize_attention_rows() -> None:
    model = build_model("attention", vocab_size=20_761, max_words=10)
    lines = summarize(model, n_calls=20).splitlines()
    rows = {line.split()[0]: line.split(maxsplit=2)[2] for line in lines if " (" in line[:40]}
    assert rows["embedding"].split() == ["(20,", "10,", "20)", "415,220"]
    assert rows["word_attention"].split() == ["(20,", "64)", "4,224"]
    assert rows["call_lstm"].split() == ["(1,", "20,", "64)", "25,088"]
    assert rows["batch_norm"].split() == ["(20,", "64)", "256"]
    assert rows["dense"].split() == ["(1,", "2)", "130"]


@pytest.mark.parametrize(
    ("name", "total"), [("bilstm1", "475,254"), ("bilstm2", "500,342"), ("bilstm3", "525,430")]
)
def test_summarize_bilstm_totals(name: str, total: str) -> None:
    model = build_model(name, vocab_size=20_761, max_words=10)
    table = summarize(model, n_calls=15)
    assert f"Total params: {total}" in table
    assert "lstm (BiLSTM)                         (1, 15, 64)" in table


def test_summarize_keeps_mode_and_hooks() -> None:
    model = build_model("attention", vocab_size=30, max_words=4).train()
    summarize(model, n_calls=5)
    assert model.training
    assert all(not child._forward_hooks for child in model.children())


def test_summarize_default_max_words_from_model() -> None:
    model = build_model("bilstm1", vocab_size=30, max_words=4)
    assert "(one app of 3 calls x 4 words)" in summarize(model, n_calls=3)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_calls": 0}, "n_calls must be a positive integer, got 0"),
        ({"n_calls": 2.5}, "n_calls must be a positive integer"),
        ({"max_words": 7}, "max_words=7 differs from the model's max_words=4"),
    ],
)
def test_summarize_invalid_options(options: dict[str, float], message: str) -> None:
    model = build_model("bilstm1", vocab_size=30, max_words=4)
    with pytest.raises(ValueError, match=message):
        summarize(model, **options)  # type: ignore[arg-type]


def test_summarize_runs_without_gradients() -> None:
    model = build_model("attention", vocab_size=30, max_words=4)
    summarize(model, n_calls=4)
    assert all(parameter.grad is None for parameter in model.parameters())
    assert torch.is_grad_enabled()
