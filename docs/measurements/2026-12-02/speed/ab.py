"""Interleaved A/B timing: base (original code) vs speed worktree, best of N per stage."""
# usage: ab.py N IMAGE.dcm SRC_BEFORE SRC_AFTER  (two source trees, e.g. a `git worktree` of the old commit and src/)
import json, subprocess, sys, os
N = int(sys.argv[1]) if len(sys.argv) > 1 else 5
img = sys.argv[2] if len(sys.argv) > 2 else "/work/scratch/s12/bench.dcm"
py = "/work/main/.venv/bin/python"
paths = {"before": sys.argv[3], "after": sys.argv[4]}
env0 = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
if os.environ.get("AB_CPU"): print("CPU time (time.process_time), single thread", file=sys.stderr)
procs = {k: subprocess.Popen([py, os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py"), img], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=dict(env0, PYTHONPATH=p))
         for k, p in paths.items()}
for k, p in procs.items():
    print(k, p.stdout.readline().strip(), file=sys.stderr)
res = {k: [] for k in procs}
for i in range(N):
    for k in (list(procs) if i % 2 == 0 else list(procs)[::-1]):
        procs[k].stdin.write("go\n"); procs[k].stdin.flush()
        res[k].append(json.loads(procs[k].stdout.readline()))
for p in procs.values():
    p.stdin.close(); p.wait()
stages = list(res["before"][0])
print(f"{'stage':12s} {'before':>8s} {'after':>8s} {'ratio':>6s}  |  {'med bef':>8s} {'med aft':>8s} {'ratio':>6s}   (ms; best, median of {N})")
import statistics
for s in stages:
    b = min(r[s] for r in res["before"]) * 1e3
    a = min(r[s] for r in res["after"]) * 1e3
    mb = statistics.median(r[s] for r in res["before"]) * 1e3
    ma = statistics.median(r[s] for r in res["after"]) * 1e3
    print(f"{s:12s} {b:8.1f} {a:8.1f} {b / a:6.2f}  |  {mb:8.1f} {ma:8.1f} {mb / ma:6.2f}")
b = sum(min(r[s] for r in res["before"]) for s in stages if s != "detect") * 1e3
a = sum(min(r[s] for r in res["after"]) for s in stages if s != "detect") * 1e3
print(f"{'sum of bests':12s} {b:8.1f} {a:8.1f} {b / a:6.2f}")
med = lambda v: sorted(v)[len(v)//2]
b = med([r["detect"] for r in res["before"]]) * 1e3; a = med([r["detect"] for r in res["after"]]) * 1e3
print(f"{'detect med':12s} {b:8.1f} {a:8.1f} {b / a:6.2f}")
