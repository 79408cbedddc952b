"""Stacked bidirectional LSTM detectors (1, 2 or 3 layers), as in the original system."""

from __future__ import annotations

from typing import cast

import numpy as np
import torch
from torch import nn

from droidlens.data.vocab import PAD_ID
from droidlens.models.base import Detector, SpatialDropout
from droidlens.models.deletion import deletion_final_states
from droidlens.models.recurrent import BiLSTM

__all__ = ["BiLSTMDetector"]


class BiLSTMDetector(Detector):
    """Word embedding, flattened calls, spatial dropout, stacked BiLSTM, dropout, softmax.

    Parameters
    ----------
    vocab_size : int
        Number of word ids, reserved ids included.
    max_words : int, default=10
        Word slots per call; a call becomes a vector of ``max_words * embedding_dim`` values.
    embedding_dim : int, default=20
    hidden_size : int, default=32
        LSTM units per direction.
    n_layers : int, default=1
        Stacked BiLSTM layers; each upper layer reads the ``2 * hidden_size`` outputs below.
    spatial_dropout : float, default=0.2
        Rate of :class:`~droidlens.models.base.SpatialDropout` on the call vectors.
    dropout : float, default=0.5
        Dropout on the final states before the dense layer.

    Notes
    -----
    With ``vocab_size=20761`` the parameter counts are 475,254 (1 layer), 500,342 (2) and
    525,430 (3): the embedding has 415,220, the first BiLSTM 59,904, each further BiLSTM
    25,088 and the dense layer 130. PyTorch LSTMs carry two bias vectors, as cuDNN does.
    """

    model_name = "bilstm"

    def __init__(
        self,
        *,
        vocab_size: int,
        max_words: int = 10,
        embedding_dim: int = 20,
        hidden_size: int = 32,
        n_layers: int = 1,
        spatial_dropout: float = 0.2,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self._record_hparams(
            vocab_size=vocab_size,
            max_words=max_words,
            embedding_dim=embedding_dim,
            hidden_size=hidden_size,
            n_layers=n_layers,
            spatial_dropout=spatial_dropout,
            dropout=dropout,
        )
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD_ID)
        self.spatial_dropout = SpatialDropout(spatial_dropout)
        self.lstm = BiLSTM(max_words * embedding_dim, hidden_size, n_layers=n_layers)
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(2 * hidden_size, 2)

    def embed_calls(self, calls: torch.Tensor) -> torch.Tensor:
        """Return call vectors of shape (batch, n_calls, max_words * embedding_dim)."""
        embedded = self.embedding(calls)
        return embedded.flatten(start_dim=2)

    def forward_compact(self, calls: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = self.spatial_dropout(self.embed_calls(calls))
        final = self.final_states(x, lengths)
        return self.dense(self.dropout(final))

    def final_states(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Return the last layer's final forward and backward states, shape (batch, 2 * hidden).

        Apps of length 0 are run over one step and their states then reset to zero, the
        value an LSTM keeps over zero steps.
        """
        empty = lengths == 0
        _, final = self.lstm(x, lengths.clamp(min=1))
        if bool(empty.any()):
            final = final.masked_fill(empty.unsqueeze(1), 0.0)
        return final

    @torch.no_grad()
    def occlusion_outputs(self, tokens: np.ndarray) -> np.ndarray | None:
        """Return ``[p_benign, p_malicious]`` for every copy of one app with one call deleted.

        Exact up to floating-point rounding, and much faster than predicting the copies,
        for the 1-layer model; returns None for stacked models, whose upper layers change
        everywhere when a call goes.

        Parameters
        ----------
        tokens : ndarray of shape (seq_len, max_words)
            One app's real calls, none of them padding or nullified.
        """
        if len(self.lstm.forward_layers) != 1:
            return None
        was_training = self.training
        self.eval()
        try:
            calls = torch.as_tensor(np.asarray(tokens), dtype=torch.long, device=self.device)
            x = self.embed_calls(calls[None])[0]
            finals = []
            directions = (
                (cast(nn.LSTM, self.lstm.forward_layers[0]), 1),
                (cast(nn.LSTM, self.lstm.backward_layers[0]), -1),
            )
            for lstm, order in directions:
                projected = (
                    x @ lstm.get_parameter("weight_ih_l0").t()
                    + lstm.get_parameter("bias_ih_l0")
                    + lstm.get_parameter("bias_hh_l0")
                )
                if order == -1:
                    projected = projected.flip(0)
                states = deletion_final_states(projected, lstm)
                finals.append(states if order == 1 else states.flip(0))
            logits = self.dense(torch.cat(finals, dim=1))
            return torch.softmax(logits.double(), dim=1).cpu().numpy()
        finally:
            self.train(was_training)
