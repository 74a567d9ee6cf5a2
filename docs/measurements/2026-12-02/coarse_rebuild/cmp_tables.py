import sys, glob, pickle
from calcdetect.commands.train import shipped_recipe
from calcdetect.learning.dataset import candidate_table
r = shipped_recipe('fp_model_coarse')
paths = sorted(glob.glob('/work/scratch/train/ph/set-3101[01]/phantom_00[0-9][0-9].dcm'))[:: int(sys.argv[2])]
t = candidate_table(paths, config=r.detector_config(), resample_mm=r.resample_mm, workers=1)
pickle.dump((paths, t.frame), open(sys.argv[1], 'wb'))
print(len(paths), len(t.frame))
