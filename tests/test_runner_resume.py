"""A killed explanation run resumes where it stopped and recomputes no finished app."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from droidlens.data.encode import encode_apps
from droidlens.explain.store import ExplanationJournal
from tiny import build_vocab, tiny_apps

TESTS_DIR = Path(__file__).resolve().parent
N_APPS = 16
SCRIPT = """
import hashlib, sys, time
from pathlib import Path

import torch

sys.path.insert(0, {tests_dir!r})
from tiny import build_vocab, tiny_apps

from droidlens.data.encode import encode_apps
from droidlens.explain.occlusion import explain_occlusion
from droidlens.explain.registry import MethodSpec, register_method
from droidlens.explain.runner import explain_apps
from droidlens.models.registry import build_model

out_dir, log, delay = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])


def slow_occlusion(model, tokens, *, target, rng, options):
    with log.open("a", encoding="utf-8") as handle:
        handle.write(hashlib.sha1(tokens.tobytes()).hexdigest() + "\\n")
    time.sleep(delay)
    return explain_occlusion(model, tokens, target=target, rng=rng, options=options)


register_method(MethodSpec("test-slow", slow_occlusion, deterministic=True))
apps = tiny_apps({n_apps}, seed=7, max_len=40)
vocab = build_vocab(apps)
torch.manual_seed(0)
model = build_model("bilstm1", vocab_size=len(vocab), max_words=10).eval()
explain_apps(model, encode_apps(apps, vocab), method="test-slow", out_dir=out_dir)
"""


def start(script: Path, out_dir: Path, log: Path, delay: float) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, str(script), str(out_dir), str(log), str(delay)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_for_rows(
    journal: Path, n_rows: int, process: subprocess.Popen, timeout: float = 90.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if journal.is_file() and len(journal.read_text(encoding="utf-8").splitlines()) >= n_rows:
            return
        if process.poll() is not None:
            pytest.fail(f"the run ended early: {process.stdout.read().decode()}")
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"no {n_rows} journal rows after {timeout} s")


def test_runner_killed_run_resumes(tmp_path: Path) -> None:
    script = tmp_path / "explain.py"
    script.write_text(SCRIPT.format(tests_dir=str(TESTS_DIR), n_apps=N_APPS), encoding="utf-8")
    out_dir, log = tmp_path / "out", tmp_path / "calls.log"
    journal = out_dir / "test-slow.jsonl"

    # Kill the run after a few rows, long before its last app.
    process = start(script, out_dir, log, delay=0.2)
    wait_for_rows(journal, 3, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = ExplanationJournal(journal).read()
    assert 3 <= len(before) < N_APPS
    n_logged_at_kill = len(log.read_text(encoding="utf-8").splitlines())

    finished = start(script, out_dir, log, delay=0.0)
    output = finished.communicate(timeout=120)[0].decode()
    assert finished.returncode == 0, output

    rows = ExplanationJournal(journal).read()
    apps = tiny_apps(N_APPS, seed=7, max_len=40)
    encoded = encode_apps(apps, build_vocab(apps))
    assert sorted(row["id"] for row in rows) == sorted(encoded.ids)
    # Rows written before the kill come back unchanged, timings included.
    by_id = {row["id"]: row for row in rows}
    for row in before:
        assert by_id[row["id"]] == row

    # No finished app was explained again; only the rest were.
    hashes = log.read_text(encoding="utf-8").splitlines()
    digest = {
        app_id: hashlib.sha1(encoded.app_tokens(i).tobytes()).hexdigest()
        for i, app_id in enumerate(encoded.ids)
    }
    for row in before:
        assert hashes.count(digest[row["id"]]) == 1, row["id"]
    assert len(hashes) - n_logged_at_kill == N_APPS - len(before)

    import pandas as pd

    table = pd.read_parquet(out_dir / "test-slow.parquet")
    assert table["id"].tolist() == encoded.ids
    for ranking, seq_len in zip(table["ranking"], encoded.seq_len, strict=True):
        assert sorted(np.asarray(ranking).tolist()) == list(range(seq_len))
    assert json.loads(journal.read_text(encoding="utf-8").splitlines()[-1])["id"] in encoded.ids
