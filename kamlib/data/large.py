"""Loading a large export without reading its order lines into pandas.

``kamlib.data.load(source, engine="duckdb")``: the small tables (customers, products,
contacts, assessments, rebates) are read and validated by the usual loader; the order
lines and the interactions stay in their files (:class:`kamlib.data.lazy.LazyTable`)
and are validated by SQL over the files (:func:`kamlib.engine.check_table`: empty
cells, bounds, values on the list, repeated keys, unknown customers and products,
deliveries before the order date - one scan each). When a check finds something, the
usual loader reads everything and raises its complete report (file, column, row, fix);
when it finds nothing after all, its pandas tables are returned. (The plausibility
*notes* of the full loader, such as deliveries far above the quantity ordered, are not
made for a table left in its file.)

A table is left in its file only when the SQL reads it exactly as the loader would: a
folder with ``<table>.parquet`` or ``<table>.csv`` whose headers are the schema's own
names (no synonyms to map, no column map in the settings), and for the order lines the
quantities and prices per unit (not amounts, which the loader derives from), with the
delivery dates. Otherwise :func:`load_large` returns None and the caller loads as usual.
"""

from __future__ import annotations

import csv
from pathlib import Path

from kamlib import schema
from kamlib.data.lazy import LazyTable

#: The tables a large export keeps in its files.
LAZY_TABLES = ("orders", "interactions")


def _header(f: Path) -> list[str]:
    if f.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(f).names)
    with open(f, newline="", encoding="utf-8-sig", errors="replace") as fh:
        return [h.strip() for h in next(csv.reader(fh), [])]


def lazy_file(folder: Path, table: str) -> tuple[Path, tuple[str, ...]] | None:
    """(file, header) when ``table``'s file in ``folder`` can be left in the file."""
    from kamlib import engine

    f = engine._table_file(folder, table)
    if f is None:
        return None
    try:
        cols = _header(f)
    except Exception:  # unreadable: the usual loader reports it
        return None
    spec = schema.TABLES[table]
    if not set(cols) <= set(spec.column_names) or len(set(cols)) != len(cols):
        return None
    if any(c.required and c.name not in cols for c in spec.columns):
        return None
    if table == "orders" and (not set(engine.FILE_LINE_COLUMNS) <= set(cols)
                              or set(engine.AMOUNT_COLUMNS) & set(cols)):
        return None
    return f, tuple(cols)


def load_large(source, columns: dict | None = None):
    """The :class:`kamlib.data.KamData` of ``source`` with the order lines (and the
    interactions, when they qualify) left in their files, or None when the order lines
    cannot be left in the file (see the module docstring). Raises
    :class:`kamlib.data.DataError` with the complete report when the data has
    problems."""
    from kamlib import engine
    from kamlib.data import _Checker, _kamdata, _run, load, resolve_source
    from kamlib.data.derive import capabilities

    folder = resolve_source(source)
    if columns or not folder.is_dir() or engine._table_file(folder, "customers") is None:
        return None
    lazy = {t: lf for t in LAZY_TABLES if (lf := lazy_file(folder, t)) is not None}
    if "orders" not in lazy:
        return None
    rows = {}
    for t in lazy:
        n, failed = engine.check_table(folder, t)
        if failed:  # the usual loader says exactly what and where (or finds it fine)
            return load(source, columns, engine="pandas")
        rows[t] = n

    class _SmallTables(_Checker):
        def _discover(self) -> bool:
            ok = super()._discover()
            for t in lazy:
                self.inputs.pop(t, None)
            return ok

    chk = _run(source, columns, checker=_SmallTables)
    if chk.problems:
        return load(source, columns, engine="pandas")  # the complete report
    kd = _kamdata(chk)
    given = {t: frozenset(c) for t, c in chk.available_given().items()}
    for t, (f, cols) in lazy.items():
        given[t] = frozenset(cols)
    tables = {t: LazyTable(t, f, cols, rows[t],
                           engine.order_summary(f) if t == "orders" else None)
              for t, (f, cols) in lazy.items()}
    import dataclasses

    return dataclasses.replace(kd, **tables, available=capabilities(given), given=given,
                               notes=kd.notes + (
                                   f"{', '.join(sorted(lazy))} validated by SQL and left "
                                   "in their files (engine='duckdb').",))
