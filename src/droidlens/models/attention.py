"""Hierarchical attention detector: words to call vectors, calls to an app vector."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from droidlens.data.vocab import NULL_ID, PAD_ID
from droidlens.models.base import Detector, compact_calls
from droidlens.models.recurrent import BiLSTM

__all__ = ["ContextAttention", "AttentionDetector"]


class ContextAttention(nn.Module):
    """Attention pooling with a learned context vector, as in hierarchical attention networks.

    Parameters
    ----------
    n_features : int
        Size of each step's vector.

    Notes
    -----
    For steps ``h_t`` the score is ``s_t = u . tanh(W h_t + b)``; the weights are the softmax
    of the scores over the unmasked steps and the output is ``sum_t a_t h_t`` (Yang et al.,
    "Hierarchical Attention Networks for Document Classification", NAACL 2016). ``W`` is
    ``n_features x n_features``, so the layer has ``n_features * (n_features + 2)``
    parameters: 4,224 for 64 features.
    """

    def __init__(self, n_features: int) -> None:
        super().__init__()
        self.projection = nn.Linear(n_features, n_features)
        self.context = nn.Linear(n_features, 1, bias=False)

    def forward(self, steps: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Pool ``steps`` of shape (batch, n_steps, n_features) over the steps where ``mask``.

        Returns
        -------
        pooled : Tensor of shape (batch, n_features)
            Zero for a row whose mask is all false.
        weights : Tensor of shape (batch, n_steps)
            Zero at masked steps; each row sums to 1 unless its mask is all false.
        """
        scores = self.context(torch.tanh(self.projection(steps))).squeeze(-1)
        scores = scores.masked_fill(~mask, float("-inf"))
        # A row with no step would give 0/0; its scores become finite and its weights zero.
        scores = scores.masked_fill(~mask.any(dim=1, keepdim=True), 0.0)
        weights = torch.softmax(scores.float(), dim=1) * mask
        pooled = torch.bmm(weights.unsqueeze(1).to(steps.dtype), steps).squeeze(1)
        return pooled, weights


