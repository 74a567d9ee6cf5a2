"""Cost of the background-relative columns: the features stage with and without them (same process, same image)."""
import sys, time
import calcdetect.detector.pipeline as pipeline
from calcdetect.io import read_mammogram
from calcdetect.config import DetectorConfig
m = read_mammogram(sys.argv[1]); cfg = DetectorConfig.default()
orig = pipeline.candidate_features
def without(*a, **k):
    k['background'] = None
    return orig(*a, **k)
for label, fn in [('with', orig), ('without', without)] * 3:
    pipeline.candidate_features = fn
    a = pipeline.analyse_candidates(m.pixels, spacing_mm=m.spacing_mm, view=m.view, config=cfg)
    print(label, len(a.peaks), {k: round(v, 3) for k, v in a.timings_s.items() if k == 'features'}, round(sum(a.timings_s.values()), 3))
