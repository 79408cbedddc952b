"""Stratified train/validation/test split, saved as app ids."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from droidlens.data.records import App
from droidlens.errors import DataError

__all__ = ["Split", "stratified_split"]

_PARTS = ("train", "validation", "test")


@dataclass
class Split:
    """App ids of the training, validation and test parts."""

    train: list[str]
    validation: list[str]
    test: list[str]
    seed: int | None = None

    def save(self, path: str | Path) -> None:
        """Write the split as JSON."""
        payload = {
            "seed": self.seed,
            "train": self.train,
            "validation": self.validation,
            "test": self.test,
        }
        Path(path).write_text(json.dumps(payload, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Split:
        """Read a split written by :meth:`save`."""
        path = Path(path)
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                payload["train"], payload["validation"], payload["test"], payload.get("seed")
            )
        except FileNotFoundError:
            raise DataError(f"split file not found: {path}") from None
        except (KeyError, TypeError, json.JSONDecodeError) as error:
            raise DataError(f"{path}: invalid split file ({error})") from None

    def select(self, apps: list[App], part: str) -> list[App]:
        """Return the apps of ``part`` (``train``, ``validation`` or ``test``) in split order.

        Raises
        ------
        ValueError
            If ``part`` is not one of the three names.
        DataError
            If an app id of the part is not among ``apps``.
        """
        if part not in _PARTS:
            raise ValueError(f"part must be 'train', 'validation' or 'test', got {part!r}")
        by_id = {app.app_id: app for app in apps}
        ids = getattr(self, part)
        missing = [app_id for app_id in ids if app_id not in by_id]
        if missing:
            raise DataError(
                f"{len(missing)} app(s) of the {part} split are not in the data, "
                f"e.g. {missing[0]}; use the data file the split was made from"
            )
        return [by_id[app_id] for app_id in ids]


def stratified_split(
    apps: list[App], *, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int = 0
) -> Split:
    """Split apps into train, validation and test parts with the same class balance.

    Parameters
    ----------
    apps : list of App
    fractions : (float, float, float), default=(0.8, 0.1, 0.1)
        Shares of the three parts; they must sum to 1.
    seed : int, default=0

    Returns
    -------
    Split
        Each class is shuffled and cut separately, so every part keeps the class balance.
    """
    if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(
            f"fractions must be three non-negative shares summing to 1, got {fractions}"
        )
    rng = np.random.default_rng(seed)
    parts: list[list[str]] = [[], [], []]
    for label in sorted({app.label for app in apps}):
        ids = np.array([app.app_id for app in apps if app.label == label])
        rng.shuffle(ids)
        n_train = int(round(fractions[0] * len(ids)))
        n_validation = int(round(fractions[1] * len(ids)))
        parts[0].extend(ids[:n_train].tolist())
        parts[1].extend(ids[n_train : n_train + n_validation].tolist())
        parts[2].extend(ids[n_train + n_validation :].tolist())
    for part in parts:
        rng.shuffle(part)  # type: ignore[arg-type]
    return Split(parts[0], parts[1], parts[2], seed)
