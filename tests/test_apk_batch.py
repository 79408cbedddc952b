"""Tests of extract_many on a folder mixing good and bad files."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from apk_fixtures import androwarn_apk  # noqa: F401 (fixture)
from droidlens.data.apk import extract_calls, extract_many

RECORD_FIELDS = [
    "sha256",
    "label",
    "package",
    "min_sdk",
    "target_sdk",
    "n_dex",
    "n_methods_undecodable",
    "n_calls",
    "calls",
    "source_path",
]


@pytest.fixture()
def mixed_folder(tmp_path: Path, androwarn_apk: Path) -> Path:  # noqa: F811
    """Two good files (an APK and a JAR) and three bad ones, one in a subfolder."""
    folder = tmp_path / "apps"
    (folder / "nested").mkdir(parents=True)
    data = androwarn_apk.read_bytes()
    (folder / "sample.apk").write_bytes(data)
    with zipfile.ZipFile(androwarn_apk) as archive:
        dex = archive.read("classes.dex")
    with zipfile.ZipFile(folder / "nested" / "payload.jar", "w") as archive:
        archive.writestr("classes.dex", dex)
    (folder / "random.apk").write_bytes(bytes(range(256)) * 8)
    (folder / "nested" / "truncated.apk").write_bytes(data[: len(data) // 3])
    with zipfile.ZipFile(folder / "nodex.jar", "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
    (folder / "notes.txt").write_text("not an input file")
    return folder


def _read_records(path: Path) -> list[dict[str, Any]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


@pytest.mark.parametrize("out_name", ["calls.jsonl.gz", "calls.jsonl"])
def test_extract_many_mixed_folder(mixed_folder: Path, tmp_path: Path, out_name: str) -> None:
    out_path = tmp_path / out_name
    summary = extract_many(
        [mixed_folder, tmp_path / "absent.apk"], out_path=out_path, jobs=2, progress=False
    )
    records = _read_records(out_path)
    failed = {Path(failure.path).name: failure.reason for failure in summary.failures}
    assert summary.n_succeeded == 2
    assert summary.n_skipped == 0
    assert summary.n_failed == 4
    assert sorted(failed) == ["absent.apk", "nodex.jar", "random.apk", "truncated.apk"]
    assert "no classes.dex inside" in failed["nodex.jar"]
    assert "damaged or truncated zip archive" in failed["truncated.apk"]
    assert "not an APK, JAR or dex file" in failed["random.apk"]
    assert "file not found" in failed["absent.apk"]
    assert [list(record) for record in records] == [RECORD_FIELDS, RECORD_FIELDS]
    assert len(summary.errors_path.read_text().splitlines()) == 4


def test_extract_many_records_match_extract_calls(
    mixed_folder: Path,
    tmp_path: Path,
    androwarn_apk: Path,  # noqa: F811
) -> None:
    out_path = tmp_path / "calls.jsonl.gz"
    extract_many([mixed_folder / "sample.apk"], out_path=out_path, progress=False, label=1)
    (record,) = _read_records(out_path)
    expected = extract_calls(androwarn_apk).to_record(label="malware")
    expected["source_path"] = str(mixed_folder / "sample.apk")
    assert record == expected


def test_extract_many_rerun_skips_known_files(mixed_folder: Path, tmp_path: Path) -> None:
    out_path = tmp_path / "calls.jsonl.gz"
    extract_many([mixed_folder], out_path=out_path, jobs=2, progress=False)
    again = extract_many([mixed_folder], out_path=out_path, jobs=2, progress=False)
    assert again.n_succeeded == 0
    assert again.n_skipped == 2
    assert again.n_failed == 3
    assert len(_read_records(out_path)) == 2


def test_extract_many_skips_duplicate_in_same_run(
    tmp_path: Path,
    androwarn_apk: Path,  # noqa: F811
) -> None:
    copy = tmp_path / "copy.apk"
    copy.write_bytes(androwarn_apk.read_bytes())
    summary = extract_many([androwarn_apk, copy], out_path=tmp_path / "calls.jsonl", progress=False)
    assert (summary.n_succeeded, summary.skipped) == (1, [str(copy)])


def test_extract_many_without_failures_removes_errors_file(
    tmp_path: Path,
    androwarn_apk: Path,  # noqa: F811
) -> None:
    out_path = tmp_path / "calls.jsonl"
    errors_path = tmp_path / "calls.jsonl.errors.jsonl"
    errors_path.write_text('{"source_path": "old", "reason": "stale"}\n')
    summary = extract_many([androwarn_apk], out_path=out_path, progress=False)
    assert summary.errors_path == errors_path
    assert not errors_path.exists()


def test_extract_many_appends_after_partial_line(
    tmp_path: Path,
    androwarn_apk: Path,  # noqa: F811
) -> None:
    out_path = tmp_path / "calls.jsonl"
    out_path.write_text('{"sha256": "0000", "calls": [')
    extract_many([androwarn_apk], out_path=out_path, progress=False)
    lines = out_path.read_text().splitlines()
    assert json.loads(lines[1])["package"] == "com.androwarn.sampleapplication"


def test_extract_many_timeout_reports_failure(
    tmp_path: Path,
    androwarn_apk: Path,  # noqa: F811
) -> None:
    summary = extract_many(
        [androwarn_apk], out_path=tmp_path / "calls.jsonl", timeout=1e-9, progress=False
    )
    assert summary.n_failed == 1
    assert "timed out" in summary.failures[0].reason


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"jobs": 0}, "jobs must be a positive integer"),
        ({"jobs": 1.5}, "jobs must be a positive integer"),
        ({"timeout": -1}, "timeout must be a positive"),
        ({"label": "suspicious"}, "invalid label 'suspicious'"),
    ],
)
def test_extract_many_invalid_option_raises(
    tmp_path: Path, options: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        extract_many([tmp_path], out_path=tmp_path / "calls.jsonl", progress=False, **options)
