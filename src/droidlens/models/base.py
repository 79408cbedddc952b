"""The detector base: call compaction, the output convention and batched prediction.

Every detector maps a batch of apps, ``tokens`` of shape ``(batch, n_positions, max_words)``,
to logits of shape ``(batch, 2)`` ordered ``[benign, malicious]``. Before any layer runs, the
real calls of each app are moved to the front and counted: padding calls
(:data:`~droidlens.data.vocab.PAD_ID` in the first word slot) and nullified calls
(:data:`~droidlens.data.vocab.NULL_ID`) are dropped. So

* appending padding never changes an output, and
* nullifying call ``i`` gives exactly the output of the app with call ``i`` deleted.

An app with no real call left is run over zero steps: its recurrent states stay at their
initial value, zero.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from droidlens.data.vocab import NULL_ID

__all__ = ["Detector", "compact_calls", "SpatialDropout"]


def compact_calls(tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Move each app's real calls to the front and drop padding and nullified calls.

    Parameters
    ----------
    tokens : LongTensor of shape (batch, n_positions, max_words)

    Returns
    -------
    calls : LongTensor of shape (batch, max_len, max_words)
        Real calls first, in their original order, then padding; ``max_len`` is the largest
        number of real calls in the batch (at least 1).
    lengths : LongTensor of shape (batch,)
        Number of real calls per app.
    """
    present = tokens[:, :, 0] > NULL_ID
    lengths = present.sum(dim=1)
    if bool(present.all()):
        return tokens, lengths
    # A stable sort on "absent" keeps the real calls in order and moves them to the front.
    order = torch.sort((~present).to(torch.int8), dim=1, stable=True).indices
    max_len = max(int(lengths.max()), 1)
    order = order[:, :max_len]
    calls = torch.gather(tokens, 1, order.unsqueeze(-1).expand(-1, -1, tokens.shape[2]))
    keep = torch.arange(max_len, device=tokens.device).unsqueeze(0) < lengths.unsqueeze(1)
    calls = calls * keep.unsqueeze(-1).to(calls.dtype)
    return calls, lengths


class SpatialDropout(nn.Module):
    """Drop whole feature channels across all steps, as Keras ``SpatialDropout1D`` does.

    Input and output have shape ``(batch, steps, features)``.
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = torch.empty(x.shape[0], 1, x.shape[2], device=x.device, dtype=x.dtype)
        keep.bernoulli_(1.0 - self.p)
        return x * keep / (1.0 - self.p)


class Detector(nn.Module):
    """Base class of the detectors.

    Subclasses set :attr:`model_name`, store their hyper-parameters with
    :meth:`_record_hparams`, and implement :meth:`forward_compact`.
    """

    # A class default; build_model sets the registered name on each instance, since one
    # class can serve several names (bilstm1, bilstm2, bilstm3).
    model_name: str = ""

    def __init__(self) -> None:
        super().__init__()
        self.hparams: dict[str, Any] = {}

    def _record_hparams(self, **hparams: Any) -> None:
        self.hparams = dict(hparams)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Return logits of shape ``(batch, 2)`` for ``tokens`` of shape (batch, n, max_words)."""
        calls, lengths = compact_calls(tokens)
        return self.forward_compact(calls, lengths)

    def forward_compact(self, calls: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Return logits for calls already compacted by :func:`compact_calls`."""
        raise NotImplementedError

    @property
    def device(self) -> torch.device:
        """Device of the model's parameters."""
        return next(self.parameters()).device

    @torch.no_grad()
    def predict_proba(
        self,
        tokens: np.ndarray | torch.Tensor,
        *,
        batch_size: int = 100,
        progress: Any = None,
    ) -> np.ndarray:
        """Return ``[p_benign, p_malicious]`` for each app, in eval mode, in batches.

        Parameters
        ----------
        tokens : array of shape (n_apps, n_positions, max_words)
        batch_size : int, default=100
            Apps per forward pass.
        progress : callable, optional
            Called with the number of apps finished after each batch.

        Returns
        -------
        ndarray of shape (n_apps, 2), dtype float64
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        was_training = self.training
        self.eval()
        device = self.device
        tensor = torch.as_tensor(np.asarray(tokens) if not torch.is_tensor(tokens) else tokens)
        out = np.empty((tensor.shape[0], 2), dtype=np.float64)
        # Batches of similar length waste no work on padding; rows go back to input order.
        n_real = (tensor[:, :, 0] > NULL_ID).sum(dim=1)
        order = torch.argsort(n_real, descending=True, stable=True)
        try:
            for start in range(0, tensor.shape[0], batch_size):
                rows = order[start : start + batch_size]
                batch = tensor[rows].to(device=device, dtype=torch.long)
                logits = self(batch)
                out[rows.numpy()] = torch.softmax(logits.float(), dim=1).cpu().numpy()
                if progress is not None:
                    progress(len(rows))
        finally:
            self.train(was_training)
        return out
