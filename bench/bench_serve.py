"""Load on ``calcdetect serve``: N demo-size images over K concurrent associations, beside ``calcdetect scan``.

What it measures, on the same files:

1. ``calcdetect scan DATA -o OUT --workers W``: wall time (images/s);
2. ``calcdetect serve`` with ``--workers W``: K sender threads (pynetdicom, one
   association each) C-STORE a share of the files; the receive rate (every
   instance is written, flushed and read back by the reader before its
   success response), and the time from the first C-STORE until every
   instance is in ``images.csv`` or ``errors.csv`` (end-to-end images/s);
3. none lost: every file got a success status and is in the tables once.

Not a timed test: on a shared machine the wall times move with the load
(the load average is printed).  Usage::

    python bench/bench_serve.py [--n 200] [--associations 4] [--workers 2] [--data DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from phantom_set import generate  # bench/phantom_set.py (the script's folder is on sys.path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _scan(files: list[Path], data: Path, out: Path, workers: int) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "calcdetect.cli", "scan", str(data), "-o", str(out),
                    "--workers", str(workers)], check=False, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _send_share(port: int, files: list[Path], statuses: list) -> None:
    from pydicom import dcmread
    from pynetdicom import AE

    ae = AE(ae_title="BENCH")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 300
    contexts = {(str(m.MediaStorageSOPClassUID), str(m.TransferSyntaxUID))
                for m in (dcmread(f, stop_before_pixels=True).file_meta for f in files)}
    for sop, syntax in sorted(contexts):
        ae.add_requested_context(sop, syntax)
    assoc = ae.associate("127.0.0.1", port, ae_title="CALCDETECT")
    if not assoc.is_established:
        statuses.extend([None] * len(files))
        return
    for f in files:
        status = assoc.send_c_store(f)
        statuses.append(int(status.Status) if status and "Status" in status else None)
    assoc.release()


def _serve(files: list[Path], out: Path, *, workers: int, associations: int, idle_s: float) -> dict:
    port = _free_port()
    log = out.parent / "serve.log"
    with open(log, "wb") as fh:
        node = subprocess.Popen([sys.executable, "-m", "calcdetect.cli", "serve", str(out), "--port", str(port),
                                 "--allow", "BENCH@127.0.0.1", "--workers", str(workers), "--study-idle-s",
                                 str(idle_s), "--max-associations", str(associations)],
                                stdout=fh, stderr=subprocess.STDOUT)
    try:
        while "listening on" not in log.read_text():
            if node.poll() is not None:
                raise SystemExit("serve did not start:\n" + log.read_text())
            time.sleep(0.1)
        shares = [files[i::associations] for i in range(associations)]
        statuses: list = []
        t0 = time.perf_counter()
        threads = [threading.Thread(target=_send_share, args=(port, share, statuses)) for share in shares]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        t_received = time.perf_counter() - t0
        while len(_rows(out / "images.csv")) + len(_rows(out / "errors.csv")) < len(files):
            time.sleep(0.2)
        t_done = time.perf_counter() - t0
    finally:
        node.send_signal(signal.SIGTERM)
        node.wait(300)
    images = _rows(out / "images.csv")
    return {
        "statuses": dict(Counter(hex(s) if s is not None else "none" for s in statuses)),
        "receive_s": round(t_received, 1),
        "receive_images_per_s": round(len(files) / t_received, 2),
        "end_to_end_s": round(t_done, 1),
        "end_to_end_images_per_s": round(len(files) / t_done, 2),
        "images_rows": len(images),
        "distinct_images": len({r["sop_instance_uid"] for r in images}),
        "errors_rows": len(_rows(out / "errors.csv")),
        "idle_s_included": idle_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--associations", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--preset", default="demo")
    parser.add_argument("--seed", type=int, default=14014)
    parser.add_argument("--idle-s", type=float, default=2.0)
    parser.add_argument("--data", type=Path, help="folder of phantoms to reuse (made when missing)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    data = args.data or work / "data"
    data.mkdir(parents=True, exist_ok=True)
    files = generate(data, n=args.n, preset=args.preset, seed=args.seed)
    scan_s = _scan(files, data, work / "scan", args.workers)
    scan_rows = len(_rows(work / "scan" / "images.csv"))
    serve = _serve(files, work / "serve", workers=args.workers, associations=args.associations, idle_s=args.idle_s)
    result = {
        "n_files": len(files), "preset": args.preset, "workers": args.workers, "associations": args.associations,
        "cpu_count": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2),
        "scan": {"seconds": round(scan_s, 1), "images_per_s": round(len(files) / scan_s, 2), "images_rows": scan_rows},
        "serve": serve,
        "none_lost": serve["statuses"] == {"0x0": len(files)} and serve["distinct_images"] == scan_rows,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
