"""Sampling explanations with one feature per call: LIME and Kernel SHAP (through Captum).

A sample keeps a random subset of the app's calls and nullifies the others (every word slot set
to :data:`~droidlens.data.vocab.NULL_ID`), which detectors treat as deleting them. A weighted
linear model fitted on (kept-call indicators, softmax probability of the explained class)
gives one coefficient per call, its relevance.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
from captum._utils.models.model import Model
from captum.attr import KernelShap, Lime
from torch.utils.data import DataLoader

from droidlens.data.vocab import NULL_ID
from droidlens.explain.baselines._common import (
    app_tensor,
    probability_forward,
    seeded_torch,
)
from droidlens.explain.batching import copies_per_batch
from droidlens.explain.options import ExplainOptions
from droidlens.explain.registry import MethodSpec, register_method
from droidlens.explain.result import MethodOutput
from droidlens.models.base import Detector

__all__ = ["WeightedRidge", "call_feature_mask", "explain_lime", "explain_kernelshap"]

LIME_KERNEL_WIDTH = 0.25
"""Width of LIME's exponential kernel on the cosine distance between kept-call indicators."""
LIME_RIDGE_ALPHA = 1.0
"""Ridge penalty of LIME's linear model."""


class WeightedRidge(Model):
    """Weighted least squares with an unpenalised intercept and an optional ridge penalty.

    Captum's default linear models need scikit-learn. This one solves the problem directly with
    ``numpy.linalg.lstsq``, so the fit is exact and has no randomness.

    Parameters
    ----------
    alpha : float, default=0.0
        Ridge penalty on the coefficients; 0 gives ordinary weighted least squares (the
        minimum-norm solution when the samples do not determine it).
    """

    def __init__(self, alpha: float = 0.0) -> None:
        if alpha < 0:
            raise ValueError(f"alpha must be non-negative, got {alpha}")
        self.alpha = alpha
        self.coef_: torch.Tensor | None = None
        self.intercept_ = 0.0

    def fit(self, train_data: DataLoader, **kwargs: object) -> dict[str, float]:
        """Fit on the (features, targets, weights) batches of ``train_data``."""
        parts = [tuple(t.detach().double().cpu().numpy() for t in batch) for batch in train_data]
        x = np.concatenate([p[0] for p in parts]).reshape(sum(len(p[0]) for p in parts), -1)
        y = np.concatenate([p[1] for p in parts]).reshape(-1)
        w = np.concatenate([p[2] for p in parts]).reshape(-1) if len(parts[0]) > 2 else None
        root_w = np.sqrt(w) if w is not None else np.ones_like(y)

        # Rows sqrt(w) * [x, 1] for the data, then sqrt(alpha) * [I, 0] for the penalty.
        design = np.hstack([x, np.ones((len(x), 1))]) * root_w[:, None]
        target = y * root_w
        if self.alpha > 0:
            n_features = x.shape[1]
            penalty = np.hstack([np.eye(n_features), np.zeros((n_features, 1))])
            design = np.vstack([design, np.sqrt(self.alpha) * penalty])
            target = np.concatenate([target, np.zeros(n_features)])
        solution, *_ = np.linalg.lstsq(design, target, rcond=None)

        self.coef_ = torch.as_tensor(solution[:-1])
        self.intercept_ = float(solution[-1])
        return {"n_samples": float(len(x))}

    def representation(self) -> torch.Tensor:
        """Return the coefficients, shape (1, n_features)."""
        if self.coef_ is None:
            raise RuntimeError("WeightedRidge.representation called before fit")
        return self.coef_.unsqueeze(0)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Return the fitted model's predictions for features ``x``."""
        return x.double() @ self.representation().T.to(x.device) + self.intercept_


def call_feature_mask(tokens: torch.Tensor) -> torch.Tensor:
    """Return a mask of the same shape as ``tokens`` (1, seq_len, max_words) with value i in row i.

    Captum treats the word slots of one call as one feature.
    """
    seq_len = tokens.shape[1]
    rows = torch.arange(seq_len, device=tokens.device).view(1, seq_len, 1)
    return rows.expand_as(tokens).contiguous()


