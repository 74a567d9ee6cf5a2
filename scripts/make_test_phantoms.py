"""Regenerate the small committed phantoms in ``data/phantoms/``.

One positive and one negative image per encoding family (the positives'
clusters of every visibility class: visible, subtle, occult) (the ``small-*``
presets keep each vendor preset's photometric, intent, bit depth and transfer
syntax at 600 x 480), plus one demo-size JPEG 2000 image.  Deterministic:
running it again rewrites identical files.

    .venv/bin/python scripts/make_test_phantoms.py [OUT_DIR]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from calcdetect.phantom import make_phantom, write_phantom

#: (preset, seed, view, laterality, visibility class of the cluster, or None for no cluster)
SAMPLES = [
    ("small", 101, "CC", "L", "visible"),
    ("small", 102, "MLO", "R", None),
    ("small-ge-like", 103, "MLO", "L", "visible"),
    ("small-ge-like", 104, "CC", "R", None),
    ("small-siemens-like", 105, "CC", "R", "subtle"),
    ("small-siemens-like", 106, "MLO", "L", None),
    ("small-fuji-cr-like", 107, "MLO", "R", "occult"),
    ("small-fuji-cr-like", 108, "CC", "L", None),
    ("demo-ge-like", 109, "CC", "L", "visible"),
]


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for preset, seed, view, lat, visibility in SAMPLES:
        positive = visibility is not None
        name = f"{preset}_{'pos' if positive else 'neg'}_{lat}{view}"
        ph = make_phantom(seed=seed, preset=preset, view=view, laterality=lat, with_cluster=positive,
                          patient_id=f"SAMPLE-{seed}", visibility=visibility)
        dcm, _ = write_phantom(ph, out, name)
        t = ph.truth
        rows.append([dcm.name, preset, t["photometric"], t["presentation_intent"], t["bits_stored"],
                     t["transfer_syntax_uid"], view, lat, t["has_cluster"], len(t["calcifications"]),
                     len(t["distractors"]), ";".join(k["visibility"] for k in t["clusters"]),
                     dcm.stat().st_size])
        print(f"{dcm.name}: {dcm.stat().st_size / 1e6:.2f} MB")
    with open(out / "manifest.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "preset", "photometric", "presentation_intent", "bits_stored", "transfer_syntax_uid",
                    "view", "laterality", "has_cluster", "n_calcifications", "n_distractors", "visibility", "bytes"])
        w.writerows(rows)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "data" / "phantoms")
