"""A stacked bidirectional LSTM over padded batches, without packed sequences.

Each direction is its own single-layer ``nn.LSTM``. The backward direction reads every sequence
reversed within its own length, so steps after a sequence's end never reach a real step's
state: the outputs at real steps and the final states equal those of packed sequences. Packing is
avoided for speed. On the CPU, PyTorch 2.13's backward pass through a packed LSTM of uneven
lengths took 224 s for 100 sequences of 1,864 to 2,000 steps, against 1.2 s padded (one
measurement on a loaded 2-core machine, not a recorded benchmark).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["BiLSTM", "reverse_within_length"]


def reverse_within_length(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each sequence of ``x`` (batch, steps, features) within its first ``lengths`` steps.

    Steps past a sequence's length stay where they are. Applying it twice restores ``x``.
    """
    steps = torch.arange(x.shape[1], device=x.device).unsqueeze(0)
    lengths = lengths.to(x.device).unsqueeze(1)
    index = torch.where(steps < lengths, lengths - 1 - steps, steps)
    return torch.gather(x, 1, index.unsqueeze(-1).expand(-1, -1, x.shape[2]))


class BiLSTM(nn.Module):
    """Stacked bidirectional LSTM; each upper layer reads both directions of the layer below.

    Parameters
    ----------
    input_size : int
    hidden_size : int
        Units per direction.
    n_layers : int, default=1

    Notes
    -----
    Each direction of a layer has ``4 * (hidden * (inputs + hidden) + 2 * hidden)``
    parameters, as ``nn.LSTM`` and cuDNN count them (two bias vectors).
    """

    def __init__(self, input_size: int, hidden_size: int, *, n_layers: int = 1) -> None:
        super().__init__()
        if n_layers < 1:
            raise ValueError(f"n_layers must be at least 1, got {n_layers}")
        self.hidden_size = hidden_size
        self.forward_layers = nn.ModuleList()
        self.backward_layers = nn.ModuleList()
        for layer in range(n_layers):
            inputs = input_size if layer == 0 else 2 * hidden_size
            self.forward_layers.append(nn.LSTM(inputs, hidden_size, batch_first=True))
            self.backward_layers.append(nn.LSTM(inputs, hidden_size, batch_first=True))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the layers over ``x`` of shape (batch, steps, input_size).

        Parameters
        ----------
        x : Tensor of shape (batch, steps, input_size)
        lengths : LongTensor of shape (batch,)
            Real steps per sequence, each at least 1.

        Returns
        -------
        outputs : Tensor of shape (batch, steps, 2 * hidden_size)
            Both directions of the last layer at every step; steps past a sequence's length
            hold values that depend on padding and must be masked by the caller.
        final : Tensor of shape (batch, 2 * hidden_size)
            The last layer's forward state after the last real step and its backward state
            after the first step.
        """
        last = (lengths - 1).to(x.device).view(-1, 1, 1).expand(-1, 1, self.hidden_size)
        outputs = x
        for forward_lstm, backward_lstm in zip(
            self.forward_layers, self.backward_layers, strict=True
        ):
            forward_out, _ = forward_lstm(outputs)
            backward_rev, _ = backward_lstm(reverse_within_length(outputs, lengths))
            backward_out = reverse_within_length(backward_rev, lengths)
            outputs = torch.cat([forward_out, backward_out], dim=2)
        final_forward = torch.gather(forward_out, 1, last).squeeze(1)
        final_backward = torch.gather(backward_rev, 1, last).squeeze(1)
        return outputs, torch.cat([final_forward, final_backward], dim=1)
