"""Write the truth of a phantom folder as resampled for a scan (images.csv rows/cols): TRUTH_DIR SCAN_DIR OUT_DIR."""
import json, sys
from pathlib import Path
import pandas as pd
from calcdetect.evaluation.truth import resample_truth
src, scan, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
out.mkdir(parents=True, exist_ok=True)
shape = {r.sop_instance_uid: (int(r.rows), int(r.cols)) for r in pd.read_csv(scan / 'images.csv').itertuples()}
for f in sorted(src.glob('*.truth.json')):
    doc = json.loads(f.read_text())
    new = shape[doc['sop_instance_uid']]
    (out / f.name).write_text(json.dumps(resample_truth(doc, (doc['rows'] / new[0], doc['cols'] / new[1]), new)))