class AttentionDetector(Detector):
    """Word-level BiLSTM and attention per call, then call-level BiLSTM and attention.

    Per call: word embedding, a BiLSTM over the call's words and a :class:`ContextAttention`
    over them give a call vector of ``2 * hidden_size`` values. Then dropout, a BiLSTM over
    the calls returning every step, batch normalisation of each step, a
    :class:`ContextAttention` over the calls, dropout and a 2-way linear layer.

    Parameters
    ----------
    vocab_size : int
        Number of word ids, reserved ids included.
    max_words : int, default=10
        Word slots per call.
    embedding_dim : int, default=20
    hidden_size : int, default=32
        LSTM units per direction, in both BiLSTMs.
    dropout : float, default=0.5
        Rate of both dropout layers.

    Notes
    -----
    A call's words are its non-PAD word slots; a real call has at least one. PAD slots are
    removed before the word BiLSTM, so they change neither the LSTM states nor the attention.
    Batch normalisation is applied to the real calls only. In training its batch statistics
    are taken over the real calls of the batch, so padding changes no output in either mode.

    With ``vocab_size=20761`` the model has 462,838 trainable parameters: embedding 415,220,
    word BiLSTM 13,824, word attention 4,224 (433,268 per call as in the original), call
    BiLSTM 25,088, batch normalisation 128, call attention 4,224 and linear layer 130. The
    batch normalisation also keeps 128 running means and variances, 462,966 values in all.
    """

    model_name = "attention"

    def __init__(
        self,
        *,
        vocab_size: int,
        max_words: int = 10,
        embedding_dim: int = 20,
        hidden_size: int = 32,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self._record_hparams(
            vocab_size=vocab_size,
            max_words=max_words,
            embedding_dim=embedding_dim,
            hidden_size=hidden_size,
            dropout=dropout,
        )
        n_features = 2 * hidden_size
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD_ID)
        self.word_lstm = BiLSTM(embedding_dim, hidden_size)
        self.word_attention = ContextAttention(n_features)
        self.call_dropout = nn.Dropout(dropout)
        self.call_lstm = BiLSTM(n_features, hidden_size)
        self.batch_norm = nn.BatchNorm1d(n_features)
        self.call_attention = ContextAttention(n_features)
        self.app_dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(n_features, 2)

    @property
    def n_features(self) -> int:
        """Size of a call vector and of the app vector, ``2 * hidden_size``."""
        return 2 * self.call_lstm.hidden_size

    def forward_compact(self, calls: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        logits, _ = self._forward_with_weights(calls, lengths)
        return logits

    @torch.no_grad()
    def attention_weights(self, tokens: np.ndarray | torch.Tensor) -> np.ndarray:
        """Return the call-level attention weight of every position, in eval mode.

        Parameters
        ----------
        tokens : array of shape (n_positions, max_words) or (n_apps, n_positions, max_words)
            One app or a batch of apps.

        Returns
        -------
        ndarray of shape (n_positions,) or (n_apps, n_positions), dtype float64
            Zero at padding and nullified positions; an app's weights over its real calls
            sum to 1. An app with no real call gets all zeros.

        Raises
        ------
        ValueError
            If ``tokens`` has neither 2 nor 3 dimensions.
        """
        tensor = torch.as_tensor(tokens if torch.is_tensor(tokens) else np.asarray(tokens))
        if tensor.dim() not in (2, 3):
            raise ValueError(
                "tokens must have shape (n_positions, max_words) or "
                f"(n_apps, n_positions, max_words), got {tuple(tensor.shape)}"
            )
        single = tensor.dim() == 2
        batch = tensor.unsqueeze(0) if single else tensor
        batch = batch.to(device=self.device, dtype=torch.long)

        was_training = self.training
        self.eval()
        try:
            calls, lengths = compact_calls(batch)
            _, compact_weights = self._forward_with_weights(calls, lengths)
        finally:
            self.train(was_training)

        # Scatter the weights of the compacted calls back to the input positions.
        present = batch[:, :, 0] > NULL_ID
        weights = torch.zeros(batch.shape[:2], dtype=torch.float64, device=batch.device)
        keep = torch.arange(calls.shape[1], device=batch.device) < lengths.unsqueeze(1)
        weights[present] = compact_weights[keep].double()
        result = weights.cpu().numpy()
        return result[0] if single else result

    def _forward_with_weights(
        self, calls: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the logits and the call-level attention weights (batch, max_len)."""
        mask = torch.arange(calls.shape[1], device=calls.device) < lengths.unsqueeze(1)
        call_vectors = self.call_dropout(self._encode_calls(calls, mask))
        steps = self._call_steps(call_vectors, lengths)
        app_vectors, weights = self.call_attention(steps, mask)
        return self.dense(self.app_dropout(app_vectors)), weights

    def _encode_calls(self, calls: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Return call vectors (batch, max_len, n_features), zero at padding steps."""
        real_calls = calls[mask]
        vectors = self._encode_words(real_calls)
        out = vectors.new_zeros((*calls.shape[:2], vectors.shape[1]))
        out[mask] = vectors
        return out

    def _encode_words(self, real_calls: torch.Tensor) -> torch.Tensor:
        """Run the word BiLSTM and attention over each call's non-PAD words."""
        n_calls, max_words = real_calls.shape
        if n_calls == 0:
            return self.embedding.weight.new_zeros((0, self.n_features))

        # Move each call's words before its PAD slots; a stable sort keeps their order.
        is_pad = real_calls == PAD_ID
        order = torch.sort(is_pad.to(torch.int8), dim=1, stable=True).indices
        words = torch.gather(real_calls, 1, order)
        n_words = (~is_pad).sum(dim=1)

        states, _ = self.word_lstm(self.embedding(words), n_words.clamp(min=1))
        word_mask = torch.arange(max_words, device=words.device) < n_words.unsqueeze(1)
        vectors, _ = self.word_attention(states, word_mask)
        return vectors

    def _call_steps(self, call_vectors: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Run the call BiLSTM and batch normalisation over the real calls of each app.

        Returns every step, shape (batch, max_len, n_features), zero at padding steps and
        for apps without a real call.
        """
        batch, max_len, n_features = call_vectors.shape
        nonempty = lengths > 0
        out = call_vectors.new_zeros((batch, max_len, n_features))
        if not bool(nonempty.any()):
            return out

        states, _ = self.call_lstm(call_vectors[nonempty], lengths[nonempty])
        # Batch statistics come from the real steps only, never from padding.
        real = torch.arange(max_len, device=states.device) < lengths[nonempty].unsqueeze(1)
        normalised = states.new_zeros(states.shape)
        normalised[real] = self._normalise(states[real])
        out = out.to(normalised.dtype)
        out[nonempty] = normalised
        return out

    def _normalise(self, steps: torch.Tensor) -> torch.Tensor:
        """Apply batch normalisation to real steps of shape (n_steps, n_features)."""
        if self.training and steps.shape[0] < 2:
            # NOTE: one step has no batch variance, and torch raises on it in training. It is
            # normalised with the running statistics instead, which it leaves unchanged.
            norm = self.batch_norm
            return nn.functional.batch_norm(
                steps,
                norm.running_mean,
                norm.running_var,
                norm.weight,
                norm.bias,
                training=False,
                eps=norm.eps,
            )
        return self.batch_norm(steps)
