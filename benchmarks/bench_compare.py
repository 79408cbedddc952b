"""Time the explanation methods per app on an untrained BiLSTM of the original system's size.

Captum's feature ablation over calls (one forward pass per call) is the baseline. Every other
method is reported as a ratio of its median seconds per app. droidlens' own raw occlusion is
timed too when ``droidlens.explain.occlusion`` is present.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_compare.py [--lengths 100 400]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

import droidlens.explain.baselines  # noqa: F401  (registers the methods)
from droidlens.explain.baselines import ablate_calls
from droidlens.explain.options import ExplainOptions
from droidlens.explain.registry import METHODS, get_method
from droidlens.models.registry import build_model

VOCAB_SIZE = 20761
MAX_WORDS = 10
METHOD_NAMES = ["random", "gradient", "integrated-gradients", "lime", "kernelshap"]


def _apps(n_apps: int, seq_len: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    apps = []
    for _ in range(n_apps):
        tokens = np.zeros((seq_len, MAX_WORDS), dtype=np.int32)
        tokens[:, :6] = rng.integers(3, VOCAB_SIZE, size=(seq_len, 6))
        apps.append(tokens)
    return apps


def _median_seconds(explain: Callable[[np.ndarray], object], apps: list[np.ndarray]) -> float:
    explain(apps[0][:10])  # warm-up outside the timing
    seconds = []
    for tokens in apps:
        start = time.perf_counter()
        explain(tokens)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[100, 400])
    parser.add_argument("--apps", type=int, default=3, help="apps per length")
    parser.add_argument("--samples", type=int, default=500, help="LIME and Kernel SHAP samples")
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = build_model("bilstm1", vocab_size=VOCAB_SIZE, max_words=MAX_WORDS).eval()
    options = ExplainOptions(n_samples=args.samples)
    names = list(METHOD_NAMES)
    if "occlusion-raw" in METHODS or _try_import_occlusion():
        names.insert(0, "occlusion-raw")

    print("| calls | method | median s/app | ratio to Captum ablation |")
    print("|---|---|---|---|")
    for seq_len in args.lengths:
        apps = _apps(args.apps, seq_len, seed=seq_len)
        baseline = _median_seconds(
            lambda t: ablate_calls(model, t, target=1, options=options), apps
        )
        print(f"| {seq_len} | captum-ablation | {baseline:.3f} | 1.00 |")
        for name in names:
            spec = get_method(name)
            median = _median_seconds(
                lambda t, spec=spec: spec.explain(
                    model, t, target=1, rng=np.random.default_rng(0), options=options
                ),
                apps,
            )
            print(f"| {seq_len} | {name} | {median:.3f} | {median / baseline:.2f} |")


def _try_import_occlusion() -> bool:
    try:
        import droidlens.explain.occlusion  # noqa: F401
    except ModuleNotFoundError:
        return False
    return "occlusion-raw" in METHODS


if __name__ == "__main__":
    main()
