# issue 12 and 18 targets of each scan (its metrics.json): targets.sh DIR SCAN...
cd "$1"; shift; PY=/work/main/.venv/bin/python
for k in "$@"; do
  $PY -c "
import json
t = json.load(open('$k/evaluation/metrics.json'))['detector']['targets']
print('$k', '; '.join(f\"{n} {v['value']:.3f}\" + ('' if v['met'] else ' (not met)') for n, v in t.items() if v['value'] is not None))"
done
