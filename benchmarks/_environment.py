"""Describe the machine and the run behind a benchmark table, for its results file."""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

import torch


def _command_output(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_model() -> str:
    """Return the ``Model name`` line of ``lscpu``, or the platform's processor name."""
    for line in _command_output(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def memory_gib() -> str:
    """Return the total RAM from ``/proc/meminfo`` in GiB, or ``unknown``."""
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def load_average() -> str:
    """Return the output of ``uptime``: the load averages over 1, 5 and 15 minutes."""
    return _command_output(["uptime"])


def command_line() -> str:
    """Return the command that started this process, with the thread variable if set."""
    prefix = ""
    if "OMP_NUM_THREADS" in os.environ:
        prefix = f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']} "
    python = os.path.relpath(sys.executable) if sys.executable else "python"
    return prefix + shlex.join([python, *sys.argv])


def header_lines(*, load_at_start: str) -> list[str]:
    """Return the Markdown lines that describe the machine, the command and the date.

    Parameters
    ----------
    load_at_start : str
        ``uptime`` output taken before the measurements; the output at the end is added here.
    """
    return [
        f"- machine: {cpu_model()}, {_command_output(['nproc', '--all'])} cores "
        f"(`nproc --all`), RAM {memory_gib()}; "
        "a machine shared with other developers running tests, so the load below varies "
        "during the run and the times are only indicative",
        f"- command: `{command_line()}`",
        f"- date: {_command_output(['date', '-u'])}",
        f"- torch {torch.__version__}, threads used by torch: {torch.get_num_threads()}, "
        f"Python {platform.python_version()}",
        f"- load at start (`uptime`): {load_at_start}",
        f"- load at end (`uptime`): {load_average()}",
    ]
