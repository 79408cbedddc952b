"""Tests of extract_calls on the androwarn sample APK and on damaged files made here."""

from __future__ import annotations

import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest

from apk_fixtures import androwarn_apk, androwarn_record  # noqa: F401 (fixtures)
from droidlens.data.apk import ExtractedApp, extract_calls
from droidlens.data.apk import _androguard as androguard_loader
from droidlens.data.apk.extract import _dex_number
from droidlens.errors import DroidlensError, ExtractionError


@pytest.fixture(scope="module")
def dex_bytes(androwarn_apk: Path) -> bytes:  # noqa: F811
    with zipfile.ZipFile(androwarn_apk) as archive:
        return archive.read("classes.dex")


@pytest.fixture(scope="module")
def extracted(androwarn_apk: Path) -> ExtractedApp:  # noqa: F811
    return extract_calls(androwarn_apk)


@pytest.mark.shared
def test_extract_calls_matches_dataset_record(
    extracted: ExtractedApp,
    androwarn_record: dict[str, Any],  # noqa: F811
) -> None:
    assert extracted.calls == androwarn_record["calls"]


@pytest.mark.shared
@pytest.mark.parametrize(
    "field", ["sha256", "n_calls", "package", "min_sdk", "target_sdk", "n_dex"]
)
def test_extract_calls_metadata_matches_record(
    extracted: ExtractedApp,
    androwarn_record: dict[str, Any],  # noqa: F811
    field: str,
) -> None:
    assert getattr(extracted, field) == androwarn_record[field]


def test_extract_calls_apk_fields(extracted: ExtractedApp) -> None:
    assert extracted.file_kind == "apk"
    assert extracted.n_methods_undecodable == 0
    assert extracted.to_record(label="benign")["label"] == "benign"
    assert extracted.to_app().app_id == extracted.sha256


def test_extract_calls_bare_dex(tmp_path: Path, dex_bytes: bytes, extracted: ExtractedApp) -> None:
    path = tmp_path / "classes.dex"
    path.write_bytes(dex_bytes)
    app = extract_calls(path)
    assert app.calls == extracted.calls
    assert (app.file_kind, app.package, app.min_sdk, app.target_sdk) == ("dex", None, None, None)


def test_extract_calls_jar_reads_dex_in_numeric_order(
    tmp_path: Path, dex_bytes: bytes, extracted: ExtractedApp
) -> None:
    path = tmp_path / "payload.jar"
    with zipfile.ZipFile(path, "w") as archive:
        for name in ("classes10.dex", "classes2.dex", "classes.dex"):
            archive.writestr(name, dex_bytes)
    app = extract_calls(path)
    assert app.file_kind == "jar"
    assert app.n_dex == 3
    assert app.calls == extracted.calls * 3


def test_dex_number_orders_like_android() -> None:
    names = ["classes10.dex", "classes2.dex", "classes.dex", "classes3.dex"]
    assert sorted(names, key=_dex_number) == [
        "classes.dex",
        "classes2.dex",
        "classes3.dex",
        "classes10.dex",
    ]


def test_extract_calls_framework_prefixes_option(
    androwarn_apk: Path,  # noqa: F811
    extracted: ExtractedApp,
) -> None:
    app = extract_calls(androwarn_apk, framework_prefixes=("Ljava/",))
    assert app.calls == [call for call in extracted.calls if call.startswith("Ljava/")]


def test_extract_calls_skipped_caller_prefixes_option(
    androwarn_apk: Path,  # noqa: F811
) -> None:
    app = extract_calls(androwarn_apk, skipped_caller_prefixes=("Lcom/androwarn/",))
    assert app.calls == []


def test_extract_calls_excluded_callee_prefixes_option(
    androwarn_apk: Path,  # noqa: F811
    extracted: ExtractedApp,
) -> None:
    app = extract_calls(androwarn_apk, excluded_callee_prefixes=("Landroid/util/Log;",))
    assert app.calls == [c for c in extracted.calls if not c.startswith("Landroid/util/Log;")]


def _write_random(path: Path, dex: bytes, apk: bytes) -> None:
    path.write_bytes(bytes(range(256)) * 20)


def _write_empty_zip(path: Path, dex: bytes, apk: bytes) -> None:
    zipfile.ZipFile(path, "w").close()


def _write_zip_without_dex(path: Path, dex: bytes, apk: bytes) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("AndroidManifest.xml", b"\x03\x00\x08\x00")
        archive.writestr("res/raw/readme.txt", "no code here")


