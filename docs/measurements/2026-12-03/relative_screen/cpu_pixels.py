"""Pixel differences between the training phantoms made with numpy's default kernels (A) and with its AVX-512 ones off (B)."""
import glob, sys
import numpy as np, pydicom
a_root, b_root = sys.argv[1], sys.argv[2]
n = differ = 0; worst = 0; fracs = []; big = []
for f in sorted(glob.glob(f'{a_root}/set-310??/phantom_*.dcm')):
    g = b_root + f[len(a_root):]
    pa = pydicom.dcmread(f).pixel_array.astype(np.int64); pb = pydicom.dcmread(g).pixel_array.astype(np.int64)
    n += 1; frac = float((pa != pb).mean()); fracs.append(frac)
    if frac:
        differ += 1; d = int(np.abs(pa - pb).max()); worst = max(worst, d)
        if d > 1: big.append((f[len(a_root) + 1:], d, round(frac, 5)))
print(f'images {n}, with any pixel different {differ}, largest difference {worst} grey level(s), '
      f'fraction of pixels different: median {np.median(fracs):.2e}, max {max(fracs):.2e}')
print(f'{len(big)} images differ by more than one grey level:', big)
