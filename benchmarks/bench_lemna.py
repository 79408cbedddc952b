"""Time LEMNA per app on an untrained 1-layer BiLSTM and measure its stability over seeds.

For each app length: median seconds per app (model calls and mixture fit apart) with 500
perturbed copies and 6 components. The baseline is the same EM with the exact solver
``droidlens.solvers.fused_lasso_regression`` as its M-step, on the same perturbed copies of
the first app of each length in ``--baseline-lengths``. Stability is the mean top-10
overlap of the rankings from three seeds, on synthetic detectors whose relevant calls are
known.

Run: ``OMP_NUM_THREADS=2 .venv/bin/python benchmarks/bench_lemna.py [--lengths 100 500 2000]``
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
import warnings

import numpy as np
import torch

import droidlens.explain.lemna.mixture as mixture_module
from droidlens.explain.lemna import FusedMixtureRegression, explain_lemna, perturb_app
from droidlens.explain.options import ExplainOptions
from droidlens.explain.result import rank_relevance
from droidlens.models.base import Detector
from droidlens.models.registry import build_model
from droidlens.solvers import fused_lasso_regression

VOCAB_SIZE = 20761
MAX_WORDS = 10
KEY_WORDS = (7, 8, 9, 11, 12)


class KeyWordDetector(Detector):
    """Malicious logit = 1.5 * (distinct key words among the real calls) - 3."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.tensor(1.5))

    def forward_compact(self, calls: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        steps = torch.arange(calls.shape[1])[None, :] < lengths[:, None]
        found = [((calls[:, :, 0] == word) & steps).any(dim=1) for word in KEY_WORDS]
        logit = self.weight * torch.stack(found, dim=1).float().sum(dim=1) - 3.0
        return torch.stack([torch.zeros_like(logit), logit], dim=1)


def _app(seq_len: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    tokens = np.zeros((seq_len, MAX_WORDS), dtype=np.int32)
    tokens[:, :6] = rng.integers(20, VOCAB_SIZE, size=(seq_len, 6))
    return tokens


def _keyed_app(seq_len: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    tokens = _app(seq_len, seed)
    positions = np.random.default_rng(seed + 1).choice(seq_len, len(KEY_WORDS), replace=False)
    tokens[positions, 0] = KEY_WORDS
    return tokens, np.sort(positions)


def _bilstm(seed: int) -> Detector:
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return build_model("bilstm1", vocab_size=VOCAB_SIZE, max_words=MAX_WORDS).eval()


def _exact_m_step(X, y, weights, coef, *, lam, tol, max_iter):
    """Solve each component with the exact solver; same signature as the FISTA batch."""
    design = np.asarray(X, dtype=np.float64)
    columns = [
        fused_lasso_regression(design, y, lam=lam, order=0, sample_weight=weights[:, k]).coef
        for k in range(weights.shape[1])
    ]
    return np.column_stack(columns), 1, np.ones(weights.shape[1], dtype=bool)


def time_lengths(lengths: list[int], baseline_lengths: list[int], repeats: int) -> None:
    """Print one table row per app length."""
    model = _bilstm(0)
    model.predict_proba(_app(10, 0)[None], batch_size=1)  # warm-up: first-call setup
    options = ExplainOptions()
    print("| seq_len | total s | model s | fit s | EM iterations | exact M-step fit s | ratio |")
    print("|---|---|---|---|---|---|---|")
    for seq_len in lengths:
        totals, predictions, fits, iterations, exact_fits = [], [], [], [], []
        for repeat in range(repeats):
            rng = np.random.default_rng(repeat)
            began = time.perf_counter()
            samples = perturb_app(
                model, _app(seq_len, repeat), target=1, rng=rng, n_samples=options.n_samples
            )
            fitted_at = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = FusedMixtureRegression(options.n_components).fit(
                    samples.design, samples.target, rng=rng
                )
            ended = time.perf_counter()
            totals.append(ended - began)
            predictions.append(samples.prediction_seconds)
            fits.append(ended - fitted_at)
            iterations.append(fit.n_iter_)
            if seq_len in baseline_lengths and repeat == 0:
                exact_fits.append(_time_exact_fit(samples, repeat, options.n_components))
        exact = f"{statistics.median(exact_fits):.2f}" if exact_fits else "-"
        ratio = (
            f"{statistics.median(exact_fits) / statistics.median(fits):.1f}" if exact_fits else "-"
        )
        print(
            f"| {seq_len} | {statistics.median(totals):.2f} | {statistics.median(predictions):.2f} "
            f"| {statistics.median(fits):.2f} | {statistics.median(iterations):.0f} | {exact} "
            f"| {ratio} |",
            flush=True,
        )


def _time_exact_fit(samples, repeat: int, n_components: int) -> float:
    original = mixture_module.solve_fused_regressions
    mixture_module.solve_fused_regressions = _exact_m_step
    try:
        began = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            FusedMixtureRegression(n_components).fit(
                samples.design, samples.target, rng=np.random.default_rng(repeat)
            )
        return time.perf_counter() - began
    finally:
        mixture_module.solve_fused_regressions = original


def measure_stability(seq_len: int, n_apps: int) -> None:
    """Print the mean top-10 overlap over three seeds and where the key calls rank."""
    print(
        "| detector | lam | top-10 overlap (mean over apps and seed pairs) | key calls in top 5 |"
    )
    print("|---|---|---|---|")
    detectors = {"key words": KeyWordDetector(), "untrained bilstm1": _bilstm(1)}
    for (name, model), lam in itertools.product(detectors.items(), (None, 1.0)):
        options = ExplainOptions(lam=lam)
        overlaps, hits = [], []
        for app in range(n_apps):
            tokens, keys = _keyed_app(seq_len, 100 + app)
            tops = []
            for seed in range(3):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    output = explain_lemna(
                        model, tokens, target=1, rng=np.random.default_rng(seed), options=options
                    )
                ranking = rank_relevance(output.relevance)
                tops.append(set(ranking[:10].tolist()))
                hits.append(len(set(ranking[:5].tolist()) & set(keys.tolist())) / len(keys))
            overlaps += [len(a & b) / 10 for a, b in itertools.combinations(tops, 2)]
        lam_text = "default: std(y) sqrt(log p)" if lam is None else f"{lam:g}"
        hit_text = f"{np.mean(hits):.2f}" if name == "key words" else "-"
        print(f"| {name} | {lam_text} | {np.mean(overlaps):.2f} | {hit_text} |", flush=True)


def main() -> None:
    """Parse the command line and print both tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[100, 500, 2000])
    parser.add_argument(
        "--baseline-lengths",
        type=int,
        nargs="*",
        default=[100],
        help="lengths where the exact-solver EM also runs, on the first app only (slow)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="apps per length")
    parser.add_argument("--stability-length", type=int, default=100)
    parser.add_argument(
        "--stability-apps", type=int, default=3, help="apps for the stability table; 0 skips it"
    )
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    time_lengths(args.lengths, args.baseline_lengths, args.repeats)
    if args.stability_apps > 0:
        print()
        measure_stability(args.stability_length, args.stability_apps)


if __name__ == "__main__":
    main()
