"""The model registry: every registered detector builds, at the original sizes."""

from __future__ import annotations

import pytest
import torch

from droidlens.errors import ModelError
from droidlens.models.base import Detector
from droidlens.models.registry import build_model, model_names
from droidlens.models.summary import count_parameters


def test_registry_names() -> None:
    assert {"bilstm1", "bilstm2", "bilstm3", "attention"} <= set(model_names())


@pytest.mark.parametrize("name", model_names())
def test_registry_every_name_builds(name: str) -> None:
    model = build_model(name, vocab_size=25, max_words=3).eval()
    assert isinstance(model, Detector)
    assert model.model_name == name
    logits = model(torch.full((2, 4, 3), 5, dtype=torch.long))
    assert logits.shape == (2, 2)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("bilstm1", 475_254), ("bilstm2", 500_342), ("bilstm3", 525_430), ("attention", 462_966)],
)
def test_registry_original_parameter_counts(name: str, expected: int) -> None:
    model = build_model(name, vocab_size=20_761, max_words=10)
    assert count_parameters(model).total == expected


def test_registry_overrides_defaults() -> None:
    model = build_model("attention", vocab_size=25, max_words=3, hidden_size=8)
    assert model.hparams["hidden_size"] == 8
    assert model.call_lstm.hidden_size == 8


def test_registry_unknown_name() -> None:
    with pytest.raises(ModelError, match=r"unknown model 'gru'; choose one of .*attention"):
        build_model("gru", vocab_size=25, max_words=3)
