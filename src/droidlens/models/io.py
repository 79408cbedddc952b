"""Run folders: a trained detector's weights, configuration and vocabulary in one place.

Layout of a run folder::

    config.json          model name, hyper-parameters, tokenizer and training settings
    model.safetensors    weights (and batch-normalisation buffers)
    vocab.json           vocabulary with reserved ids and tokenizer settings
    split.json           app ids of the train / validation / test parts (when trained here)
    history.csv          loss and validation scores per epoch
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from droidlens import __version__
from droidlens.data.split import Split
from droidlens.data.vocab import Vocabulary
from droidlens.errors import DataError, ModelError
from droidlens.models.base import Detector
from droidlens.models.registry import build_model

__all__ = ["Run", "save_run", "load_run", "CONFIG_FILE", "WEIGHTS_FILE", "VOCAB_FILE", "SPLIT_FILE"]

logger = logging.getLogger(__name__)

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
VOCAB_FILE = "vocab.json"
SPLIT_FILE = "split.json"


@dataclass
class Run:
    """A loaded run folder.

    Attributes
    ----------
    path : Path
    model : Detector
        In eval mode, on the CPU unless moved.
    vocab : Vocabulary
    config : dict
        Contents of ``config.json``.
    split : Split or None
    """

    path: Path
    model: Detector
    vocab: Vocabulary
    config: dict[str, Any] = field(default_factory=dict)
    split: Split | None = None

    @property
    def model_name(self) -> str:
        """Registered name of the detector, such as ``"bilstm1"``."""
        return str(self.config["model"])


def save_run(
    path: str | Path,
    *,
    model: Detector,
    vocab: Vocabulary,
    training: dict[str, Any] | None = None,
    split: Split | None = None,
) -> Path:
    """Write a model, its vocabulary and configuration into a run folder.

    Returns
    -------
    Path
        The run folder.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    state = {
        name: tensor.detach().cpu().contiguous() for name, tensor in model.state_dict().items()
    }
    save_file(state, str(path / WEIGHTS_FILE))
    vocab.save(path / VOCAB_FILE)
    config = {
        "droidlens_version": __version__,
        "model": model.model_name,
        "hparams": model.hparams,
        "tokenizer": vocab.tokenizer.to_dict(),
        "training": training or {},
    }
    (path / CONFIG_FILE).write_text(json.dumps(config, indent=1), encoding="utf-8")
    if split is not None:
        split.save(path / SPLIT_FILE)
    return path


def load_run(path: str | Path) -> Run:
    """Load a run folder written by :func:`save_run`; the model comes back in eval mode.

    Raises
    ------
    ModelError
        If the folder or one of its files is missing or invalid.
    """
    path = Path(path)
    if not (path / CONFIG_FILE).is_file():
        raise ModelError(
            f"{path} is not a run folder: {CONFIG_FILE} is missing; pass the "
            "--out folder of a `droidlens train` or `droidlens run`"
        )
    try:
        config = json.loads((path / CONFIG_FILE).read_text(encoding="utf-8"))
        vocab = Vocabulary.load(path / VOCAB_FILE)
        hparams = dict(config["hparams"])
        vocab_size = hparams.pop("vocab_size")
        max_words = hparams.pop("max_words")
        model = build_model(config["model"], vocab_size=vocab_size, max_words=max_words, **hparams)
        state = load_file(str(path / WEIGHTS_FILE))
        model.load_state_dict(state)
    except (
        KeyError,
        TypeError,
        ValueError,
        DataError,
        ModelError,
        RuntimeError,
        OSError,
        SafetensorError,
    ) as error:
        # json.JSONDecodeError is a ValueError; a config of the wrong shape raises TypeError.
        raise ModelError(f"{path}: cannot load the run folder ({error})") from None
    model.eval()
    split = Split.load(path / SPLIT_FILE) if (path / SPLIT_FILE).is_file() else None
    return Run(path=path, model=model, vocab=vocab, config=config, split=split)


def model_device_state(model: Detector) -> dict[str, torch.Tensor]:
    """Return a CPU copy of the model's state, for keeping the best checkpoint in memory."""
    return {name: tensor.detach().cpu().clone() for name, tensor in model.state_dict().items()}
