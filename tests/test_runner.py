"""The explanation runner: rows in input order, journal, resume, restart and JSON output."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import droidlens.explain.occlusion  # noqa: F401  (registers the occlusion methods)
from droidlens.data.encode import EncodedApps, encode_apps
from droidlens.errors import DataError, DroidlensError
from droidlens.explain.options import ExplainOptions
from droidlens.explain.registry import METHODS, MethodSpec, register_method
from droidlens.explain.result import MethodOutput
from droidlens.explain.runner import app_rng, explain_apps, explain_one, table_name
from droidlens.explain.store import (
    ExplanationJournal,
    explanations_from_frame,
    read_explanations,
    write_original_json,
)
from droidlens.models.registry import build_model
from droidlens.solvers.result import SolverConvergenceWarning
from tiny import build_vocab, marker_setup, tiny_apps


@pytest.fixture(scope="module")
def setup():
    apps = tiny_apps(6, seed=3, max_len=40)
    vocab = build_vocab(apps)
    torch.manual_seed(0)
    model = build_model("bilstm1", vocab_size=len(vocab), max_words=10).eval()
    return model, encode_apps(apps, vocab)


@pytest.fixture
def counting_method():
    """Register a method that counts its calls and explains by occlusion."""
    calls: list[int] = []
    occlusion = METHODS["occlusion"].explain

    def explain(model, tokens, *, target, rng, options) -> MethodOutput:
        calls.append(len(tokens))
        return occlusion(model, tokens, target=target, rng=rng, options=options)

    register_method(MethodSpec("test-counting", explain, deterministic=True))
    yield calls
    del METHODS["test-counting"]


def test_runner_rows_in_input_order(setup, tmp_path: Path) -> None:
    model, encoded = setup
    table = explain_apps(model, encoded, out_dir=tmp_path)
    frame = table.frame
    assert frame["id"].tolist() == encoded.ids
    assert frame["seq_len"].tolist() == encoded.seq_len.tolist()
    assert frame["label"].tolist() == encoded.labels.tolist()
    for ranking, seq_len in zip(table.rankings(), encoded.seq_len, strict=True):
        assert sorted(ranking.tolist()) == list(range(seq_len))
    assert table.path == tmp_path / "occlusion-fusedlasso.parquet"
    assert table.n_resumed == 0


def test_runner_parquet_matches_frame(setup, tmp_path: Path) -> None:
    model, encoded = setup
    table = explain_apps(model, encoded, out_dir=tmp_path)
    stored = read_explanations(table.path)
    assert stored["id"].tolist() == encoded.ids
    rankings = explanations_from_frame(stored)
    for app_id, ranking in zip(encoded.ids, table.rankings(), strict=True):
        np.testing.assert_array_equal(rankings[app_id], ranking)


def test_runner_journal_written_row_by_row(setup, tmp_path: Path) -> None:
    model, encoded = setup
    sizes: list[int] = []
    journal = tmp_path / "occlusion-fusedlasso.jsonl"

    def progress(n: int) -> None:
        sizes.append(len(journal.read_text(encoding="utf-8").splitlines()))

    explain_apps(model, encoded, out_dir=tmp_path, progress=progress)
    assert sizes == list(range(1, len(encoded) + 1))


def test_runner_resume_recomputes_nothing(setup, tmp_path: Path, counting_method) -> None:
    model, encoded = setup
    first = explain_apps(model, encoded.subset([0, 1, 2]), method="test-counting", out_dir=tmp_path)
    assert len(counting_method) == 3
    second = explain_apps(model, encoded, method="test-counting", out_dir=tmp_path)
    assert len(counting_method) == 6
    assert second.n_resumed == 3
    assert second.frame["id"].tolist() == encoded.ids
    pd.testing.assert_frame_equal(second.frame.iloc[:3].reset_index(drop=True), first.frame)
    third = explain_apps(model, encoded, method="test-counting", out_dir=tmp_path)
    assert len(counting_method) == 6
    assert third.n_resumed == len(encoded)


def test_runner_restart_recomputes(setup, tmp_path: Path, counting_method) -> None:
    model, encoded = setup
    explain_apps(model, encoded, method="test-counting", out_dir=tmp_path)
    table = explain_apps(model, encoded, method="test-counting", out_dir=tmp_path, resume=False)
    assert len(counting_method) == 2 * len(encoded)
    assert table.n_resumed == 0
    journal = ExplanationJournal(tmp_path / "test-counting.jsonl").read()
    assert [row["id"] for row in journal] == encoded.ids


def test_runner_cut_off_journal_line_ignored(
    setup, tmp_path: Path, counting_method, caplog: pytest.LogCaptureFixture
) -> None:
    model, encoded = setup
    part = encoded.subset([0, 1, 2])
    explain_apps(model, part, method="test-counting", out_dir=tmp_path)
    journal = tmp_path / "test-counting.jsonl"
    lines = journal.read_text(encoding="utf-8").splitlines(keepends=True)
    journal.write_text("".join(lines[:2]) + lines[2][: len(lines[2]) // 2], encoding="utf-8")
    table = explain_apps(model, part, method="test-counting", out_dir=tmp_path)
    assert table.n_resumed == 2
    assert len(counting_method) == 4
    assert table.frame["id"].tolist() == part.ids
    assert "ignored an incomplete row" in caplog.text
    assert len(ExplanationJournal(journal).read()) == 3


def test_runner_without_out_dir_writes_nothing(setup, tmp_path: Path, monkeypatch) -> None:
    model, encoded = setup
    monkeypatch.chdir(tmp_path)
    table = explain_apps(model, encoded.subset([0]))
    assert table.path is None
    assert list(tmp_path.iterdir()) == []


def test_runner_rejects_empty_app(setup) -> None:
    model, encoded = setup
    empty = EncodedApps(
        ["x"], np.array([1]), np.zeros((1, 1, 10), np.int32), np.array([0]), np.array([0])
    )
    with pytest.raises(DataError, match="app x has no calls and cannot be explained"):
        explain_apps(model, empty)


def test_runner_unknown_method(setup) -> None:
    model, encoded = setup
    with pytest.raises(
        DroidlensError, match="unknown explanation method 'magic'; choose one of .*occlusion"
    ):
        explain_apps(model, encoded, method="magic")


def test_runner_target_defaults_to_prediction() -> None:
    model, encoded, _ = marker_setup(n_apps=2, seq_len=6)
    for row, expected in ((0, 1), (1, 0)):
        explanation = explain_one(
            model,
            encoded.app_tokens(row),
            app_id=encoded.ids[row],
            label=int(encoded.labels[row]),
            method="occlusion",
            options=ExplainOptions(),
        )
        assert explanation.extras["target"] == expected
        assert explanation.predicted == expected
    forced = explain_one(
        model,
        encoded.app_tokens(1),
        app_id="b",
        label=0,
        method="occlusion",
        options=ExplainOptions(),
        target=1,
    )
    assert forced.extras["target"] == 1


def test_app_rng_depends_on_seed_and_id_only() -> None:
    assert app_rng(3, "a").random() == app_rng(3, "a").random()
    assert app_rng(3, "a").random() != app_rng(3, "b").random()
    assert app_rng(3, "a").random() != app_rng(4, "a").random()


@pytest.mark.parametrize(
    ("method", "options", "expected"),
    [
        ("occlusion", ExplainOptions(), "occlusion-fusedlasso"),
        (
            "occlusion",
            ExplainOptions(smoother="trend2", rank_by="benign"),
            "occlusion-trend2-benign",
        ),
        ("lemna", ExplainOptions(), "lemna"),
    ],
)
def test_table_name(method: str, options: ExplainOptions, expected: str) -> None:
    assert table_name(method, options) == expected


def test_original_json_columns(setup, tmp_path: Path) -> None:
    model, encoded = setup
    table = explain_apps(model, encoded.subset([0, 1]), out_dir=tmp_path)
    path = write_original_json(table.frame, tmp_path / "out.json")
    records = json.loads(path.read_text(encoding="utf-8"))
    assert len(records) == 2
    for column in (
        "seq",
        "X sequence len",
        "synthetic y",
        "fusedlasso coef",
        "fusedlasso ranking",
        "y",
        "prediction time",
        "elapsed time",
    ):
        assert column in records[0], column
    assert records[0]["seq"] == encoded.ids[0]
    assert len(records[0]["y"]) == 1
    np.testing.assert_allclose(records[0]["y"][0], table.frame["proba"][0], rtol=1e-14, atol=0)
    assert len(records[0]["synthetic y"]) == records[0]["X sequence len"]


def test_read_explanations_missing(tmp_path: Path) -> None:
    with pytest.raises(
        DataError, match="explanation file not found: .*; run `droidlens explain` first"
    ):
        read_explanations(tmp_path / "none.parquet")


def test_read_explanations_journal(setup, tmp_path: Path) -> None:
    model, encoded = setup
    explain_apps(model, encoded.subset([0, 1]), out_dir=tmp_path)
    frame = read_explanations(tmp_path / "occlusion-fusedlasso.jsonl")
    assert frame["id"].tolist() == encoded.ids[:2]


def test_runner_other_settings_do_not_resume(setup, tmp_path: Path, counting_method) -> None:
    model, encoded = setup
    part = encoded.subset([0, 1])
    explain_apps(model, part, method="test-counting", out_dir=tmp_path)
    with pytest.raises(
        DataError,
        match=r"test-counting.jsonl was written with other settings "
        r"\(lam None -> 0.5\); pass --restart",
    ):
        explain_apps(
            model, part, method="test-counting", out_dir=tmp_path, options=ExplainOptions(lam=0.5)
        )
    with pytest.raises(DataError, match=r"other settings \(seed 0 -> 3\)"):
        explain_apps(model, part, method="test-counting", out_dir=tmp_path, seed=3)
    table = explain_apps(
        model, part, method="test-counting", out_dir=tmp_path, seed=3, resume=False
    )
    assert table.n_resumed == 0
    assert (
        explain_apps(model, part, method="test-counting", out_dir=tmp_path, seed=3).n_resumed == 2
    )


def test_runner_jobs_same_rows(setup, tmp_path: Path) -> None:
    model, encoded = setup
    part = encoded.subset([0, 1, 2])
    one = explain_apps(model, part, jobs=1).frame
    two = explain_apps(model, part, jobs=2).frame
    assert one["id"].tolist() == two["id"].tolist()
    for column in ("ranking", "relevance", "synthetic y"):
        for first, second in zip(one[column], two[column], strict=True):
            np.testing.assert_array_equal(np.asarray(first), np.asarray(second))


def test_runner_registers_builtin_methods(setup, monkeypatch: pytest.MonkeyPatch) -> None:
    model, encoded = setup
    # As in a fresh process where nothing imported the occlusion module yet.
    monkeypatch.delitem(METHODS, "occlusion")
    monkeypatch.delitem(sys.modules, "droidlens.explain.occlusion")
    table = explain_apps(model, encoded.subset([0]))
    assert table.frame["method"].tolist() == ["occlusion"]


@pytest.fixture
def warning_method():
    """Register a method that explains by occlusion and warns like a failing solver."""
    occlusion = METHODS["occlusion"].explain

    def explain(model, tokens, *, target, rng, options) -> MethodOutput:
        warnings.warn("the smoother did not converge", SolverConvergenceWarning, stacklevel=2)
        warnings.warn("an unrelated warning", RuntimeWarning, stacklevel=2)
        return occlusion(model, tokens, target=target, rng=rng, options=options)

    register_method(MethodSpec("test-warning", explain, deterministic=True))
    yield "test-warning"
    del METHODS["test-warning"]


def test_explain_one_logs_solver_warning(setup, warning_method, caplog) -> None:
    model, encoded = setup
    with pytest.warns(RuntimeWarning, match="unrelated") as record:
        explain_one(
            model,
            encoded.app_tokens(0),
            app_id="app-17",
            label=1,
            method=warning_method,
            options=ExplainOptions(),
        )
    messages = [log.getMessage() for log in caplog.records]
    assert any("app-17" in message and "did not converge" in message for message in messages)
    assert not any(issubclass(item.category, SolverConvergenceWarning) for item in record)
