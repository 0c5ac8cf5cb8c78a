"""The saved-run format (``.inrrun``, Qt-free): what is written comes back equal, and a file
that is not a run, a damaged one or one from a newer inr-studio is one sentence."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from inr_studio.models import registry
from inr_studio.models.build import build_network
from inr_studio.models.network import CoordinateNet
from inr_studio.models.registry import ModelOptions
from inr_studio.ui.run_file import RunFileError, read_run, state_shapes, write_run
from inr_studio.ui.run_record import RunRecord
from inr_studio.ui.session import RunSettings

KINDS = ("siren", "hs")


def _run(small_image: np.ndarray):
    settings = RunSettings(models=KINDS, width=8, depth=2, iters=5)
    working = small_image[:16, :20].copy()
    record = RunRecord(settings, "cpu (1 thread)", 16, 20)
    configs, states = {}, {}
    for i, kind in enumerate(KINDS):
        spec = registry.entry(kind).spec(settings.model_options(16, 20))
        configs[kind] = spec.config
        states[kind] = {k: v.numpy().copy() for k, v in
                        CoordinateNet(spec.config, seed=i).state_dict().items()}
        record.steps[kind] = [0, 1, 2, 3, 4]
        record.psnr[kind] = [10.5, 12.25, 13.0, 14.125, 15.0 + i]
        record.seconds[kind] = [0.0, 0.01, 0.02, 0.031, 0.04]
        record.final[kind] = {"step": 5, "psnr_db": 15.0 + i, "ssim": float("nan"),
                              "iters_per_s": 120.5, "parameters": 99}
    return record, working, configs, states


def test_a_run_comes_back_equal(tmp_path: Path, small_image: np.ndarray) -> None:
    record, working, configs, states = _run(small_image)
    path = write_run(tmp_path / "photo", record, "photo.png", (48, 64), working, configs, states)
    assert path.name == "photo.inrrun"
    run = read_run(path)
    assert run.record.settings == record.settings and run.record.device == record.device
    assert (run.image_name, run.image_size) == ("photo.png", (48, 64))
    assert np.array_equal(run.working, working) and run.working.dtype == np.float32
    for kind in KINDS:
        assert run.record.steps[kind] == record.steps[kind]
        assert run.record.psnr[kind] == record.psnr[kind]  # float64: bit for bit
        assert run.record.seconds[kind] == record.seconds[kind]
        assert run.configs[kind] == configs[kind]
        assert all(np.array_equal(run.states[kind][k], v) for k, v in states[kind].items())
        final = run.record.final[kind]
        assert final["psnr_db"] == record.final[kind]["psnr_db"] and np.isnan(final["ssim"])
    with zipfile.ZipFile(path) as zf:  # what a person reads, without any code run
        meta = json.loads(zf.read("run.json"))
    assert meta["format"] == "inr-studio-run" and meta["settings"]["models"] == list(KINDS)


@pytest.mark.parametrize("key", sorted(registry.REGISTRY))
def test_state_shapes_are_the_networks(key: str) -> None:
    cfg = registry.entry(key).spec(ModelOptions(width=8, depth=2, image_size=(16, 20))).config
    net = build_network(cfg)  # a coordinate network, or the latent grids
    assert state_shapes(cfg) == {k: tuple(v.shape) for k, v in net.state_dict().items()}


def _rezip(path: Path, out: Path, change) -> Path:
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    change(members)
    with zipfile.ZipFile(out, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    return out


def _json(change):
    def apply(members):
        meta = json.loads(members["run.json"])
        change(meta)
        members["run.json"] = json.dumps(meta).encode()
    return apply


@pytest.mark.parametrize("case, expected", [
    ("png", "is not a run saved by inr-studio"),
    ("truncated", "is not a run saved by inr-studio"),
    ("extra member", "is not a run saved by inr-studio (it holds"),
    ("no tag", "no format tag"),
    ("newer", "newer inr-studio"),
    ("unknown model", "does not have"),
    ("bad setting", "damaged"),
    ("bad tensor", "damaged"),
    ("bad json", "damaged"),
    ("missing", "no such file"),
])
def test_a_foreign_or_damaged_file_is_one_sentence(case: str, expected: str, tmp_path: Path,
                                                   small_image: np.ndarray) -> None:
    from safetensors.numpy import load, save

    good = write_run(tmp_path / "good.inrrun", *_run(small_image)[:1], "p.png", (16, 20),
                     *_run(small_image)[1:])
    bad = tmp_path / "bad.inrrun"
    if case == "png":
        from inr_studio.imaging import save_png

        save_png(tmp_path / "x.png", small_image)
        bad.write_bytes((tmp_path / "x.png").read_bytes())
    elif case == "truncated":
        bad.write_bytes(good.read_bytes()[:-300])
    elif case == "extra member":
        _rezip(good, bad, lambda m: m.update({"evil.pkl": b"\x80\x04."}))
    elif case == "no tag":
        _rezip(good, bad, _json(lambda meta: meta.pop("format")))
    elif case == "newer":
        _rezip(good, bad, _json(lambda meta: meta.update(version=99)))
    elif case == "unknown model":
        def rename(meta):
            meta["settings"]["models"] = ["siren", "no-such-model"]
        _rezip(good, bad, _json(rename))
    elif case == "bad setting":
        _rezip(good, bad, _json(lambda meta: meta["settings"].update(width="wide")))
    elif case == "bad tensor":
        def shrink(members):
            t = load(members["tensors.safetensors"])
            t["net/hs/layers.0.weight"] = t["net/hs/layers.0.weight"][:, :2]
            members["tensors.safetensors"] = save(t)
        _rezip(good, bad, shrink)
    elif case == "bad json":
        _rezip(good, bad, lambda m: m.update({"run.json": b"{not json"}))
    else:
        bad = tmp_path / "absent.inrrun"
    with pytest.raises(RunFileError) as info:
        read_run(bad)
    message = str(info.value)
    assert expected in message and bad.name in message and "\n" not in message, message


def test_an_impossible_declared_size_is_refused(tmp_path: Path, small_image: np.ndarray,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import inr_studio.ui.run_file as run_file

    good = write_run(tmp_path / "good.inrrun", *_run(small_image)[:1], "p.png", (16, 20),
                     *_run(small_image)[1:])
    monkeypatch.setattr(run_file, "MAX_JSON_BYTES", 100)  # as a bomb would declare
    with pytest.raises(RunFileError, match="impossible size"):
        read_run(good)


def test_settings_must_be_exact(small_image: np.ndarray) -> None:
    from inr_studio.ui.run_file import _settings

    record = _run(small_image)[0]
    data = record.settings.to_dict()
    data["models"] = list(data["models"])
    assert _settings(json.loads(json.dumps(data))) == record.settings
    with pytest.raises(ValueError):
        _settings({**data, "colour": "red"})
    with pytest.raises(Exception):
        _settings({**data, "iters": 0})  # the settings' own check
