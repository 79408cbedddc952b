"""The ``droidlens`` command line: a thin layer over :mod:`droidlens.pipeline`."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

# Imported for their side effect: each registers its explanation methods.
import droidlens.explain.baselines  # noqa: F401
import droidlens.explain.lemna  # noqa: F401
import droidlens.explain.occlusion  # noqa: F401
from droidlens.cli.compare import compare_command
from droidlens.cli.options import (
    PROGRESS,
    ComponentsOption,
    DataOption,
    JobsOption,
    JsonOption,
    LambdaOption,
    MaxAppsOption,
    MemoryOption,
    MethodOption,
    ModelOption,
    RankByOption,
    SamplesOption,
    SeedOption,
    SkipInvalidOption,
    SmootherOption,
    TestDataOption,
    WindowOption,
    explain_options,
)
from droidlens.cli.output import (
    print_apk_verdict,
    print_demo,
    print_evaluation,
    print_explanations,
    print_extraction,
    print_fidelity,
    print_run,
    print_training,
)
from droidlens.errors import DroidlensError

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Train Android malware detectors on API-call sequences and explain their verdicts.",
)


@app.callback()
def _configure(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each step.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only results and errors; no progress.")
    ] = False,
    threads: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="CPU threads for torch. Default: torch's choice, one per core. On a busy "
            "machine 1 is often much faster.",
        ),
    ] = None,
) -> None:
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    level = logging.INFO
    if verbose:
        level = logging.DEBUG
    elif quiet:
        level = logging.WARNING
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True
    )
    for noisy in ("numba", "matplotlib", "gensim", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    PROGRESS["enabled"] = not quiet and sys.stderr.isatty()


ModelName = Annotated[
    str,
    typer.Option(
        "--model", "--model-type", help="Detector: bilstm1, bilstm2, bilstm3 or attention."
    ),
]
Epochs = Annotated[int, typer.Option(min=1, help="Training epochs.")]
BatchSize = Annotated[int, typer.Option("--batch-size", min=1, help="Apps per training step.")]
LearningRate = Annotated[float, typer.Option("--learning-rate", min=0.0, help="Adam step size.")]
Embeddings = Annotated[
    str | None,
    typer.Option(
        help="'train' to train word2vec on the training split first, or a word2vec file (text or "
        "binary) to load. Default: random initialisation."
    ),
]
Device = Annotated[str, typer.Option(help="auto, cpu or cuda.")]
MaxCalls = Annotated[
    int, typer.Option("--max-calls", min=1, help="Calls kept per app (the first ones).")
]


def _train_settings(**values):
    from droidlens.pipeline.training import TrainSettings

    return TrainSettings(**values)


@app.command()
def train(
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            help="Labelled apps: JSON Lines (.jsonl, "
            ".jsonl.gz) or a .sequence.pkl with its .label file.",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", file_okay=False, help="Run folder to write.")],
    model_type: ModelName = "bilstm1",
    epochs: Epochs = 10,
    batch_size: BatchSize = 100,
    learning_rate: LearningRate = 1e-3,
    max_calls: MaxCalls = 2000,
    max_words: Annotated[int, typer.Option("--max-words", min=1, help="Words kept per call.")] = 10,
    camel_case: Annotated[
        bool,
        typer.Option(
            "--camel-case", help="Also split class and method names at camel-case boundaries."
        ),
    ] = False,
    embeddings: Embeddings = None,
    freeze_embeddings: Annotated[
        bool, typer.Option("--freeze-embeddings", help="Keep word embeddings fixed.")
    ] = False,
    device: Device = "cpu",
    amp: Annotated[bool, typer.Option("--amp", help="Mixed precision on CUDA.")] = False,
    summary: Annotated[
        bool,
        typer.Option(
            "--summary", help="Print the layer table of the model and exit without training."
        ),
    ] = False,
    seed: SeedOption = 0,
    skip_invalid: SkipInvalidOption = False,
) -> None:
    """Train a detector; the run folder gets weights, config, vocabulary, split and metrics."""
    from droidlens.pipeline.training import train_run

    settings = _train_settings(
        model=model_type,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
        max_calls=max_calls,
        max_words=max_words,
        camel_case=camel_case,
        embeddings=embeddings,
        freeze_embeddings=freeze_embeddings,
        device=device,
        amp=amp,
    )
    if summary:
        from droidlens.pipeline.training import summarize_settings

        typer.echo(summarize_settings(data, settings, skip_invalid=skip_invalid))
        return
    result = train_run(
        data, out, settings=settings, skip_invalid=skip_invalid, progress=PROGRESS["enabled"]
    )
    print_training(result)


@app.command()
def evaluate(
    model: ModelOption,
    data: DataOption = None,
    test_data: TestDataOption = None,
    skip_invalid: SkipInvalidOption = False,
) -> None:
    """Score a trained model: accuracy, TPR, FPR, F1, precision and the confusion counts."""
    from droidlens.pipeline.evaluation import evaluate_run

    print_evaluation(evaluate_run(model, data=data, test_data=test_data, skip_invalid=skip_invalid))


@app.command()
def explain(
    model: ModelOption,
    apks: Annotated[
        list[Path] | None,
        typer.Argument(help="APK, dex or JAR files to extract, classify and explain one by one."),
    ] = None,
    data: DataOption = None,
    test_data: TestDataOption = None,
    method: MethodOption = "occlusion",
    smoother: SmootherOption = "fusedlasso",
    lam: LambdaOption = None,
    rank_by: RankByOption = "predicted",
    samples: SamplesOption = 500,
    components: ComponentsOption = 6,
    window: WindowOption = None,
    memory_mb: MemoryOption = 256.0,
    max_apps: MaxAppsOption = None,
    jobs: JobsOption = 1,
    html: Annotated[
        Path | None,
        typer.Option(
            help="With one app file: also write the verdict as a self-contained HTML page."
        ),
    ] = None,
    top: Annotated[int, typer.Option(min=1, help="Calls listed for an app file.")] = 10,
    restart: Annotated[
        bool,
        typer.Option(
            "--restart", help="Recompute every app instead of resuming an interrupted run."
        ),
    ] = False,
    seed: SeedOption = 0,
    json: JsonOption = False,
    skip_invalid: SkipInvalidOption = False,
) -> None:
    """Explain the test apps (or app files) and rank the calls behind each verdict."""
    options = explain_options(
        method=method,
        smoother=smoother,
        lam=lam,
        rank_by=rank_by,
        samples=samples,
        components=components,
        window=window,
        memory_mb=memory_mb,
    )
    if apks:
        from droidlens.pipeline.verdict import explain_apk

        if html is not None and len(apks) > 1:
            raise DroidlensError("--html takes one app file; explain the files one at a time")
        for path in apks:
            print_apk_verdict(
                explain_apk(
                    model, path, method=method, options=options, top_k=top, seed=seed, html=html
                )
            )
        return
    from droidlens.pipeline.explaining import explain_run

    table = explain_run(
        model,
        method=method,
        options=options,
        data=data,
        test_data=test_data,
        max_apps=max_apps,
        seed=seed,
        resume=not restart,
        write_json=json,
        skip_invalid=skip_invalid,
        jobs=jobs,
        progress=PROGRESS["enabled"],
    )
    print_explanations(table)


@app.command()
def fidelity(
    model: ModelOption,
    explanations: Annotated[
        list[Path] | None,
        typer.Option(
            help="Explanation table (.parquet); repeat the option to measure several tables in one "
            "run (each gives a curve). Default: the model's "
            "explanations/occlusion-fusedlasso.parquet."
        ),
    ] = None,
    data: DataOption = None,
    test_data: TestDataOption = None,
    seed: SeedOption = 0,
    json: JsonOption = False,
    skip_invalid: SkipInvalidOption = False,
    out: Annotated[
        Path | None,
        typer.Option(
            file_okay=False,
            help="Folder for the curves and the plot. Default: the run folder's fidelity/, "
            "whose files a later run replaces; give another folder to keep both.",
        ),
    ] = None,
) -> None:
    """Run the synthetic test: keep each app's top-k calls, re-measure, compare with random."""
    from droidlens.pipeline.fidelity_run import fidelity_run

    tables = explanations or [model / "explanations" / "occlusion-fusedlasso.parquet"]
    print_fidelity(
        fidelity_run(
            model,
            out_dir=out,
            explanations=list(tables),
            data=data,
            test_data=test_data,
            seed=seed,
            write_json=json,
            skip_invalid=skip_invalid,
            progress=PROGRESS["enabled"],
        )
    )


