"""``overlays/index.html``: a static page to browse a scan's overlays.

One self-contained file (no server, no network, no external script): patients
as sections, positives first (then by best score), each with its images as
thumbnails showing laterality, view, score and flag; a click opens the full
overlay.  A small inline script filters by patient key, flag, laterality and
view.  Everything is rendered server-side, so the list also reads without
JavaScript; every value is HTML-escaped.  No path of the input folder
appears on the page (folder names of archive exports often hold names).
"""

from __future__ import annotations

import html

from calcdetect.vocabulary import Flag

from .outputs import count_positive

__all__ = ["render_index_html"]

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#1e1e1e;color:#eee}
header{position:sticky;top:0;background:#2b2b2b;padding:10px 16px;border-bottom:1px solid #444;z-index:1}
h1{font-size:18px;margin:0 0 6px}
header .counts{font-size:13px;color:#bbb;margin-bottom:6px}
header input,header select{font-size:14px;margin-right:8px;background:#111;color:#eee;border:1px solid #555;padding:3px}
main{padding:8px 16px;display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start}
section.patient{border:1px solid #444;border-radius:6px;padding:6px 10px}
section.patient.positive{border-color:#d33}
section.patient h2{font-size:15px;margin:2px 0 6px}
.flag-positive{color:#ff6b6b;font-weight:bold}
.flag-negative{color:#6bd66b}
.images{display:flex;flex-wrap:wrap;gap:10px}
a{color:#8cb4ff}
figure{margin:0;background:#111;padding:4px;border-radius:4px;border:2px solid transparent;text-align:center}
figure.positive{border-color:#d33}
figure img{display:block;margin:0 auto;height:220px;max-width:320px;object-fit:contain}
figcaption{font-size:12px;margin-top:3px}
.hidden{display:none}
footer{font-size:12px;color:#999;padding:8px 16px}
"""

_SCRIPT = """
(function(){
  var q=document.getElementById('q'),flag=document.getElementById('flag'),
      lat=document.getElementById('lat'),view=document.getElementById('view'),
      shown=document.getElementById('shown');
  function apply(){
    var text=q.value.trim().toLowerCase(),n=0;
    document.querySelectorAll('section.patient').forEach(function(sec){
      var keyOk=sec.dataset.key.toLowerCase().indexOf(text)>=0,any=false;
      sec.querySelectorAll('figure').forEach(function(fig){
        var ok=keyOk&&(!flag.value||fig.dataset.flag===flag.value)
          &&(!lat.value||fig.dataset.lat===lat.value)&&(!view.value||fig.dataset.view===view.value);
        fig.classList.toggle('hidden',!ok);if(ok){any=true;n++;}
      });
      sec.classList.toggle('hidden',!any);
    });
    shown.textContent=n;
  }
  var params=new URLSearchParams(location.search);  // e.g. index.html?flag=positive&q=PAT
  if(params.has('q'))q.value=params.get('q');
  [['flag',flag],['lat',lat],['view',view]].forEach(function(p){if(params.has(p[0]))p[1].value=params.get(p[0]);});
  [q,flag,lat,view].forEach(function(el){el.addEventListener('input',apply);el.addEventListener('change',apply);});
  apply();
})();
"""


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _options(values: set[str], label: str, element_id: str) -> str:
    opts = "".join(f'<option value="{_e(v)}">{_e(v)}</option>' for v in sorted(v for v in values if v))
    return f'<select id="{element_id}" aria-label="{label}"><option value="">{label}: all</option>{opts}</select>'


def render_index_html(images: list[dict], patients: list[dict], *, n_errors: int = 0, title: str = "calcdetect scan",
                      sr_links: dict[str, str] | None = None) -> str:
    """HTML text of the overlay index.

    Parameters
    ----------
    images : list of dict
        Rows of ``images.csv`` (``overlay`` relative to the output folder,
        e.g. ``overlays/KEY/UID.png``; its thumbnail is ``.thumb.jpg`` beside it).
    patients : list of dict
        Rows of ``patients.csv``.
    n_errors : int
        Files not analysed (mentioned with a pointer to ``errors.csv``).
    sr_links : dict of str to str, optional
        Path (relative to the output folder, e.g. ``sr/KEY/STUDY.dcm``) of the
        Mammography CAD SR of each image's study, by SOP Instance UID; each
        such image gets a "CAD SR" link.

    Returns
    -------
    str
        A complete HTML document; links are relative to ``overlays/``.
    """
    by_patient: dict[str, list[dict]] = {}
    for row in images:
        by_patient.setdefault(row["patient_key"], []).append(row)
    order = sorted(patients, key=lambda p: (p["flag"] != Flag.POSITIVE, -float(p["max_score"]), p["patient_key"]))
    n_pos_patients = count_positive(patients)
    n_pos_images = count_positive(images)

    sections = []
    for p in order:
        rows = sorted(by_patient.get(p["patient_key"], []),
                      key=lambda r: (r["flag"] != Flag.POSITIVE, -float(r["score"]), r["laterality"], r["view"], r["path"]))
        sections.append(_patient_section(p, [_image_figure(r, sr_links) for r in rows]))

    errors_note = (f' &middot; {n_errors} file(s) not analysed: see <a href="../errors.csv">errors.csv</a>'
                   if n_errors else "")
    controls = (
        '<input id="q" type="search" placeholder="filter patient key" aria-label="filter patient key">'
        '<select id="flag" aria-label="flag"><option value="">flag: all</option>'
        '<option value="positive">positive</option><option value="negative">negative</option></select>'
        + _options({r["laterality"] for r in images}, "laterality", "lat")
        + _options({r["view"] for r in images}, "view", "view")
        + f'<span class="counts"><span id="shown">{len(images)}</span> image(s) shown</span>'
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width=device-width\"><title>{_e(title)}</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<header><h1>{_e(title)}</h1><div class=\"counts\">{len(patients)} patient(s), "
        f"{n_pos_patients} positive &middot; {len(images)} image(s), {n_pos_images} positive{errors_note}</div>"
        f"{controls}</header><main>{''.join(sections)}</main>"
        "<footer>calcdetect &middot; research software, not a medical device. Click a thumbnail for the "
        "full overlay (red boxes: clusters; insets at full resolution).</footer>"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )


def _image_figure(r: dict, sr_links: dict[str, str] | None) -> str:
    """One image's thumbnail (or a note that it has none) and its caption."""
    flag = r["flag"]
    # each false-positive model has its own threshold: say the one this image was read at
    at = f' (flag at {float(r["threshold"]):.3g})' if r.get("threshold") not in (None, "") else ""
    caption = (f'{_e(r["laterality"] or "?")} {_e(r["view"] or "?")} &middot; score {float(r["score"]):.3f}{at} '
               f'&middot; <span class="flag-{_e(flag)}">{_e(flag)}</span> &middot; '
               f'{int(r["n_clusters"])} cluster(s)')
    sr_path = (sr_links or {}).get(r.get("sop_instance_uid", ""))
    if sr_path:
        caption += (f' &middot; <a class="sr" href="../{_e(sr_path)}" download '
                    f'title="Mammography CAD SR (DICOM) of this study">CAD SR</a>')
    if r.get("overlay"):
        target = r["overlay"].removeprefix("overlays/")
        thumb = target[: -len(".png")] + ".thumb.jpg"
        media = (f'<a href="{_e(target)}" target="_blank" rel="noopener">'
                 f'<img src="{_e(thumb)}" loading="lazy" alt="overlay of {_e(r["laterality"])} '
                 f'{_e(r["view"])}"></a>')
    else:
        media = "<div>(no overlay)</div>"
    return (
        f'<figure class="{_e(flag)}" data-flag="{_e(flag)}" data-lat="{_e(r["laterality"])}" '
        f'data-view="{_e(r["view"])}">{media}<figcaption>{caption}</figcaption></figure>'
    )


def _patient_section(p: dict, figures: list[str]) -> str:
    """One patient's heading (key, flag, counts) and their image figures."""
    flag = p["flag"]
    return (
        f'<section class="patient {_e(flag)}" data-key="{_e(p["patient_key"])}" data-flag="{_e(flag)}">'
        f'<h2>{_e(p["patient_key"])} &middot; <span class="flag-{_e(flag)}">{_e(flag)}</span> &middot; '
        f'{int(p["n_positive_images"])}/{int(p["n_images"])} image(s) positive &middot; '
        f'max score {float(p["max_score"]):.3f}</h2><div class="images">{"".join(figures)}</div></section>'
    )
