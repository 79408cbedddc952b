"""Tests of ``droidlens extract`` and ``droidlens explain --model RUN app.apk`` on a real APK.

The model is a one-epoch bilstm1 trained here on synthetic apps plus the androwarn sample
app, so its verdict is arbitrary. The tests check that the output is complete and consistent
with the extracted calls, not which calls the model found important.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from apk_fixtures import ANDROWARN_SHA256, androwarn_apk, androwarn_record  # noqa: F401
from droidlens.cli.main import main
from droidlens.data.apk import extract_calls
from droidlens.errors import DataError
from droidlens.pipeline.verdict import explain_apk
from droidlens.report.behaviours import summarize_behaviours
from verdict_runs import invoke, train_small_run

N_TOP = 10
STRIP_WIDTH = 100
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "headless_shell")
HEADLINE = re.compile(r"^(MALICIOUS|BENIGN) \(p = (\d\.\d{3})\)$")
PROBABILITIES = re.compile(r"^p_benign = (\d\.\d{3}), p_malicious = (\d\.\d{3});")


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory: pytest.TempPathFactory, androwarn_apk: Path) -> Path:  # noqa: F811
    return train_small_run(tmp_path_factory.mktemp("apk-run"), apk=androwarn_apk)


@pytest.fixture(scope="module")
def apk_calls(androwarn_apk: Path) -> list[str]:  # noqa: F811
    return extract_calls(androwarn_apk).calls


@pytest.fixture(scope="module")
def explain_output(trained_run: Path, androwarn_apk: Path) -> str:  # noqa: F811
    result = invoke("explain", "--model", trained_run, androwarn_apk)
    if result.exit_code != 0:
        pytest.fail(f"droidlens explain failed with exit code {result.exit_code}: {result.output}")
    return result.stdout


def _table_rows(lines: list[str]) -> list[tuple[int, int, str, str, float]]:
    """Return (rank, position, class, method, score) of each row of the top-call table."""
    header = lines.index(next(line for line in lines if line.split()[:2] == ["rank", "position"]))
    rows = []
    for line in lines[header + 1 :]:
        if not line.strip():
            break
        rank, position, class_name, method, score = line.split()
        rows.append((int(rank), int(position), class_name, method, float(score)))
    return rows


def _expected_strip(rows: list[tuple[int, int, str, str, float]], seq_len: int) -> str:
    """Rebuild the text strip from the table: each cell shows the best rank it holds."""
    n_cells = min(STRIP_WIDTH, seq_len)
    cells = ["."] * n_cells
    for rank, position, *_ in sorted(rows, reverse=True):
        cells[position * n_cells // seq_len] = "0" if rank == 10 else str(rank)
    return "".join(cells)


# --- droidlens explain: text -------------------------------------------------------------


def test_explain_cli_headline_matches_probabilities(explain_output: str) -> None:
    lines = explain_output.splitlines()
    headline = HEADLINE.match(lines[0])
    probabilities = next(PROBABILITIES.match(line) for line in lines if PROBABILITIES.match(line))
    assert headline is not None, lines[0]
    p_benign, p_malicious = (float(p) for p in probabilities.groups())
    expected_name = "MALICIOUS" if p_malicious >= 0.5 else "BENIGN"
    assert headline.group(1) == expected_name
    assert headline.group(2) == f"{max(p_benign, p_malicious):.3f}"


def test_explain_cli_behaviours_under_verdict(explain_output: str) -> None:
    lines = explain_output.splitlines()
    top_calls = [f"{row[2]}->{row[3]}" for row in _table_rows(lines)]
    summary = summarize_behaviours(top_calls) or "none found in the top calls"
    assert lines[1] == f"Behaviours: {summary}"


def test_explain_cli_table_has_top_ten(explain_output: str, apk_calls: list[str]) -> None:
    rows = _table_rows(explain_output.splitlines())
    positions = [row[1] for row in rows]
    scores = [row[4] for row in rows]
    assert [row[0] for row in rows] == list(range(1, N_TOP + 1))
    assert len(set(positions)) == N_TOP
    assert [f"{row[2]}->{row[3]}" for row in rows] == [apk_calls[p] for p in positions]
    assert scores == sorted(scores, reverse=True)


def test_explain_cli_strip_marks_top_calls(explain_output: str, apk_calls: list[str]) -> None:
    lines = explain_output.splitlines()
    header = lines.index(f"Sequence of {len(apk_calls)} calls")
    strip, scale = lines[header + 1], lines[header + 2]
    assert strip == _expected_strip(_table_rows(lines), len(apk_calls))
    assert scale.split() == ["0", str(len(apk_calls) - 1)]


def test_explain_cli_sections_in_order(explain_output: str, apk_calls: list[str]) -> None:
    lines = explain_output.splitlines()
    table = lines.index(f"Top {N_TOP} calls")
    strip = lines.index(f"Sequence of {len(apk_calls)} calls")
    assert 1 < table < strip
    assert f"model saw the {len(apk_calls)} calls" in explain_output
    assert "Explained by occlusion, smoother fusedlasso" in lines


def test_explain_cli_prints_library_text(
    explain_output: str,
    trained_run: Path,
    androwarn_apk: Path,  # noqa: F811
) -> None:
    assert explain_output == explain_apk(trained_run, androwarn_apk).text + "\n"


# --- droidlens explain --html ----------------------------------------------------------------


class _VerdictPage(HTMLParser):
    """Collects the strip cells, the top-call tables, the headline and the embedded data."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict[str, str | None]] = []
        self.tables: dict[str, list[str]] = {}
        self.headline = ""
        self.data_text = ""
        self.external: list[str] = []
        self._where: str | None = None
        self._table: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "div" and attributes.get("id") == "strip":
            self._where = "strip"
        elif tag == "i" and self._where == "strip":
            self.cells.append(attributes)
        elif tag == "table" and attributes.get("id"):
            self._table = attributes["id"]
            self.tables[self._table] = []
        elif tag == "h1":
            self._where = "h1"
        elif tag == "script" and attributes.get("id") == "verdict-data":
            self._where = "data"
        for name in ("src", "href"):
            value = attributes.get(name)
            if value and not value.startswith("#"):
                self.external.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("div", "h1", "script"):
            self._where = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._where == "h1":
            self.headline += data
        elif self._where == "data":
            self.data_text += data
        elif self._table is not None:
            self.tables[self._table].append(data)


