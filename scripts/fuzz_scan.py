"""Fuzz ``calcdetect scan`` with damaged copies of the sample phantoms (``make fuzz N=10000 SEED=1``).

Each round writes ``--batch`` mutants (see ``tests/calcdetect/fuzz/mutants.py``)
into a fresh folder and runs the real command line on it, in this process,
with ``--workers`` worker processes, then checks issue 17's guarantees: the
command returns (no exception), exit status 0 or 3, every file in exactly one
of images.csv / errors.csv, no ``internal_error``.  A round that breaks one
of them is triaged file by file (:func:`calcdetect.batch.worker.process_input`
in a child process, restarted after the file that kills it) and the files to
blame are copied to ``--keep`` with a ``.txt`` saying what happened, to become
fixtures.

Prints one line per round and a summary of error codes at the end (the scans'
own stderr goes to ``--keep``/scan-stderr.log); exits 1 when any round failed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load_mutants():
    spec = importlib.util.spec_from_file_location("calcdetect_fuzz_mutants", ROOT / "tests/calcdetect/fuzz/mutants.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def _quiet(log: Path):
    """Send this process's and its workers' stderr (decoder chatter, warnings, panics) to ``log``; no summary."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    with open(log, "ab") as sink, open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def _triage_worker(folder: Path, start: int) -> None:
    """Child process of :func:`_triage`: analyse the files from number ``start`` on, saying which runs."""
    from calcdetect.batch.discover import discover_inputs
    from calcdetect.batch.worker import ScanSettings, process_input
    from calcdetect.config import DetectorConfig

    settings = ScanSettings(config=DetectorConfig.default(), overlays=True)
    items = sorted(discover_inputs(folder), key=lambda item: item.rel_path)
    for index in range(start, len(items)):
        print(f"START {index}", flush=True)
        try:
            record = process_input(items[index], settings).record
            what = f"internal_error: {record['message']}" if record.get("error") == "internal_error" else ""
        except BaseException as exc:  # noqa: BLE001 - what the scan could not survive
            if isinstance(exc, KeyboardInterrupt):
                raise
            what = "raised " + " ".join(traceback.format_exception_only(exc)).strip()
        print(f"DONE {index} {items[index].rel_path}\t{what}", flush=True)


def _triage(folder: Path, keep: Path) -> list[str]:
    """Run each file alone, in child processes (a file may kill its process); copy the culprits to ``keep``.

    A culprit raises out of ``process_input``, gives ``internal_error``, or kills the child.
    """
    names = sorted(p.name for p in folder.iterdir())
    blamed, start = [], 0
    while start < len(names):
        done = subprocess.run([sys.executable, __file__, "--triage-worker", str(folder), str(start)],
                              capture_output=True, text=True)
        running, finished = None, start
        for line in done.stdout.splitlines():
            if line.startswith("START "):
                running = int(line.split()[1])
            elif line.startswith("DONE "):
                head, _, what = line.partition("\t")
                finished = int(head.split()[1]) + 1
                running = None
                if what:
                    blamed.append((head.split(maxsplit=2)[2], what))
        if done.returncode != 0 and running is not None:
            tail = " ".join(done.stderr.strip().splitlines()[-2:])[-300:]
            blamed.append((names[running], f"killed the process (exit {done.returncode}): {tail}"))
            finished = running + 1
        elif done.returncode != 0:
            blamed.append(("(triage)", f"the triage process failed (exit {done.returncode}): {done.stderr[-300:]}"))
            break
        start = finished
    for name, what in blamed:
        if (folder / name).is_file():
            keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(folder / name, keep / name)
            (keep / f"{name}.txt").write_text(what + "\n")
    return [f"{name}: {what}" for name, what in blamed]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--triage-worker"]:
        _triage_worker(Path(argv[1]), int(argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of mutants (default 10000)")
    parser.add_argument("--seed", type=int, default=1, help="run seed: same seed, same mutants")
    parser.add_argument("--batch", type=int, default=500, help="mutants per scan (default 500)")
    parser.add_argument("--workers", type=int, default=2, help="scan worker processes (default 2)")
    parser.add_argument("--keep", type=Path, default=ROOT / "fuzz-findings",
                        help="folder for the mutants that broke something (default ./fuzz-findings)")
    args = parser.parse_args(argv)

    from calcdetect.cli import main as calcdetect_main

    mutants = _load_mutants()
    bases = mutants.base_datasets(ROOT / "data" / "phantoms")
    codes: Counter = Counter()
    failed_rounds = 0
    started = time.monotonic()
    for start in range(0, args.n, args.batch):
        count = min(args.batch, args.n - start)
        with tempfile.TemporaryDirectory(prefix="calcdetect-fuzz-") as tmp:
            folder, out = Path(tmp) / "in", Path(tmp) / "out"
            names = [m.name for m in mutants.write_mutants(bases, folder, seed=args.seed, start=start, count=count)]
            t0 = time.monotonic()
            try:
                with _quiet(args.keep / "scan-stderr.log"):
                    status = calcdetect_main(["scan", str(folder), "-o", str(out), "--workers", str(args.workers)])
                problems = [] if status in (0, 3) else [f"exit status {status}"]
                outcome, more = mutants.check_scan_outputs(names, out)
                problems += more
                codes.update(code or "analysed" for code in outcome.values())
            except BaseException as exc:  # noqa: BLE001 - the crash this script looks for
                if isinstance(exc, KeyboardInterrupt):
                    raise
                problems = [f"scan raised {type(exc).__name__}: {exc}"]
            line = f"mutants {start}-{start + count - 1}: {time.monotonic() - t0:.1f} s"
            if problems:
                failed_rounds += 1
                print(f"{line}: FAILED", *problems[:10], sep="\n  ", flush=True)
                blamed = _triage(folder, args.keep)
                print("  to blame:", *(blamed or ["(none found running each file alone)"]), sep="\n    ", flush=True)
            else:
                print(f"{line}: ok", flush=True)
    total = sum(codes.values())
    print(f"seed {args.seed}: {args.n} mutants in {time.monotonic() - started:.0f} s, "
          f"{failed_rounds} failed round(s); outcomes of {total} checked files:")
    for code, n in codes.most_common():
        print(f"  {code:<18} {n:6d}")
    return 1 if failed_rounds else 0


if __name__ == "__main__":
    sys.exit(main())
