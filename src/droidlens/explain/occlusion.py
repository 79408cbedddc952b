"""Occlusion explanations: nullify one call at a time, smooth the outputs, rank the calls.

For an app of ``seq_len`` calls, copy ``i`` has call ``i`` nullified (only real calls, never
padding). The model's outputs for all copies form "synthetic y", a ``(seq_len, 2)`` matrix of
``[p_benign, p_malicious]``. Because detectors skip nullified calls, row ``i`` is the output for
the app with call ``i`` deleted.

The probability column of the explained class is smoothed with an exact solver from
:mod:`droidlens.solvers` (fused lasso by default), and the relevance of call ``i`` is
``p(full app) - smoothed p(app without call i)``: calls whose removal lowers the explained
class's probability most come first. With ``rank_by="benign"`` the ranking follows the
original system instead: the smoothed benign probability after removal, largest first, for
every app.
"""

from __future__ import annotations

import time

import numpy as np

from droidlens.data.vocab import NULL_ID
from droidlens.explain.batching import copies_per_batch
from droidlens.explain.options import ExplainOptions
from droidlens.explain.registry import MethodSpec, register_method
from droidlens.explain.result import MethodOutput
from droidlens.models.base import Detector
from droidlens.solvers import SMOOTHERS, smooth

__all__ = [
    "synthetic_y",
    "explain_occlusion",
    "explain_occlusion_raw",
    "smoothing_lambda",
    "RELATIVE_LAMBDA",
]

RELATIVE_LAMBDA = 0.01
"""Default penalty as a share of the smoothed column's range (max - min).

A confident detector moves its probability by 1e-4 or less when one call goes, so an absolute
penalty that suits one app erases every effect in another. A penalty of 1% of the column's
range merges only differences that are small next to the app's largest effect."""


def synthetic_y(
    model: Detector, tokens: np.ndarray, *, memory_budget_mb: float = 256.0
) -> tuple[np.ndarray, float]:
    """Predict every copy of an app with one call nullified.

    Parameters
    ----------
    model : Detector
    tokens : ndarray of shape (seq_len, max_words)
        One app's calls, without padding.
    memory_budget_mb : float, default=256
        Memory for one batch of copies; sets the batch size.

    Returns
    -------
    synthetic_y : ndarray of shape (seq_len, 2)
        Row ``i`` is ``[p_benign, p_malicious]`` with call ``i`` nullified.
    seconds : float
        Time spent predicting.
    """
    tokens = np.asarray(tokens)
    seq_len = tokens.shape[0]
    if seq_len == 0:
        return np.empty((0, 2)), 0.0
    start = time.perf_counter()
    fast = getattr(model, "occlusion_outputs", None)
    outputs = fast(tokens) if fast is not None and _all_real(tokens) else None
    if outputs is None:
        batch = copies_per_batch(model, seq_len=seq_len, memory_budget_mb=memory_budget_mb)
        outputs = np.empty((seq_len, 2))
        for first in range(0, seq_len, batch):
            positions = np.arange(first, min(first + batch, seq_len))
            copies = np.repeat(tokens[None], len(positions), axis=0)
            copies[np.arange(len(positions)), positions] = NULL_ID
            outputs[positions] = model.predict_proba(copies, batch_size=len(positions))
    return outputs, time.perf_counter() - start


def _all_real(tokens: np.ndarray) -> bool:
    return bool((tokens[:, 0] > NULL_ID).all())


def smoothing_lambda(column: np.ndarray, lam: float | None) -> float:
    """Return ``lam``, or :data:`RELATIVE_LAMBDA` times the column's range when it is None."""
    if lam is not None:
        return float(lam)
    spread = float(np.ptp(column)) if column.size else 0.0
    return RELATIVE_LAMBDA * spread


def explain_occlusion(
    model: Detector,
    tokens: np.ndarray,
    *,
    target: int,
    rng: np.random.Generator,
    options: ExplainOptions,
) -> MethodOutput:
    """Explain one app by occlusion followed by smoothing; see the module notes.

    The output's extras hold the original system's columns: ``"synthetic y"``,
    ``"<smoother> coef"`` and ``"<smoother> ranking"``, plus ``"smoother"`` and ``"lambda"``.
    """
    del rng  # occlusion is deterministic
    smoother = options.smoother
    if smoother != "none" and smoother not in SMOOTHERS:
        raise ValueError(
            f"unknown smoother {smoother!r}; choose one of {', '.join((*SMOOTHERS, 'none'))}"
        )
    synthetic, seconds = synthetic_y(model, tokens, memory_budget_mb=options.memory_budget_mb)
    full = model.predict_proba(np.asarray(tokens)[None], batch_size=1)[0]

    column = 0 if options.rank_by == "benign" else target
    values = synthetic[:, column]
    extras: dict[str, object] = {"synthetic y": synthetic, "smoother": smoother}
    if smoother != "none" and len(values) > 1:
        lam = smoothing_lambda(values, options.lam)
        coef = smooth(values, smoother=smoother, lam=lam).coef
        extras["lambda"] = lam
    else:
        coef = values.copy()

    # Larger relevance = removing the call lowers the explained class's probability more.
    relevance = coef.copy() if options.rank_by == "benign" else full[column] - coef
    ranking = np.argsort(-relevance, kind="stable").astype(np.int64)
    if smoother != "none":
        extras[f"{smoother} coef"] = coef
        extras[f"{smoother} ranking"] = ranking
    return MethodOutput(
        relevance=relevance, prediction_seconds=seconds, extras=extras, ranking=ranking
    )


def explain_occlusion_raw(
    model: Detector,
    tokens: np.ndarray,
    *,
    target: int,
    rng: np.random.Generator,
    options: ExplainOptions,
) -> MethodOutput:
    """Explain one app by occlusion without smoothing."""
    raw = ExplainOptions(**{**options.as_dict(), "smoother": "none"})
    return explain_occlusion(model, tokens, target=target, rng=rng, options=raw)


register_method(
    MethodSpec(
        "occlusion",
        explain_occlusion,
        deterministic=True,
        description="nullify each call, smooth the outputs, rank",
    )
)
register_method(
    MethodSpec(
        "occlusion-raw",
        explain_occlusion_raw,
        deterministic=True,
        description="nullify each call and rank by the raw output change",
    )
)
