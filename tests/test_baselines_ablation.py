"""Captum's feature ablation over calls against droidlens' own occlusion."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from droidlens.explain.baselines import ablate_calls
from droidlens.explain.options import ExplainOptions
from droidlens.models.bilstm import BiLSTMDetector
from fidelity_models import MAX_WORDS, VOCAB_SIZE, MarkerCountDetector, make_apps


def test_ablate_calls_marker_model():
    encoded, markers = make_apps(n_apps=2, seq_len=7, seed=0)
    values = ablate_calls(
        MarkerCountDetector().eval(), encoded.app_tokens(0), target=1, options=ExplainOptions()
    )
    drop = 1 / (1 + np.exp(-2.0)) - 1 / (1 + np.exp(2.0))
    expected = np.zeros(7)
    expected[markers[0]] = drop
    assert_allclose(values, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("target", [0, 1])
def test_ablate_calls_matches_synthetic_y(target):
    occlusion = pytest.importorskip("droidlens.explain.occlusion", reason="occlusion not present")
    torch.manual_seed(0)
    model = BiLSTMDetector(
        vocab_size=VOCAB_SIZE, max_words=MAX_WORDS, embedding_dim=4, hidden_size=5
    ).eval()
    tokens = make_apps(n_apps=1, seq_len=9, seed=1)[0].app_tokens(0)
    # A small budget forces several forward passes, so batching is part of the check.
    options = ExplainOptions(memory_budget_mb=0.001)

    values = ablate_calls(model, tokens, target=target, options=options)
    synthetic_y, _ = occlusion.synthetic_y(model, tokens, memory_budget_mb=0.001)
    p_full = model.predict_proba(tokens[None])[0, target]
    # float32 forward passes agree to about 1e-7; 1e-6 leaves room for batch-size effects.
    assert_allclose(values, p_full - synthetic_y[:, target], rtol=0, atol=1e-6)
