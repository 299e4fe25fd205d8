"""Recognising a file's column headers as the schema's columns, and the table names of
files and sheets.

A header is matched, in this order (case, spaces and punctuation never matter:
``" Customer-ID"`` is ``customer_id``):

1. the **column map** of the settings file (``[columns]``: ``net_amount = "Netwr"``,
   or ``"orders.order_date" = "Fkdat"`` for one table only), which completes or
   overrides the recognition;
2. the schema's **column name** (``customer_id``, ``Order Date``);
3. a **synonym** other systems' exports use (``schema.Column.synonyms``: "Sold-to
   party", "Billing Date", "Net value", "Qty", "Material"...), also after dropping a
   trailing unit or currency (``Amount (EUR)``, ``Qty kg``) and reading ``%`` as
   ``pct`` (``Discount %``).

Every header read under another name is said in a note ("read 'Net value' as
net_amount: the line's net value invoiced"). Two headers that could both be one
column are a problem, never a guess: the fix names the column map entry that settles
it. An exact column name wins over a synonym (the synonym is noted as ignored).

An orders file may also carry the customer's and the product's attributes on every line
(``schema.CARRIED``): one flat sales export. :func:`reading_table` gives the table the
headers of a file are matched against.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

import pandas as pd

from kamlib import schema
from kamlib.data.problems import _Input, _Raw, _default_text, _fmt

_TABLE_ALIASES = {
    "customer": "customers", "customer_list": "customers", "accounts": "customers",
    "product": "products", "order": "orders", "order_lines": "orders",
    "orderlines": "orders", "sales_orders": "orders", "interaction": "interactions",
    "contact": "contacts", "assessment": "assessments", "rebate": "rebates",
}

_UNIT_WORDS = frozenset({
    "eur", "usd", "gbp", "chf", "sek", "nok", "dkk", "pln", "czk", "huf", "jpy", "cny",
    "inr", "brl", "cad", "aud", "currency", "kg", "kgs", "t", "to", "tons", "tonnes",
    "lb", "lbs", "pcs", "pc", "pce", "ea", "units", "unit", "l", "in", "local", "lc",
    "doc", "document",
})
"""Trailing header words dropped before matching a synonym: units and currencies
(``Amount (EUR)``, ``Qty kg``, ``Net value in document currency``)."""


def _norm(name: object) -> str:
    """``" Customer ID"`` -> ``"customer_id"``: lower case, runs of anything but
    letters and digits become one underscore."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).replace("\ufeff", "").strip().lower()).strip("_")


def _keys(header: object) -> list[str]:
    """The keys a header is looked up under, most literal first: the normalised name,
    with ``%`` read as ``pct``, then with trailing units or currencies dropped."""
    raw = str(header)
    pct = _norm(raw.replace("%", " pct "))
    out = [pct] if "%" in raw else [_norm(raw)]  # "Discount %" is not "Discount"
    if pct not in out:
        out.append(pct)
    words = pct.split("_")
    while len(words) > 1 and words[-1] in _UNIT_WORDS:
        words = words[:-1]
        k = "_".join(words)
        if k not in out:
            out.append(k)
    return [k for k in out if k]


@lru_cache(maxsize=None)
def reading_table(name: str) -> schema.Table:
    """The table a file of table ``name`` is read as: its schema table, and for
    ``orders`` also the customer and product attributes a flat export carries
    (``schema.CARRIED``, all optional)."""
    table = schema.TABLES[name]
    if name != "orders":
        return table
    extra = []
    for other, cols in schema.CARRIED.items():
        t = schema.TABLES[other]
        for c in cols:
            col = t.column(c)
            extra.append(schema.Column(**{**col.__dict__, "required": False}))
    return schema.Table(name=table.name, meaning=table.meaning,
                        columns=table.columns + tuple(extra), key=table.key,
                        required=table.required, references=table.references)


def carried_columns(name: str) -> set[str]:
    """Columns of ``name``'s reading table that belong to another table."""
    if name != "orders":
        return set()
    return {c for cols in schema.CARRIED.values() for c in cols}


@lru_cache(maxsize=None)
def synonym_index(name: str) -> dict[str, str]:
    """Normalised synonym -> column, for the reading table of ``name``. A column's
    synonyms include those given for columns of the same name in other tables
    (``customer_id``'s are listed once, in customers)."""
    table = reading_table(name)
    own = set(table.column_names)
    index: dict[str, str] = {}
    for t in schema.TABLES.values():
        for c in t.columns:
            if c.name not in own:
                continue
            for s in c.synonyms:
                for k in _keys(s)[:2]:
                    if k not in own:
                        index.setdefault(k, c.name)
    return index