@pytest.fixture(scope="module")
def html_run(
    trained_run: Path,
    androwarn_apk: Path,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, Path]:
    page = tmp_path_factory.mktemp("html") / "verdict.html"
    result = invoke("explain", "--model", trained_run, androwarn_apk, "--html", page)
    if result.exit_code != 0:
        pytest.fail(f"droidlens explain --html failed: {result.output}")
    return result.stdout, page


@pytest.fixture(scope="module")
def parsed_page(html_run: tuple[str, Path]) -> _VerdictPage:
    parser = _VerdictPage()
    parser.feed(html_run[1].read_text(encoding="utf-8"))
    parser.close()
    return parser


def test_explain_cli_html_path_printed(html_run: tuple[str, Path]) -> None:
    output, page = html_run
    assert output.endswith(f"HTML page: {page}\n")


def test_explain_cli_html_headline_matches_text(
    html_run: tuple[str, Path], parsed_page: _VerdictPage
) -> None:
    assert parsed_page.headline == html_run[0].splitlines()[0]


def test_explain_cli_html_cell_per_call(parsed_page: _VerdictPage, apk_calls: list[str]) -> None:
    assert len(parsed_page.cells) == len(apk_calls)


def test_explain_cli_html_marks_top_cells(
    html_run: tuple[str, Path], parsed_page: _VerdictPage
) -> None:
    rows = _table_rows(html_run[0].splitlines())
    marked = {
        cell["id"]: cell["title"]
        for cell in parsed_page.cells
        if "t" in (cell["class"] or "").split()
    }
    assert marked == {f"call-{row[1]}": f"rank {row[0]}" for row in rows}


def test_explain_cli_html_top_tables_with_neighbours(
    html_run: tuple[str, Path], parsed_page: _VerdictPage, apk_calls: list[str]
) -> None:
    rows = _table_rows(html_run[0].splitlines())
    assert sorted(parsed_page.tables) == sorted(f"top-{rank}" for rank in range(1, N_TOP + 1))
    for rank, position, *_ in rows:
        neighbours = range(max(0, position - 2), min(len(apk_calls), position + 3))
        text = parsed_page.tables[f"top-{rank}"]
        assert [apk_calls[p] for p in neighbours] == [t for t in text if "->" in t], rank


