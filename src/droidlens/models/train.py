"""Train a detector with Adam, keeping the checkpoint with the best validation F1."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from droidlens.data.encode import EncodedApps
from droidlens.errors import DataError
from droidlens.fidelity.metrics import binary_metrics
from droidlens.models.base import Detector
from droidlens.models.device import amp_dtype, autocast_context

__all__ = ["TrainConfig", "TrainResult", "train_detector"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Training settings.

    Attributes
    ----------
    epochs : int
        Passes over the training apps.
    batch_size : int
        Apps per gradient step (100 in the original system).
    learning_rate : float
        Adam step size.
    seed : int
        Seeds dropout and batch order. The initial weights come from the model as built, so
        :func:`droidlens.pipeline.train_run` seeds the model's construction too. A run on the
        CPU with the same seed and data then gives the same weights.
    """

    epochs: int = 10
    batch_size: int = 100
    learning_rate: float = 1e-3
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate}")


@dataclass
class TrainResult:
    """Result of training: the best epoch and the history of every epoch."""

    best_epoch: int
    best_validation_f1: float
    history: list[dict[str, float]] = field(default_factory=list)
    seconds_per_epoch: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """Return the result as a JSON-ready dict."""
        return asdict(self)


def _length_batches(
    seq_len: np.ndarray, batch_size: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Group apps of similar length into batches, in random order, to avoid padding work."""
    noisy = seq_len + rng.uniform(0, 0.5 * max(float(seq_len.mean()), 1.0), size=len(seq_len))
    order = np.argsort(noisy, kind="stable")
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)  # type: ignore[arg-type]
    return batches


def _validation_f1(model: Detector, validation: EncodedApps, batch_size: int) -> float:
    proba = model.predict_proba(validation.tokens, batch_size=batch_size)
    metrics = binary_metrics(validation.labels, (proba[:, 1] >= 0.5).astype(np.int64))
    return 0.0 if np.isnan(metrics.f1) else metrics.f1


def train_detector(
    model: Detector,
    train: EncodedApps,
    validation: EncodedApps,
    *,
    config: TrainConfig,
    device: torch.device | str = "cpu",
    amp: bool = False,
    progress: Callable[[int, int, float], None] | None = None,
) -> TrainResult:
    """Train ``model`` in place and load the weights of the best validation-F1 epoch.

    Parameters
    ----------
    model : Detector
        A freshly built detector; its weights are replaced by those of the best epoch.
    train, validation : EncodedApps
        Labelled apps (labels 0 or 1).
    config : TrainConfig
    device : torch.device or str, default="cpu"
    amp : bool, default=False
        Automatic mixed precision on CUDA (bfloat16, or float16 with gradient scaling); no
        effect on the CPU.
    progress : callable, optional
        Called after each batch with (epoch, apps done in the epoch, batch loss).

    Returns
    -------
    TrainResult

    Raises
    ------
    DataError
        If a split is empty or contains apps without a label.
    """
    for name, part in (("training", train), ("validation", validation)):
        if len(part) == 0:
            raise DataError(f"the {name} split is empty; use more apps or other split fractions")
        if not np.isin(part.labels, (0, 1)).all():
            raise DataError(f"the {name} split contains apps without a label; label every app")

    rng = np.random.default_rng(config.seed)
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(config.seed)
    device = torch.device(device)
    model.to(device)
    scaler = torch.amp.GradScaler(device.type, enabled=amp and amp_dtype(device) == torch.float16)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    loss_fn = nn.CrossEntropyLoss()
    labels = torch.as_tensor(train.labels, dtype=torch.long)

    best_f1, best_epoch, best_state = -1.0, 0, None
    history: list[dict[str, float]] = []
    started = time.perf_counter()
    try:
        for epoch in range(1, config.epochs + 1):
            model.train()
            total_loss, done = 0.0, 0
            for rows in _length_batches(train.seq_len, config.batch_size, rng):
                width = max(int(train.seq_len[rows].max()), 1)
                batch = torch.as_tensor(train.tokens[rows, :width], dtype=torch.long).to(device)
                optimizer.zero_grad()
                with autocast_context(device, amp):
                    loss = loss_fn(model(batch).float(), labels[rows].to(device))
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
                total_loss += float(loss.detach()) * len(rows)
                done += len(rows)
                if progress is not None:
                    progress(epoch, done, float(loss.detach()))
            f1 = _validation_f1(model, validation, config.batch_size)
            history.append({"epoch": epoch, "loss": total_loss / done, "validation_f1": f1})
            logger.info("epoch %d: loss %.4f, validation F1 %.4f", epoch, total_loss / done, f1)
            if f1 > best_f1:
                best_f1, best_epoch = f1, epoch
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    finally:
        torch.random.set_rng_state(generator_state)

    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    seconds = (time.perf_counter() - started) / config.epochs
    return TrainResult(best_epoch, best_f1, history, seconds)
