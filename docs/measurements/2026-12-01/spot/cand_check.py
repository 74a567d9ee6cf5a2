"""Candidate-stage check: visible members / clusters among candidates, spot filter on vs off."""
import sys, dataclasses, time
import numpy as np
from pathlib import Path
from multiprocessing import Pool
from calcdetect.config import DetectorConfig
from calcdetect.learning.dataset import read_phantom
from calcdetect.detector.pipeline import analyse_candidates

RES = float(sys.argv[2]) if len(sys.argv) > 2 and float(sys.argv[2]) > 0 else None
ON = DetectorConfig.default()
OFF = dataclasses.replace(ON, spot_min_spacing_mm=100.0)

def one(path):
    ph = read_phantom(path, RES)
    out = {}
    calcs = ph.truth["calcifications"]
    vis = {cl["cluster_id"] for cl in ph.truth["clusters"] if cl["visibility"] == "visible"}
    for name, cfg in (("off", OFF), ("on", ON)):
        t = time.perf_counter()
        a = analyse_candidates(ph.pixels, spacing_mm=ph.spacing_mm, view=ph.view, config=cfg)
        dt = time.perf_counter() - t
        r, c = a.peaks.row_px, a.peaks.col_px
        rad = max(1.5, 0.3 / ph.spacing_mm[0])
        found = {}
        for m in calcs:
            if m["cluster_id"] not in vis:
                continue
            hit = bool(r.size and (np.hypot(r - m["row"], c - m["col"]) <= rad).any())
            found.setdefault(m["cluster_id"], []).append((m["d_prime"], hit))
        out[name] = dict(n=len(r), t=dt, timings=a.timings_s, members=[x for v in found.values() for x in v],
                         clusters=[sum(h for _, h in v) >= 3 for v in found.values()])
    return out

if __name__ == "__main__":
    paths = sorted(Path(sys.argv[1]).glob("*.dcm"))[: int(sys.argv[3]) if len(sys.argv) > 3 else None]
    with Pool(2) as p:
        res = p.map(one, paths, chunksize=2)
    for name in ("off", "on"):
        n = np.mean([r[name]["n"] for r in res]); t = np.mean([r[name]["t"] for r in res])
        mem = [m for r in res for m in r[name]["members"]]
        dp = np.array([m[0] for m in mem]); hit = np.array([m[1] for m in mem])
        cl = [x for r in res for x in r[name]["clusters"]]
        sc = np.mean([r[name]["timings"].get("scales", 0) for r in res])
        print(f"{name}: {len(res)} images, candidates/image {n:.0f}, analyse {t*1000:.0f} ms (scales {sc*1000:.0f}), "
              f"visible members found d'>=6 {hit[dp>=6].mean():.3f} all {hit.mean():.3f}, "
              f"visible clusters with >=3 members {np.mean(cl):.3f} of {len(cl)}")
