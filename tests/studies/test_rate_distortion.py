"""Rate–distortion pieces: bpp matching of JPEG/WebP, the equal-PSNR reading, a tiny run."""

from __future__ import annotations

import numpy as np
import pytest

from inr_studio.cli.main import main
from inr_studio.errors import OptionError
from inr_studio.engine.config import TrainConfig
from inr_studio.studies import rd
from inr_studio.studies.rdplot import draw, rd_series


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
def test_match_bpp_takes_the_best_quality_not_above_the_target(small_image, fmt) -> None:
    target = 2.0
    q, b, p = rd.match_bpp(small_image, fmt, target)
    assert 1 <= q <= 100 and b <= target and np.isfinite(p)
    if q < 100:
        assert rd.codec_point(small_image, fmt, q + 1)[0] > target
    assert rd.match_bpp(small_image, fmt, 1e-3)[0] == -1  # nothing is that small
    assert rd.match_bpp(small_image, fmt, 1e3)[0] == 100


def test_plain_curve_is_read_at_equal_psnr() -> None:
    pts = [(4.0, 30.0), (2.0, 25.0), (1.0, 18.0), (3.0, 24.0)]  # (3, 24) is dominated
    assert rd.plain_bpp_at(27.5, pts) == pytest.approx(3.0)
    assert rd.plain_bpp_at(21.5, pts) == pytest.approx(1.5)
    assert np.isnan(rd.plain_bpp_at(31.0, pts)) and np.isnan(rd.plain_bpp_at(10.0, pts))


def test_model_specs() -> None:
    assert rd.RdModel.parse("hs:3x256@100") == rd.RdModel("hs", 3, 256, 100)
    assert rd.RdModel.parse("siren:2x32").iters is None
    for bad in ("mlp:3x64", "siren:3-64", "siren:0x8", "siren:3x64@0"):
        with pytest.raises(OptionError):
            rd.RdModel.parse(bad)
    names = [s.name for s in rd.default_settings(64)]
    assert names[:7] == [f"plain-{b}" for b in rd.PLAIN_BITS]
    assert "sinr-s31" in names and "sinr-s8" in names  # 2s < k: s = 31 for k = 64


def test_a_tiny_measurement_and_its_table_and_plot(small_image) -> None:
    px = small_image[:16, :24]
    settings = [s for s in rd.default_settings(8, k2=128)
                if s.name in ("plain-16", "plain-8", "plain-4", "sinr-s16")]
    rows = rd.measure("img", px, rd.RdModel("siren", 1, 8), settings,
                      TrainConfig(iters=20, lr=1e-3, device="cpu",
                                       schedule="constant"))
    assert [r.setting for r in rows] == [s.name for s in settings]
    for r in rows:
        assert r.bpp == pytest.approx(8 * r.file_bytes / (16 * 24))
        assert r.psnr_loss == pytest.approx(r.psnr_float - r.psnr_coded)
        if r.jpeg_quality > 0:
            assert r.jpeg_bpp <= r.bpp
    assert rows[0].psnr_loss < 0.05 and rows[2].psnr_loss > rows[0].psnr_loss
    summ = rd.summary(rows)
    assert len(summ) == 4 and summ[0].images == 1
    table = rd.markdown_table(summ)
    assert table.count("\n") == 5 and "sinr-s16" in table
    csv_text = rd.write_csv(rows).decode()
    assert csv_text.splitlines()[0].startswith("image,height,width,model")
    img = draw(rd_series(summ, rd.codec_curves({"img": px}, qualities=(10, 90))), "t")
    arr = np.asarray(img)
    assert arr.shape[2] == 3 and (arr != 255).any()


def test_rd_command_writes_csv_table_and_plot(tmp_path, small_image, capsys) -> None:
    from inr_studio.imaging import save_png

    img = tmp_path / "a.png"
    save_png(img, small_image[:16, :24])
    out = tmp_path / "rd"
    rc = main(["rd", str(img), "--scale", "1", "--models", "siren:1x8@10", "--iters", "5",
               "--settings", "plain-16,plain-6", "--out", str(out), "--k2", "64"])
    assert rc == 0
    assert {p.name for p in out.iterdir()} == {"rd.csv", "rd.md", "rd.png"}
    table = (out / "rd.md").read_text()
    assert "| siren:1x8 | plain-6 |" in table
    again = tmp_path / "again"
    assert main(["rd", str(img), "--scale", "1", "--from-csv", str(out / "rd.csv"),
                 "--out", str(again)]) == 0  # tables and plot rebuilt without fitting
    assert (again / "rd.md").read_text().split("\n", 1)[1] == table.split("\n", 1)[1]
