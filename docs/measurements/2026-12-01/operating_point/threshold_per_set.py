import sys, numpy as np, pandas as pd
from calcdetect.evaluation.calibration import threshold_for_fp_rate
# args: DIR[:preset_substring] ...
scores=[]; n=0
for a in sys.argv[1:]:
    d, _, sel = a.partition(':')
    e=d+'/evaluation/'; im=pd.read_csv(e+'images.csv'); cm=pd.read_csv(e+'cluster_matches.csv')
    if sel: im=im[im.preset.str.contains(sel)]
    cm=cm[cm.sop_instance_uid.isin(set(im.sop_instance_uid))]
    scores.append(cm.score[cm.status=='fp'].to_numpy()); n+=len(im)
    print(a, len(im))
print('pooled thr', threshold_for_fp_rate(np.concatenate(scores), n, 0.1), 'images', n)
