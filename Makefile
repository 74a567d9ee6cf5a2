# `make demo` then `make test`; both create .venv on first use and reuse it later.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench fuzz clean-demo

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

test: $(STAMP)
	$(BIN)/python -m pytest -q

# `make fuzz N=10000 SEED=1`: damaged sample phantoms through `calcdetect scan` (scripts/fuzz_scan.py);
# files that break something are copied to fuzz-findings/.
N ?= 10000
SEED ?= 1
fuzz: $(STAMP)
	$(BIN)/python scripts/fuzz_scan.py --n $(N) --seed $(SEED)

bench: $(STAMP)
	$(BIN)/python bench/bench_detector.py
	$(BIN)/python bench/bench_batch.py

clean-demo:
	rm -rf demo-output