def _lime_similarity(
    original: torch.Tensor, perturbed: torch.Tensor, interpretable: torch.Tensor, **kwargs: Any
) -> torch.Tensor:
    """Weigh a sample by ``exp(-d**2 / width**2)``, ``d`` the cosine distance to keeping all."""
    indicators = interpretable.float()
    n_features = indicators.shape[-1]
    cosine = indicators.sum() / (torch.linalg.vector_norm(indicators) * n_features**0.5 + 1e-12)
    distance = 1.0 - cosine
    return torch.exp(-(distance**2) / LIME_KERNEL_WIDTH**2)


def _run_sampler(
    explainer: Lime,
    model: Detector,
    tokens: np.ndarray,
    *,
    target: int,
    rng: np.random.Generator,
    options: ExplainOptions,
) -> MethodOutput:
    start = time.perf_counter()
    relevance = np.zeros(len(tokens), dtype=np.float64)
    if len(tokens) == 0:
        return MethodOutput(relevance=relevance)

    inputs = app_tensor(model, tokens)
    per_eval = copies_per_batch(
        model, seq_len=inputs.shape[1], memory_budget_mb=options.memory_budget_mb
    )
    with seeded_torch(rng, inputs.device), torch.no_grad():
        attribution = explainer.attribute(
            inputs,
            baselines=NULL_ID,
            target=target,
            feature_mask=call_feature_mask(inputs),
            n_samples=options.n_samples,
            perturbations_per_eval=min(per_eval, options.n_samples),
            return_input_shape=True,
        )
    relevance[:] = attribution[0, :, 0].double().cpu().numpy()
    return MethodOutput(relevance=relevance, prediction_seconds=time.perf_counter() - start)


def explain_lime(
    model: Detector,
    tokens: np.ndarray,
    *,
    target: int,
    rng: np.random.Generator,
    options: ExplainOptions,
) -> MethodOutput:
    """Explain one app with LIME, one feature per call.

    Parameters
    ----------
    model, tokens, target, rng, options
        As in :class:`~droidlens.explain.registry.ExplainFunction`; ``options.n_samples``
        sets the samples, ``options.memory_budget_mb`` how many run per batch, and ``rng``
        seeds the sampling.

    Returns
    -------
    MethodOutput
        The coefficients of a ridge regression (``alpha = LIME_RIDGE_ALPHA``) of the target
        probability on the kept-call indicators.

    Notes
    -----
    Each call is kept with probability 1/2 (Captum's default sampler). Samples are weighted by
    an exponential kernel of width :data:`LIME_KERNEL_WIDTH` on the cosine distance between the
    sample's indicator vector and the all-ones vector, as the ``lime`` package does for text.
    """
    explainer = Lime(
        probability_forward(model),
        interpretable_model=WeightedRidge(alpha=LIME_RIDGE_ALPHA),
        similarity_func=_lime_similarity,
    )
    return _run_sampler(explainer, model, tokens, target=target, rng=rng, options=options)


def explain_kernelshap(
    model: Detector,
    tokens: np.ndarray,
    *,
    target: int,
    rng: np.random.Generator,
    options: ExplainOptions,
) -> MethodOutput:
    """Explain one app with Kernel SHAP, one feature per call.

    Parameters
    ----------
    model, tokens, target, rng, options
        As in :func:`explain_lime`.

    Returns
    -------
    MethodOutput
        Shapley value estimates of the target probability, one per call.

    Notes
    -----
    Captum samples coalitions from the Shapley kernel and fits weighted least squares. Its
    constructor installs scikit-learn's linear regression, which is replaced here by the
    equivalent :class:`WeightedRidge` with ``alpha = 0``.
    """
    explainer = KernelShap(probability_forward(model))
    explainer.interpretable_model = WeightedRidge(alpha=0.0)
    return _run_sampler(explainer, model, tokens, target=target, rng=rng, options=options)


register_method(
    MethodSpec(
        name="lime",
        explain=explain_lime,
        deterministic=False,
        description="LIME with one feature per call, removed calls nullified",
    )
)
register_method(
    MethodSpec(
        name="kernelshap",
        explain=explain_kernelshap,
        deterministic=False,
        description="Kernel SHAP with one feature per call, removed calls nullified",
    )
)
