"""The ``droidlens compare`` command: compare explanation methods with the fidelity tests."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

# Imported for their side effect: each registers its explanation methods.
import droidlens.explain.baselines  # noqa: F401
import droidlens.explain.lemna  # noqa: F401
import droidlens.explain.occlusion  # noqa: F401
from droidlens.data import encode_apps, load_apps
from droidlens.explain.options import ExplainOptions
from droidlens.fidelity.compare import TEST_NAMES, compare_methods
from droidlens.models.io import load_run

__all__ = ["compare_command"]

logger = logging.getLogger(__name__)

DEFAULT_METHODS = "occlusion,integrated-gradients,lime,random"
DEFAULT_TESTS = "synthetic,deduction,augmentation,descriptive-accuracy,sparsity,stability"


def _split_names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def compare_command(
    model: Annotated[Path, typer.Option("--model", help="Run folder of a trained model.")],
    data: Annotated[Path, typer.Option("--data", help="Apps to explain (JSON Lines or pickle).")],
    methods: Annotated[
        str, typer.Option(help="Comma-separated explanation methods.")
    ] = DEFAULT_METHODS,
    tests: Annotated[
        str, typer.Option(help=f"Comma-separated fidelity tests, from {', '.join(TEST_NAMES)}.")
    ] = DEFAULT_TESTS,
    max_apps: Annotated[
        int | None,
        typer.Option("--max-apps", min=1, help="Explain only this many apps, drawn with --seed."),
    ] = None,
    samples: Annotated[
        int, typer.Option(min=1, help="Samples per app for LIME and Kernel SHAP.")
    ] = 500,
    seed: Annotated[int, typer.Option(help="Seed of the app draw, the methods and the tests.")] = 0,
    out: Annotated[Path, typer.Option("--out", help="Folder for tables, curves and plots.")] = Path(
        "comparison"
    ),
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> None:
    """Compare explanation methods on one model with the fidelity tests."""
    run = load_run(model)
    apps = load_apps(data)
    if max_apps is not None and max_apps < len(apps):
        rows = np.sort(np.random.default_rng(seed).choice(len(apps), max_apps, replace=False))
        apps = [apps[row] for row in rows]
    encoded = encode_apps(apps, run.vocab)
    logger.info("comparing %s on %d apps from %s", methods, len(encoded), data)

    result = compare_methods(
        run.model,
        encoded,
        methods=_split_names(methods),
        tests=_split_names(tests),
        options=ExplainOptions(n_samples=samples),
        out_dir=out,
        seed=seed,
        progress=progress,
    )
    typer.echo(result.files["table markdown"].read_text(encoding="utf-8"))
    typer.echo(f"tables, curves and plots written to {out}")
