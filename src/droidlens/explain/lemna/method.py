"""LEMNA: explain one app by a mixture of fused-lasso regressions fitted to perturbed copies."""

from __future__ import annotations

import numpy as np

from droidlens.explain.lemna.mixture import FusedMixtureRegression
from droidlens.explain.lemna.perturb import (
    largest_occlusion_position,
    perturb_app,
    window_positions,
)
from droidlens.explain.options import ExplainOptions
from droidlens.explain.registry import MethodSpec, register_method
from droidlens.explain.result import MethodOutput, rank_relevance
from droidlens.models.base import Detector

__all__ = ["explain_lemna", "LEMNA_SPEC"]


def explain_lemna(
    model: Detector,
    tokens: np.ndarray,
    *,
    target: int,
    rng: np.random.Generator,
    options: ExplainOptions,
    position: int | None = None,
) -> MethodOutput:
    """Explain one app with LEMNA (Guo et al., CCS 2018).

    Parameters
    ----------
    model : Detector
    tokens : ndarray of shape (seq_len, max_words)
        The app's calls, without padding.
    target : int
        Class explained: ``1`` malicious, ``0`` benign.
    rng : numpy.random.Generator
        The only source of randomness (perturbations and EM initialisation).
    options : ExplainOptions
        Reads ``n_samples``, ``n_components``, ``window``, ``fraction``, ``n_restarts``,
        ``assignment``, ``em_tol``, ``em_max_iter``, ``memory_budget_mb`` and ``lam``
        (``None``: ``sqrt(n_samples * log(n_positions))``, LEMNA's value).
    position : int, optional
        Position of interest when ``options.window`` is set; see Notes.

    Returns
    -------
    MethodOutput
        ``relevance[i]`` is the coefficient of call i in the component most responsible
        for the original app. A larger value means that keeping the call raises the target
        probability more. ``extras`` holds ``"lemna coefs"`` (K x seq_len), ``"lemna weights"``,
        ``"lemna sigmas"``, ``"lemna loglik"`` (one value per EM iteration),
        ``"lemna component"``, ``"lemna rmse"``, ``"lemna lambda"`` and
        ``"lemna positions"`` (the perturbed calls).

    Raises
    ------
    ValueError
        If ``tokens`` is not a non-empty 2-D array, ``target`` is not 0 or 1, or
        ``options.n_samples`` is below 2.
    TypeError
        If ``rng`` is not a :class:`numpy.random.Generator`.

    Notes
    -----
    Without a window, every call may be nullified. With ``options.window = w``, only the
    calls within ``w`` positions of the position of interest are nullified and regressed on;
    the others are kept in every copy, get relevance 0 and are ranked after the window, in
    position order. The position of interest is ``position`` when given, otherwise the call
    whose deletion lowers the target probability most, which costs ``seq_len`` more model
    calls.

    ``"lemna rmse"`` predicts each perturbed copy with its most responsible component, the
    same rule that picks the component explaining the original app.

    The regression has no intercept, as in LEMNA. The default penalty is
    ``std(outputs) * sqrt(log(n_positions))``, not LEMNA's ``sqrt(n_samples * log(n_positions))``,
    which left every coefficient of this 0/1 design flat, so that the ranking fell back to
    position order (see :func:`~droidlens.explain.lemna.mixture.default_lambda`). A fixed
    ``options.fraction`` can flatten the coefficients too (see
    :func:`~droidlens.explain.lemna.perturb.sample_kept_calls`).
    """
    tokens = np.asarray(tokens)
    _check_input(tokens, target, rng, options)
    seq_len = tokens.shape[0]

    # Perturb: choose the calls to nullify, then run the model on every copy.
    seconds = 0.0
    centre = position
    if options.window is not None and centre is None:
        centre, seconds = largest_occlusion_position(
            model, tokens, target=target, memory_budget_mb=options.memory_budget_mb
        )
    columns = window_positions(seq_len, window=options.window, position=centre)
    samples = perturb_app(
        model,
        tokens,
        target=target,
        rng=rng,
        n_samples=options.n_samples,
        fraction=options.fraction,
        positions=columns,
        memory_budget_mb=options.memory_budget_mb,
    )
    seconds += samples.prediction_seconds

    # Fit the mixture and read the component that explains the original app (row 0).
    mixture = FusedMixtureRegression(
        options.n_components,
        lam=options.lam,
        assignment=options.assignment,
        tol=options.em_tol,
        max_iter=options.em_max_iter,
        n_restarts=options.n_restarts,
    ).fit(samples.design, samples.target, rng=rng)
    component = int(np.argmax(mixture.responsibilities_[0]))

    coefs = np.zeros((options.n_components, seq_len))
    coefs[:, columns] = mixture.coef_
    relevance = coefs[component].copy()
    ranking = None
    if len(columns) < seq_len:
        outside = np.setdiff1d(np.arange(seq_len), columns)
        ranking = np.concatenate([columns[rank_relevance(relevance[columns])], outside])

    extras = {
        "lemna coefs": coefs,
        "lemna weights": mixture.weights_,
        "lemna sigmas": mixture.sigma_,
        "lemna loglik": mixture.loglik_,
        "lemna component": component,
        "lemna rmse": mixture.rmse_,
        "lemna lambda": mixture.lam_,
        "lemna positions": columns,
    }
    return MethodOutput(
        relevance=relevance, prediction_seconds=seconds, extras=extras, ranking=ranking
    )


def _check_input(
    tokens: np.ndarray, target: int, rng: np.random.Generator, options: ExplainOptions
) -> None:
    shape = np.shape(tokens)
    if len(shape) != 2 or shape[0] == 0:
        raise ValueError(
            f"tokens must have shape (seq_len, max_words) with seq_len >= 1; got {shape}."
        )
    if target not in (0, 1):
        raise ValueError(f"target must be 0 (benign) or 1 (malicious); got {target!r}.")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator; got {type(rng).__name__}. "
            "Pass numpy.random.default_rng(seed)."
        )
    if options.n_samples < 2:
        raise ValueError(
            f"n_samples must be at least 2 for LEMNA (the original app and one copy); "
            f"got {options.n_samples}."
        )


LEMNA_SPEC = MethodSpec(
    name="lemna",
    explain=explain_lemna,
    deterministic=False,
    description="mixture of fused-lasso regressions on randomly nullified calls (LEMNA)",
)
register_method(LEMNA_SPEC)
