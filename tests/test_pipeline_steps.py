"""The pipeline steps as library calls: train, evaluate, select, explain and fidelity."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from droidlens.data.jsonl import write_jsonl
from droidlens.data.load import load_apps
from droidlens.data.records import App
from droidlens.data.split import Split
from droidlens.data.tokenize import split_call
from droidlens.errors import DataError, DroidlensError, ModelError
from droidlens.explain.options import ExplainOptions
from droidlens.fidelity.metrics import binary_metrics
from droidlens.models.io import load_run, save_run
from droidlens.pipeline import (
    TrainSettings,
    evaluate_run,
    explain_run,
    fidelity_run,
    select_apps,
    train_run,
)
from droidlens.pipeline.evaluation import format_metrics
from droidlens.pipeline.full import run_pipeline
from droidlens.pipeline.training import summarize_settings
from tiny import write_tiny_data

SETTINGS = TrainSettings(epochs=2, batch_size=16, learning_rate=1e-2, seed=3)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_data(
        tmp_path_factory.mktemp("data") / "apps.jsonl.gz", 80, seed=11, max_len=50
    )


@pytest.fixture(scope="module")
def trained(data: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("run")
    return train_run(data, out, settings=SETTINGS)


def test_train_run_files(trained) -> None:
    folder = trained.run_dir
    for name in (
        "config.json",
        "model.safetensors",
        "vocab.json",
        "split.json",
        "history.csv",
        "metrics/test.json",
        "metrics/test.csv",
        "metrics/test-predictions.csv",
    ):
        assert (folder / name).is_file(), name
    assert trained.n_apps == {"train": 64, "validation": 8, "test": 8}
    history = pd.read_csv(folder / "history.csv")
    assert history["epoch"].tolist() == [1, 2]
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    assert config["training"]["epochs"] == 2
    assert config["training"]["best_epoch"] == trained.result.best_epoch


def test_train_run_vocab_from_training_split(trained, data: Path) -> None:
    run = load_run(trained.run_dir)
    apps = load_apps(data)
    train_words = {
        word
        for app in run.split.select(apps, "train")
        for call in app.calls
        for word in split_call(call, config=run.vocab.tokenizer)
    }
    assert set(run.vocab.words[3:]) == train_words


def test_train_run_same_seed_same_weights(trained, data: Path, tmp_path: Path) -> None:
    again = train_run(data, tmp_path / "again", settings=SETTINGS)
    first = load_run(trained.run_dir).model.state_dict()
    second = load_run(again.run_dir).model.state_dict()
    for name, tensor in first.items():
        assert (tensor == second[name]).all(), name


def test_train_run_reuses_split(trained, data: Path, tmp_path: Path) -> None:
    other = Split.load(trained.run_dir / "split.json")
    other.train, other.test = other.train[:-2], other.test + other.train[-2:]
    (tmp_path / "run").mkdir()
    other.save(tmp_path / "run" / "split.json")
    summary = train_run(data, tmp_path / "run", settings=TrainSettings(epochs=1, seed=3))
    assert summary.n_apps["test"] == 10
    assert Split.load(tmp_path / "run" / "split.json") == other


def test_evaluate_run_test_split(trained) -> None:
    result = evaluate_run(trained.run_dir)
    assert result.name == "test"
    assert result.metrics == trained.test.metrics
    predictions = pd.read_csv(result.predictions_path)
    assert len(predictions) == 8
    assert_allclose(predictions["p_benign"] + predictions["p_malicious"], 1.0, rtol=0, atol=1e-6)


def test_evaluate_run_test_data(trained, tmp_path: Path) -> None:
    other = write_tiny_data(tmp_path / "other.jsonl", 12, seed=99, max_len=40)
    result = evaluate_run(trained.run_dir, test_data=other)
    assert result.name == "test-data-other"
    assert result.metrics.n_apps == 12
    assert result.json_path == trained.run_dir / "metrics" / "test-data-other.json"


def test_format_metrics() -> None:
    metrics = binary_metrics(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0]))
    text = format_metrics(metrics, title="test split:")
    assert text.splitlines()[0] == "test split:"
    assert "accuracy       75.00" in text
    assert "TP TN         1    2" in text


@pytest.mark.parametrize(
    ("max_apps", "expected"), [(1, 1), (3, 3), (5, 5), (7, 7), (8, 8), (50, 8)]
)
def test_select_apps_max_apps_exact(trained, max_apps: int, expected: int) -> None:
    encoded, apps = select_apps(load_run(trained.run_dir), max_apps=max_apps)
    assert len(encoded) == expected
    assert len(set(encoded.ids)) == expected


def test_select_apps_stratified(trained) -> None:
    run = load_run(trained.run_dir)
    _, apps = select_apps(run, max_apps=6, seed=1)
    assert sorted(app.label for app in apps) == [0, 0, 0, 1, 1, 1]
    _, again = select_apps(run, max_apps=6, seed=1)
    assert [app.app_id for app in again] == [app.app_id for app in apps]


def test_select_apps_unlabelled(trained, tmp_path: Path) -> None:
    path = tmp_path / "new.jsonl"
    write_jsonl([App("new", -1, ["Ljava/lang/String;->length"])], path)
    run = load_run(trained.run_dir)
    with pytest.raises(DataError, match="invalid label None"):
        select_apps(run, test_data=path)
    encoded, _ = select_apps(run, test_data=path, require_labels=False)
    assert encoded.labels.tolist() == [-1]


def test_select_apps_without_split_or_data(trained, tmp_path: Path) -> None:
    run = load_run(trained.run_dir)
    bare = save_run(tmp_path / "bare", model=run.model, vocab=run.vocab)
    with pytest.raises(
        DataError, match="records no training data file; pass --data or --test-data"
    ):
        select_apps(load_run(bare))
    with pytest.raises(DataError, match="has no split.json; pass --test-data"):
        select_apps(load_run(bare), data=run.config["training"]["data"])


def test_explain_and_fidelity_run(trained) -> None:
    table = explain_run(trained.run_dir, max_apps=4, write_json=True)
    folder = trained.run_dir / "explanations"
    assert table.path == folder / "occlusion-fusedlasso.parquet"
    assert (folder / "occlusion-fusedlasso.json").is_file()
    assert len(table.frame) == 4
    result = fidelity_run(trained.run_dir, explanations=table.path, write_json=True)
    for key in (
        "synthetic by count",
        "synthetic by percent",
        "plot",
        "synthetic by count (random) json",
    ):
        assert result.files[key].is_file(), key
    assert set(result.by_count["ranking"]) == {"occlusion-fusedlasso", "random"}
    # k = seq_len: every kept app is whole, so the point equals the full-input metrics.
    run = load_run(trained.run_dir)
    encoded, _ = select_apps(run)
    encoded = encoded.subset([encoded.ids.index(i) for i in table.frame["id"]])
    proba = run.model.predict_proba(encoded.tokens)
    full = binary_metrics(encoded.labels, (proba[:, 1] >= 0.5).astype(np.int64))
    last = result.by_count[result.by_count["k"] == result.by_count["k"].max()]
    assert last["tp"].tolist() == [full.tp, full.tp]
    assert last["tn"].tolist() == [full.tn, full.tn]
    hundred = result.by_percent[result.by_percent["percent k"] == 100]
    assert hundred["tp"].tolist() == [full.tp, full.tp]


def test_fidelity_run_other_apps_rejected(trained, tmp_path: Path) -> None:
    table = explain_run(trained.run_dir, max_apps=2)
    other = write_tiny_data(tmp_path / "other.jsonl", 4, seed=50, max_len=30)
    renamed = [App(f"x{i}", app.label, app.calls) for i, app in enumerate(load_apps(other))]
    write_jsonl(renamed, other)
    with pytest.raises(DataError, match="none of the apps in .* is among the selected apps"):
        fidelity_run(trained.run_dir, explanations=table.path, test_data=other)


def test_run_pipeline_rejects_unknown_method_before_training(data: Path, tmp_path: Path) -> None:
    with pytest.raises(DroidlensError, match="unknown explanation method 'magic'"):
        run_pipeline(data, tmp_path / "run", method="magic", settings=SETTINGS)
    assert not (tmp_path / "run" / "model.safetensors").exists()


def test_train_run_unknown_model(data: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="unknown model 'gru'; choose one of"):
        train_run(data, tmp_path / "run", settings=TrainSettings(model="gru"))


def test_summarize_settings(data: Path) -> None:
    text = summarize_settings(data, TrainSettings(max_calls=30))
    assert "embedding" in text.lower()
    assert "lstm" in text.lower()


def test_run_pipeline_small(data: Path, tmp_path: Path) -> None:
    summary = run_pipeline(
        data,
        tmp_path / "run",
        settings=SETTINGS,
        max_apps=3,
        options=ExplainOptions(smoother="trend1"),
        seed=3,
    )
    written = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    assert written["best_epoch"] == summary.training.result.best_epoch
    assert summary.explanations.path.name == "occlusion-trend1.parquet"
    assert len(summary.explanations.frame) == 3
    for path in summary.files.values():
        assert Path(path).exists(), path


def test_fidelity_run_rejects_other_table(trained, tmp_path: Path) -> None:
    other = tmp_path / "other.parquet"
    pd.DataFrame({"method": ["x"], "value": [1.0]}).to_parquet(other)
    with pytest.raises(DataError, match="not an explanation table"):
        fidelity_run(trained.run_dir, explanations=other)
