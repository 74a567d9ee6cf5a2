"""The README's fourteenth fresh row: the shipped detector on 96001172-73 (own pixels, 0.2 mm) and
98000047-48 (film), pooled as the earlier rows (`../pooled_threshold/row12.py`), at the shipped pairs
(film at the film pair, every image's pair in the second line), then each set's recorded targets.

usage: row14.py SCRATCH_DIR   (the scans of queue.sh, queue_row14.sh, ../fine_texture/queue_*.sh)"""
import sys

sys.path.insert(0, "/work/main/docs/measurements/2026-12-03/pooled_threshold")
from row12 import per_set_targets, pooled  # noqa: E402

S = sys.argv[1]
READINGS = {"D full size": ([f"{S}/sweep/dig", f"{S}/sweep/dig_96001173"], [(0.191765, 0.874416)]),
            "D02 0.2 mm": ([f"{S}/sweep/dig_0.2", f"{S}/sweep/dig_96001173_0.2"], [(0.191765, 0.874416)]),
            "F film": ([f"{S}/sweep/film", f"{S}/sweep/film_98000048"], [(0.471825, 0.980921), (0.191765, 0.874416)])}
for reading, (dirs, pairs) in READINGS.items():
    for fine, coarse in pairs:
        print(f"{reading:<12} {fine}/{coarse}: {pooled(dirs, fine, coarse)}")
    per_set_targets(dirs)
