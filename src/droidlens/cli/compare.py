"""The ``droidlens compare`` command: compare explanation methods with the fidelity tests."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

# Imported for their side effect: each registers its explanation methods.
import droidlens.explain.baselines  # noqa: F401
import droidlens.explain.lemna  # noqa: F401
import droidlens.explain.occlusion  # noqa: F401
from droidlens.cli.options import (
    PROGRESS,
    DataOption,
    JobsOption,
    MaxAppsOption,
    ModelOption,
    SamplesOption,
    SkipInvalidOption,
    TestDataOption,
)
from droidlens.explain.options import ExplainOptions
from droidlens.fidelity.compare import TEST_NAMES, check_names, compare_methods
from droidlens.models.io import load_run
from droidlens.pipeline.apps import select_apps

__all__ = ["compare_command"]

logger = logging.getLogger(__name__)

DEFAULT_METHODS = "occlusion,integrated-gradients,lime,random"
DEFAULT_TESTS = "synthetic,deduction,augmentation,descriptive-accuracy,sparsity,stability"


def _split_names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def compare_command(
    model: ModelOption,
    data: DataOption = None,
    test_data: TestDataOption = None,
    methods: Annotated[
        str, typer.Option(help="Comma-separated explanation methods.")
    ] = DEFAULT_METHODS,
    tests: Annotated[
        str, typer.Option(help=f"Comma-separated fidelity tests, from {', '.join(TEST_NAMES)}.")
    ] = DEFAULT_TESTS,
    max_apps: MaxAppsOption = None,
    samples: SamplesOption = 500,
    jobs: JobsOption = 1,
    seed: Annotated[int, typer.Option(help="Seed of the app draw, the methods and the tests.")] = 0,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            file_okay=False,
            help="Folder for tables, curves and plots. Default: the run folder's comparison/.",
        ),
    ] = None,
    progress: Annotated[
        bool | None,
        typer.Option(
            help="Show progress bars. Default: shown when stderr is a terminal and --quiet "
            "is not given, as for the other commands."
        ),
    ] = None,
    skip_invalid: SkipInvalidOption = False,
) -> None:
    """Compare explanation methods on one model with the fidelity tests."""
    method_names, test_names = _split_names(methods), _split_names(tests)
    check_names(method_names, test_names)
    run = load_run(model)
    encoded, _ = select_apps(
        run, data=data, test_data=test_data, max_apps=max_apps, seed=seed, skip_invalid=skip_invalid
    )
    out = out if out is not None else model / "comparison"
    logger.info("comparing %s on %d apps", methods, len(encoded))

    result = compare_methods(
        run.model,
        encoded,
        methods=method_names,
        tests=test_names,
        options=ExplainOptions(n_samples=samples),
        out_dir=out,
        seed=seed,
        progress=PROGRESS["enabled"] if progress is None else progress,
        jobs=jobs,
    )
    typer.echo(result.files["table markdown"].read_text(encoding="utf-8"))
    typer.echo(f"tables, curves and plots written to {out}")
