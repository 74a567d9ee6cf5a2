"""Measure the detector on a FRESH phantom set, against the naive baselines, in one run.

    .venv/bin/python scripts/measure_detection.py OUT --n 200 --seed 910000001 --preset demo-mix --workers 2

1. makes ``n`` phantoms (half with clusters) with ``calcdetect.phantom.write_phantom_set``
   from ``--seed`` (pick a seed never used in development or calibration:
   the script refuses the detector's recorded calibration seeds);
2. reads each DICOM once with ``calcdetect.io.read_mammogram`` (optionally
   resampled to a coarser pixel, ``--resample-mm 0.2``) and runs, on the same
   pixels: the detector (``calcdetect.detector.pipeline.detect`` with the default,
   calibrated ``DetectorConfig``), the naive reference
   (``calcdetect.evaluation.reference``, swept over its global threshold) and the
   bright-pixel count;
3. scores all of them with ``calcdetect.evaluation.scoring`` and writes, in
   ``OUT/evaluation``: metrics.json (detector, reference, naive pixel AUCs,
   the FROC comparison, the issue-12 targets on *visible* clusters met or
   not, subtle clusters separately, the all-cluster figures and issue-4
   targets as the secondary line, the set's visibility-class mix and d′
   distributions), FROC/ROC CSVs and PNGs with the reference drawn beside the
   detector, ``d_prime_by_class.png`` and breakdown CSVs.  The detector's tables (docs/outputs.md columns) go to
   ``OUT/scan`` so ``calcdetect evaluate OUT/scan --truth OUT/phantoms``
   reproduces its part.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger("measure_detection")

#: FP/image read-outs of the detector-vs-reference comparison
COMPARE_FP = (0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)

#: bump when calcdetect.evaluation.reference changes its algorithm (invalidates the cache)
REFERENCE_CODE_VERSION = 2


def _single_thread() -> None:
    from calcdetect.allocator import keep_freed_memory
    from calcdetect.threads import THREAD_ENV, limit_opencv_threads

    for var in THREAD_ENV:
        os.environ.setdefault(var, "1")
    limit_opencv_threads(1)
    keep_freed_memory()


def _calc_rows(uid: str, calcs, spacing) -> list[dict]:
    from calcdetect.batch.outputs import calcification_rows

    return [{"sop_instance_uid": uid, **row} for row in calcification_rows(calcs, spacing_mm=spacing)]


def _cluster_rows(uid: str, clusters) -> list[dict]:
    from calcdetect.batch.outputs import cluster_rows

    return [{"sop_instance_uid": uid, **row} for row in cluster_rows(clusters)]


def process_one(task: tuple) -> dict:
    """:func:`_process_one`, with a failure reported as a record instead of ending the run."""
    try:
        return _process_one(task)
    except Exception as exc:  # noqa: BLE001 - any failure is reported in metrics.json, the image counts as missed
        log.exception("failed on %s", task[0])
        return {"error": f"{type(exc).__name__}: {exc}", "path": task[0], "truth": task[1]}


def _process_one(task: tuple) -> dict:
    """Read one phantom and run the detector, the reference and the naive pixel score on it."""
    path, truth, resample_mm, with_reference, cache_dir, config = task
    from calcdetect.detector.pipeline import detect
    from calcdetect.io import read_mammogram
    from calcdetect.learning.dataset import resample_image
    from calcdetect.keys import patient_key
    from calcdetect.evaluation.reference import (
        REFERENCE_HEIGHT_THRESHOLDS,
        ReferenceConfig,
        naive_pixel_scores,
        reference_candidates,
        reference_clusters,
    )

    t0 = time.perf_counter()
    mammo = read_mammogram(path)
    pixels, spacing = mammo.pixels, tuple(float(v) for v in mammo.spacing_mm)
    if resample_mm:
        pixels, spacing, factor = resample_image(pixels, spacing, resample_mm)
        if factor != (1.0, 1.0):
            from calcdetect.evaluation.truth import resample_truth

            truth = resample_truth(truth, factor, pixels.shape)
    t_read = time.perf_counter() - t0
    uid = mammo.sop_instance_uid
    if uid != truth["sop_instance_uid"]:
        raise RuntimeError(f"{path}: SOP Instance UID {uid} differs from its truth {truth['sop_instance_uid']}")
    t0 = time.perf_counter()
    res = detect(pixels, spacing_mm=spacing, view=mammo.view, config=config, digitised_film=mammo.digitised_film)
    t_det = time.perf_counter() - t0
    image = {
        "path": str(path), "sop_instance_uid": uid, "patient_key": patient_key(mammo.patient_id),
        "laterality": mammo.laterality, "view": mammo.view, "rows": pixels.shape[0], "cols": pixels.shape[1],
        "spacing_mm": spacing[0], "spacing_col_mm": spacing[1], "n_calcifications": len(res.calcifications),
        "n_clusters": len(res.clusters), "score": res.score, "threshold": res.threshold,
        "image_family": "film" if res.digitised_film else "digital", "flag": "positive" if res.flag else "negative",
        "seconds": t_det,
    }  # fmt: skip
    out = {
        "truth": truth, "image": image, "calcifications": _calc_rows(uid, res.calcifications, spacing),
        "clusters": _cluster_rows(uid, res.clusters), "seconds_read": t_read, "seconds_detector": t_det,
        "naive_pixel": naive_pixel_scores(pixels).tolist(),
    }  # fmt: skip
    cfg = ReferenceConfig(engine="opencv")
    cache = _cache_path(cache_dir, path, cfg, REFERENCE_HEIGHT_THRESHOLDS, resample_mm) if with_reference else None
    if cache is not None and cache.is_file():
        out["reference"] = json.loads(cache.read_text())
    elif with_reference:
        t0 = time.perf_counter()
        blobs, _ = reference_candidates(pixels, spacing_mm=spacing, config=cfg)
        levels, score = [], 0.0
        for lev, t in enumerate(REFERENCE_HEIGHT_THRESHOLDS):
            _, clusters = reference_clusters(blobs, spacing_mm=spacing, height_threshold=t, config=cfg)
            rows = _cluster_rows(uid, clusters)
            for row in rows:
                row["level"] = lev
            levels.extend(rows)
            if clusters:
                score = max(score, t)
        out["reference"] = {
            "calcifications": _calc_rows(uid, blobs, spacing), "clusters": levels, "score": score,
            "seconds": time.perf_counter() - t0,
        }  # fmt: skip
        if cache is not None:
            tmp = cache.with_suffix(".tmp")
            tmp.write_text(json.dumps(out["reference"]))
            tmp.replace(cache)
    return out


def _cache_path(cache_dir, path, cfg, thresholds, resample_mm) -> Path | None:
    """Where the reference's output for this file and reference version is cached.

    The naive reference does not change while the detector is tuned, and it
    costs ~10x the detector per image, so re-measuring the detector on the
    same phantom set reuses it.  The key covers the DICOM bytes, the reference
    configuration, its threshold sweep and the resampling.
    """
    if cache_dir is None:
        return None
    import hashlib
    from dataclasses import asdict

    h = hashlib.sha1()
    h.update(Path(path).read_bytes())
    h.update(json.dumps([asdict(cfg), list(thresholds), resample_mm, REFERENCE_CODE_VERSION]).encode())
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    return Path(cache_dir) / f"{Path(path).stem}-{h.hexdigest()[:16]}.json"


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)


def _patients(images: pd.DataFrame) -> pd.DataFrame:
    from calcdetect.batch.outputs import PATIENT_COLUMNS, patient_rows

    return pd.DataFrame(patient_rows(images.to_dict("records")), columns=list(PATIENT_COLUMNS))


def _d_prime_plot(truth, path: Path) -> dict:
    """Histogram of the members' d′ and of each cluster's third-strongest d′, by class; returns quantiles."""
    from matplotlib.figure import Figure

    clu, calc = truth.clusters, truth.calcifications
    vis = dict(zip(zip(clu["sop_instance_uid"], clu["cluster_id"]), clu["visibility"]))
    calc = calc.assign(visibility=[vis.get(k, "unknown") for k in zip(calc["sop_instance_uid"], calc["cluster_id"])])
    fig = Figure(figsize=(9.6, 4.0), dpi=100)
    bins = np.logspace(-1, 2.5, 36)
    out = {}
    for ax, (table, col, title) in zip(fig.subplots(1, 2), ((calc, "d_prime", "calcifications (members)"),
                                                            (clu, "third_d_prime", "clusters: third-strongest"))):
        for cls in ("visible", "subtle", "occult"):
            v = table.loc[table["visibility"] == cls, col].dropna().to_numpy(float)
            if v.size:
                ax.hist(np.clip(v, 0.1, 300), bins=bins, histtype="step", label=f"{cls} (n={v.size})")
                out.setdefault(col, {})[cls] = {q: float(np.percentile(v, p)) for q, p in
                                                (("p10", 10), ("median", 50), ("p90", 90))}
        for x in (4, 6):
            ax.axvline(x, color="grey", lw=0.6, ls="--")
        ax.set_xscale("log")
        ax.set_xlabel("d′ against quantum + electronic + anatomical noise")
        ax.set_title(title)
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=910_000_001)
    ap.add_argument("--preset", default="mix")
    ap.add_argument("--positive-fraction", type=float, default=0.5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--resample-mm", type=float, default=None, help="analyse at this coarser pixel size (e.g. 0.2)")
    ap.add_argument("--no-reference", action="store_true", help="skip the naive reference (faster)")
    ap.add_argument("--reference-subset", type=int, default=None,
                    help="run the reference on the first K phantoms only (it costs ~10x the detector); the "
                    "comparison then uses the detector on the same K")
    ap.add_argument("--cohort", type=Path, default=None,
                    help="make one patient per record of this clinical CSV (CC + MLO) instead of --n single images")
    ap.add_argument("--presentation-processing", default="none",
                    help="give the set's FOR PRESENTATION images a vendor's processing (none, usm, multiscale: "
                    "calcdetect.phantom.presentation)")
    ap.add_argument("--fine-texture", action="store_true",
                    help="make the set with the breast texture continued above the anatomy grid's Nyquist "
                    "(calcdetect.phantom.fine_texture)")
    ap.add_argument("--reuse-phantoms", action="store_true", help="use OUT/phantoms if it already holds the set")
    ap.add_argument("--config", type=Path, default=None,
                    help="detector configuration JSON (default: the calibrated DetectorConfig.default())")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from calcdetect import __version__
    from calcdetect.commands.evaluate import write_evaluation
    from calcdetect.config import DetectorConfig
    from calcdetect.evaluation.scoring import evaluate
    from calcdetect.evaluation.froc import FrocCurve, roc_auc
    from calcdetect.phantom import write_cohort_phantoms, write_phantom_set
    from calcdetect.evaluation.reference import NAIVE_PIXEL_THRESHOLDS, REFERENCE_HEIGHT_THRESHOLDS
    from calcdetect.evaluation.truth import Detections, truth_from_dicts
    from calcdetect.evaluation.truth_files import truth_path_for

    # read once: every worker uses this very configuration
    config = DetectorConfig.from_json(str(args.config)) if args.config else DetectorConfig.default()
    calib = str(config.calibration_seeds)
    if str(args.seed) in calib.replace(",", " ").replace("-", " ").split():
        print(f"seed {args.seed} is a calibration seed of the detector ({calib!r}); pick a fresh one")
        return 2
    from calcdetect.detector.fp_model import SHIPPED_COARSE_MODEL, SHIPPED_MODEL, load_fp_model

    trained_on = [seed for path, shipped in ((config.fp_model, SHIPPED_MODEL),
                                             (config.fp_model_coarse, SHIPPED_COARSE_MODEL))
                  for seed in load_fp_model(path, shipped).metadata.get("training", {}).get("seeds") or []]
    if args.seed in trained_on:
        print(f"seed {args.seed} is a training seed of the false-positive model ({trained_on}); pick a fresh one")
        return 2
    if args.cohort is not None and (args.presentation_processing != "none" or args.fine_texture):
        print("--presentation-processing and --fine-texture apply to a set (--n), not to --cohort")
        return 2
    phantom_dir = args.out / "phantoms"
    t0 = time.perf_counter()
    if args.reuse_phantoms and any(phantom_dir.glob("*.truth.json")):
        paths = sorted(p for p in phantom_dir.rglob("*.dcm"))
    elif args.cohort is not None:
        paths = [Path(p) for p in write_cohort_phantoms(
            phantom_dir, args.cohort, seed=args.seed, preset=args.preset, workers=args.workers)]  # fmt: skip
    else:
        paths = [Path(p) for p in write_phantom_set(
            phantom_dir, n=args.n, seed=args.seed, preset=args.preset, positive_fraction=args.positive_fraction,
            workers=args.workers, presentation_processing=args.presentation_processing, fine_texture=args.fine_texture,
        )]  # fmt: skip
    t_gen = time.perf_counter() - t0
    paths = sorted(p for p in paths if p.suffix == ".dcm")
    log.info("%d phantoms in %s (%.0f s)", len(paths), phantom_dir, t_gen)
    tasks = []
    n_ref = 0 if args.no_reference else len(paths) if args.reference_subset is None else args.reference_subset
    for i, p in enumerate(paths):
        truth_path = truth_path_for(p)
        tasks.append((str(p), json.loads(truth_path.read_text()), args.resample_mm, i < n_ref,
                      str(args.out / "reference_cache"), config))  # fmt: skip

    t0 = time.perf_counter()
    results = []
    # spawn, not fork: the parent has run OpenCV (the phantoms), and a child forked while
    # OpenCV's threads held a lock waits for it forever
    with ProcessPoolExecutor(max_workers=args.workers, initializer=_single_thread,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        for i, r in enumerate(pool.map(process_one, tasks, chunksize=1)):
            results.append(r)
            if (i + 1) % 20 == 0:
                log.info("analysed %d/%d", i + 1, len(tasks))
    t_run = time.perf_counter() - t0
    failures = [{"path": r["path"], "error": r["error"]} for r in results if "error" in r]
    if failures:
        log.error("%d phantom(s) failed and count as missed: %s", len(failures), failures[:5])
    truth_all = [r["truth"] for r in results]
    results = [r for r in results if "error" not in r]

    truth = truth_from_dicts(truth_all)  # failed phantoms stay in: they count as missed
    images = pd.DataFrame([r["image"] for r in results])
    calc_cols = ["sop_instance_uid", "calcification_id", "row", "col", "x_mm", "y_mm", "diameter_mm", "contrast",
                 "snr", "probability", "cluster_id"]  # fmt: skip
    cl_cols = ["sop_instance_uid", "cluster_id", "n_calcifications", "row", "col", "row_min", "col_min", "row_max",
               "col_max", "area_mm2", "score"]  # fmt: skip
    det = Detections(
        images=images,
        calcifications=_frame([c for r in results for c in r["calcifications"]], calc_cols),
        clusters=_frame([c for r in results for c in r["clusters"]], cl_cols),
        patients=_patients(images),
    )
    scan_dir = args.out / "scan"
    scan_dir.mkdir(parents=True, exist_ok=True)
    for name in ("images", "calcifications", "clusters", "patients"):
        getattr(det, name).to_csv(scan_dir / f"{name}.csv", index=False)
    (scan_dir / "run.json").write_text(json.dumps({"config": config.to_dict()}, indent=2, default=str))
    result = evaluate(det, truth)  # each image's own threshold, from the images' threshold column

    references = {}
    comparison: dict[str, object] = {}
    ref_results = [r for r in results if "reference" in r]
    if ref_results:
        ref_uids = {r["image"]["sop_instance_uid"] for r in ref_results}
        subset = len(ref_results) < len(results)
        truth_ref = truth_from_dicts([r["truth"] for r in ref_results]) if subset else truth
        if subset:  # the detector on exactly the reference's images, for a like-for-like comparison
            keep = lambda t: t[t["sop_instance_uid"].isin(ref_uids)]  # noqa: E731
            det_ref = Detections(keep(det.images), keep(det.calcifications), keep(det.clusters), None)
            result_cmp = evaluate(det_ref, truth_ref)
            references["detector_on_reference_subset"] = result_cmp
        else:
            result_cmp = result
        truth = truth_ref
        images_ref = images[images["sop_instance_uid"].isin(ref_uids)]
        ref_score = {r["image"]["sop_instance_uid"]: r["reference"]["score"] for r in ref_results}
        ref_images = images_ref.assign(
            score=images_ref["sop_instance_uid"].map(ref_score), flag="negative", n_clusters=0, n_calcifications=0
        )
        ref_cl = _frame([c for r in ref_results for c in r["reference"]["clusters"]], cl_cols + ["level"])
        ref_det = Detections(
            images=ref_images,
            calcifications=_frame([c for r in ref_results for c in r["reference"]["calcifications"]], calc_cols),
            clusters=ref_cl[ref_cl["level"] == 0][cl_cols],
            patients=None,
        )
        ref = evaluate(ref_det, truth, calcification_score="contrast", operating_threshold=math.inf)
        # cluster FROC of a global-threshold detector: one point per threshold, re-clustered at each
        fp, sens = [0.0], [0.0]
        empty_calcs = ref_det.calcifications.iloc[:0]
        for lev in range(len(REFERENCE_HEIGHT_THRESHOLDS) - 1, -1, -1):
            at = Detections(ref_images, empty_calcs, ref_cl[ref_cl["level"] == lev][cl_cols], None)
            c = evaluate(at, truth, calcification_score="contrast", operating_threshold=math.inf).cluster_froc
            fp.append(float(c.fp_per_image[-1]))
            sens.append(float(c.sensitivity[-1]))
        swept = FrocCurve(
            fp_per_image=np.array(fp), sensitivity=np.array(sens),
            thresholds=np.r_[np.inf, np.array(REFERENCE_HEIGHT_THRESHOLDS)[::-1]],
            n_truth=result_cmp.cluster_froc.n_truth, n_images=result_cmp.n_images,
            breast_area_cm2=result_cmp.cluster_froc.breast_area_cm2,
        )  # fmt: skip
        ref = replace(ref, cluster_froc=swept)
        references["naive_reference"] = ref
        d_at = {str(x): result_cmp.cluster_froc.sensitivity_at(x) for x in COMPARE_FP}
        r_at = {str(x): ref.cluster_froc.sensitivity_at(x) for x in COMPARE_FP}
        kd, kr = result_cmp.calcification_froc_min_size, ref.calcification_froc_min_size
        cd = {str(x): kd.sensitivity_at_fp_per_cm2(x) for x in (0.1, 0.25, 0.5, 1.0, 2.0)}
        cr = {str(x): kr.sensitivity_at_fp_per_cm2(x) for x in (0.1, 0.25, 0.5, 1.0, 2.0)}
        comparison = {
            "n_images_compared": result_cmp.n_images,
            "cluster_sensitivity_at_fp_per_image": {"detector": d_at, "naive_reference": r_at},
            "cluster_froc_better_at_every_fp_rate": all(d_at[k] > r_at[k] for k in d_at),
            "calcification_sensitivity_min_size_at_fp_per_cm2": {"detector": cd, "naive_reference": cr},
            "image_auc": {"detector": result_cmp.image_roc.auc, "naive_reference": ref.image_roc.auc},
        }
    labels = result.images.set_index("sop_instance_uid")["label"]
    naive = np.array([r["naive_pixel"] for r in results])
    y = np.array([bool(labels[r["image"]["sop_instance_uid"]]) for r in results])
    naive_auc = {str(t): roc_auc(naive[:, j].astype(float), y) for j, t in enumerate(NAIVE_PIXEL_THRESHOLDS)}
    comparison["naive_pixel_auc_by_threshold"] = naive_auc
    comparison["naive_pixel_auc_best"] = max(v for v in naive_auc.values() if not math.isnan(v))

    extra = {
        "comparison": comparison,
        "run": {
            "calcdetect_version": __version__,
            "command": " ".join([sys.executable, *sys.argv]),
            "n_phantoms": len(truth_all),
            "failures": failures,
            "seed": args.seed,
            "preset": args.preset,
            "cohort": str(args.cohort) if args.cohort else None,
            "positive_fraction": args.positive_fraction,
            "resample_mm": args.resample_mm,
            "workers": args.workers,
            "seconds_generation": t_gen,
            "seconds_analysis": t_run,
            "detector_seconds_per_image_mean": float(np.mean([r["seconds_detector"] for r in results])),
            "reference_seconds_per_image_mean": float(np.mean([r["reference"]["seconds"] for r in ref_results]))
            if ref_results
            else None,
            "image_shapes": sorted({f"{r['image']['rows']}x{r['image']['cols']}" for r in results}),
            "detector_config": config.to_dict(),
        },
    }
    from calcdetect.phantom.sets import read_set_summary

    eval_dir = args.out / "evaluation"
    eval_dir.mkdir(parents=True, exist_ok=True)
    extra["phantom_set"] = {"summary": read_set_summary(phantom_dir),
                            "d_prime": _d_prime_plot(truth_from_dicts(truth_all), eval_dir / "d_prime_by_class.png")}
    metrics = write_evaluation(result, eval_dir, references=references, extra_metrics=extra)
    d = metrics["detector"]
    print(json.dumps({"targets": d["targets"], "visibility": {k: d["visibility"][k] for k in ("counts", "third_d_prime")},
                      "comparison": metrics["comparison"]}, indent=2))
    print(f"written to {eval_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
