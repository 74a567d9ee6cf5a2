"""Do two scans of the same images give the same scores? (images.csv score per image, clusters.csv scores)"""
import sys, pandas as pd, numpy as np
for a, b in zip(sys.argv[1::2], sys.argv[2::2]):
    ia, ib = (pd.read_csv(d + '/scan/images.csv').set_index('sop_instance_uid').sort_index() for d in (a, b))
    ca, cb = (pd.read_csv(d + '/scan/clusters.csv') for d in (a, b))
    same_img = ia.index.equals(ib.index) and np.array_equal(ia.score.to_numpy(), ib.score.to_numpy())
    same_cl = len(ca) == len(cb) and np.allclose(np.sort(ca.score.to_numpy()), np.sort(cb.score.to_numpy()), rtol=0, atol=0)
    print(f"{b} vs {a}: {len(ia)} images, image scores identical {same_img}, {len(ca)} cluster scores identical {same_cl}, flags {int(ia.flag.eq('positive').sum()) if 'flag' in ia else '-'} vs {int(ib.flag.eq('positive').sum()) if 'flag' in ib else '-'}")
