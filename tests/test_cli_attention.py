"""`droidlens run --model attention`, with the attention ranking in the fidelity curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from droidlens.cli.main import app
from tiny import write_tiny_data


def test_run_attention_adds_attention_curve(tmp_path: Path) -> None:
    data = write_tiny_data(tmp_path / "apps.jsonl.gz", 60, seed=4, max_len=30)
    out = tmp_path / "run"

    result = CliRunner().invoke(
        app,
        [
            "run",
            "--data",
            str(data),
            "--out",
            str(out),
            "--model",
            "attention",
            "--epochs",
            "1",
            "--batch-size",
            "16",
        ],
    )

    assert result.exit_code == 0, (result.output, result.exception)
    assert (out / "explanations" / "occlusion-fusedlasso.parquet").is_file()
    attention = pd.read_parquet(out / "explanations" / "attention.parquet")
    assert set(attention["method"]) == {"attention"}
    for seq_len, ranking in zip(attention["seq_len"], attention["ranking"], strict=True):
        assert np.array_equal(np.sort(ranking), np.arange(seq_len))
    curves = pd.read_parquet(out / "fidelity" / "synthetic_count.parquet")
    assert set(curves["ranking"]) == {"occlusion-fusedlasso", "attention", "random"}
