"""Choose how many perturbed copies of an app go through the model at once."""

from __future__ import annotations

from droidlens.models.base import Detector

__all__ = ["copies_per_batch"]

_BYTES_PER_FLOAT = 4
# Activations kept per call in a forward pass, in floats, per unit of hidden size and word
# slot. An estimate from the layer shapes (embeddings, LSTM gates and outputs), not measured.
_OVERHEAD = 3


def copies_per_batch(model: Detector, *, seq_len: int, memory_budget_mb: float) -> int:
    """Return how many copies of a ``seq_len``-call app fit in ``memory_budget_mb``.

    The estimate counts the word embeddings of every call and the recurrent activations of
    every layer; it is at least 1.
    """
    hparams = model.hparams
    words = int(hparams.get("max_words", 10)) * int(hparams.get("embedding_dim", 20))
    hidden = 8 * int(hparams.get("hidden_size", 32)) * int(hparams.get("n_layers", 1) or 1)
    per_call = _OVERHEAD * _BYTES_PER_FLOAT * (words + hidden + 64)
    per_copy = max(seq_len, 1) * per_call
    return max(1, int(memory_budget_mb * 2**20 // per_copy))
