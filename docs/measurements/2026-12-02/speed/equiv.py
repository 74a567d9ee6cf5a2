"""Bit-identity check of the detector between two source trees.

    python equiv.py run SRC OUT.pkl     # run detect on every image with calcdetect from SRC
    python equiv.py compare A.pkl B.pkl # compare every field exactly (floats bit for bit)

Images: 20 digital phantoms (full size), the same 20 area-averaged to 0.2 mm (the function
scripts/measure_detection.py --resample-mm uses), 20 digitised-film phantoms.  Besides every
field of ImageResult (timings_s dropped), the internals are kept: the candidates' positions,
levels' z/SNR, the feature matrix, and the Rejection (reasons, speck z, scanner lines, PSF).
"""
import dataclasses, os, pickle, sys
import numpy as np

IMAGES = ([(f"/work/scratch/dig/phantoms/phantom_{i:04d}.dcm", None) for i in range(20)]
          + [(f"/work/scratch/dig/phantoms/phantom_{i:04d}.dcm", 0.2) for i in range(20)]
          + [(f"/work/scratch/s12/new_fd2/phantoms/phantom_{i:04d}.dcm", None) for i in range(20)])


def run(src, out):
    sys.path.insert(0, src)
    import cv2
    cv2.setNumThreads(1)
    import calcdetect
    assert calcdetect.__file__.startswith(src), calcdetect.__file__
    from calcdetect.detector import pipeline
    from calcdetect.io import read_mammogram
    from calcdetect.learning.dataset import resample_image
    captured = {}
    orig_analyse, orig_reject = pipeline.analyse_candidates, pipeline._reject

    def analyse(*a, **k):
        r = orig_analyse(*a, **k)
        captured["analysis"] = r
        return r

    def reject(*a, **k):
        r = orig_reject(*a, **k)
        captured["rejection"] = r
        return r
    pipeline.analyse_candidates, pipeline._reject = analyse, reject
    results = {}
    for path, resample in IMAGES:
        captured.clear()
        m = read_mammogram(path)
        pixels, spacing = m.pixels, tuple(float(v) for v in m.spacing_mm)
        if resample:
            pixels, spacing, _ = resample_image(pixels, spacing, resample)
        res = pipeline.detect(pixels, spacing_mm=spacing, view=m.view)
        d = {f.name: getattr(res, f.name) for f in dataclasses.fields(res) if f.name != "timings_s"}
        a = captured["analysis"]
        d["_peaks"] = {f.name: getattr(a.peaks, f.name) for f in dataclasses.fields(a.peaks)}
        d["_features"] = a.features.matrix
        rej = captured.get("rejection")
        if rej is not None:
            d["_rejection"] = {f.name: getattr(rej, f.name) for f in dataclasses.fields(rej)}
        results[(path, resample)] = d
        print(os.path.basename(path), resample, spacing, len(res.calcifications), len(res.rejected_calcifications),
              res.n_candidates, flush=True)
    with open(out, "wb") as f:
        pickle.dump(results, f)


def same(a, b, where):
    """Exact equality, floats bit for bit (NaN equal to NaN of the same bits); raises on a difference."""
    if type(a) is not type(b):
        raise AssertionError(f"{where}: type {type(a)} != {type(b)}")
    if isinstance(a, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            raise AssertionError(f"{where}: dtype/shape {a.dtype}{a.shape} != {b.dtype}{b.shape}")
        if a.dtype == object:
            for i, (x, y) in enumerate(zip(a.ravel(), b.ravel())):
                same(x, y, f"{where}[{i}]")
        elif a.tobytes() != b.tobytes():
            raise AssertionError(f"{where}: arrays differ ({int((a != b).sum())} elements)")
    elif isinstance(a, float | np.floating):
        if np.asarray(a).tobytes() != np.asarray(b).tobytes():
            raise AssertionError(f"{where}: {a!r} != {b!r}")
    elif isinstance(a, dict):
        if list(a) != list(b):
            raise AssertionError(f"{where}: keys {list(a)} != {list(b)}")
        for k in a:
            same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list | tuple):
        if len(a) != len(b):
            raise AssertionError(f"{where}: length {len(a)} != {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{i}]")
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif a != b:
        raise AssertionError(f"{where}: {a!r} != {b!r}")


def compare(pa, pb):
    with open(pa, "rb") as f:
        A = pickle.load(f)
    with open(pb, "rb") as f:
        B = pickle.load(f)
    assert list(A) == list(B)
    bad = 0
    for key in A:
        try:
            same(A[key], B[key], f"{os.path.basename(key[0])}@{key[1]}")
        except AssertionError as e:
            bad += 1
            print("DIFFERENT", e)
    n_calc = sum(len(d["calcifications"]) + len(d["rejected_calcifications"]) for d in A.values())
    n_rej = sum(len(d["rejected_calcifications"]) for d in A.values())
    print(f"{len(A)} images, {len(A) - bad} identical, {bad} different "
          f"({n_calc} calcifications, {n_rej} of them rejected, in the reference)")
    return bad


if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3])
    else:
        sys.exit(1 if compare(sys.argv[2], sys.argv[3]) else 0)
