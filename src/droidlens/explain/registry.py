"""One table from explanation-method name to the function that explains one app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from droidlens.errors import DroidlensError
from droidlens.explain.result import MethodOutput
from droidlens.models.base import Detector

__all__ = ["ExplainFunction", "MethodSpec", "METHODS", "register_method", "get_method"]


class ExplainFunction(Protocol):
    """Explain one app.

    Parameters
    ----------
    model : Detector
        The detector, in eval mode.
    tokens : ndarray of shape (seq_len, max_words)
        The app's calls, without padding.
    target : int
        Class whose support is explained: ``1`` malicious, ``0`` benign (usually the
        predicted class).
    rng : numpy.random.Generator
        Source of randomness for sampling methods.
    options : MethodOptions-like object
        Method options (smoother, lambda, number of samples, batch memory budget, ...).
    """

    def __call__(
        self,
        model: Detector,
        tokens: np.ndarray,
        *,
        target: int,
        rng: np.random.Generator,
        options: object,
    ) -> MethodOutput: ...


@dataclass(frozen=True)
class MethodSpec:
    """A registered explanation method."""

    name: str
    explain: Callable[..., MethodOutput]
    deterministic: bool
    description: str = ""


METHODS: dict[str, MethodSpec] = {}


def register_method(spec: MethodSpec) -> None:
    """Add an explanation method to :data:`METHODS`."""
    METHODS[spec.name] = spec


def get_method(name: str) -> MethodSpec:
    """Return the method registered as ``name``, or raise with the list of known names."""
    if name not in METHODS:
        known = ", ".join(sorted(METHODS))
        raise DroidlensError(f"unknown explanation method {name!r}; choose one of {known}")
    return METHODS[name]