def column_map_for(name: str, columns: dict[str, str] | None) -> dict[str, str]:
    """The column map entries that apply to table ``name``: normalised header ->
    column. Keys are ``column`` or ``table.column``."""
    out: dict[str, str] = {}
    own = set(reading_table(name).column_names)
    for key, header in (columns or {}).items():
        table, _, col = key.rpartition(".")
        if table and table != name:
            continue
        if col in own and str(header).strip():
            out[_norm(header)] = col
    return out


def unknown_map_keys(columns: dict[str, str] | None) -> list[tuple[str, str]]:
    """Column map keys that name no column: [(key, suggestion or "")]."""
    names = {c.name for t in schema.TABLES.values() for c in t.columns}
    out = []
    for key in (columns or {}):
        table, _, col = key.rpartition(".")
        bad_table = table and table not in schema.TABLES
        if col in names and not bad_table and (
                not table or col in reading_table(table).column_names):
            continue
        pool = sorted(names) if not table or bad_table else reading_table(table).column_names
        near = difflib.get_close_matches(col, pool, n=1, cutoff=0.6)
        out.append((key, near[0] if near else ""))
    return out


def recognise(header: list[str], name: str, columns: dict[str, str] | None = None):
    """Match a file's header to the columns of table ``name``.

    Returns ``(found, ambiguous, ignored)``: ``found`` column -> (position, how) with
    ``how`` one of ``"map"``, ``"name"``, ``"synonym"``; ``ambiguous`` column -> the
    positions of two or more synonym candidates (a problem); ``ignored``: (position,
    column, reason) of candidates that lost to a map entry or an exact name.
    Pure function: no notes, no problems (the checker words them)."""
    table = reading_table(name)
    own = set(table.column_names)
    cmap = column_map_for(name, columns)
    index = synonym_index(name)
    cands: dict[str, list[tuple[int, str]]] = {}
    for pos, h in enumerate(header):
        keys = _keys(h)
        how, col = None, None
        if keys and keys[0] in cmap:
            how, col = "map", cmap[keys[0]]
        elif keys and keys[0] in own:
            how, col = "name", keys[0]
        else:
            for k in keys:
                if k in index:
                    how, col = "synonym", index[k]
                    break
                if k in own:  # "Purity %" -> purity_pct
                    how, col = "name", k
                    break
        if col is not None:
            cands.setdefault(col, []).append((pos, how))
    found: dict[str, tuple[int, str]] = {}
    ambiguous: dict[str, list[int]] = {}
    ignored: list[tuple[int, str, str]] = []
    mapped_cols = set(cmap.values())
    for col, lst in cands.items():
        for rank in ("map", "name", "synonym"):
            best = [p for p, h in lst if h == rank]
            if best:
                break
        if len(best) > 1 and rank == "synonym":
            ambiguous[col] = best
            continue
        found[col] = (best[0], rank)
        # (two exact names are reported by the checker as a repeated column)
        for p, h in lst:
            if p != best[0] and not (h == rank == "name"):
                ignored.append((p, col, "map" if col in mapped_cols else rank))
    return found, ambiguous, ignored


def _parquet_columns(names: list[str], table: schema.Table,
                     columns: dict[str, str] | None = None) -> list[str]:
    """The file's columns worth reading: those that match the schema (by name,
    synonym or column map) and, to report misspellings, the unknown ones too when
    they are few."""
    found, ambiguous, ignored = recognise(names, table.name, columns)
    pos = {p for p, _ in found.values()} | {p for ps in ambiguous.values() for p in ps}
    pos |= {p for p, _c, _r in ignored}
    known = [n for i, n in enumerate(names) if i in pos]
    unknown = [n for i, n in enumerate(names) if i not in pos]
    return known + unknown[:20]


def _meaning(col: schema.Column) -> str:
    m = re.sub(r"\s*\([^)]*\)", "", col.meaning.split(". ")[0]).rstrip(".")
    return m[0].lower() + m[1:] if m else m


