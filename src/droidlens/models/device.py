"""Choose the torch device and the mixed-precision mode for training and prediction."""

from __future__ import annotations

import contextlib
import logging
import re

import torch

from droidlens.errors import ModelError

__all__ = ["resolve_device", "amp_dtype", "autocast_context"]

logger = logging.getLogger(__name__)

_DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


def resolve_device(name: str = "auto") -> torch.device:
    """Turn a device name from the command line or a config into a :class:`torch.device`.

    Parameters
    ----------
    name : {"auto", "cpu", "cuda", "cuda:N"}, default="auto"
        ``"auto"`` picks the first CUDA device when torch finds one, else the CPU.

    Returns
    -------
    torch.device

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If ``name`` is none of the allowed names.
    ModelError
        If a CUDA device is requested but torch sees none, or the index is out of range.
    """
    if not isinstance(name, str):
        raise TypeError(f"device must be a string such as 'auto', got {type(name).__name__}")
    if not _DEVICE_PATTERN.match(name):
        raise ValueError(f"invalid device {name!r}; use 'auto', 'cpu', 'cuda' or 'cuda:N'")

    if name == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        logger.info("device 'auto' resolved to %s", device)
        return device
    if name == "cpu":
        return torch.device("cpu")

    if not torch.cuda.is_available():
        raise ModelError(
            f"device {name!r} requested but torch {torch.__version__} finds no CUDA device "
            f"(built with CUDA {torch.version.cuda}); use device 'cpu' or 'auto'"
        )
    device = torch.device(name)
    n_devices = torch.cuda.device_count()
    if device.index is not None and device.index >= n_devices:
        raise ModelError(
            f"device {name!r} requested but torch finds {n_devices} CUDA device(s), "
            f"indices 0 to {n_devices - 1}"
        )
    return device


def amp_dtype(device: torch.device) -> torch.dtype | None:
    """Return the reduced precision that autocast uses on ``device``, or None on the CPU.

    The dtype is bfloat16 where the GPU supports it (compute capability 8.0 and later),
    because it needs no gradient scaling. Otherwise it is float16, which a training loop must
    pair with :class:`torch.amp.GradScaler`.
    """
    if device.type != "cuda":
        return None
    if torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float16


def autocast_context(
    device: torch.device, enabled: bool
) -> contextlib.AbstractContextManager[object]:
    """Return a context that runs eligible operations in reduced precision on CUDA.

    Parameters
    ----------
    device : torch.device
        Where the model runs. On the CPU the context does nothing.
    enabled : bool
        False gives a context that does nothing, on every device.

    Returns
    -------
    context manager
        :func:`torch.autocast` with the dtype of :func:`amp_dtype`, or a null context.

    Notes
    -----
    Torch's autocast operator reference decides which operation runs in which precision:
    linear layers and matrix products run in the reduced precision, softmax in float32.
    """
    dtype = amp_dtype(device)
    if not enabled or dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type="cuda", dtype=dtype)