def test_explain_cli_html_data_holds_sequence(
    parsed_page: _VerdictPage, apk_calls: list[str]
) -> None:
    data = json.loads(parsed_page.data_text)
    assert [data["names"][i] for i in data["ids"]] == apk_calls
    assert len(data["scores"]) == len(apk_calls)


def test_explain_cli_html_self_contained(parsed_page: _VerdictPage) -> None:
    assert parsed_page.external == []


def _find_chromium() -> str | None:
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


@pytest.mark.skipif(_find_chromium() is None, reason=f"none of {CHROMIUM_NAMES} is installed")
def test_explain_cli_html_screenshot(html_run: tuple[str, Path], tmp_path: Path) -> None:
    screenshot = tmp_path / "verdict.png"
    command = [
        str(_find_chromium()),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={screenshot}",
        "--window-size=1200,900",
        html_run[1].as_uri(),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- the installed script and bad app files ------------------------------------------------


def _installed_script() -> Path | None:
    script = Path(sys.executable).with_name("droidlens")
    if script.is_file():
        return script
    found = shutil.which("droidlens")
    return Path(found) if found else None


def _run_script(*args: str | Path) -> subprocess.CompletedProcess[str]:
    script = _installed_script()
    if script is None:
        pytest.skip("the droidlens script is not installed; run `pip install -e .`")
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [str(script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        check=False,
    )


def test_explain_script_exit_code_zero(
    trained_run: Path,
    androwarn_apk: Path,  # noqa: F811
    explain_output: str,
) -> None:
    completed = _run_script("--quiet", "explain", "--model", trained_run, androwarn_apk)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == explain_output


def test_explain_script_corrupt_apk_exits_one(
    trained_run: Path,
    androwarn_apk: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    corrupt = tmp_path / "corrupt.apk"
    corrupt.write_bytes(androwarn_apk.read_bytes()[:5000])
    completed = _run_script("explain", "--model", trained_run, corrupt)
    assert completed.returncode == 1
    assert completed.stderr.startswith(f"error: {corrupt}: a damaged or truncated zip archive")
    assert "Traceback" not in completed.stderr


def _write_random(path: Path, apk: bytes) -> None:
    path.write_bytes(bytes(range(256)) * 16)


def _write_empty_zip(path: Path, apk: bytes) -> None:
    with zipfile.ZipFile(path, "w"):
        pass


def _write_truncated(path: Path, apk: bytes) -> None:
    path.write_bytes(apk[: len(apk) // 2])


BAD_FILES = [
    ("random.apk", _write_random, "not an APK, JAR or dex file"),
    ("empty.apk", _write_empty_zip, "no classes.dex inside"),
    ("truncated.apk", _write_truncated, "a damaged or truncated zip archive"),
]


@pytest.mark.parametrize(("name", "write", "reason"), BAD_FILES)
def test_main_bad_app_file_one_line_error(
    name: str,
    write: Any,
    reason: str,
    trained_run: Path,
    androwarn_apk: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / name
    write(path, androwarn_apk.read_bytes())
    monkeypatch.setattr(
        sys, "argv", ["droidlens", "explain", "--model", str(trained_run), str(path)]
    )
    with pytest.raises(SystemExit) as exit_info:
        main()
    stderr = capsys.readouterr().err
    assert exit_info.value.code == 1
    assert stderr.startswith(f"error: {path}: {reason}")
    assert len(stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("target", "message"),
    [("missing-app", r"missing\.apk: file not found"), ("missing-run", "is not a run folder")],
)
def test_main_missing_input_one_line_error(
    target: str,
    message: str,
    trained_run: Path,
    androwarn_apk: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_dir = tmp_path / "no-run" if target == "missing-run" else trained_run
    app_path = tmp_path / "missing.apk" if target == "missing-app" else androwarn_apk
    monkeypatch.setattr(
        sys, "argv", ["droidlens", "explain", "--model", str(run_dir), str(app_path)]
    )
    with pytest.raises(SystemExit) as exit_info:
        main()
    stderr = capsys.readouterr().err
    assert exit_info.value.code == 1
    assert re.match(f"error: .*{message}", stderr)
    assert "Traceback" not in stderr


def test_explain_cli_html_with_two_apps_rejected(
    trained_run: Path,
    androwarn_apk: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    result = invoke(
        "explain",
        "--model",
        trained_run,
        androwarn_apk,
        androwarn_apk,
        "--html",
        tmp_path / "p.html",
    )
    assert result.exit_code == 1
    assert "--html takes one app file" in str(result.exception)


# --- droidlens extract ---------------------------------------------------------------------


def _read_records(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


def test_extract_cli_real_apk_matches_record(
    androwarn_apk: Path,  # noqa: F811
    androwarn_record: dict[str, Any],  # noqa: F811
    tmp_path: Path,
) -> None:
    out = tmp_path / "calls.jsonl.gz"
    result = invoke("extract", androwarn_apk, "-o", out)
    records = _read_records(out)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"extracted 1, skipped 0 (already in {out}), failed 0\n"
    assert len(records) == 1
    assert records[0]["calls"] == androwarn_record["calls"]
    assert records[0]["sha256"] == androwarn_record["sha256"] == ANDROWARN_SHA256
    assert records[0]["package"] == androwarn_record["package"]


def _bad_folder(folder: Path, apk: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, write, _ in BAD_FILES:
        write(folder / name, apk)
    return folder


@pytest.fixture()
def mixed_folder(tmp_path: Path, androwarn_apk: Path) -> Path:  # noqa: F811
    """The androwarn APK and the three bad files of BAD_FILES, one of them in a subfolder."""
    folder = _bad_folder(tmp_path / "apps", androwarn_apk.read_bytes())
    (folder / "nested").mkdir()
    (folder / "truncated.apk").rename(folder / "nested" / "truncated.apk")
    shutil.copyfile(androwarn_apk, folder / "sample.apk")
    return folder


def _failure_lines(stderr: str) -> dict[str, str]:
    """Map each failed file's name to its ``failed:`` line of the command's error output."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip().startswith("failed: ")]
    return {Path(line.split(": ")[1]).name: line for line in lines}


def test_extract_cli_mixed_folder_counts(mixed_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "calls.jsonl.gz"
    result = invoke("extract", mixed_folder, "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"extracted 1, skipped 0 (already in {out}), failed 3\n"
    assert [record["source_path"] for record in _read_records(out)] == [
        str(mixed_folder / "sample.apk")
    ]


def test_extract_cli_mixed_folder_lists_failures(mixed_folder: Path, tmp_path: Path) -> None:
    result = invoke("extract", mixed_folder, "--out", tmp_path / "calls.jsonl.gz")
    failures = _failure_lines(result.stderr)
    paths = {path.name: path for path in mixed_folder.rglob("*.apk")}
    assert sorted(failures) == ["empty.apk", "random.apk", "truncated.apk"]
    for name, _, reason in BAD_FILES:
        assert failures[name].startswith(f"failed: {paths[name]}: {reason}"), failures[name]
        assert failures[name].count(str(paths[name])) == 1, failures[name]


def test_extract_cli_rerun_skips_by_sha256(mixed_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "calls.jsonl.gz"
    invoke("extract", mixed_folder, "--out", out)
    shutil.copyfile(mixed_folder / "sample.apk", mixed_folder / "renamed copy.apk")
    result = invoke("extract", mixed_folder, "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"extracted 0, skipped 2 (already in {out}), failed 3\n"
    assert len(_read_records(out)) == 1


def test_extract_cli_all_bad_exits_one(androwarn_apk: Path, tmp_path: Path) -> None:  # noqa: F811
    folder = _bad_folder(tmp_path / "bad", androwarn_apk.read_bytes())
    out = tmp_path / "calls.jsonl.gz"
    result = invoke("extract", folder, "--out", out)
    assert result.exit_code == 1
    assert result.stdout == f"extracted 0, skipped 0 (already in {out}), failed 3\n"
    assert sorted(_failure_lines(result.stderr)) == ["empty.apk", "random.apk", "truncated.apk"]


def test_extract_cli_no_input_file_raises(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "notes.txt").write_text("not an app file")
    out = tmp_path / "calls.jsonl.gz"
    result = invoke("extract", folder, "--out", out)
    assert result.exit_code == 1
    assert isinstance(result.exception, DataError)
    assert f"no APK, dex or JAR file found in {folder}" in str(result.exception)
    assert not out.exists()
