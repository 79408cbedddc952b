"""Options shared by several commands, declared once."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from droidlens.explain.options import ExplainOptions

logger = logging.getLogger(__name__)

PROGRESS = {"enabled": True}
"""Switch for the progress bars of every command, set by the global options in ``cli.main``."""

# The smoother that ExplainOptions uses when none is given.
_DEFAULT_SMOOTHER = ExplainOptions().smoother

__all__ = [
    "PROGRESS",
    "ModelOption",
    "DataOption",
    "TestDataOption",
    "SeedOption",
    "JsonOption",
    "SkipInvalidOption",
    "MaxAppsOption",
    "explain_options",
    "MethodOption",
    "SmootherOption",
    "LambdaOption",
    "RankByOption",
    "SamplesOption",
    "ComponentsOption",
    "WindowOption",
    "MemoryOption",
    "JobsOption",
]

ModelOption = Annotated[
    Path,
    typer.Option(
        "--model", help="Run folder of a trained model (the --out folder of `train` or `run`)."
    ),
]
DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="Training data file; its test split is used. Default: the file the model "
        "was trained on.",
    ),
]
TestDataOption = Annotated[
    Path | None,
    typer.Option(
        "--test-data",
        help="Use every app of this labelled file instead of the test split, e.g. "
        "apps from families the model never saw.",
    ),
]
SeedOption = Annotated[int, typer.Option(help="Seed for splits, sampling and baselines.")]
JsonOption = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Also write tables as pandas JSON records with the original system's column names.",
    ),
]
SkipInvalidOption = Annotated[
    bool,
    typer.Option(
        "--skip-invalid", help="Skip invalid apps (logged with their ids) instead of stopping."
    ),
]
MaxAppsOption = Annotated[
    int | None,
    typer.Option(
        "--max-apps", min=1, help="Use only this many apps (a stratified draw with --seed)."
    ),
]
MethodOption = Annotated[
    str,
    typer.Option(
        help="Explanation method: occlusion, occlusion-raw, lemna, gradient, "
        "integrated-gradients, lime, kernelshap, attention, random."
    ),
]
SmootherOption = Annotated[
    str,
    typer.Option(help="Smoother of occlusion outputs: fusedlasso, trend1, trend2, trend3 or none."),
]
LambdaOption = Annotated[
    float | None,
    typer.Option(
        "--lam",
        min=0.0,
        help="Smoothing penalty. Default: 1% of the smoothed column's range "
        "(occlusion) or sqrt(n log p) (lemna).",
    ),
]
RankByOption = Annotated[
    str,
    typer.Option(
        "--rank-by",
        help="'predicted': calls whose removal lowers the predicted class's "
        "probability most come first. 'benign': the original system's rule, largest benign "
        "probability after removal first, for every app.",
    ),
]
SamplesOption = Annotated[
    int, typer.Option(min=1, help="Perturbed samples per app for lemna, lime and kernelshap.")
]
ComponentsOption = Annotated[int, typer.Option(min=1, help="Mixture components of lemna.")]
WindowOption = Annotated[
    int | None,
    typer.Option(
        min=1, help="lemna: perturb only calls within this distance of the position of interest."
    ),
]
JobsOption = Annotated[
    int,
    typer.Option(
        min=1, help="Worker processes that explain apps in parallel (one torch thread each)."
    ),
]
MemoryOption = Annotated[
    float,
    typer.Option("--memory-mb", min=1.0, help="Memory for one batch of perturbed copies, in MiB."),
]


def explain_options(
    *,
    method: str,
    smoother: str,
    lam: float | None,
    rank_by: str,
    samples: int,
    components: int,
    window: int | None,
    memory_mb: float,
) -> ExplainOptions:
    """Build the explanation options from command-line values.

    Logs a warning for each value that the method will not use, so that a typo such as
    ``--smoother trend2`` with ``--method occlusion-raw`` does not pass unnoticed.
    """
    _warn_unused(method=method, smoother=smoother, lam=lam)
    return ExplainOptions(
        smoother=smoother,
        lam=lam,
        rank_by=rank_by,
        n_samples=samples,
        n_components=components,
        window=window,
        memory_budget_mb=memory_mb,
    )


def _warn_unused(*, method: str, smoother: str, lam: float | None) -> None:
    """Log the smoothing options that ``method`` ignores or that switch smoothing off."""
    if method != "occlusion":
        if smoother != _DEFAULT_SMOOTHER:
            logger.warning("--smoother is used only by --method occlusion; %s ignores it", method)
        if lam is not None and method != "lemna":
            logger.warning("--lam is used only by occlusion and lemna; %s ignores it", method)
        return
    if smoother == "none" and lam is not None:
        logger.warning("--lam is ignored with --smoother none, which ranks the raw values")
    elif lam == 0:
        logger.warning(
            "--lam 0 turns smoothing off: the %s coefficients equal synthetic y", smoother
        )
