"""Experiments built on the core and the codec: the rate–distortion study (:mod:`.rd`, its
plot :mod:`.rdplot`) and the paper's results table (:mod:`.table`). The file format itself
stays in :mod:`inr_studio.codec`."""
