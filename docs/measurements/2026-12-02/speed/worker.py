import os, sys, json, time
os.environ.setdefault("OMP_NUM_THREADS", "1")
import cv2; cv2.setNumThreads(1)
import calcdetect
from calcdetect.io import read_mammogram
from calcdetect.detector import pipeline
from calcdetect.detector.pipeline import detect
CLOCK = time.process_time if os.environ.get("AB_CPU") else time.perf_counter
if os.environ.get("AB_CPU"):  # the stage stopwatch reads CPU time of this (single-threaded) process
    import types
    pipeline.time = types.SimpleNamespace(perf_counter=time.process_time)
m = read_mammogram(sys.argv[1])
detect(m.pixels, spacing_mm=m.spacing_mm, view=m.view)
print(json.dumps({"ready": calcdetect.__file__}), flush=True)
for line in sys.stdin:
    t0 = CLOCK()
    r = detect(m.pixels, spacing_mm=m.spacing_mm, view=m.view)
    tot = CLOCK() - t0
    d = dict(r.timings_s); d["detect"] = tot
    print(json.dumps(d), flush=True)