@app.command()
def run(
    data: Annotated[Path, typer.Option("--data", help="Labelled apps to train on.")],
    out: Annotated[Path, typer.Option("--out", file_okay=False, help="Folder for every result.")],
    test_data: TestDataOption = None,
    model_type: ModelName = "bilstm1",
    epochs: Epochs = 10,
    batch_size: BatchSize = 100,
    learning_rate: LearningRate = 1e-3,
    max_calls: MaxCalls = 2000,
    embeddings: Embeddings = None,
    device: Device = "cpu",
    method: MethodOption = "occlusion",
    smoother: SmootherOption = "fusedlasso",
    lam: LambdaOption = None,
    rank_by: RankByOption = "predicted",
    samples: SamplesOption = 500,
    components: ComponentsOption = 6,
    window: WindowOption = None,
    memory_mb: MemoryOption = 256.0,
    max_apps: MaxAppsOption = None,
    jobs: JobsOption = 1,
    seed: SeedOption = 0,
    json: JsonOption = False,
    skip_invalid: SkipInvalidOption = False,
) -> None:
    """Train, evaluate, explain and measure fidelity in one folder."""
    from droidlens.pipeline.full import run_pipeline

    settings = _train_settings(
        model=model_type,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
        max_calls=max_calls,
        embeddings=embeddings,
        device=device,
    )
    options = explain_options(
        method=method,
        smoother=smoother,
        lam=lam,
        rank_by=rank_by,
        samples=samples,
        components=components,
        window=window,
        memory_mb=memory_mb,
    )
    print_run(
        run_pipeline(
            data,
            out,
            test_data=test_data,
            settings=settings,
            method=method,
            options=options,
            max_apps=max_apps,
            seed=seed,
            write_json=json,
            skip_invalid=skip_invalid,
            jobs=jobs,
            progress=PROGRESS["enabled"],
        )
    )


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option("--out", file_okay=False, help="Folder for every result.")
    ] = Path("demo-run"),
    n_apps: Annotated[int, typer.Option("--apps", min=50, help="Apps to generate.")] = 2000,
    epochs: Epochs = 15,
    seed: SeedOption = 0,
) -> None:
    """Run the whole pipeline on generated apps whose malicious calls are known."""
    from dataclasses import replace

    from droidlens.pipeline.demo import DEMO_SETTINGS, run_demo

    settings = replace(DEMO_SETTINGS, epochs=epochs, seed=seed)
    print_demo(
        run_demo(out, n_apps=n_apps, seed=seed, settings=settings, progress=PROGRESS["enabled"])
    )