class _Headers:
    """Checker step: the file's columns renamed to the schema's."""

    def _columns(self, inp: _Input, raw: _Raw) -> pd.DataFrame | None:
        """Rename the file's columns to the schema's; problems for missing required
        columns (with the closest header) and for ambiguous headers, notes for the
        rest."""
        table, label, tname = inp.table, inp.label, inp.table.name
        df = raw.frame
        header = raw.header
        found, ambiguous, ignored = recognise(header, tname, getattr(self, "columns", None))
        if len(header) == 1 and len(table.columns) > 1 and not found:
            self.add(label, "", [1], f"Only one column was found; the header line reads "
                     f"{_fmt(header[0])}.",
                     "Separate the values with commas (or semicolons or tabs), one "
                     "column per field, as Excel does when it saves CSV.", tname)
            return None
        cols = list(df.columns)
        mapping: dict[str, str] = {}
        used = set()
        # a column named twice (exact names): a problem, as before
        first_pos: dict[str, int] = {}
        for pos, raw_name in enumerate(header):
            key = _norm(raw_name)
            if found.get(key, (None, ""))[1] == "name" and key in table.column_names:
                if key in first_pos:
                    self.add(label, key, [1], f"The column {key} appears twice in the "
                             f"header (columns {first_pos[key] + 1} and {pos + 1}: "
                             f"{_fmt(header[first_pos[key]])} and {_fmt(raw_name)}).",
                             "Keep one of them and delete or rename the other.", tname)
                    used.add(pos)
                else:
                    first_pos[key] = pos
        for col, (pos, how) in found.items():
            mapping[cols[pos]] = col
            used.add(pos)
            raw_name = header[pos]
            if how == "map":
                self.note(f"{label}: column {_fmt(raw_name)} read as {col}, as the "
                          "column map of the settings says.")
            elif how == "synonym":
                self.note(f"{label}: read {_fmt(raw_name)} as {col} "
                          f"({_meaning(table.column(col))}).")
            elif raw_name != col:
                self.note(f"{label}: column {_fmt(raw_name)} read as {col}.")
        for col, positions in ambiguous.items():
            used.update(positions)
            names = " and ".join(_fmt(header[p]) for p in positions)
            self.add(label, col, [1], f"{len(positions)} columns could be {col} "
                     f"({_meaning(table.column(col))}): {names}. The playbook does not "
                     "guess which one is meant.",
                     f"Say which in the settings file, e.g. [columns] {col} = "
                     f"\"{header[positions[0]]}\" (or delete the other column).", tname)
        for pos, col, reason in ignored:
            used.add(pos)
            why = ("the column map names another column for it" if reason == "map"
                   else f"the file has a column named {col}")
            self.note(f"{label}: column {_fmt(header[pos])} (which could be {col}) was "
                      f"ignored: {why}.")
        unknown: list[str] = []
        for pos, raw_name in enumerate(header):
            if pos in used:
                continue
            if _norm(raw_name) == "" or str(raw_name).startswith("Unnamed:"):
                if df[cols[pos]].notna().any():
                    self.note(f"{label}: a column without a name (column {pos + 1}) was "
                              "ignored.")
            else:
                unknown.append(raw_name)
        out = df[list(mapping)].rename(columns=mapping)
        if len(out):
            blank = [c for c in out.columns
                     if not table.column(c).required and not out[c].notna().any()]
            if blank:
                out = out.drop(columns=blank)
                self.note(f"{label}: {', '.join(blank)} "
                          f"{'is' if len(blank) == 1 else 'are'} empty on every row: "
                          "read as not given.")
        self.given.setdefault(tname, set()).update(out.columns)
        unknown_keys = {_norm(u): u for u in unknown}
        carried = carried_columns(tname)
        missing_required, missing_optional = [], []
        for col in table.columns:
            if col.name in out.columns or col.name in ambiguous:
                continue
            pool = [k for k in unknown_keys]
            near = difflib.get_close_matches(col.name, pool, n=1, cutoff=0.75)
            guess = unknown_keys.pop(near[0]) if near else None
            if col.required:
                missing_required.append(col.name)
                if guess is not None:
                    self.add(label, col.name, [1], f"The required column {col.name} is "
                             f"missing; there is a column {_fmt(guess)}. Did you mean "
                             f"{col.name}?",
                             f"Rename the column {_fmt(guess)} to {col.name}, or map "
                             f"it in the settings file: [columns] {col.name} = "
                             f"\"{guess}\".", tname)
                else:
                    have = ", ".join(header[:15]) + (" ..." if len(header) > 15 else "")
                    first = len(missing_required) == 1
                    self.add(label, col.name, [1], f"The required column {col.name} is "
                             f"missing ({col.meaning.rstrip('.')}).",
                             f"Add a column named {col.name}, or name the export's "
                             f"column in the settings file ([columns] {col.name} = "
                             "\"its header\")."
                             + (f" The file's columns are: {have}." if first else ""),
                             tname)
            else:
                if col.name not in carried and not col.alternative_to:
                    missing_optional.append(col.name)
                if guess is not None:
                    self.note(f"{label}: column {_fmt(guess)} was ignored; did you mean "
                              f"{col.name}? Rename it to use it (until then {col.name} "
                              f"takes its default{_default_text(col)}).")
        if missing_optional:
            names = [c for c in missing_optional
                     if not any(f"did you mean {c}?" in n for n in self.notes)]
            if names:
                self.note(f"{label}: optional columns not given: {', '.join(names)} "
                          "(see what they unlock at the end of the check).")
        if unknown_keys:
            self.note(f"{label}: columns not used by the playbook were ignored: "
                      + ", ".join(_fmt(u) for u in unknown_keys.values()) + ".")
        self.missing_cols[tname] = set(missing_required) | set(ambiguous)
        return out
