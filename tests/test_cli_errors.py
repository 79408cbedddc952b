"""Errors a user can fix end ``droidlens`` with exit code 1 and one line, no traceback."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from droidlens.cli.main import app, main
from droidlens.cli.options import explain_options
from tiny import write_tiny_data


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli-errors")
    data = write_tiny_data(folder / "apps.jsonl", 40, seed=5, max_len=30)
    malformed = folder / "malformed.jsonl"
    lines = data.read_text(encoding="utf-8").splitlines()
    malformed.write_text("\n".join([lines[0], lines[1][:40], *lines[2:]]) + "\n", encoding="utf-8")
    run = folder / "run"
    result = CliRunner().invoke(
        app, ["--quiet", "train", "--data", str(data), "--out", str(run), "--epochs", "1"]
    )
    assert result.exit_code == 0, result.output
    return {"data": data, "malformed": malformed, "run": run, "folder": folder}


def run_main(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["droidlens", *argv])
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        with pytest.raises(SystemExit) as caught:
            main()
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    out, err = capsys.readouterr()
    return int(caught.value.code or 0), out, err


ERRORS = [
    (
        ["train", "--data", "{folder}/missing.jsonl", "--out", "{folder}/x"],
        r"error: data file not found: .*missing.jsonl; check the path",
    ),
    (
        ["train", "--data", "{malformed}", "--out", "{folder}/x"],
        r"error: .*malformed.jsonl:2: malformed JSON .*; fix the line or pass --skip-invalid",
    ),
    (
        ["evaluate", "--model", "{folder}"],
        r"error: .* is not a run folder: config.json is missing; pass the --out folder",
    ),
    (
        ["train", "--data", "{data}", "--out", "{folder}/x", "--model-type", "gru"],
        r"error: unknown model 'gru'; choose one of attention, bilstm1, bilstm2, bilstm3",
    ),
    (
        ["explain", "--model", "{run}", "--method", "magic"],
        r"error: unknown explanation method 'magic'; choose one of .*occlusion",
    ),
    (
        ["explain", "--model", "{run}", "--smoother", "wavelet"],
        r"error: unknown smoother 'wavelet'; choose one of fusedlasso",
    ),
    (
        ["explain", "--model", "{run}", "--rank-by", "size"],
        r"error: rank_by must be one of \('predicted', 'benign'\), got 'size'",
    ),
    (
        ["run", "--data", "{data}", "--out", "{folder}/y", "--method", "magic"],
        r"error: unknown explanation method 'magic'",
    ),
    (
        ["evaluate", "--model", "{run}", "--test-data", "{malformed}"],
        r"error: .*malformed.jsonl:2: malformed JSON",
    ),
    (
        ["compare", "--model", "{folder}/no-run", "--methods", "occlusion,magic"],
        r"error: unknown explanation method 'magic'",
    ),
    (
        ["compare", "--model", "{folder}/no-run", "--tests", "synthetic,stabilty"],
        r"error: unknown or missing fidelity tests \['stabilty'\]",
    ),
    (
        ["fidelity", "--model", "{run}", "--explanations", "{folder}/none.parquet"],
        r"error: explanation file not found: .*none.parquet; run `droidlens explain` first",
    ),
]


@pytest.mark.parametrize(("argv", "message"), ERRORS)
def test_cli_error_one_line(
    files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    argv = [arg.format(**files) for arg in argv]
    code, out, err = run_main(["--quiet", *argv], monkeypatch, capsys)
    assert code == 1
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert re.match(message, err.strip()), err


def test_cli_skip_invalid_continues(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(
        [
            "train",
            "--data",
            str(files["malformed"]),
            "--out",
            str(files["folder"] / "skip"),
            "--epochs",
            "1",
            "--skip-invalid",
        ],
        monkeypatch,
        capsys,
    )
    assert code == 0
    assert "skipped 1 invalid record(s)" in err
    assert "best epoch" in out


def test_cli_entry_point_error(files: dict[str, Path]) -> None:
    script = Path(sys.executable).parent / "droidlens"
    if not script.is_file():
        pytest.skip(f"{script} is not installed")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [str(script), "evaluate", "--model", str(files["folder"])],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: ")
    assert "is not a run folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_bad_option_value_exit_2(files: dict[str, Path]) -> None:
    result = CliRunner().invoke(
        app, ["train", "--data", str(files["data"]), "--out", "x", "--epochs", "0"]
    )
    assert result.exit_code == 2


@pytest.mark.parametrize(
    "argv",
    [
        ["fidelity", "--model", "{run}", "--out", "{data}"],
        ["compare", "--model", "{run}", "--out", "{data}"],
        ["train", "--data", "{data}", "--out", "{data}"],
    ],
)
def test_cli_out_file_rejected(files: dict[str, Path], argv: list[str]) -> None:
    before = files["data"].read_bytes()
    result = CliRunner().invoke(app, [arg.format(**files) for arg in argv])
    assert result.exit_code == 2
    assert "is a file" in result.output
    assert files["data"].read_bytes() == before


@pytest.mark.parametrize(
    ("method", "smoother", "lam", "expected"),
    [
        ("occlusion-raw", "trend2", None, "--smoother is used only by --method occlusion"),
        ("gradient", "fusedlasso", 0.1, "--lam is used only by occlusion and lemna"),
        ("occlusion", "none", 0.1, "--lam is ignored with --smoother none"),
        ("occlusion", "trend1", 0.0, "--lam 0 turns smoothing off"),
    ],
)
def test_explain_options_warn_unused(
    caplog: pytest.LogCaptureFixture, method: str, smoother: str, lam: float | None, expected: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="droidlens.cli.options"):
        explain_options(
            method=method,
            smoother=smoother,
            lam=lam,
            rank_by="predicted",
            samples=500,
            components=6,
            window=None,
            memory_mb=256.0,
        )
    assert expected in caplog.text


def test_explain_options_used_values_quiet(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="droidlens.cli.options"):
        for method, smoother in (("occlusion", "trend2"), ("lemna", "fusedlasso")):
            explain_options(
                method=method,
                smoother=smoother,
                lam=0.5,
                rank_by="predicted",
                samples=500,
                components=6,
                window=None,
                memory_mb=256.0,
            )
    assert caplog.text == ""
