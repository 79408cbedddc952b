"""Run folders: saving a trained detector and loading it back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from droidlens.errors import ModelError
from droidlens.models.io import (
    CONFIG_FILE,
    SPLIT_FILE,
    VOCAB_FILE,
    WEIGHTS_FILE,
    load_run,
    save_run,
)
from tiny import TinyTraining, tiny_apps, train_tiny


@pytest.fixture(scope="module", params=["bilstm1", "attention"])
def training(request: pytest.FixtureRequest) -> TinyTraining:
    return train_tiny(tiny_apps(40, seed=2, max_len=40), model_name=request.param, epochs=1)


def save(training: TinyTraining, folder: Path) -> Path:
    return save_run(
        folder,
        model=training.model,
        vocab=training.vocab,
        training={"epochs": 1},
        split=training.split,
    )


def test_run_files_written(training: TinyTraining, tmp_path: Path) -> None:
    folder = save(training, tmp_path / "run")
    for name in (CONFIG_FILE, WEIGHTS_FILE, VOCAB_FILE, SPLIT_FILE):
        assert (folder / name).is_file(), name
    config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    assert config["model"] == training.model.model_name
    assert config["training"] == {"epochs": 1}
    assert config["tokenizer"] == training.vocab.tokenizer.to_dict()


def test_run_load_reproduces_predictions(training: TinyTraining, tmp_path: Path) -> None:
    folder = save(training, tmp_path / "run")
    run = load_run(folder)
    tokens = training.encoded["test"].tokens
    np.testing.assert_array_equal(
        run.model.predict_proba(tokens), training.model.predict_proba(tokens)
    )
    assert not run.model.training
    assert run.model_name == training.model.model_name
    assert run.vocab.words == training.vocab.words
    assert run.split == training.split


def test_run_without_split(training: TinyTraining, tmp_path: Path) -> None:
    folder = save_run(tmp_path / "run", model=training.model, vocab=training.vocab)
    run = load_run(folder)
    assert run.split is None
    assert run.config["training"] == {}


def test_run_load_not_a_run_folder(tmp_path: Path) -> None:
    with pytest.raises(
        ModelError,
        match=r"is not a run folder: config.json is missing; pass "
        r"the --out folder of a `droidlens train` or `droidlens run`",
    ):
        load_run(tmp_path)


CORRUPTIONS = [
    (CONFIG_FILE, "{not json"),
    (CONFIG_FILE, '{"model": "bilstm1"}'),
    (CONFIG_FILE, "[]"),
    (CONFIG_FILE, '{"model": "bilstm1", "hparams": [1, 2]}'),
    (CONFIG_FILE, '{"model": "nosuchmodel", "hparams": {"vocab_size": 9, "max_words": 2}}'),
    (VOCAB_FILE, "{broken"),
    (WEIGHTS_FILE, "not a safetensors file"),
]


@pytest.mark.parametrize(("name", "content"), CORRUPTIONS)
def test_run_load_corrupt_file(
    training: TinyTraining, tmp_path: Path, name: str, content: str
) -> None:
    folder = save(training, tmp_path / "run")
    (folder / name).write_text(content, encoding="utf-8")
    with pytest.raises(ModelError, match=r"run: cannot load the run folder \("):
        load_run(folder)


def test_run_load_missing_weights(training: TinyTraining, tmp_path: Path) -> None:
    folder = save(training, tmp_path / "run")
    (folder / WEIGHTS_FILE).unlink()
    with pytest.raises(ModelError, match="cannot load the run folder"):
        load_run(folder)


def test_run_load_weights_of_other_shape(training: TinyTraining, tmp_path: Path) -> None:
    folder = save(training, tmp_path / "run")
    config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    config["hparams"]["hidden_size"] = 5
    (folder / CONFIG_FILE).write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ModelError, match="cannot load the run folder"):
        load_run(folder)
