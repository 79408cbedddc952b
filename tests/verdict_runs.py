"""Small trained runs for the verdict tests, made through the command line in seconds.

Import the helpers with ``from verdict_runs import train_small_run``.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from droidlens.cli.main import app as cli_app
from droidlens.data.jsonl import write_jsonl
from droidlens.data.synthetic import generate_apps

N_SYNTHETIC_APPS = 80
SYNTHETIC_MAX_LEN = 60


def invoke(*args: str | Path):
    """Run ``droidlens ARGS`` in this process and return the click ``Result``.

    Exceptions are caught, as the command line does, so that a test can check the exit code
    and ``result.exception``.
    """
    return CliRunner().invoke(cli_app, [str(arg) for arg in args])


def train_small_run(folder: Path, *, apk: Path | None = None, max_calls: int | None = None) -> Path:
    """Train a one-epoch bilstm1 on synthetic apps (and an extracted APK) with the CLI.

    Parameters
    ----------
    folder : Path
        Empty folder for the training file and the run folder ``run``.
    apk : Path or None, default=None
        An app file extracted with ``droidlens extract --label benign`` into the training
        file, so that the vocabulary contains its words.
    max_calls : int or None, default=None
        ``--max-calls`` of the run; ``None`` keeps the command's default.

    Returns
    -------
    Path
        The run folder.

    Raises
    ------
    RuntimeError
        If a command fails; the message holds its output.
    """
    data = folder / "train.jsonl"
    write_jsonl(generate_apps(N_SYNTHETIC_APPS, seed=0, max_len=SYNTHETIC_MAX_LEN), data)
    if apk is not None:
        _check(invoke("--quiet", "extract", apk, "--out", data, "--label", "benign"))

    run_dir = folder / "run"
    options = ["--max-calls", str(max_calls)] if max_calls is not None else []
    _check(invoke("--quiet", "train", "--data", data, "--out", run_dir, "--epochs", "1", *options))
    return run_dir


def _check(result) -> None:
    if result.exit_code != 0:
        raise RuntimeError(
            f"command failed with exit code {result.exit_code}: {result.output}"
        ) from result.exception
