"""Layer tables of a detector, in the style of Keras model summaries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from droidlens.data.vocab import N_RESERVED

__all__ = ["ParameterCounts", "count_parameters", "summarize"]

_RULE_WIDTH = 78
_COLUMNS = (38, 24, 16)


@dataclass(frozen=True)
class ParameterCounts:
    """Parameter counts of a module, as Keras reports them.

    Attributes
    ----------
    trainable : int
        Values of parameters with ``requires_grad``.
    non_trainable : int
        Values of frozen parameters plus floating-point buffers, such as the running means
        and variances of batch normalisation. Integer buffers (``num_batches_tracked``) are
        not counted.
    """

    trainable: int
    non_trainable: int

    @property
    def total(self) -> int:
        """Sum of trainable and non-trainable values."""
        return self.trainable + self.non_trainable


def count_parameters(module: nn.Module) -> ParameterCounts:
    """Count the trainable and non-trainable values of ``module`` and its children.

    Parameters
    ----------
    module : torch.nn.Module

    Returns
    -------
    ParameterCounts
    """
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in module.parameters() if not p.requires_grad)
    buffers = sum(b.numel() for b in module.buffers() if b.is_floating_point())
    return ParameterCounts(trainable=trainable, non_trainable=frozen + buffers)


def summarize(model: nn.Module, *, n_calls: int = 2000, max_words: int | None = None) -> str:
    """Describe each top-level layer of ``model`` with its output shape and parameter count.

    The model runs once, in eval mode and without gradients, on one dummy app of ``n_calls``
    calls with every word slot filled. Forward hooks record each layer's output shape.

    Parameters
    ----------
    model : Detector
        A detector with an ``embedding`` layer and ``hparams``.
    n_calls : int, default=2000
        Calls of the dummy app; the original system cut apps to 2000.
    max_words : int, optional
        Word slots per call. Defaults to the model's ``hparams["max_words"]``.

    Returns
    -------
    str
        A table with the columns Layer (type), Output shape and Param #, followed by the
        total, trainable and non-trainable counts of :func:`count_parameters`.

    Raises
    ------
    ValueError
        If ``n_calls`` is below 1, or ``max_words`` differs from the model's.

    Notes
    -----
    Shapes are those of the dummy batch of one app, so the first dimension is 1 where Keras
    would print ``None``. Layers that run once per call (the attention model's word level)
    show ``n_calls`` as their first dimension. A packed sequence is shown with its padded
    shape (batch, steps, features).
    """
    max_words = _check_summary_options(model, n_calls=n_calls, max_words=max_words)
    tokens = _dummy_tokens(model, n_calls=n_calls, max_words=max_words)
    shapes = _record_output_shapes(model, tokens)

    rows = []
    for name, child in model.named_children():
        kind = type(child).__name__
        shape = shapes.get(name, "not run")
        rows.append((f"{name} ({kind})", shape, f"{count_parameters(child).total:,}"))
    counts = count_parameters(model)

    lines = [
        f'Model: "{getattr(model, "model_name", type(model).__name__)}" '
        f"(one app of {n_calls} calls x {max_words} words)",
        "_" * _RULE_WIDTH,
        _format_row(("Layer (type)", "Output shape", "Param #")),
        "=" * _RULE_WIDTH,
    ]
    for index, row in enumerate(rows):
        lines.append(_format_row(row))
        lines.append(("=" if index == len(rows) - 1 else "_") * _RULE_WIDTH)
    lines += [
        f"Total params: {counts.total:,}",
        f"Trainable params: {counts.trainable:,}",
        f"Non-trainable params: {counts.non_trainable:,}",
        "_" * _RULE_WIDTH,
    ]
    return "\n".join(lines)


def _check_summary_options(model: nn.Module, *, n_calls: int, max_words: int | None) -> int:
    if isinstance(n_calls, bool) or not isinstance(n_calls, int) or n_calls < 1:
        raise ValueError(f"n_calls must be a positive integer, got {n_calls!r}")
    model_words = getattr(model, "hparams", {}).get("max_words")
    if max_words is None:
        return int(model_words) if model_words is not None else 10
    if model_words is not None and max_words != model_words:
        raise ValueError(
            f"max_words={max_words} differs from the model's max_words={model_words}; "
            "leave max_words unset to use the model's"
        )
    return max_words


def _dummy_tokens(model: nn.Module, *, n_calls: int, max_words: int) -> torch.Tensor:
    """Return one app of real calls, every word slot filled with a regular word id."""
    embedding = getattr(model, "embedding", None)
    vocab_size = embedding.num_embeddings if isinstance(embedding, nn.Embedding) else N_RESERVED + 1
    word_id = min(N_RESERVED, vocab_size - 1)
    device = next(model.parameters()).device
    return torch.full((1, n_calls, max_words), word_id, dtype=torch.long, device=device)


def _record_output_shapes(model: nn.Module, tokens: torch.Tensor) -> dict[str, str]:
    shapes: dict[str, str] = {}

    def make_hook(name: str) -> Any:
        def hook(module: nn.Module, inputs: Any, output: Any) -> None:
            shapes.setdefault(name, _describe_shape(output))

        return hook

    handles = [
        child.register_forward_hook(make_hook(name)) for name, child in model.named_children()
    ]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(tokens)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return shapes


def _describe_shape(output: Any) -> str:
    """Return the shape of a layer output: a tensor, a packed sequence or a tuple's first item."""
    if isinstance(output, PackedSequence):
        batch = int(output.batch_sizes[0])
        steps = len(output.batch_sizes)
        return str((batch, steps, *output.data.shape[1:]))
    if isinstance(output, torch.Tensor):
        return str(tuple(output.shape))
    if isinstance(output, Sequence) and output:
        return _describe_shape(output[0])
    return "?"


def _format_row(cells: tuple[str, str, str]) -> str:
    return "".join(cell.ljust(width) for cell, width in zip(cells, _COLUMNS, strict=True)).rstrip()
