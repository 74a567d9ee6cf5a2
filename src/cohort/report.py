"""The readable report: ``report.md``, ``report.html`` and ``forest.png``.

A :class:`Document` collects headings, paragraphs, key/value tables, study
tables and images once and renders them to both Markdown and HTML, so the two
files always say the same thing. The forest plot uses matplotlib's
object-oriented API with the Agg canvas (no pyplot global state).
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cohort.tables import StudyTable, to_html, to_markdown

__all__ = ["Document", "ForestEntry", "forest_plot", "forest_entries"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ForestEntry:
    """One line of the forest plot: an odds ratio with its 95 % CI."""

    label: str
    odds_ratio: float
    ci_low: float
    ci_high: float
    group: str = ""


def _finite(*values: object) -> bool:
    return all(v is not None and isinstance(v, (int, float)) and math.isfinite(v) and v > 0 for v in values)


def forest_entries(tables: Sequence[StudyTable]) -> list[ForestEntry]:
    """One entry per variable of the given tables that has an odds ratio with a CI."""
    from cohort.tables import VARIABLE_LABELS

    out = []
    for t in tables:
        for variable, rows in t.rows.groupby("variable", sort=False):
            r = rows.iloc[0]
            if _finite(r["odds_ratio"], r["ci_low"], r["ci_high"]):
                label = VARIABLE_LABELS.get(str(variable), f"Microcalcification ({variable})")
                out.append(ForestEntry(label, float(r["odds_ratio"]), float(r["ci_low"]), float(r["ci_high"]),
                                       f"{t.name.replace('table', 'Table ')}: vs {t.group_label.lower()}"))
    return out


def forest_plot(entries: Sequence[ForestEntry], path: str | Path, *, title: str = "Odds ratios (95% CI)") -> Path:
    """Draw odds ratios with CIs on a log axis, one row per entry, grouped; write a PNG.

    Parameters
    ----------
    entries : sequence of ForestEntry
    path : path-like
        Output PNG.
    title : str

    Returns
    -------
    Path
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    entries = [e for e in entries if _finite(e.odds_ratio, e.ci_low, e.ci_high)]
    height = 1.2 + 0.38 * max(len(entries), 1)
    fig = Figure(figsize=(7.5, height), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    groups = list(dict.fromkeys(e.group for e in entries))
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
    ys = list(range(len(entries)))[::-1]
    for y, e in zip(ys, entries):
        c = colours[groups.index(e.group) % len(colours)]
        ax.plot([e.ci_low, e.ci_high], [y, y], color=c, lw=1.6)
        ax.plot([e.odds_ratio], [y], marker="s", color=c, ms=6)
        ax.annotate(f"{e.odds_ratio:.2f} ({e.ci_low:.2f}–{e.ci_high:.2f})", (1.0, y), xycoords=("axes fraction", "data"),
                    xytext=(6, 0), textcoords="offset points", va="center", fontsize=8)
    ax.axvline(1.0, color="grey", ls="--", lw=1)
    ax.set_xscale("log")
    ax.set_yticks(ys)
    ax.set_yticklabels([f"{e.label}" for e in entries], fontsize=8)
    ax.set_xlabel("odds ratio (log scale)")
    ax.set_title(title, fontsize=10)
    if entries:
        lo = min(e.ci_low for e in entries)
        hi = max(e.ci_high for e in entries)
        ax.set_xlim(lo / 1.5, hi * 1.5)
        for g, c in zip(groups, colours):
            ax.plot([], [], color=c, marker="s", label=g)
        ax.legend(fontsize=7, loc="lower left", bbox_to_anchor=(0, 1.06), ncol=2, frameon=False)
    else:
        ax.text(0.5, 0.5, "no odds ratio with a finite CI", transform=ax.transAxes, ha="center")
    fig.subplots_adjust(left=0.3, right=0.72, top=1 - 0.9 / height, bottom=0.5 / height)
    out = Path(path)
    fig.savefig(out)
    return out


@dataclass
class Document:
    """A report rendered to Markdown and HTML from the same content."""

    title: str
    md: list[str] = field(default_factory=list)
    html_parts: list[str] = field(default_factory=list)

    def heading(self, text: str, level: int = 2) -> None:
        self.md += [f"{'#' * level} {text}", ""]
        self.html_parts.append(f"<h{level}>{html.escape(text)}</h{level}>")

    def paragraph(self, text: str) -> None:
        self.md += [text, ""]
        self.html_parts.append(f"<p>{html.escape(text)}</p>")

    def bullets(self, items: Sequence[str]) -> None:
        self.md += [f"- {i}" for i in items] + [""]
        self.html_parts.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")

    def table(self, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        cells = [[_text(c) for c in r] for r in rows]
        self.md += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        self.md += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in cells] + [""]
        self.html_parts.append(
            "<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr></thead><tbody>"
            + "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in cells)
            + "</tbody></table>"
        )

    def study_table(self, table: StudyTable) -> None:
        self.md += [to_markdown(table)]
        self.html_parts.append(to_html(table))

    def image(self, path: str, alt: str) -> None:
        self.md += [f"![{alt}]({path})", ""]
        self.html_parts.append(f'<p><img src="{html.escape(path)}" alt="{html.escape(alt)}" style="max-width:100%"></p>')

    def to_markdown(self) -> str:
        return f"# {self.title}\n\n" + "\n".join(self.md).rstrip() + "\n"

    def to_html(self) -> str:
        style = (
            "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.4}"
            "table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}"
            "td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}"
            "tr.variable th{background:#f3f3f3}caption{font-weight:bold;text-align:left;padding:.3rem 0}"
        )
        return (
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(self.title)}</title><style>{style}</style></head><body>\n"
            f"<h1>{html.escape(self.title)}</h1>\n" + "\n".join(self.html_parts) + "\n</body></html>\n"
        )

    def write(self, out_dir: str | Path, stem: str = "report") -> tuple[Path, Path]:
        out = Path(out_dir)
        md, htm = out / f"{stem}.md", out / f"{stem}.html"
        md.write_text(self.to_markdown(), encoding="utf-8")
        htm.write_text(self.to_html(), encoding="utf-8")
        return md, htm


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.3f}"
    return str(value)
