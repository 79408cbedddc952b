"""Tiny apps, vocabularies, detectors and run folders shared by the pipeline tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from droidlens.data.encode import EncodedApps, encode_apps
from droidlens.data.jsonl import write_jsonl
from droidlens.data.records import App
from droidlens.data.split import Split, stratified_split
from droidlens.data.synthetic import generate_apps
from droidlens.data.tokenize import TokenizerConfig, split_call
from droidlens.data.vocab import Vocabulary
from droidlens.models.base import Detector
from droidlens.models.registry import build_model
from droidlens.models.train import TrainConfig, TrainResult, train_detector

MARKER_CALL = "Lcom/evil/Payload;->sendPremiumSms"
"""The call that makes an app malicious for :class:`MarkerDetector`."""
MARKER_WORD = "sendpremiumsms"
BACKGROUND_CALLS = (
    "Landroid/app/Activity;->onCreate",
    "Landroid/view/View;->setVisibility",
    "Ljava/lang/String;->length",
    "Landroid/util/Log;->d",
    "Ljava/util/HashMap;->put",
    "Landroid/widget/TextView;->setText",
)


def tiny_apps(n_apps: int = 60, *, seed: int = 0, max_len: int = 60) -> list[App]:
    """Return generated apps of 20 to ``max_len`` calls, half of them malicious."""
    return generate_apps(n_apps, seed=seed, max_len=max_len)


def build_vocab(apps: list[App], tokenizer: TokenizerConfig | None = None) -> Vocabulary:
    """Return the vocabulary of every word in ``apps``."""
    tokenizer = tokenizer or TokenizerConfig()
    words = [
        [word for call in app.calls for word in split_call(call, config=tokenizer)] for app in apps
    ]
    return Vocabulary.build(words, tokenizer=tokenizer)


def write_tiny_data(path: Path, n_apps: int = 60, *, seed: int = 0, max_len: int = 60) -> Path:
    """Write generated apps as JSON Lines and return the path."""
    write_jsonl(tiny_apps(n_apps, seed=seed, max_len=max_len), path)
    return path


@dataclass
class TinyTraining:
    """A small detector trained on generated apps, with everything used to train it."""

    model: Detector
    vocab: Vocabulary
    split: Split
    encoded: dict[str, EncodedApps]
    result: TrainResult


def train_tiny(
    apps: list[App],
    *,
    model_name: str = "bilstm1",
    epochs: int = 2,
    seed: int = 0,
    batch_size: int = 16,
) -> TinyTraining:
    """Split ``apps``, build the vocabulary of the training part and train a detector."""
    split = stratified_split(apps, seed=seed)
    vocab = build_vocab(split.select(apps, "train"))
    encoded = {
        part: encode_apps(split.select(apps, part), vocab)
        for part in ("train", "validation", "test")
    }
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model(model_name, vocab_size=len(vocab), max_words=vocab.tokenizer.max_words)
    config = TrainConfig(epochs=epochs, batch_size=batch_size, learning_rate=1e-2, seed=seed)
    result = train_detector(model, encoded["train"], encoded["validation"], config=config)
    return TinyTraining(model, vocab, split, encoded, result)


class MarkerDetector(Detector):
    """Malicious logit ``weight * (marker words in the app) - weight / 2``, benign logit 0.

    An app is malicious iff one of its calls holds the marker word, so only marker calls
    carry relevance for the malicious class.
    """

    model_name = "marker"

    def __init__(self, *, vocab_size: int, marker_id: int, weight: float = 4.0) -> None:
        super().__init__()
        self._record_hparams(
            vocab_size=vocab_size, max_words=10, embedding_dim=1, hidden_size=1, n_layers=1
        )
        self.embedding = nn.Embedding(vocab_size, 1, padding_idx=0)
        with torch.no_grad():
            self.embedding.weight.zero_()
            self.embedding.weight[marker_id] = 1.0
        self.weight = weight

    def forward_compact(self, calls: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        count = self.embedding(calls).sum(dim=(1, 2, 3))
        malicious = self.weight * count - self.weight / 2
        return torch.stack([torch.zeros_like(malicious), malicious], dim=1)


def marker_apps(n_apps: int = 8, seq_len: int = 12, *, seed: int = 0) -> list[App]:
    """Return apps of background calls; even rows are malicious and hold one marker call."""
    rng = np.random.default_rng(seed)
    apps = []
    for row in range(n_apps):
        calls = [BACKGROUND_CALLS[i] for i in rng.integers(len(BACKGROUND_CALLS), size=seq_len)]
        label = int(row % 2 == 0)
        if label:
            calls[int(rng.integers(seq_len))] = MARKER_CALL
        apps.append(App(app_id=f"marker-{row}", label=label, calls=calls))
    return apps


def marker_setup(
    n_apps: int = 8, seq_len: int = 12, *, seed: int = 0
) -> tuple[MarkerDetector, EncodedApps, list[App]]:
    """Return a :class:`MarkerDetector`, the encoded :func:`marker_apps` and the apps."""
    apps = marker_apps(n_apps, seq_len, seed=seed)
    vocab = build_vocab(apps)
    model = MarkerDetector(vocab_size=len(vocab), marker_id=vocab.word_id(MARKER_WORD)).eval()
    return model, encode_apps(apps, vocab), apps