def _write_truncated_apk(path: Path, dex: bytes, apk: bytes) -> None:
    path.write_bytes(apk[: len(apk) // 2])


def _write_truncated_dex(path: Path, dex: bytes, apk: bytes) -> None:
    path.write_bytes(dex[: len(dex) // 2])


def _write_dex_header_only(path: Path, dex: bytes, apk: bytes) -> None:
    path.write_bytes(dex[:40])


@pytest.mark.parametrize(
    ("writer", "match"),
    [
        (_write_random, "not an APK, JAR or dex file"),
        (_write_empty_zip, "no classes.dex inside"),
        (_write_zip_without_dex, "no classes.dex inside"),
        (_write_truncated_apk, "damaged or truncated zip archive"),
        (_write_truncated_dex, r"bad\.bin is not a valid dex file .*checksum"),
        (_write_dex_header_only, r"bad\.bin is not a valid dex file"),
    ],
)
def test_extract_calls_bad_file_raises(
    tmp_path: Path,
    dex_bytes: bytes,
    androwarn_apk: Path,  # noqa: F811
    writer: Any,
    match: str,
) -> None:
    path = tmp_path / "bad.bin"
    writer(path, dex_bytes, androwarn_apk.read_bytes())
    with pytest.raises(ExtractionError, match=match) as info:
        extract_calls(path)
    assert str(path) in str(info.value)


def test_extract_calls_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(ExtractionError, match="file not found"):
        extract_calls(tmp_path / "absent.apk")


def _corrupt_after_first_call(dex: bytes, target: str) -> bytes:
    """Return ``dex`` with an unused opcode right after the first invoke of ``target``.

    androguard locates the instruction; the Adler-32 checksum is then recomputed so that
    only the method body is invalid.
    """
    from androguard.core.dex import DEX

    parsed = DEX(dex)
    for cls in parsed.get_classes():
        for method in cls.get_methods():
            code = method.get_code()
            if code is None:
                continue
            offsets = list(method.get_instructions_idx())
            for (_, instruction), (next_offset, _) in zip(offsets, offsets[1:], strict=False):
                if target in instruction.get_output():
                    # code_item: 16 header bytes, then the instructions; 0x3e is unused.
                    position = code.offset + 16 + next_offset
                    data = bytearray(dex)
                    data[position] = 0x3E
                    data[8:12] = zlib.adler32(bytes(data[12:])).to_bytes(4, "little")
                    return bytes(data)
    raise AssertionError(f"no invoke of {target} followed by another instruction")


def test_extract_calls_undecodable_method_keeps_prefix(
    tmp_path: Path, dex_bytes: bytes, extracted: ExtractedApp
) -> None:
    reference = extracted.calls
    target = reference[1]
    path = tmp_path / "broken.dex"
    path.write_bytes(_corrupt_after_first_call(dex_bytes, target))
    app = extract_calls(path)
    n_lost = len(reference) - app.n_calls
    assert app.n_methods_undecodable == 1
    assert n_lost > 0
    assert app.calls[:2] == reference[:2]
    assert app.calls[2:] == reference[2 + n_lost :]


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"framework_prefixes": "Landroid/"}, TypeError, "sequence of strings"),
        ({"excluded_callee_prefixes": ["android/"]}, ValueError, "'android/'"),
        ({"skipped_caller_prefixes": [3]}, ValueError, "contains 3"),
        ({"timeout": 0}, ValueError, "timeout must be a positive"),
    ],
)
def test_extract_calls_invalid_option_raises(
    androwarn_apk: Path,  # noqa: F811
    options: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    with pytest.raises(error, match=match):
        extract_calls(androwarn_apk, **options)


def test_extract_calls_timeout_raises(androwarn_apk: Path) -> None:  # noqa: F811
    with pytest.raises(ExtractionError, match="timed out after 1e-09 s"):
        extract_calls(androwarn_apk, timeout=1e-9)


def test_extract_calls_without_androguard_raises(
    androwarn_apk: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    androguard_loader.load_androguard.cache_clear()
    monkeypatch.setitem(sys.modules, "androguard.core.apk", None)
    try:
        with pytest.raises(DroidlensError, match=r"pip install 'droidlens\[apk\]'"):
            extract_calls(androwarn_apk)
    finally:
        androguard_loader.load_androguard.cache_clear()
