"""Baseline explanation methods; importing this package registers them.

Registered names: ``random``, ``gradient``, ``integrated-gradients``, ``lime``, ``kernelshap``
and ``attention``. :func:`ablate_calls` is Captum's feature ablation over calls, a reference
for droidlens' own occlusion.
"""

from droidlens.explain.baselines.ablation import ablate_calls
from droidlens.explain.baselines.attention import explain_attention
from droidlens.explain.baselines.gradients import (
    explain_gradient,
    explain_integrated_gradients,
    rnn_backward_mode,
)
from droidlens.explain.baselines.random_baseline import explain_random
from droidlens.explain.baselines.sampling import (
    WeightedRidge,
    call_feature_mask,
    explain_kernelshap,
    explain_lime,
)

__all__ = [
    "ablate_calls",
    "WeightedRidge",
    "call_feature_mask",
    "explain_attention",
    "explain_gradient",
    "explain_integrated_gradients",
    "explain_kernelshap",
    "explain_lime",
    "explain_random",
    "rnn_backward_mode",
]
