"""One table from model name to detector class and default hyper-parameters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from droidlens.errors import ModelError
from droidlens.models.base import Detector
from droidlens.models.bilstm import BiLSTMDetector

__all__ = ["ModelSpec", "MODELS", "register_model", "build_model", "model_names"]


@dataclass(frozen=True)
class ModelSpec:
    """A registered detector: how to build it and with which defaults."""

    name: str
    factory: Callable[..., Detector]
    defaults: dict[str, Any] = field(default_factory=dict)
    description: str = ""


MODELS: dict[str, ModelSpec] = {}


def register_model(spec: ModelSpec) -> None:
    """Add a detector to :data:`MODELS` under ``spec.name``."""
    MODELS[spec.name] = spec


def model_names() -> list[str]:
    """Return the registered model names."""
    return sorted(MODELS)


def build_model(name: str, *, vocab_size: int, max_words: int, **overrides: Any) -> Detector:
    """Build the detector registered as ``name``.

    Parameters
    ----------
    name : str
        A name from :func:`model_names`, such as ``"bilstm1"``.
    vocab_size : int
        Number of word ids, reserved ids included.
    max_words : int
        Word slots per call.
    **overrides
        Hyper-parameters that replace the registered defaults.

    Raises
    ------
    ModelError
        If ``name`` is not registered.
    """
    spec = MODELS.get(name)
    if spec is None:
        raise ModelError(f"unknown model {name!r}; choose one of {', '.join(model_names())}")
    hparams = {**spec.defaults, **overrides}
    model = spec.factory(vocab_size=vocab_size, max_words=max_words, **hparams)
    model.model_name = name
    return model


for _layers in (1, 2, 3):
    register_model(
        ModelSpec(
            name=f"bilstm{_layers}",
            factory=BiLSTMDetector,
            defaults={"n_layers": _layers, "embedding_dim": 20, "hidden_size": 32},
            description=f"{_layers}-layer bidirectional LSTM over flattened call embeddings",
        )
    )


from droidlens.models.attention import AttentionDetector  # noqa: E402

register_model(
    ModelSpec(
        name="attention",
        factory=AttentionDetector,
        defaults={"embedding_dim": 20, "hidden_size": 32},
        description="word BiLSTM and attention per call, then call BiLSTM, batch "
        "normalisation and attention over calls",
    )
)
