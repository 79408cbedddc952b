"""The commands of ``droidlens`` on tiny generated data, through typer's test runner."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from droidlens.cli.main import app
from tiny import write_tiny_data

TRAIN_OPTIONS = ["--epochs", "2", "--batch-size", "16", "--learning-rate", "0.01", "--seed", "3"]


def invoke(*args: str | Path) -> Result:
    result = CliRunner().invoke(app, [str(arg) for arg in args])
    assert result.exit_code == 0, (result.output, result.exception)
    return result


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_data(
        tmp_path_factory.mktemp("data") / "apps.jsonl.gz", 80, seed=21, max_len=50
    )


@pytest.fixture(scope="module")
def other_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_data(tmp_path_factory.mktemp("data") / "other.jsonl", 10, seed=22, max_len=40)


@pytest.fixture(scope="module")
def run_dir(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "run"
    result = invoke("--quiet", "train", "--data", data, "--out", out, *TRAIN_OPTIONS)
    assert result.stdout.startswith("best epoch ")
    assert "test split:" in result.stdout
    assert f"run folder: {out}" in result.stdout
    return out


def test_cli_train_files(run_dir: Path) -> None:
    for name in (
        "config.json",
        "model.safetensors",
        "vocab.json",
        "split.json",
        "history.csv",
        "metrics/test.json",
    ):
        assert (run_dir / name).is_file(), name


def test_cli_train_summary_no_training(data: Path, tmp_path: Path) -> None:
    result = invoke(
        "train", "--data", data, "--out", tmp_path / "run", "--summary", "--max-calls", "50"
    )
    assert "embedding" in result.stdout.lower()
    assert not (tmp_path / "run").exists()


def test_cli_train_options_recorded(data: Path, tmp_path: Path) -> None:
    invoke(
        "--quiet",
        "train",
        "--data",
        data,
        "--out",
        tmp_path / "run",
        "--epochs",
        "1",
        "--max-words",
        "4",
        "--max-calls",
        "30",
        "--camel-case",
        "--model-type",
        "bilstm2",
    )
    config = json.loads((tmp_path / "run" / "config.json").read_text(encoding="utf-8"))
    assert config["model"] == "bilstm2"
    assert config["tokenizer"] == {"max_words": 4, "max_calls": 30, "camel_case": True}


def test_cli_evaluate(run_dir: Path, other_data: Path) -> None:
    result = invoke("evaluate", "--model", run_dir)
    assert result.stdout.startswith("test:\napps")
    assert str(run_dir / "metrics" / "test.json") in result.stdout
    other = invoke("evaluate", "--model", run_dir, "--test-data", other_data)
    assert other.stdout.startswith("test-data-other:\napps              10")
    assert (run_dir / "metrics" / "test-data-other.json").is_file()


def test_cli_explain_resume_restart(run_dir: Path) -> None:
    first = invoke("explain", "--model", run_dir, "--max-apps", "3", "--json")
    assert first.stdout.startswith("explained 3 apps (0 resumed from an earlier run)")
    folder = run_dir / "explanations"
    assert (folder / "occlusion-fusedlasso.parquet").is_file()
    records = json.loads((folder / "occlusion-fusedlasso.json").read_text(encoding="utf-8"))
    assert {
        "seq",
        "X sequence len",
        "synthetic y",
        "fusedlasso coef",
        "fusedlasso ranking",
        "y",
        "prediction time",
        "elapsed time",
    } <= set(records[0])
    again = invoke("explain", "--model", run_dir, "--max-apps", "3")
    assert again.stdout.startswith("explained 3 apps (3 resumed from an earlier run)")
    restarted = invoke("explain", "--model", run_dir, "--max-apps", "3", "--restart")
    assert restarted.stdout.startswith("explained 3 apps (0 resumed")


def test_cli_explain_smoother_and_rank_by(run_dir: Path) -> None:
    invoke(
        "explain",
        "--model",
        run_dir,
        "--max-apps",
        "2",
        "--smoother",
        "trend2",
        "--rank-by",
        "benign",
        "--lam",
        "0.001",
    )
    frame = pd.read_parquet(run_dir / "explanations" / "occlusion-trend2-benign.parquet")
    assert "trend2 coef" in frame.columns
    assert frame["lambda"].tolist() == [0.001, 0.001]


def test_cli_fidelity(run_dir: Path) -> None:
    invoke("explain", "--model", run_dir, "--max-apps", "3")
    result = invoke("fidelity", "--model", run_dir, "--json")
    assert result.stdout.startswith("synthetic test by count (F1 %):")
    folder = run_dir / "fidelity"
    for name in (
        "synthetic_count.parquet",
        "synthetic_percent.parquet",
        "synthetic.png",
        "synthetic_count_random.json",
        "synthetic_percent_occlusion-fusedlasso.json",
    ):
        assert (folder / name).is_file(), name
    curve = json.loads((folder / "synthetic_count_random.json").read_text(encoding="utf-8"))
    assert set(curve[0]) == {"k", "f1", "tpr", "fpr", "accuracy", "precision"}


def test_cli_fidelity_out_keeps_default_folder(run_dir: Path, tmp_path: Path) -> None:
    invoke("explain", "--model", run_dir, "--max-apps", "3")
    invoke("fidelity", "--model", run_dir)
    before = (run_dir / "fidelity" / "synthetic_count.parquet").read_bytes()
    other = tmp_path / "trend-fidelity"
    invoke("fidelity", "--model", run_dir, "--out", other, "--seed", "5")
    assert (other / "synthetic_count.parquet").is_file()
    assert (other / "synthetic.png").is_file()
    assert (run_dir / "fidelity" / "synthetic_count.parquet").read_bytes() == before


def test_cli_run_with_test_data(data: Path, other_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = invoke(
        "--quiet",
        "run",
        "--data",
        data,
        "--out",
        out,
        "--test-data",
        other_data,
        "--epochs",
        "1",
        "--max-apps",
        "4",
        "--json",
    )
    assert result.stdout.startswith("test apps:\napps              10")
    assert "results:" in result.stdout
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["metrics"]["n_apps"] == 10
    assert (out / "metrics" / "test-data-other.json").is_file()
    assert (out / "explanations" / "occlusion-fusedlasso.json").is_file()
    assert len(pd.read_parquet(out / "explanations" / "occlusion-fusedlasso.parquet")) == 4


def test_cli_demo(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = invoke("--quiet", "demo", "--apps", "200", "--epochs", "1", "--out", out)
    assert "explanation correctness" in result.stdout
    truth = pd.read_csv(out / "ground_truth.csv")
    assert set(truth["ranking"]) == {"occlusion", "random"}
    assert truth["k"].tolist() == [1, 1, 5, 5, 10, 10]
    assert (out / "data" / "synthetic-apps.jsonl.gz").is_file()
    assert "ground_truth" in json.loads((out / "summary.json").read_text(encoding="utf-8"))


def test_cli_quiet_and_verbose(run_dir: Path) -> None:
    quiet = invoke("--quiet", "evaluate", "--model", run_dir)
    assert "INFO" not in quiet.stderr
    normal = invoke("evaluate", "--model", run_dir)
    assert "INFO droidlens.pipeline.apps: using 8 apps" in normal.stderr
    verbose = invoke("--verbose", "evaluate", "--model", run_dir)
    assert "INFO droidlens.pipeline.apps" in verbose.stderr


def test_cli_help_lists_commands() -> None:
    result = invoke("--help")
    for command in ("train", "evaluate", "explain", "fidelity", "run", "demo"):
        assert command in result.stdout
