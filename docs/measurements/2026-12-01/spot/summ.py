import json, sys, pandas as pd
from calcdetect.evaluation.calibration import threshold_for_fp_rate
for d in sys.argv[1:]:
    m=json.load(open(d+'/evaluation/metrics.json'))['detector']; v=m['visibility']['visible']
    s=v['cluster_sensitivity_at_fp_per_image']
    cm=pd.read_csv(d+'/evaluation/cluster_matches.csv'); im=pd.read_csv(d+'/evaluation/images.csv')
    thr=threshold_for_fp_rate(cm.score[cm.status=='fp'].to_numpy(), len(im), 0.1)
    pp={k:round(x['0.2'],2) for k,x in v.get('by_preset_sensitivity_at_fp_per_image',{}).items()}
    sub=m['visibility'].get('subtle',{}).get('cluster_sensitivity_at_fp_per_image',{})
    print(f"{d}: visible {s['0.05']:.3f}/{s['0.1']:.3f}/{s['0.2']:.3f}/{s['0.5']:.3f} AUC {v['image']['auc']:.3f} | at flag spec {m['patient']['specificity']:.2f} sens(vis) {v['patient']['sensitivity']:.3f} | thr@0.1 {thr:.3f} | subtle@0.1 {sub.get('0.1') or float('nan'):.2f} | {pp}")
