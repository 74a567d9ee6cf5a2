"""Regenerate phantom_i of film-mix set 98000016 and check it against the stored truth."""
import json, sys
import numpy as np
from calcdetect.phantom import make_phantom, write_phantom
from calcdetect.phantom.sets import derive_seed

SET_SEED = 98000016
i = int(sys.argv[1])
name = f"phantom_{i:04d}"
stored = json.load(open(f"/work/scratch/s16/test/old_film_98000016/phantoms/{name}.truth.json"))
seed = derive_seed("image", SET_SEED, i)
assert seed == stored["seed"], (seed, stored["seed"])
req = stored["request"]
ph = make_phantom(seed=seed, preset=req["preset"], view=stored["view"], laterality=req["laterality"],
                  density=req["density"], with_cluster=req["with_cluster"], patient_id=stored["patient_id"],
                  lesion_seed=req["lesion_seed"], visibility=req["visibility"])
t = ph.truth
print("sop", t["sop_instance_uid"] == stored["sop_instance_uid"], t["preset"], t["view"], t["laterality"], t["density"])
a = np.array([[c["row"], c["col"], c["d_prime"]] for c in t["calcifications"]])
b = np.array([[c["row"], c["col"], c["d_prime"]] for c in stored["calcifications"]])
print("calcs equal", a.shape == b.shape and np.allclose(a, b))
ph.truth["request"] = req
write_phantom(ph, "/work/scratch/s17/miss/phantoms", name)
