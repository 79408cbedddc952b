"""Attention weights of the attention detector, read as call relevances."""

from __future__ import annotations

import time

import numpy as np
import torch

from droidlens.errors import DroidlensError, ModelError
from droidlens.explain.baselines._common import app_tensor, present_positions
from droidlens.explain.options import ExplainOptions
from droidlens.explain.registry import MethodSpec, register_method
from droidlens.explain.result import MethodOutput
from droidlens.models.base import Detector

__all__ = ["explain_attention"]


def explain_attention(
    model: Detector,
    tokens: np.ndarray,
    *,
    target: int,
    rng: np.random.Generator,
    options: ExplainOptions,
) -> MethodOutput:
    """Use the detector's call-level attention weights as relevances.

    Parameters
    ----------
    model, tokens, target, rng, options
        As in :class:`~droidlens.explain.registry.ExplainFunction`; ``model`` must have an
        ``attention_weights(tokens)`` method. ``target`` is not used: attention weights are the
        same whichever class is explained.

    Returns
    -------
    MethodOutput
        One weight per call; nullified calls get 0.

    Raises
    ------
    DroidlensError
        If ``model`` has no attention weights.
    ModelError
        If the weights do not have one value per call.
    """
    attention_weights = getattr(model, "attention_weights", None)
    if not callable(attention_weights):
        raise DroidlensError(
            f"method 'attention' needs a detector with attention weights, got "
            f"{type(model).__name__}; train an attention model or choose another method"
        )

    start = time.perf_counter()
    relevance = np.zeros(len(tokens), dtype=np.float64)
    positions = present_positions(tokens)
    if len(positions) == 0:
        return MethodOutput(relevance=relevance)
    with torch.no_grad():
        weights = attention_weights(app_tensor(model, tokens))
    weights = np.asarray(torch.as_tensor(weights).detach().double().cpu()).reshape(-1)

    # Weights come either per input position or per real call after compaction.
    if len(weights) == len(tokens):
        relevance[positions] = weights[positions]
    elif len(weights) == len(positions):
        relevance[positions] = weights
    else:
        raise ModelError(
            f"attention_weights returned {len(weights)} values for an app of {len(tokens)} "
            f"positions ({len(positions)} real calls); expected one value per call"
        )
    return MethodOutput(relevance=relevance, prediction_seconds=time.perf_counter() - start)


register_method(
    MethodSpec(
        name="attention",
        explain=explain_attention,
        deterministic=True,
        description="call-level attention weights of the attention detector",
    )
)
