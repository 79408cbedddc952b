"""Reading the original system's pickle of sequences and its label file, safely."""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from droidlens.data.legacy import read_legacy, safe_unpickle
from droidlens.data.load import load_apps
from droidlens.errors import DataError

SMS = "Landroid/telephony/SmsManager;->sendTextMessage"
LENGTH = "Ljava/lang/String;->length"


def write_pair(
    folder: Path, sequences: object, labels: list[str], *, protocol: int = pickle.DEFAULT_PROTOCOL
) -> tuple[Path, Path]:
    sequence_path = folder / "apps.sequence.pkl"
    sequence_path.write_bytes(pickle.dumps(sequences, protocol=protocol))
    label_path = folder / "apps.label"
    label_path.write_text("\n".join(labels) + "\n", encoding="utf-8")
    return sequence_path, label_path


class _WritesMarker:
    """Unpickling this object would create the file at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.path}",))


class _CustomClass:
    def __init__(self) -> None:
        self.calls = [SMS]


def test_legacy_lists_of_calls(tmp_path: Path) -> None:
    paths = write_pair(tmp_path, [[SMS, LENGTH], [LENGTH]], ["1", "0"])
    apps = read_legacy(*paths)
    assert [(app.app_id, app.label, app.calls) for app in apps] == [
        ("apps.sequence.pkl:0", 1, [SMS, LENGTH]),
        ("apps.sequence.pkl:1", 0, [LENGTH]),
    ]


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_legacy_numpy_arrays(tmp_path: Path, protocol: int) -> None:
    sequences = np.array([np.array([SMS, LENGTH]), np.array([LENGTH, LENGTH])], dtype=object)
    paths = write_pair(tmp_path, sequences, ["malware", "benign"], protocol=protocol)
    apps = read_legacy(*paths)
    assert [app.calls for app in apps] == [[SMS, LENGTH], [LENGTH, LENGTH]]
    assert [app.label for app in apps] == [1, 0]


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_legacy_numeric_array_unpickles(tmp_path: Path, protocol: int) -> None:
    path = tmp_path / "numbers.pkl"
    path.write_bytes(
        pickle.dumps({"labels": np.array([1, 0, 1]), "x": (1.5, "a")}, protocol=protocol)
    )
    loaded = safe_unpickle(path)
    np.testing.assert_array_equal(loaded["labels"], [1, 0, 1])
    assert loaded["x"] == (1.5, "a")


def test_legacy_string_sequences_split_on_space(tmp_path: Path) -> None:
    paths = write_pair(tmp_path, [f"{SMS} {LENGTH}", [SMS.encode()]], ["1", "0"])
    assert [app.calls for app in read_legacy(*paths)] == [[SMS, LENGTH], [SMS]]


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_legacy_reduce_payload_rejected_not_run(tmp_path: Path, protocol: int) -> None:
    marker = tmp_path / "was-executed"
    paths = write_pair(tmp_path, [[SMS], _WritesMarker(marker)], ["1", "0"], protocol=protocol)
    with pytest.raises(
        DataError,
        match=r"references (posix|os|nt)\.system, which is not "
        r"allowed.*Convert the file to JSON Lines instead",
    ):
        read_legacy(*paths)
    assert not marker.exists()


def test_legacy_custom_class_rejected(tmp_path: Path) -> None:
    paths = write_pair(tmp_path, [_CustomClass()], ["1"])
    with pytest.raises(DataError, match=r"references .*_CustomClass, which is not allowed"):
        read_legacy(*paths)


LEGACY_ERRORS = [
    (
        [[SMS], [LENGTH]],
        ["1"],
        r"apps.label has 1 labels but .*apps.sequence.pkl has 2 "
        r"sequences; they must pair up line by line",
    ),
    ([[SMS], []], ["1", "0"], r"apps.sequence.pkl app 1: empty call sequence"),
    ([[SMS], [LENGTH]], ["1", "maybe"], r"apps.label:2: invalid label 'maybe'"),
    ([[SMS], 5], ["1", "0"], r"apps.sequence.pkl app 1: expected a list of calls, got int"),
    ([[SMS, 5]], ["1"], r"apps.sequence.pkl app 0: calls must be strings, got int"),
    ({"a": [SMS]}, ["1"], r"expected a pickled list of sequences, got dict"),
]


@pytest.mark.parametrize(("sequences", "labels", "message"), LEGACY_ERRORS)
def test_legacy_invalid_input(
    tmp_path: Path, sequences: object, labels: list[str], message: str
) -> None:
    with pytest.raises(DataError, match=message):
        read_legacy(*write_pair(tmp_path, sequences, labels))


def test_legacy_skip_invalid_logs_ids(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    paths = write_pair(tmp_path, [[SMS], [], [LENGTH], [SMS]], ["1", "0", "bad", "0"])
    with caplog.at_level(logging.WARNING, logger="droidlens.data.legacy"):
        apps = read_legacy(*paths, skip_invalid=True)
    assert [app.app_id for app in apps] == ["apps.sequence.pkl:0", "apps.sequence.pkl:3"]
    summary = caplog.records[-1].getMessage()
    assert summary.startswith("skipped 2 invalid app(s)")
    assert summary.endswith("apps.sequence.pkl:1, apps.sequence.pkl:2")


def test_legacy_missing_files(tmp_path: Path) -> None:
    sequence_path, label_path = write_pair(tmp_path, [[SMS]], ["1"])
    with pytest.raises(DataError, match="pickle file not found: .*other.pkl"):
        read_legacy(tmp_path / "other.pkl", label_path)
    with pytest.raises(DataError, match="label file not found: .*other.label"):
        read_legacy(sequence_path, tmp_path / "other.label")


def test_legacy_corrupt_pickle(tmp_path: Path) -> None:
    path = tmp_path / "bad.pkl"
    path.write_bytes(pickle.dumps([[SMS]])[:-3])
    with pytest.raises(DataError, match=r"bad.pkl: cannot read the pickle \(UnpicklingError"):
        safe_unpickle(path)


def test_load_finds_label_file_next_to_pickle(tmp_path: Path) -> None:
    sequence_path, _ = write_pair(tmp_path, [[SMS], [LENGTH]], ["1", "0"])
    assert [app.label for app in load_apps(sequence_path)] == [1, 0]


def test_load_explicit_label_file(tmp_path: Path) -> None:
    sequence_path, _ = write_pair(tmp_path, [[SMS], [LENGTH]], ["1", "0"])
    other = tmp_path / "flipped.txt"
    other.write_text("0\n1\n", encoding="utf-8")
    assert [app.label for app in load_apps(sequence_path, labels=other)] == [0, 1]
