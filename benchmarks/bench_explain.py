"""Time occlusion explanations and the synthetic fidelity test per app.

All models are untrained (seed 0, vocabulary of 6000 word ids, 10 word slots per call) and in
eval mode. Apps hold random real-word ids (3..5999) in 6 of the 10 word slots. Every time is
the median over ``--apps`` apps of one length, after one warm-up app of 10 calls per method.

- occlusion fast: ``explain_occlusion`` with fused-lasso smoothing on ``bilstm1``, whose
  ``occlusion_outputs`` computes the outputs with every call deleted in one shared pass.
- occlusion generic: ``synthetic_y`` on the same model with ``occlusion_outputs`` hidden, so
  every copy of the app with one call nullified is predicted in batches.
- Captum: ``FeatureAblation`` with one feature per call (``ablate_calls``), the outside
  baseline.
- ``bilstm2`` and ``attention``: ``explain_occlusion``, which takes the generic path there.
- synthetic test: ``synthetic_test(..., by="count")`` on ``--synthetic-apps`` apps of 500
  calls with the default grid of k and random rankings, divided by the number of apps.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_explain.py [--threads 1] [--quick]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from _environment import header_lines, load_average

from droidlens.data.encode import EncodedApps
from droidlens.explain.baselines import ablate_calls
from droidlens.explain.occlusion import explain_occlusion, synthetic_y
from droidlens.explain.options import ExplainOptions
from droidlens.explain.result import MethodOutput
from droidlens.fidelity.synthetic import synthetic_test
from droidlens.models.base import Detector
from droidlens.models.registry import build_model

VOCAB_SIZE = 6000
MAX_WORDS = 10
FIRST_REAL_WORD = 3
FILLED_SLOTS = 6
RESULTS = Path(__file__).resolve().parent / "results" / "explain.md"

# Lengths of the generic-path models, and of the synthetic-test apps.
OTHER_MODEL_LENGTHS = (100, 500)
SYNTHETIC_LENGTH = 500


def random_app(seq_len: int, rng: np.random.Generator) -> np.ndarray:
    """Return ``(seq_len, MAX_WORDS)`` tokens with random real words in the first slots."""
    tokens = np.zeros((seq_len, MAX_WORDS), dtype=np.int32)
    tokens[:, :FILLED_SLOTS] = rng.integers(
        FIRST_REAL_WORD, VOCAB_SIZE, size=(seq_len, FILLED_SLOTS)
    )
    return tokens


def untrained(name: str) -> Detector:
    """Build the registered model ``name`` with seed 0, in eval mode."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return build_model(name, vocab_size=VOCAB_SIZE, max_words=MAX_WORDS).eval()


def timed_outputs(
    explain: Callable[[np.ndarray], object], apps: list[np.ndarray]
) -> tuple[float, list[object]]:
    """Return the median seconds of ``explain`` over ``apps`` and its outputs.

    A 10-call piece of the first app runs first, untimed, so one-time setup (compilation,
    allocator growth) is left out.
    """
    explain(apps[0][:10])
    seconds, outputs = [], []
    for tokens in apps:
        began = time.perf_counter()
        outputs.append(explain(tokens))
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds), outputs


def generic_synthetic_y(model: Detector, tokens: np.ndarray, options: ExplainOptions) -> np.ndarray:
    """Run ``synthetic_y`` with the model's shared-deletion shortcut switched off."""
    model.occlusion_outputs = lambda tokens: None  # an instance attribute hides the method
    try:
        return synthetic_y(model, tokens, memory_budget_mb=options.memory_budget_mb)[0]
    finally:
        del model.occlusion_outputs


def bilstm1_rows(lengths: list[int], n_apps: int, options: ExplainOptions) -> list[str]:
    """Time the fast, generic and Captum paths on ``bilstm1``; one table row per length."""
    model = untrained("bilstm1")
    fast_options = ExplainOptions(**{**options.as_dict(), "smoother": "fusedlasso"})
    rng = np.random.default_rng(0)

    def fast(tokens: np.ndarray) -> MethodOutput:
        return explain_occlusion(model, tokens, target=1, rng=rng, options=fast_options)

    def generic(tokens: np.ndarray) -> np.ndarray:
        return generic_synthetic_y(model, tokens, options)

    def captum(tokens: np.ndarray) -> object:
        return ablate_calls(model, tokens, target=1, options=options)

    rows = []
    for seq_len in lengths:
        apps = [random_app(seq_len, rng) for _ in range(n_apps)]
        fast_seconds, explanations = timed_outputs(fast, apps)
        generic_seconds, generic_ys = timed_outputs(generic, apps)
        captum_seconds, _ = timed_outputs(captum, apps)
        difference = max(
            float(np.abs(explanation.extras["synthetic y"] - generic_y).max())
            for explanation, generic_y in zip(explanations, generic_ys, strict=True)
        )
        rows.append(
            f"| {seq_len} | {n_apps} | {fast_seconds:.3f} | {generic_seconds:.3f} "
            f"| {captum_seconds:.3f} | {generic_seconds / fast_seconds:.1f} "
            f"| {captum_seconds / fast_seconds:.1f} | {difference:.1e} |"
        )
        print(rows[-1], flush=True)
    return rows


