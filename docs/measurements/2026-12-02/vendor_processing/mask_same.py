"""Old (snapshot) vs new breast_mask on every image of the given phantom dirs, at native pixels and at 0.2 mm."""
import sys, csv, importlib.util, numpy as np
from pathlib import Path
from calcdetect.io import read_mammogram
from calcdetect.detector import mask as new
from calcdetect.learning.dataset import resample_image
spec = importlib.util.spec_from_file_location("oldmask", "/work/scratch/s23/snap/src/calcdetect/detector/mask.py")
old = importlib.util.module_from_spec(spec); sys.modules["oldmask"] = old; spec.loader.exec_module(old)
part, nparts = int(sys.argv[1]), int(sys.argv[2])
files = sorted(f for d in sys.argv[3:] for f in Path(d).glob("*.dcm"))[part::nparts]
for f in files:
    m = read_mammogram(str(f))
    for res in (None, 0.2):
        if res is None:
            px, sp = m.pixels, m.spacing_mm
        else:
            if min(m.spacing_mm) >= 0.2: continue
            px, sp, _ = resample_image(m.pixels, m.spacing_mm, res)
        a = old.breast_mask(px, spacing_mm=sp, view=m.view); b = new.breast_mask(px, spacing_mm=sp, view=m.view)
        same = np.array_equal(a.breast, b.breast) and np.array_equal(a.search, b.search)
        print(f, res, int(same), round(float(a.breast.mean()), 3), round(float(b.breast.mean()), 3), flush=True)
