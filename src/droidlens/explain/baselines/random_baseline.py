"""The random ranking, the floor that every explanation method should beat."""

from __future__ import annotations

import numpy as np

from droidlens.explain.options import ExplainOptions
from droidlens.explain.registry import MethodSpec, register_method
from droidlens.explain.result import MethodOutput
from droidlens.models.base import Detector

__all__ = ["explain_random"]


def explain_random(
    model: Detector,
    tokens: np.ndarray,
    *,
    target: int,
    rng: np.random.Generator,
    options: ExplainOptions,
) -> MethodOutput:
    """Give every call a relevance drawn uniformly from [0, 1), ignoring the model.

    Parameters
    ----------
    model, tokens, target, rng, options
        As in :class:`~droidlens.explain.registry.ExplainFunction`; only ``rng`` and the
        number of calls are used.

    Returns
    -------
    MethodOutput
        Relevances whose ranking is a uniformly random permutation.
    """
    relevance = rng.random(len(tokens))
    return MethodOutput(relevance=relevance, prediction_seconds=0.0)


register_method(
    MethodSpec(
        name="random",
        explain=explain_random,
        deterministic=False,
        description="uniformly random relevances, the floor of every fidelity test",
    )
)
