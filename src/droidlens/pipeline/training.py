"""Train a detector from a data file into a run folder."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from droidlens.data.encode import encode_apps
from droidlens.data.load import load_apps
from droidlens.data.split import Split, stratified_split
from droidlens.data.tokenize import TokenizerConfig, split_call
from droidlens.data.vocab import Vocabulary
from droidlens.models.device import resolve_device
from droidlens.models.embeddings import apply_embeddings, load_word_vectors, train_word2vec
from droidlens.models.io import SPLIT_FILE, save_run
from droidlens.models.registry import build_model
from droidlens.models.train import TrainConfig, TrainResult, train_detector
from droidlens.pipeline.evaluation import EvaluationResult, evaluate_model
from droidlens.progress import progress_bar

__all__ = ["TrainSettings", "TrainSummary", "train_run", "summarize_settings"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainSettings:
    """Everything ``droidlens train`` can set; see ``droidlens train --help``."""

    model: str = "bilstm1"
    epochs: int = 10
    batch_size: int = 100
    learning_rate: float = 1e-3
    seed: int = 0
    max_calls: int = 2000
    max_words: int = 10
    camel_case: bool = False
    min_count: int = 1
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
    embeddings: str | None = None
    freeze_embeddings: bool = False
    device: str = "cpu"
    amp: bool = False


@dataclass
class TrainSummary:
    """Result of a training run: its folder, the training history and the test-split scores."""

    run_dir: Path
    result: TrainResult
    test: EvaluationResult | None
    n_apps: dict[str, int] = field(default_factory=dict)


def _word_lists(apps: list, tokenizer: TokenizerConfig) -> list[list[str]]:
    return [
        [
            word
            for call in app.calls[: tokenizer.max_calls]
            for word in split_call(call, config=tokenizer)
        ]
        for app in apps
    ]


def _load_split(out_dir: Path, apps: list, settings: TrainSettings) -> Split:
    existing = out_dir / SPLIT_FILE
    if existing.is_file():
        logger.info("reusing the split in %s", existing)
        return Split.load(existing)
    return stratified_split(apps, fractions=settings.fractions, seed=settings.seed)


def train_run(
    data: str | Path,
    out_dir: str | Path,
    *,
    settings: TrainSettings | None = None,
    split: str | Path | None = None,
    skip_invalid: bool = False,
    progress: bool = False,
) -> TrainSummary:
    """Split the apps, build the vocabulary, train, save the run folder and score the test split.

    Parameters
    ----------
    data : str or Path
        Labelled apps (JSON Lines or pickle).
    out_dir : str or Path
        The run folder. A ``split.json`` already there (or given by ``split``) is reused, so a
        run can be repeated on the same apps.
    settings : TrainSettings, optional
    split : str or Path, optional
        A split file from an earlier run.
    skip_invalid : bool, default=False
    progress : bool, default=False
        Show progress bars.
    """
    settings = settings or TrainSettings()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    apps = load_apps(data, skip_invalid=skip_invalid)
    the_split = Split.load(split) if split is not None else _load_split(out_dir, apps, settings)
    parts = {name: the_split.select(apps, name) for name in ("train", "validation", "test")}

    tokenizer = TokenizerConfig(
        max_words=settings.max_words, max_calls=settings.max_calls, camel_case=settings.camel_case
    )
    words = _word_lists(parts["train"], tokenizer)
    vocab = Vocabulary.build(words, tokenizer=tokenizer, min_count=settings.min_count)
    encoded = {name: encode_apps(part, vocab) for name, part in parts.items()}
    logger.info(
        "%d training, %d validation, %d test apps; %d words",
        *(len(p) for p in parts.values()),
        len(vocab),
    )

    device = resolve_device(settings.device)
    # The seed sets the initial weights too, without touching the caller's global generator.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(settings.seed)
        model = build_model(settings.model, vocab_size=len(vocab), max_words=settings.max_words)
    embeddings = _prepare_embeddings(model, vocab, words, settings)

    config = TrainConfig(
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        learning_rate=settings.learning_rate,
        seed=settings.seed,
    )
    total = settings.epochs * len(parts["train"])
    with progress_bar(total, f"training {settings.model}", enabled=progress) as advance:
        done = {"epoch": 0, "apps": 0}

        def on_batch(epoch: int, apps_done: int, loss: float) -> None:
            step = apps_done if epoch != done["epoch"] else apps_done - done["apps"]
            done.update(epoch=epoch, apps=apps_done)
            advance(step)

        result = train_detector(
            model,
            encoded["train"],
            encoded["validation"],
            config=config,
            device=device,
            amp=settings.amp,
            progress=on_batch,
        )
    model.cpu()

    training: dict[str, Any] = {
        **asdict(settings),
        "data": str(Path(data).resolve()),
        "embeddings_info": embeddings,
        **result.as_dict(),
    }
    training.pop("history")
    save_run(out_dir, model=model, vocab=vocab, training=training, split=the_split)
    pd.DataFrame(result.history).to_csv(out_dir / "history.csv", index=False)
    test = (
        evaluate_model(model, encoded["test"], name="test", run_dir=out_dir)
        if len(parts["test"])
        else None
    )
    return TrainSummary(out_dir, result, test, {k: len(v) for k, v in parts.items()})


def _prepare_embeddings(
    model, vocab: Vocabulary, words: list[list[str]], settings: TrainSettings
) -> dict[str, Any]:
    if settings.embeddings is None:
        return {"source": "random"}
    dim = model.embedding.embedding_dim
    if settings.embeddings == "train":
        matrix = train_word2vec(words, vocab, dim=dim, seed=settings.seed)
        info: dict[str, Any] = {"source": "word2vec trained on the training split"}
    else:
        matrix, n_missing = load_word_vectors(
            settings.embeddings, vocab, dim=dim, seed=settings.seed
        )
        info = {"source": str(settings.embeddings), "n_missing": int(n_missing)}
    apply_embeddings(model, matrix, freeze=settings.freeze_embeddings)
    info["frozen"] = settings.freeze_embeddings
    logger.info("word embeddings: %s", json.dumps(info))
    return info


def summarize_settings(
    data: str | Path, settings: TrainSettings, *, skip_invalid: bool = False
) -> str:
    """Return the layer table of the model ``train`` would build on ``data``, without training."""
    from droidlens.models.summary import summarize

    apps = load_apps(data, skip_invalid=skip_invalid)
    the_split = stratified_split(apps, fractions=settings.fractions, seed=settings.seed)
    tokenizer = TokenizerConfig(
        max_words=settings.max_words, max_calls=settings.max_calls, camel_case=settings.camel_case
    )
    words = _word_lists(the_split.select(apps, "train"), tokenizer)
    vocab = Vocabulary.build(words, tokenizer=tokenizer, min_count=settings.min_count)
    model = build_model(settings.model, vocab_size=len(vocab), max_words=settings.max_words)
    return summarize(model, n_calls=settings.max_calls)
