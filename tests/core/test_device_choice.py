"""Device names: a malformed, unknown or absent device is one clear line, checked when it is
given (a CUDA index against the machine's count), and CUDA starts where it is cheap to wait."""

from __future__ import annotations

import pytest
import torch

from inr_studio import device as devmod
from inr_studio.device import host_to_device, initialise, pick_device
from inr_studio.errors import OptionError


@pytest.fixture
def one_gpu(monkeypatch):
    """This machine as if it had one CUDA device (nothing is allocated on it)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)


def test_cuda_index_past_the_machines_count_is_one_line(one_gpu) -> None:
    assert pick_device("cuda") == torch.device("cuda")
    assert pick_device("cuda:0") == torch.device("cuda:0")
    assert pick_device("auto").type == "cuda"
    with pytest.raises(OptionError) as info:
        pick_device("cuda:7")
    text = str(info.value)
    assert "\n" not in text and "'cuda:7'" in text and "1 cuda device" in text
    assert "cuda:0" in text


@pytest.mark.parametrize("name", ["cuda:x", "cuda:", "cuda:-1", "cuda:1.0", "gpu", "auto:0",
                                  "cuda:0:1"])
def test_malformed_names_are_refused(one_gpu, name: str) -> None:
    with pytest.raises(OptionError, match="unknown"):
        pick_device(name)


def test_absent_backends_name_what_is_here() -> None:
    if not torch.cuda.is_available():
        with pytest.raises(OptionError, match="not available here; available: .*cpu"):
            pick_device("cuda:0")
    assert pick_device(" CPU ") == torch.device("cpu")
    with pytest.raises(OptionError, match="1 cpu device"):
        pick_device("cpu:1")


def test_the_cli_refuses_a_missing_gpu_index_with_exit_code_2(one_gpu, capsys) -> None:
    from inr_studio.cli.main import main

    rc = main(["fit", "missing.png", "--device", "cuda:3"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "cuda:3" in err[0], err


def test_host_to_device_does_not_block_except_on_mps(monkeypatch) -> None:
    seen = []
    real = torch.Tensor.to

    def record(self, *args, **kwargs):
        seen.append(kwargs.get("non_blocking"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "to", record)
    t = torch.arange(4)
    assert torch.equal(host_to_device(t, "cpu"), t)
    host_to_device(t, torch.device("cpu"))
    assert seen == [True, True]


def test_initialise_starts_cuda_only_where_present(one_gpu, monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(torch.cuda, "init", lambda: calls.append("init"))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i: calls.append(f"name {i}"))
    initialise(["cpu"])
    assert calls == []
    initialise(devmod.available_devices())
    assert calls == ["init", "name 0"]
