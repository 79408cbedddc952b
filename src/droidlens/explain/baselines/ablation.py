"""Captum's feature ablation with one feature per call: a reference for droidlens' occlusion."""

from __future__ import annotations

import numpy as np
import torch
from captum.attr import FeatureAblation

from droidlens.data.vocab import NULL_ID
from droidlens.explain.baselines._common import app_tensor, probability_forward
from droidlens.explain.baselines.sampling import call_feature_mask
from droidlens.explain.batching import copies_per_batch
from droidlens.explain.options import ExplainOptions
from droidlens.models.base import Detector

__all__ = ["ablate_calls"]


def ablate_calls(
    model: Detector, tokens: np.ndarray, *, target: int, options: ExplainOptions
) -> np.ndarray:
    """Return ``p_target(app) - p_target(app without call i)`` for every call i, with Captum.

    Parameters
    ----------
    model, tokens, target, options
        As in :class:`~droidlens.explain.registry.ExplainFunction`;
        ``options.memory_budget_mb`` sets how many copies run per forward pass.

    Returns
    -------
    ndarray of shape (seq_len,)
        The raw occlusion values; removing a call is nullifying it.
    """
    if len(tokens) == 0:
        return np.zeros(0, dtype=np.float64)
    inputs = app_tensor(model, tokens)
    per_eval = copies_per_batch(
        model, seq_len=inputs.shape[1], memory_budget_mb=options.memory_budget_mb
    )
    with torch.no_grad():
        attribution = FeatureAblation(probability_forward(model)).attribute(
            inputs,
            baselines=NULL_ID,
            target=target,
            feature_mask=call_feature_mask(inputs),
            perturbations_per_eval=per_eval,
        )
    return attribution[0, :, 0].double().cpu().numpy()
