"""Reading and writing apps as JSON Lines: formats, labels, invalid lines and skipping."""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path

import pytest

from droidlens.data.jsonl import iter_jsonl, read_jsonl, write_jsonl
from droidlens.data.load import load_apps
from droidlens.data.records import App
from droidlens.errors import DataError

CALLS = ["Landroid/telephony/SmsManager;->sendTextMessage", "Ljava/lang/String;->length"]


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def record(**fields: object) -> str:
    base: dict[str, object] = {"sha256": "a1", "label": "malware", "calls": CALLS}
    base.update(fields)
    return json.dumps({key: value for key, value in base.items() if value is not ...})


def test_jsonl_plain_file(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "apps.jsonl", [record(family="smsreg")])
    apps = read_jsonl(path)
    assert apps == [App("a1", 1, CALLS, {"family": "smsreg"})]


def test_jsonl_gzip_whatever_the_name(tmp_path: Path) -> None:
    path = tmp_path / "apps.jsonl"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(record() + "\n")
    assert read_jsonl(path)[0].calls == CALLS


def test_jsonl_id_field_instead_of_sha256(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "apps.jsonl", [record(sha256=..., id=17)])
    assert read_jsonl(path)[0].app_id == "17"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("malware", 1),
        ("benign", 0),
        (1, 1),
        (0, 0),
        ("1", 1),
        ("0", 0),
        (" Malware ", 1),
        ("malicious", 1),
    ],
)
def test_jsonl_label_values(tmp_path: Path, label: object, expected: int) -> None:
    path = write_lines(tmp_path / "apps.jsonl", [record(label=label)])
    assert read_jsonl(path)[0].label == expected


def test_jsonl_blank_lines_ignored(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "apps.jsonl", ["", record(), "   ", record(sha256="b2")])
    assert [app.app_id for app in read_jsonl(path)] == ["a1", "b2"]


def test_jsonl_unlabelled_allowed_on_request(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "apps.jsonl", [record(label=...)])
    assert read_jsonl(path, allow_unlabelled=True)[0].label == -1
    with pytest.raises(DataError, match=r"apps.jsonl:1 \(app a1\): invalid label None"):
        read_jsonl(path)


INVALID_LINES = [
    (
        record(label="goodware"),
        r"apps.jsonl:2 \(app a1\): invalid label 'goodware'; expected "
        r"'malware', 'benign', 1 or 0; fix the line or pass --skip-invalid",
    ),
    (record(label=True), r"apps.jsonl:2 \(app a1\): invalid label True"),
    (
        '{"sha256": "a1", "label": "malware", "calls": [',
        r"apps.jsonl:2: malformed JSON .*"
        r"fix the line or pass --skip-invalid",
    ),
    ("[1, 2]", r"apps.jsonl:2: expected a JSON object, got list"),
    (
        record(calls=[]),
        r"apps.jsonl:2 \(app a1\): empty call list; an app needs at least one "
        r"call",
    ),
    (
        record(calls="Ljava/lang/String;->length"),
        r"apps.jsonl:2 \(app a1\): 'calls' must be a "
        r"list of strings",
    ),
    (record(calls=["Ljava/lang/String;->length", 3]), r"'calls' must be a list of strings"),
    (record(calls=...), r"apps.jsonl:2 \(app a1\): 'calls' must be a list of strings"),
    (record(sha256=...), r"apps.jsonl:2: missing app id; give a 'sha256' or 'id' field"),
    (record(sha256=""), r"apps.jsonl:2: missing app id"),
]


@pytest.mark.parametrize(("line", "message"), INVALID_LINES)
def test_jsonl_invalid_line_error(tmp_path: Path, line: str, message: str) -> None:
    path = write_lines(tmp_path / "apps.jsonl", [record(sha256="ok"), line])
    with pytest.raises(DataError, match=message) as caught:
        read_jsonl(path)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("line", "message"), INVALID_LINES)
def test_jsonl_skip_invalid_logs_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, line: str, message: str
) -> None:
    path = write_lines(tmp_path / "apps.jsonl", [record(sha256="ok"), line])
    with caplog.at_level(logging.WARNING, logger="droidlens.data.jsonl"):
        apps = read_jsonl(path, skip_invalid=True)
    assert [app.app_id for app in apps] == ["ok"]
    assert "skipped 1 invalid record(s)" in caplog.text


def test_jsonl_skip_invalid_counts_and_names_ids(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lines = [
        record(sha256="good1"),
        record(sha256="bad1", label="x"),
        "{not json",
        record(sha256="bad2", calls=[]),
        record(sha256="good2"),
    ]
    path = write_lines(tmp_path / "apps.jsonl", lines)
    with caplog.at_level(logging.WARNING, logger="droidlens.data.jsonl"):
        apps = read_jsonl(path, skip_invalid=True)
    assert [app.app_id for app in apps] == ["good1", "good2"]
    summary = caplog.records[-1].getMessage()
    assert summary.startswith("skipped 3 invalid record(s)")
    assert summary.endswith("bad1, line 3, bad2")


def test_jsonl_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"data file not found: .*nothere.jsonl; check the path"):
        read_jsonl(tmp_path / "nothere.jsonl")


def test_jsonl_corrupt_gzip(tmp_path: Path) -> None:
    path = tmp_path / "apps.jsonl.gz"
    path.write_bytes(gzip.compress((record() + "\n").encode())[:20])
    with pytest.raises(DataError, match=r"apps.jsonl.gz: cannot read the file"):
        read_jsonl(path)


def test_jsonl_iter_is_lazy(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "apps.jsonl", [record(), "{broken"])
    apps = iter_jsonl(path)
    assert next(apps).app_id == "a1"
    with pytest.raises(DataError, match="apps.jsonl:2"):
        next(apps)


@pytest.mark.parametrize("name", ["apps.jsonl", "apps.jsonl.gz"])
def test_jsonl_write_read_round_trip(tmp_path: Path, name: str) -> None:
    apps = [
        App("m", 1, CALLS, {"family": "x", "n_calls": 2}),
        App("b", 0, CALLS[:1]),
        App("u", -1, CALLS[1:]),
    ]
    assert write_jsonl(apps, tmp_path / "sub" / name) == 3
    assert read_jsonl(tmp_path / "sub" / name, allow_unlabelled=True) == apps


def test_jsonl_write_gzip_by_suffix(tmp_path: Path) -> None:
    write_jsonl([App("m", 1, CALLS)], tmp_path / "apps.jsonl.gz")
    assert (tmp_path / "apps.jsonl.gz").read_bytes()[:2] == b"\x1f\x8b"


def test_load_duplicate_ids_rejected(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "apps.jsonl", [record(sha256="x"), record(sha256="y"), record(sha256="x")]
    )
    with pytest.raises(DataError, match="app id x appears more than once; ids must be unique"):
        load_apps(path)


def test_load_duplicate_ids_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write_lines(
        tmp_path / "apps.jsonl", [record(sha256="x"), record(sha256="y"), record(sha256="x")]
    )
    apps = load_apps(path, skip_invalid=True)
    assert [app.app_id for app in apps] == ["x", "y"]
    assert "skipped a second app with id x" in caplog.text


def test_load_no_valid_app(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "apps.jsonl", ["{broken"])
    with pytest.raises(DataError, match="no valid app found"):
        load_apps(path, skip_invalid=True)


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="data file not found: .*missing.jsonl.gz"):
        load_apps(tmp_path / "missing.jsonl.gz")
