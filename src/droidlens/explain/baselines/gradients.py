"""Gradient-based explanations on the word embedding: gradient x input and integrated gradients.

Both methods attribute the softmax probability of the explained class (not its logit), so their
scores are on the scale of occlusion's probability changes. Attributions on the output of
``model.embedding`` are summed over a call's word slots and embedding dimensions, which gives
one relevance per call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import torch
from captum.attr import LayerGradientXActivation, LayerIntegratedGradients
from torch import nn

from droidlens.errors import ModelError
from droidlens.explain.baselines._common import app_tensor, present_positions
from droidlens.explain.batching import copies_per_batch
from droidlens.explain.options import ExplainOptions
from droidlens.explain.registry import MethodSpec, register_method
from droidlens.explain.result import MethodOutput
from droidlens.models.base import Detector

__all__ = ["rnn_backward_mode", "explain_gradient", "explain_integrated_gradients"]

# Gradients keep about this many times the memory of a forward pass.
_BACKWARD_MEMORY_FACTOR = 3


@contextmanager
def rnn_backward_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Put only the recurrent layers of ``model`` in training mode, without their dropout.

    cuDNN computes the backward pass of an RNN only in training mode. This context switches
    just the ``nn.RNNBase`` modules (LSTM, GRU) and sets their inter-layer dropout to 0, so the
    backward pass runs on a GPU while every output stays that of eval mode. Dropout and
    normalisation layers elsewhere keep their mode. Modes and dropout rates are restored on exit.

    Examples
    --------
    >>> lstm_model = nn.Sequential(nn.LSTM(4, 3, num_layers=2, dropout=0.5)).eval()
    >>> with rnn_backward_mode(lstm_model):
    ...     (lstm_model[0].training, lstm_model[0].dropout)
    (True, 0.0)
    >>> (lstm_model[0].training, lstm_model[0].dropout)
    (False, 0.5)
    """
    saved = [(m, m.training, m.dropout) for m in model.modules() if isinstance(m, nn.RNNBase)]
    try:
        for module, _, _ in saved:
            module.dropout = 0.0
            module.train(True)
        yield model
    finally:
        for module, training, dropout in saved:
            module.dropout = dropout
            module.train(training)


