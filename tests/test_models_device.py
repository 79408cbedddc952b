"""Device names and mixed precision; every test runs on the CPU."""

from __future__ import annotations

import contextlib

import pytest
import torch

from droidlens.errors import ModelError
from droidlens.models.device import amp_dtype, autocast_context, resolve_device


def test_device_cpu() -> None:
    assert resolve_device("cpu") == torch.device("cpu")


def test_device_auto_without_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")


def test_device_auto_with_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")


@pytest.mark.parametrize("name", ["cuda", "cuda:0"])
def test_device_cuda_unavailable(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ModelError, match="finds no CUDA device.*use device 'cpu' or 'auto'"):
        resolve_device(name)


def test_device_cuda_index_out_of_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ModelError, match=r"finds 1 CUDA device\(s\), indices 0 to 0"):
        resolve_device("cuda:3")


@pytest.mark.parametrize("name", ["gpu", "CUDA", "cuda:", "mps", ""])
def test_device_invalid_name(name: str) -> None:
    with pytest.raises(ValueError, match="invalid device"):
        resolve_device(name)


def test_device_name_not_string() -> None:
    with pytest.raises(TypeError, match="device must be a string"):
        resolve_device(0)  # type: ignore[arg-type]


def test_device_amp_dtype_cpu() -> None:
    assert amp_dtype(torch.device("cpu")) is None


@pytest.mark.parametrize(("bf16", "expected"), [(True, torch.bfloat16), (False, torch.float16)])
def test_device_amp_dtype_cuda(
    monkeypatch: pytest.MonkeyPatch, bf16: bool, expected: torch.dtype
) -> None:
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: bf16)
    assert amp_dtype(torch.device("cuda")) == expected


@pytest.mark.parametrize("enabled", [True, False])
def test_device_autocast_cpu_noop(enabled: bool) -> None:
    context = autocast_context(torch.device("cpu"), enabled)
    assert isinstance(context, contextlib.nullcontext)
    with context:
        product = torch.ones(2, 2) @ torch.ones(2, 2)
    assert product.dtype == torch.float32


def test_device_autocast_cuda_disabled() -> None:
    assert isinstance(autocast_context(torch.device("cuda"), False), contextlib.nullcontext)


# Without a GPU torch warns that it disables the autocast context; only its settings are checked.
@pytest.mark.filterwarnings("ignore:CUDA is not available:UserWarning")
def test_device_autocast_cuda_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    context = autocast_context(torch.device("cuda"), True)
    assert isinstance(context, torch.autocast)
    assert context.fast_dtype == torch.bfloat16
