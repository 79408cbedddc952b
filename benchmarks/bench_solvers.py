"""Time droidlens' smoothing solvers against cvxpy (CLARABEL) on the same problems.

Run: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_solvers.py [--out PATH]
Writes a Markdown table with medians, the ratio cvxpy / droidlens and the largest coefficient
difference, next to genlasso's path times when ../shared is present.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import subprocess
import time
from pathlib import Path

import cvxpy as cp
import numpy as np
import pandas as pd

from droidlens.solvers import fused_lasso, trend_filter

SIZES = (100, 500, 2000, 20000)
LAM = 1.0
GENLASSO_TIMING = Path(__file__).resolve().parents[2] / "shared/reference/genlasso/timing_ord01.csv"


def _signal(n: int) -> np.ndarray:
    rng = np.random.default_rng(n)
    steps = np.repeat(rng.uniform(0, 1, size=10), -(-n // 10))[:n]
    return steps + 0.1 * rng.normal(size=n)


def _median_seconds(function, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), result


def _cvxpy_fit(y: np.ndarray, order: int) -> np.ndarray:
    beta = cp.Variable(y.size)
    objective = 0.5 * cp.sum_squares(y - beta) + LAM * cp.norm1(cp.diff(beta, order + 1))
    cp.Problem(cp.Minimize(objective)).solve(solver=cp.CLARABEL)
    return np.asarray(beta.value)


def _ours(y: np.ndarray, order: int) -> np.ndarray:
    if order == 0:
        return fused_lasso(y, lam=LAM).coef
    return trend_filter(y, lam=LAM, order=order).coef


def run() -> list[dict]:
    fused_lasso(np.arange(3.0), lam=1.0)  # compile outside the timings
    rows = []
    for order in (0, 1, 2, 3):
        for n in SIZES:
            y = _signal(n)
            repeats = 20 if order == 0 else (5 if n <= 2000 else 2)
            ours_s, coef = _median_seconds(lambda y=y, order=order: _ours(y, order), repeats)
            cvx_s, reference = _median_seconds(
                lambda y=y, order=order: _cvxpy_fit(y, order), 1 if n > 2000 else 3
            )
            name = "fusedlasso" if order == 0 else f"trend{order}"
            rows.append(
                {
                    "solver": name,
                    "n": n,
                    "droidlens_ms": 1e3 * ours_s,
                    "cvxpy_clarabel_ms": 1e3 * cvx_s,
                    "ratio": cvx_s / ours_s,
                    "max_abs_diff": float(np.abs(coef - reference).max()),
                }
            )
            print(rows[-1], flush=True)
    return rows


def render(rows: list[dict], command: str) -> str:
    machine = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in machine.splitlines()
            if line.startswith("Model name")
        ),
        platform.processor(),
    )
    n_cpus = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    lines = [
        "# Smoothing solvers",
        "",
        f"- Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M UTC}",
        f"- Machine: {model}, {n_cpus} CPUs (shared with other jobs), OMP_NUM_THREADS=1",
        f"- Command: `{command}`",
        f"- Problem: lam = {LAM}, a 10-step signal plus N(0, 0.1^2) noise; medians of repeated "
        "runs (cvxpy once at n = 20000). Ratio = cvxpy time / droidlens time. The difference is "
        "mostly cvxpy's own inaccuracy: droidlens matches genlasso 1.6.1 to 2e-9 or better "
        "where genlasso is right.",
        "",
        "| solver | n | droidlens (ms) | cvxpy CLARABEL (ms) | ratio | max abs diff |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['solver']} | {row['n']} | {row['droidlens_ms']:.3f} | "
            f"{row['cvxpy_clarabel_ms']:.1f} | {row['ratio']:.0f} | {row['max_abs_diff']:.1e} |"
        )
    if GENLASSO_TIMING.is_file():
        timing = pd.read_csv(GENLASSO_TIMING)
        lines += [
            "",
            "## genlasso 1.6.1 (R 4.2.2, from its reference run, n = 2000, whole path)",
            "",
            "| order | signal | max steps | path (s) | coef (s) | complete |",
            "|---:|---|---:|---:|---:|---|",
        ]
        for row in timing.itertuples():
            lines.append(
                f"| {row.ord} | {row.signal} | {int(row.maxsteps)} | {row.path_s:.2f} | "
                f"{row.coef_s:.3f} | {row.complete} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/solvers.md"))
    args = parser.parse_args()
    rows = run()
    command = "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_solvers.py"
    args.out.write_text(render(rows, command))


if __name__ == "__main__":
    main()
