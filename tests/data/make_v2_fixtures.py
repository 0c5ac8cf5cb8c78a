"""How tests/data/v2_*.sinr were made: by the version-2 encoder before version 3 existed (the
commit that added the latent-grid model, before its file format). Kept for the record;
tests/codec/test_latent_file.py rebuilds the same networks and checks that the writer, asked for
version 2, still produces these bytes exactly, and that they decode."""
import numpy as np, torch
from inr_studio.codec import CodecOptions, encode_model
from inr_studio.models import CoordinateNet, make_model_config
from inr_studio.thumbmap import ThumbnailMap
torch.set_num_threads(1)
def bell():
    net = CoordinateNet(make_model_config("siren", width=12, depth=2), 4)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())) * 0.05)
    return net
thumb = ThumbnailMap(np.array([[10, 200, 90], [250, 30, 120]], dtype=np.uint8), (50, 150), 8, 10)
fx = {
 "v2_siren_2x12_entropy.sinr": (bell(), None, CodecOptions(plain=True, bits=12)),
 "v2_hs_1x6_thumbnail_labels.sinr": (CoordinateNet(make_model_config("hs", width=6, depth=1, seg_classes=3, tile_scale=0.1), 1), thumb, CodecOptions(sparsity=3, target_error=None, k2=64, class_map_coding="thumbnail-labels")),
}
for name, (net, cm, opt) in fx.items():
    data = encode_model(net, 8, 10, cm, opt)
    open("tests/data/" + name, "wb").write(data)
    print(name, len(data))
