"""How tests/data/v1_*.sinr were made: by the version-1 encoder at commit 70213dc (before the
header was declared once). Kept for the record; tests/codec/test_header.py rebuilds the same networks
and checks that the new writer, asked for version 1, produces these bytes exactly."""
import numpy as np, torch
from inr_studio.codec import CodecOptions, encode_model
from inr_studio.models import CoordinateNet, make_model_config
torch.set_num_threads(1)
def cmap16():
    return ((np.arange(256).reshape(16, 16) // 5) % 3).astype(np.uint8)
fx = {
 "v1_siren_2x8_plain.sinr": (CoordinateNet(make_model_config("siren", width=8, depth=2), 0), None, CodecOptions(plain=True, bits=12)),
 "v1_siren_2x8_sinr.sinr": (CoordinateNet(make_model_config("siren", width=8, depth=2), 0), None, CodecOptions(sparsity=5, target_error=None, k2=256, bits=10)),
 "v1_hs_1x6_sinr.sinr": (CoordinateNet(make_model_config("hs", width=6, depth=1, seg_classes=3, tile_scale=0.1), 1), cmap16(), CodecOptions(sparsity=3, target_error=None, k2=64)),
}
for name, (net, cm, opt) in fx.items():
    data = encode_model(net, 16, 16, cm, opt)
    open("tests/data/" + name, "wb").write(data)
    print(name, len(data))
