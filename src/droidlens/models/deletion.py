"""Outputs of a 1-layer BiLSTM for every copy of an app with one call deleted, in O(n^2 h^2).

Deleting call ``i`` leaves the forward LSTM's states before ``i`` and the backward LSTM's
states after ``i`` unchanged. So the copies share work: the input projections of all calls are
computed once, and at step ``t`` one batched recurrent update advances the original sequence
together with every copy that deleted a call before ``t``. Each update costs a
``hidden x 4 hidden`` product per copy instead of the ``(inputs + hidden) x 4 hidden`` product
of a full forward pass, and no copy repeats the steps before its deleted call.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["deletion_final_states"]


def deletion_final_states(projected: torch.Tensor, lstm: nn.LSTM) -> torch.Tensor:
    """Return the final hidden state of a 1-layer LSTM for every one-call deletion.

    Parameters
    ----------
    projected : Tensor of shape (seq_len, 4 * hidden)
        ``W_ih x_t + b_ih + b_hh`` for every call, in the order the LSTM reads them.
    lstm : nn.LSTM
        A single-layer, single-direction LSTM; its recurrent weights are used.

    Returns
    -------
    Tensor of shape (seq_len, hidden)
        Row ``i`` is the state after reading every call except call ``i``; it is zero when
        ``seq_len`` is 1.
    """
    seq_len = projected.shape[0]
    hidden = lstm.hidden_size
    weight = lstm.get_parameter("weight_hh_l0").t()
    # Row 0 is the original sequence; row i + 1 is the copy without call i.
    h = projected.new_zeros((seq_len + 1, hidden))
    c = projected.new_zeros((seq_len + 1, hidden))
    for t in range(seq_len):
        h_before, c_before = h[0].clone(), c[0].clone()
        active = slice(0, t + 1)
        gates = torch.addmm(projected[t], h[active], weight)
        i_gate, f_gate, g_gate, o_gate = gates.chunk(4, dim=1)
        c_new = torch.sigmoid(f_gate) * c[active] + torch.sigmoid(i_gate) * torch.tanh(g_gate)
        h[active] = torch.sigmoid(o_gate) * torch.tanh(c_new)
        c[active] = c_new
        # The copy without call t starts from the original state before call t.
        h[t + 1], c[t + 1] = h_before, c_before
    return h[1:]