def other_model_rows(n_apps: int, options: ExplainOptions) -> list[str]:
    """Time ``explain_occlusion`` on ``bilstm2`` and ``attention``; one row per length."""
    models = {name: untrained(name) for name in ("bilstm2", "attention")}
    rng = np.random.default_rng(1)
    rows = []
    for seq_len in OTHER_MODEL_LENGTHS:
        apps = [random_app(seq_len, rng) for _ in range(n_apps)]
        times = [
            timed_outputs(
                lambda tokens, model=model: explain_occlusion(
                    model, tokens, target=1, rng=rng, options=options
                ),
                apps,
            )[0]
            for model in models.values()
        ]
        rows.append(f"| {seq_len} | {n_apps} | {times[0]:.3f} | {times[1]:.3f} |")
        print(rows[-1], flush=True)
    return rows


def synthetic_seconds_per_app(n_apps: int) -> tuple[float, int]:
    """Return the synthetic test's seconds per app on ``bilstm1`` and the number of k values."""
    model = untrained("bilstm1")
    rng = np.random.default_rng(2)
    tokens = np.stack([random_app(SYNTHETIC_LENGTH, rng) for _ in range(n_apps)])
    encoded = EncodedApps(
        ids=[f"app{row}" for row in range(n_apps)],
        labels=np.arange(n_apps, dtype=np.int64) % 2,
        tokens=tokens,
        seq_len=np.full(n_apps, SYNTHETIC_LENGTH, dtype=np.int64),
        n_calls=np.full(n_apps, SYNTHETIC_LENGTH, dtype=np.int64),
    )
    rankings = [rng.permutation(SYNTHETIC_LENGTH) for _ in range(n_apps)]
    synthetic_test(model, encoded.subset([0]), rankings[:1], by="count", grid=[0, 10])
    began = time.perf_counter()
    curve = synthetic_test(model, encoded, rankings, by="count")
    return (time.perf_counter() - began) / n_apps, len(curve)


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--lengths",
        type=int,
        nargs="+",
        default=None,
        help="app lengths for bilstm1 (default 100 500 2000; 100 500 with --quick)",
    )
    parser.add_argument("--apps", type=int, default=3, help="apps per length (median over them)")
    parser.add_argument(
        "--synthetic-apps",
        type=int,
        default=None,
        help="apps in the synthetic test (default 20; 6 with --quick)",
    )
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads(N)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="shorter lengths and fewer synthetic-test apps, for a smoke run; the "
        "results file is left unchanged",
    )
    args = parser.parse_args()
    if args.apps < 1:
        parser.error(f"--apps must be at least 1, got {args.apps}")
    if args.lengths is None:
        args.lengths = [100, 500] if args.quick else [100, 500, 2000]
    if args.synthetic_apps is None:
        args.synthetic_apps = 6 if args.quick else 20
    return args


def main() -> None:
    """Run the three measurements, print the tables and write ``results/explain.md``."""
    args = _parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    load_at_start = load_average()
    began = time.perf_counter()
    options = ExplainOptions()

    lines = [
        "## bilstm1: seconds per app of occlusion, fast and generic, and of Captum",
        "",
        "| seq_len | apps | fast occlusion s | generic synthetic y s | Captum ablation s "
        "| generic / fast | Captum / fast | max abs diff fast vs generic y |",
        "|---|---|---|---|---|---|---|---|",
    ]
    print(*lines, sep="\n", flush=True)
    lines += bilstm1_rows(args.lengths, args.apps, options)

    other_head = [
        "",
        "## Stacked and attention models: seconds per app of occlusion (generic path)",
        "",
        "| seq_len | apps | bilstm2 s | attention s |",
        "|---|---|---|---|",
    ]
    print(*other_head, sep="\n", flush=True)
    lines += other_head + other_model_rows(args.apps, options)

    per_app, n_k = synthetic_seconds_per_app(args.synthetic_apps)
    synthetic = [
        "",
        "## Synthetic fidelity test on bilstm1 (by count, default grid)",
        "",
        "| apps | seq_len | k values | seconds per app |",
        "|---|---|---|---|",
        f"| {args.synthetic_apps} | {SYNTHETIC_LENGTH} | {n_k} | {per_app:.3f} |",
    ]
    print(*synthetic, sep="\n", flush=True)
    lines += synthetic

    text = [
        "# Explanation and synthetic-test time per app",
        "",
        *header_lines(load_at_start=load_at_start),
        f"- wall time of the whole run: {time.perf_counter() - began:.0f} s",
        "",
        *lines,
        "",
    ]
    if args.quick:
        print(f"--quick: {RESULTS} left unchanged", file=sys.stderr)
        return
    RESULTS.write_text("\n".join(text), encoding="utf-8")
    print(f"wrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