def _compact_forward(model: Detector, n_calls: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """Return a forward function over calls that are already compacted (all real).

    Negated word ids stand for the integrated-gradients baseline: the function then runs the
    model on the true ids with the embedding output replaced by zeros. Captum builds the
    baseline in layer space from a forward pass over input-space baselines, and an input whose
    words are all padding would give the attention model calls without words.
    """

    def forward(calls: torch.Tensor) -> torch.Tensor:
        lengths = torch.full((calls.shape[0],), n_calls, dtype=torch.long, device=calls.device)
        if not bool((calls < 0).any()):
            return torch.softmax(model.forward_compact(calls, lengths), dim=1)
        # Prepended, so that Captum's own hook on the layer records the zeros.
        handle = _embedding_layer(model).register_forward_hook(
            lambda module, inputs, output: torch.zeros_like(output), prepend=True
        )
        try:
            return torch.softmax(model.forward_compact(calls.abs(), lengths), dim=1)
        finally:
            handle.remove()

    return forward


def _embedding_layer(model: Detector) -> nn.Module:
    embedding = getattr(model, "embedding", None)
    if not isinstance(embedding, nn.Module):
        raise ModelError(
            f"{type(model).__name__} has no 'embedding' module; gradient methods attribute to "
            "the word embedding and need a detector that names it 'embedding'"
        )
    return embedding


def _embedding_rows(
    layer: nn.Module, forward: Callable[[torch.Tensor], torch.Tensor], calls: torch.Tensor
) -> int:
    """Return the size of the first dimension of ``layer``'s output for one app."""
    shapes: list[int] = []
    handle = layer.register_forward_hook(lambda module, inputs, output: shapes.append(len(output)))
    try:
        with torch.no_grad():
            forward(calls)
    finally:
        handle.remove()
    return shapes[0]


def _attribute(
    model: Detector,
    tokens: np.ndarray,
    attribute: Callable[[Callable[[torch.Tensor], torch.Tensor], torch.Tensor], torch.Tensor],
) -> MethodOutput:
    """Run ``attribute(forward, calls)`` over the real calls and spread the sums back."""
    start = time.perf_counter()
    positions = present_positions(tokens)
    relevance = np.zeros(len(tokens), dtype=np.float64)
    if len(positions) == 0:
        return MethodOutput(relevance=relevance, prediction_seconds=0.0)

    calls = app_tensor(model, np.asarray(tokens)[positions])
    forward = _compact_forward(model, len(positions))
    with rnn_backward_mode(model):
        attribution = attribute(forward, calls)
    # Attributions have the embedding output's shape (1, n_calls, max_words, embedding_dim).
    per_call = attribution.detach().reshape(1, len(positions), -1).sum(dim=2)[0]
    relevance[positions] = per_call.double().cpu().numpy()
    return MethodOutput(relevance=relevance, prediction_seconds=time.perf_counter() - start)


def explain_gradient(
    model: Detector,
    tokens: np.ndarray,
    *,
    target: int,
    rng: np.random.Generator,
    options: ExplainOptions,
) -> MethodOutput:
    """Explain one app with gradient x input on the word embedding.

    Parameters
    ----------
    model, tokens, target, rng, options
        As in :class:`~droidlens.explain.registry.ExplainFunction`; ``rng`` and ``options``
        are not used.

    Returns
    -------
    MethodOutput
        Relevance of call i: the sum over its word slots w and embedding dimensions d of
        ``e[i, w, d] * dp_target / de[i, w, d]``, where ``e`` is the embedding output.
    """
    explainer_layer = _embedding_layer(model)

    def attribute(forward: Callable[[torch.Tensor], torch.Tensor], calls: torch.Tensor):
        explainer = LayerGradientXActivation(forward, explainer_layer)
        return explainer.attribute(calls, target=target)

    return _attribute(model, tokens, attribute)


def explain_integrated_gradients(
    model: Detector,
    tokens: np.ndarray,
    *,
    target: int,
    rng: np.random.Generator,
    options: ExplainOptions,
) -> MethodOutput:
    """Explain one app with integrated gradients on the word embedding.

    Parameters
    ----------
    model, tokens, target, rng, options
        As in :class:`~droidlens.explain.registry.ExplainFunction`; ``options.ig_steps`` sets
        the steps of the Riemann sum and ``options.memory_budget_mb`` how many run per batch.

    Returns
    -------
    MethodOutput
        Per-call sums of the attributions; ``extras["ig delta"]`` is the convergence delta,
        the absolute gap between their total and ``p_target(x) - p_target(baseline)``.

    Notes
    -----
    The baseline is the all-zero embedding output, the value that
    :data:`~droidlens.data.vocab.PAD_ID` slots have. The embedding of the null call is not
    used because detectors drop null calls before the embedding, so that row is never trained.
    The path keeps every call and word in place and scales their embeddings from 0 to their
    values.
    """
    explainer_layer = _embedding_layer(model)
    delta: list[float] = []

    def attribute(forward: Callable[[torch.Tensor], torch.Tensor], calls: torch.Tensor):
        explainer = LayerIntegratedGradients(forward, explainer_layer)
        copies = copies_per_batch(
            model, seq_len=calls.shape[1], memory_budget_mb=options.memory_budget_mb
        )
        steps_per_pass = max(1, copies // _BACKWARD_MEMORY_FACTOR)
        # Captum counts a batch in rows of the layer output, which is one row per app for the
        # BiLSTM but one row per call for the attention model's word embedding.
        rows = _embedding_rows(explainer_layer, forward, calls)
        attribution = explainer.attribute(
            calls,
            baselines=-calls,
            target=target,
            n_steps=options.ig_steps,
            internal_batch_size=steps_per_pass * rows,
        )
        # Captum's own delta assumes the layer output is batch-first, which the attention
        # model's word embedding is not, so the gap is computed here.
        with torch.no_grad():
            gap = forward(calls)[0, target] - forward(-calls)[0, target]
        delta.append(abs(float(attribution.sum()) - float(gap)))
        return attribution

    output = _attribute(model, tokens, attribute)
    output.extras["ig delta"] = delta[0] if delta else 0.0
    return output


register_method(
    MethodSpec(
        name="gradient",
        explain=explain_gradient,
        deterministic=True,
        description="gradient x input on the word embedding, summed per call",
    )
)
register_method(
    MethodSpec(
        name="integrated-gradients",
        explain=explain_integrated_gradients,
        deterministic=True,
        description="integrated gradients from the zero embedding, summed per call",
    )
)
