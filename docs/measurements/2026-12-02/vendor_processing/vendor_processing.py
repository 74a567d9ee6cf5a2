"""Apply a linear, vendor-like presentation processing to FOR PRESENTATION phantoms.

A robustness check, not a tuning set: real FOR PRESENTATION images carry the
vendor's unsharp masking / multi-frequency enhancement, the phantoms do not.
Both recipes here are *linear* (a sum of Gaussian band-passes with gains), so
the ideal prewhitening observer's d' -- the truth's visibility -- is unchanged
(up to clipping and re-quantisation); a detector that estimates its noise from
the image should find the same clusters.  FOR PROCESSING images are copied
unchanged (a vendor does not process the raw image).

    python vendor_processing.py SRC_PHANTOM_DIR DST_DIR RECIPE
"""
import shutil
import sys
from pathlib import Path

import cv2
import numpy as np
import pydicom
from pydicom.uid import ExplicitVRLittleEndian

RECIPES = {
    # classical unsharp mask: everything finer than ~1 mm boosted 2.5x
    "usm": [(None, 1.0, 1.5)],
    # multi-frequency: fine detail x1.7, 0.2-2 mm x2.5, > 20 mm compressed to half
    "multiscale": [(None, 0.2, 0.7), (0.2, 2.0, 1.5), (20.0, "dc", -0.5)],
}


def _blur(img, sigma_mm, spacing_mm):
    s = sigma_mm / spacing_mm
    if s <= 20:
        return cv2.GaussianBlur(img, (0, 0), s, borderType=cv2.BORDER_REFLECT)
    k = int(s // 5)  # a wide blur on a coarser grid (a kernel of thousands of taps is minutes per image)
    small = cv2.resize(img, (img.shape[1] // k, img.shape[0] // k), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), s / k, borderType=cv2.BORDER_REFLECT)
    return cv2.resize(small, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_LINEAR)


def process(img: np.ndarray, spacing_mm: float, recipe) -> np.ndarray:
    img = img.astype(np.float32)
    out = img.copy()
    for fine, coarse, gain in recipe:
        a = img if fine is None else _blur(img, fine, spacing_mm)
        b = np.float32(np.median(img)) if coarse == "dc" else _blur(img, coarse, spacing_mm)
        if coarse == "dc":
            a = _blur(img, fine, spacing_mm)
        out += np.float32(gain) * (a - b)
    return out


def main():
    src, dst, name = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    dst.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.iterdir()):
        if f.suffix != ".dcm":
            shutil.copy2(f, dst / f.name)
            continue
        ds = pydicom.dcmread(f)
        if "PROCESSING" in str(ds.get("PresentationIntentType", "")).upper():
            shutil.copy2(f, dst / f.name)
            continue
        spacing = float(ds.ImagerPixelSpacing[0]) if "ImagerPixelSpacing" in ds else float(ds.PixelSpacing[0])
        arr = ds.pixel_array
        top = 2 ** int(ds.BitsStored) - 1
        out = np.clip(np.rint(process(arr, spacing, RECIPES[name])), 0, top).astype(np.uint16)
        ds.PixelData = out.tobytes()
        ds.BitsAllocated = 16
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.ImageComments = f"robustness check: linear vendor-like processing '{name}'"
        ds.save_as(dst / f.name, enforce_file_format=True)
        print(f.name, ds.get("Manufacturer", ""), spacing, flush=True)


if __name__ == "__main__":
    main()
