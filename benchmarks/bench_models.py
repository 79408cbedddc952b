"""Train the four detectors on the same split and record test scores and speed.

Each model is trained with ``droidlens.pipeline.training.train_run`` on the labelled Android
data set with seed 0, so all models see the same train / validation / test split. The table
gives the test-split F1, TPR, FPR, accuracy and precision of the best validation-F1 epoch and
the training seconds per epoch, validation included. Inference speed is in test apps per
second of ``model.predict_proba`` on the reloaded run folder, the median of three timed passes
after one warm-up pass.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_models.py [--threads 1] [--epochs 10]
[--models bilstm1 attention] [--model-epochs attention=5] [--out DIR] [--append]``
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from _environment import header_lines, load_average

from droidlens.models.io import load_run
from droidlens.pipeline.apps import select_apps
from droidlens.pipeline.training import TrainSettings, train_run

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "android_api_sequences.jsonl.gz"
RESULTS = REPO / "benchmarks" / "results" / "models.md"
MODELS = ("bilstm1", "bilstm2", "bilstm3", "attention")
TIMED_PASSES = 3

logger = logging.getLogger("bench_models")


@dataclass
class ModelRow:
    """One trained model's scores and speed."""

    model: str
    epochs: int
    best_epoch: int
    seconds_per_epoch: float
    n_test: int
    f1: float
    tpr: float
    fpr: float
    accuracy: float
    precision: float
    apps_per_second: float

    def markdown(self) -> str:
        """Return the row as a Markdown table line, rates in percent."""
        rates = " | ".join(
            f"{100 * value:.1f}"
            for value in (self.f1, self.tpr, self.fpr, self.accuracy, self.precision)
        )
        return (
            f"| {self.model} | {self.epochs} | {self.best_epoch} | {rates} | {self.n_test} "
            f"| {self.seconds_per_epoch:.1f} | {self.apps_per_second:.1f} |"
        )


TABLE_HEAD = [
    "| model | epochs | best epoch | test F1 % | TPR % | FPR % | accuracy % | precision % "
    "| test apps | train s/epoch | inference apps/s |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
]


def time_inference(run_dir: Path, data: Path) -> tuple[int, float]:
    """Return the number of test apps and the median test apps per second of the saved run."""
    run = load_run(run_dir)
    encoded, _ = select_apps(run, data=data)
    run.model.predict_proba(encoded.tokens)
    seconds = []
    for _ in range(TIMED_PASSES):
        began = time.perf_counter()
        run.model.predict_proba(encoded.tokens)
        seconds.append(time.perf_counter() - began)
    return len(encoded), len(encoded) / statistics.median(seconds)


def benchmark_model(name: str, epochs: int, data: Path, out_dir: Path) -> ModelRow:
    """Train one model into ``out_dir/name`` and measure it."""
    settings = TrainSettings(model=name, epochs=epochs, seed=0)
    summary = train_run(data, out_dir / name, settings=settings)
    if summary.test is None:
        raise RuntimeError(f"{name}: the test split is empty, so there is nothing to score")
    n_test, apps_per_second = time_inference(summary.run_dir, data)
    metrics = summary.test.metrics
    return ModelRow(
        model=name,
        epochs=epochs,
        best_epoch=summary.result.best_epoch,
        seconds_per_epoch=summary.result.seconds_per_epoch,
        n_test=n_test,
        f1=metrics.f1,
        tpr=metrics.tpr,
        fpr=metrics.fpr,
        accuracy=metrics.accuracy,
        precision=metrics.precision,
        apps_per_second=apps_per_second,
    )


def _parse_model_epochs(pairs: list[str]) -> dict[str, int]:
    epochs: dict[str, int] = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name not in MODELS or not value.isdigit() or int(value) < 1:
            raise SystemExit(
                f"invalid --model-epochs value {pair!r}: expected NAME=EPOCHS with NAME one of "
                f"{', '.join(MODELS)} and EPOCHS a positive integer, such as attention=5"
            )
        epochs[name] = int(value)
    return epochs


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="labelled apps, JSON Lines (default: the shared Android data set)",
    )
    parser.add_argument("--epochs", type=int, default=10, help="training epochs per model")
    parser.add_argument(
        "--model-epochs",
        nargs="*",
        default=[],
        metavar="NAME=EPOCHS",
        help="epochs for single models instead of --epochs, e.g. attention=5",
    )
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the run folders (default: a temporary folder)",
    )
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads(N)")
    parser.add_argument(
        "--append",
        action="store_true",
        help="add this table to results/models.md instead of replacing it",
    )
    return parser.parse_args()


def _section(args: argparse.Namespace, rows: list[ModelRow], load_at_start: str) -> list[str]:
    return [
        f"## {', '.join(row.model for row in rows)} on {args.data.name}",
        "",
        *header_lines(load_at_start=load_at_start),
        "",
        *TABLE_HEAD,
        *(row.markdown() for row in rows),
        "",
    ]


def main() -> None:
    """Train each model, print the table and write it to ``benchmarks/results/models.md``."""
    args = _parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    if not args.data.is_file():
        print(
            f"skipped: the data file {args.data} is not there; pass --data with a labelled "
            "JSON Lines file of apps"
        )
        return
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    model_epochs = _parse_model_epochs(args.model_epochs)
    load_at_start = load_average()

    earlier = (
        RESULTS.read_text(encoding="utf-8") + "\n"
        if args.append and RESULTS.is_file()
        else "# Detectors trained on the same split\n\n"
    )
    rows: list[ModelRow] = []
    with tempfile.TemporaryDirectory(prefix="bench_models_") as scratch:
        out_dir = args.out or Path(scratch)
        print(*TABLE_HEAD, sep="\n", flush=True)
        for name in args.models:
            row = benchmark_model(name, model_epochs.get(name, args.epochs), args.data, out_dir)
            rows.append(row)
            print(row.markdown(), flush=True)
            # Rewritten after each model, so an interrupted run keeps the finished rows.
            section = _section(args, rows, load_at_start)
            RESULTS.write_text(earlier + "\n".join(section), encoding="utf-8")
    print(f"wrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
