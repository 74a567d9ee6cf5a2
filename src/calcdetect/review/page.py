"""The review page: an HTML shell, its own script and style sheet, and the JSON it draws from.

The shell holds no data; ``static/review.js`` fetches :func:`study_payload`
and draws everything with DOM calls (no ``innerHTML`` of data, so nothing from
a DICOM header is ever markup).  Positions sent to the page are in overlay
PNG pixels, computed here from :class:`calcdetect.batch.overlay.OverviewGeometry`,
so the script only scales between the PNG and its displayed size.
"""

from __future__ import annotations

import html
from importlib.resources import files

from calcdetect.review.decisions import DecisionStore
from calcdetect.review.study import ImageInfo, Study

__all__ = ["STATIC_FILES", "render_page", "study_payload", "decorate_state", "KEYS"]

STATIC_FILES: dict[str, tuple[bytes, str]] = {
    "review.js": (files("calcdetect.review").joinpath("static/review.js").read_bytes(),
                  "text/javascript; charset=utf-8"),
    "review.css": (files("calcdetect.review").joinpath("static/review.css").read_bytes(), "text/css; charset=utf-8"),
    "favicon.svg": (files("calcdetect.review").joinpath("static/favicon.svg").read_bytes(), "image/svg+xml"),
}

#: the keyboard shortcuts (also shown on the page)
KEYS = (
    ("j / ↓, k / ↑", "next / previous cluster"),
    ("c", "confirm the selected cluster"),
    ("x", "reject the selected cluster"),
    ("u", "undecide it (or remove an added cluster)"),
    ("a", "add a missed cluster: arrows move the cross (Shift: faster), i: next image, Enter places, Esc cancels"),
    ("click", "add a missed cluster where clicked on the whole-breast view"),
    ("+ / −", "override the patient's call: positive / negative"),
    ("0", "the call follows the cluster decisions again"),
    ("Enter / n", "patient done, next patient"),
    ("p", "previous patient"),
    ("?", "show / hide this help"),
)


def render_page(*, reader: str, token: str) -> str:
    """The HTML shell of the review page (data comes from ``/api/study``)."""
    t = html.escape(token, quote=True)
    rows = "".join(f"<tr><td><kbd>{html.escape(k)}</kbd></td><td>{html.escape(v)}</td></tr>" for k, v in KEYS)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width\">"
        f"<title>calcdetect review · {html.escape(reader)}</title>"
        f"<link rel=\"icon\" href=\"/static/favicon.svg?token={t}\">"
        f"<link rel=\"stylesheet\" href=\"/static/review.css?token={t}\"></head><body>"
        f"<header><h1>calcdetect review · reader {html.escape(reader)}</h1><span id=\"progress\"></span>"
        "<span class=\"muted\">press <kbd>?</kbd> for keys</span><span id=\"status\">loading…</span></header>"
        "<div id=\"layout\"><nav id=\"patients\" aria-label=\"patients\"></nav><main>"
        "<div id=\"head\"></div><div id=\"images\"></div></main></div>"
        f"<div id=\"help\" class=\"hidden\"><b>Keys</b><table>{rows}</table></div>"
        "<footer>calcdetect · research software, not a medical device. Every decision is saved at once in "
        f"OUT/review/{html.escape(reader)}/.</footer>"
        f"<script src=\"/static/review.js?token={t}\"></script></body></html>\n"
    )


def _image_payload(image: ImageInfo) -> dict:
    g = image.geometry
    width, height = image.overlay_size_px or (0, 0)
    clusters = []
    for k in image.clusters:
        box = None
        if g is not None:
            r0, c0, r1, c1 = k.bbox_px
            x0, y0 = g.to_overlay(r0 - 0.5, c0 - 0.5)  # pixel edges, not centres
            x1, y1 = g.to_overlay(r1 + 0.5, c1 + 0.5)
            box = [x0, y0, x1, y1]
        clusters.append({"cluster_id": k.cluster_id, "n_calcifications": k.n_calcifications, "score": k.score,
                         "row_px": k.row_px, "col_px": k.col_px, "box": box})
    return {
        "sop_instance_uid": image.sop_instance_uid, "laterality": image.laterality, "view": image.view,
        "rows": image.rows, "cols": image.cols, "score": image.score, "flag": image.flag,
        "overlay": f"/{image.overlay}" if image.overlay_size_px else "", "width": width, "height": height,
        "view_box": None if g is None else [g.left_px, g.top_px, g.width_px, g.height_px],
        "clusters": clusters,
    }


def decorate_state(study: Study, state: dict) -> dict:
    """Add overlay positions (``x_px``, ``y_px``) to the added clusters of a patient's state."""
    for d in state["decisions"]:
        image = study.image(d["sop_instance_uid"])
        if d["decision"] == "added" and image is not None and image.geometry is not None:
            d["x_px"], d["y_px"] = image.geometry.to_overlay(float(d["row_px"]), float(d["col_px"]))
    return state


def study_payload(study: Study, store: DecisionStore) -> dict:
    """Everything the page draws: patients in review order, their images and clusters, the reader's state."""
    states = {s["patient_key"]: s for s in store.all_states()}
    return {
        "reader": store.reader,
        "patients": [
            {"patient_key": p.patient_key, "detector_flag": p.flag, "max_score": p.max_score,
             "images": [_image_payload(im) for im in p.images],
             "state": decorate_state(study, states[p.patient_key])}
            for p in study.patients
        ],
    }
