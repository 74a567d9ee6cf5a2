"""Write the final outputs of an output folder from its work records.

Shared by ``calcdetect scan`` (once, at the end of a run) and ``calcdetect
serve`` (after each study): the tables are assembled from *all* records, so
they are always complete and sorted, and every file is replaced atomically.
"""

from __future__ import annotations

from pathlib import Path

from calcdetect.atomic import atomic_link_or_copy, atomic_write_text

from .html_index import render_index_html
from .outputs import ScanTables, assemble_tables, write_tables
from .records import WorkStore

__all__ = ["publish_outputs"]


def publish_outputs(out_dir: Path, store: WorkStore, records: list[dict], *, overlays: bool,
                    extra_errors: list[dict] | None = None,
                    sr_links: dict[str, str] | None = None) -> tuple[ScanTables, dict[str, Path]]:
    """Assemble ``records`` into the tables, write them, place the overlays and the index.

    Parameters
    ----------
    out_dir : Path
    store : WorkStore
        Where the staged overlays are.
    records : list of dict
        Every work record to report.
    overlays : bool
        Place the overlays and write ``overlays/index.html``.
    extra_errors : list of dict, optional
        ``errors.csv`` rows that are not work records (a study without CAD SR).
    sr_links : dict, optional
        CAD SR path (relative to OUT) by SOP Instance UID, linked from the index.

    Returns
    -------
    (ScanTables, dict)
        The tables, and the path of each file written by name.

    Raises
    ------
    OSError
        When the output folder cannot be written.
    """
    tables = assemble_tables(records, overlays=overlays)
    if extra_errors:
        tables.errors.extend(extra_errors)
        tables.errors.sort(key=lambda row: row["path"])
    outputs = write_tables(out_dir, tables)
    if overlays:
        for job_id, rel in tables.overlays:
            atomic_link_or_copy(store.staged_overlay(job_id), out_dir / f"{rel}.png")
            atomic_link_or_copy(store.staged_thumbnail(job_id), out_dir / f"{rel}.thumb.jpg")
        outputs["index"] = out_dir / "overlays" / "index.html"
        atomic_write_text(outputs["index"], render_index_html(tables.images, tables.patients,
                                                               n_errors=len(tables.errors), sr_links=sr_links))
    return tables, outputs