@app.command()
def extract(
    paths: Annotated[list[Path], typer.Argument(help="APK, dex or JAR files, or folders.")],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="JSON Lines file to append to (.jsonl or .jsonl.gz)."),
    ],
    jobs: Annotated[int, typer.Option(min=1, help="Parallel worker processes.")] = 1,
    timeout: Annotated[float, typer.Option(min=1.0, help="Seconds allowed per file.")] = 120.0,
    label: Annotated[str | None, typer.Option(help="Label to record: malware or benign.")] = None,
) -> None:
    """Extract API-call sequences statically from app files (never run) into JSON Lines."""
    from droidlens.data.apk import extract_many

    summary = extract_many(
        paths, out_path=out, jobs=jobs, timeout=timeout, label=label, progress=PROGRESS["enabled"]
    )
    print_extraction(summary)
    if summary.n_failed and not summary.n_succeeded and not summary.n_skipped:
        raise DroidlensError(
            f"no file was extracted: all {summary.n_failed} failed (reasons above and in "
            f"{summary.errors_path})"
        )


app.command("compare")(compare_command)


def main() -> None:
    """Run the command line; errors a user can fix print one line and exit with status 1."""
    try:
        app()
    except (DroidlensError, ValueError) as error:
        if logging.getLogger().isEnabledFor(logging.DEBUG):
            raise
        typer.echo(f"error: {error}", err=True)
        sys.exit(1)
