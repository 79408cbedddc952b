"""Stratified, seeded train/validation/test splits saved as app ids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from droidlens.data.records import App
from droidlens.data.split import Split, stratified_split
from droidlens.errors import DataError


def make_apps(n_malicious: int, n_benign: int) -> list[App]:
    labels = [1] * n_malicious + [0] * n_benign
    return [App(f"app{i:03d}", label, ["La;->b"]) for i, label in enumerate(labels)]


@pytest.mark.parametrize(("n_malicious", "n_benign"), [(50, 50), (37, 91), (11, 3)])
def test_split_stratified_within_one_app(n_malicious: int, n_benign: int) -> None:
    apps = make_apps(n_malicious, n_benign)
    split = stratified_split(apps, fractions=(0.7, 0.15, 0.15), seed=3)
    labels = {app.app_id: app.label for app in apps}
    for part, share in (("train", 0.7), ("validation", 0.15), ("test", 0.15)):
        ids = getattr(split, part)
        for label, total in ((1, n_malicious), (0, n_benign)):
            count = sum(labels[app_id] == label for app_id in ids)
            assert abs(count - share * total) <= 1, (part, label, count)


def test_split_partitions_all_apps() -> None:
    apps = make_apps(30, 20)
    split = stratified_split(apps, seed=0)
    ids = split.train + split.validation + split.test
    assert sorted(ids) == sorted(app.app_id for app in apps)


def test_split_seeded_and_reproducible() -> None:
    apps = make_apps(30, 20)
    first = stratified_split(apps, seed=5)
    assert stratified_split(apps, seed=5) == first
    assert stratified_split(apps, seed=6).train != first.train


def test_split_save_load_ids(tmp_path: Path) -> None:
    split = stratified_split(make_apps(10, 10), seed=2)
    split.save(tmp_path / "split.json")
    assert Split.load(tmp_path / "split.json") == split


def test_split_select_order_and_missing() -> None:
    apps = make_apps(10, 10)
    split = stratified_split(apps, seed=0)
    assert [app.app_id for app in split.select(apps, "test")] == split.test
    with pytest.raises(
        DataError,
        match=r"2 app\(s\) of the train split are not in the data, "
        r"e\.g\. .*; use the data file the split was made from",
    ):
        split.select([app for app in apps if app.app_id not in split.train[:2]], "train")


def test_split_select_unknown_part() -> None:
    with pytest.raises(ValueError, match="part must be 'train', 'validation' or 'test', got 'dev'"):
        Split([], [], []).select([], "dev")


@pytest.mark.parametrize("fractions", [(0.5, 0.5), (0.8, 0.3, -0.1), (0.5, 0.2, 0.2)])
def test_split_invalid_fractions(fractions: tuple[float, ...]) -> None:
    with pytest.raises(ValueError, match="fractions must be three non-negative shares"):
        stratified_split(make_apps(4, 4), fractions=fractions)  # type: ignore[arg-type]


@pytest.mark.parametrize("content", ["{oops", '{"train": []}', "[1, 2]"])
def test_split_load_invalid(tmp_path: Path, content: str) -> None:
    (tmp_path / "split.json").write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match="invalid split file"):
        Split.load(tmp_path / "split.json")


def test_split_load_missing(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="split file not found"):
        Split.load(tmp_path / "split.json")


def test_split_shuffles_within_parts() -> None:
    split = stratified_split(make_apps(40, 40), seed=0)
    labels = np.array([int(app_id[3:]) < 40 for app_id in split.train])
    # Classes are interleaved, not one block after the other.
    assert 0 < np.flatnonzero(labels)[0] < 10 or 0 < np.flatnonzero(~labels)[0] < 10
