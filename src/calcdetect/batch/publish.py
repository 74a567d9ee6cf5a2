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


def publish_outputs(out_dir: Path, store: WorkStore, records: list[dict], *,
                    overlays: bool) -> tuple[ScanTables, dict[str, Path]]:
    """Assemble ``records`` into the tables, write them, place the overlays and the index.

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
    outputs = write_tables(out_dir, tables)
    if overlays:
        for job_id, rel in tables.overlays:
            atomic_link_or_copy(store.staged_overlay(job_id), out_dir / f"{rel}.png")
            atomic_link_or_copy(store.staged_thumbnail(job_id), out_dir / f"{rel}.thumb.jpg")
        outputs["index"] = out_dir / "overlays" / "index.html"
        atomic_write_text(outputs["index"], render_index_html(tables.images, tables.patients,
                                                               n_errors=len(tables.errors)))
    return tables, outputs
