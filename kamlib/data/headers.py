"""Recognising a file's column headers as the schema's columns (ignoring case, spaces
and punctuation), and table names of files and sheets."""

from __future__ import annotations

import difflib
import re

import pandas as pd

from kamlib import schema
from kamlib.data.problems import _Input, _Raw, _default_text, _fmt

_TABLE_ALIASES = {
    "customer": "customers", "customer_list": "customers", "accounts": "customers",
    "product": "products", "order": "orders", "order_lines": "orders",
    "orderlines": "orders", "sales_orders": "orders", "interaction": "interactions",
    "contact": "contacts", "assessment": "assessments", "rebate": "rebates",
}


def _norm(name: object) -> str:
    """``" Customer ID"`` -> ``"customer_id"``: lower case, runs of anything but
    letters and digits become one underscore."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).replace("\ufeff", "").strip().lower()).strip("_")


def _parquet_columns(names: list[str], table: schema.Table) -> list[str]:
    """The file's columns worth reading: those that match the schema (by normalised
    name) and, to report misspellings, the unknown ones too when they are few."""
    wanted = set(table.column_names)
    known = [n for n in names if _norm(n) in wanted]
    unknown = [n for n in names if _norm(n) not in wanted]
    return known + unknown[:20]


class _Headers:
    """Checker step: the file's columns renamed to the schema's."""

    def _columns(self, inp: _Input, raw: _Raw) -> pd.DataFrame | None:
        """Rename the file's columns to the schema's; problems for missing required
        columns (with the closest header), notes for the rest."""
        table, label, tname = inp.table, inp.label, inp.table.name
        df = raw.frame
        header = raw.header
        if len(header) == 1 and len(table.columns) > 1 and _norm(header[0]) not in (
                table.column_names):
            self.add(label, "", [1], f"Only one column was found; the header line reads "
                     f"{_fmt(header[0])}.",
                     "Separate the values with commas (or semicolons or tabs), one "
                     "column per field, as Excel does when it saves CSV.", tname)
            return None
        wanted = set(table.column_names)
        mapping: dict[str, str] = {}
        first_pos: dict[str, int] = {}
        unknown: list[str] = []
        for pos, (col, raw_name) in enumerate(zip(df.columns, header)):
            key = _norm(raw_name)
            if key in wanted:
                if key in first_pos:
                    self.add(label, key, [1], f"The column {key} appears twice in the "
                             f"header (columns {first_pos[key] + 1} and {pos + 1}: "
                             f"{_fmt(header[first_pos[key]])} and {_fmt(raw_name)}).",
                             "Keep one of them and delete or rename the other.", tname)
                    continue
                first_pos[key] = pos
                mapping[col] = key
                if raw_name != key:
                    self.note(f"{label}: column {_fmt(raw_name)} read as {key}.")
            elif key == "" or raw_name.startswith("Unnamed:"):
                if df[col].notna().any():
                    self.note(f"{label}: a column without a name (column {pos + 1}) was "
                              "ignored.")
            else:
                unknown.append(raw_name)
        out = df[list(mapping)].rename(columns=mapping)
        unknown_keys = {_norm(u): u for u in unknown}
        missing_required, missing_optional = [], []
        for col in table.columns:
            if col.name in out.columns:
                continue
            near = difflib.get_close_matches(col.name, list(unknown_keys), n=1, cutoff=0.75)
            guess = unknown_keys.pop(near[0]) if near else None
            if col.required:
                missing_required.append(col.name)
                if guess is not None:
                    self.add(label, col.name, [1], f"The required column {col.name} is "
                             f"missing; there is a column {_fmt(guess)}. Did you mean "
                             f"{col.name}?",
                             f"Rename the column {_fmt(guess)} to {col.name}.", tname)
                else:
                    have = ", ".join(header[:15]) + (" ..." if len(header) > 15 else "")
                    first = len(missing_required) == 1
                    self.add(label, col.name, [1], f"The required column {col.name} is "
                             f"missing ({col.meaning.rstrip('.')}).",
                             f"Add a column named {col.name}."
                             + (f" The file's columns are: {have}." if first else ""),
                             tname)
            else:
                missing_optional.append(col.name)
                if guess is not None:
                    self.note(f"{label}: column {_fmt(guess)} was ignored; did you mean "
                              f"{col.name}? Rename it to use it (until then {col.name} "
                              f"takes its default{_default_text(col)}).")
        if missing_optional:
            names = [c for c in missing_optional
                     if not any(f"did you mean {c}?" in n for n in self.notes)]
            if names:
                self.note(f"{label}: optional columns not given, filled with defaults: "
                          f"{', '.join(names)}.")
        if unknown_keys:
            self.note(f"{label}: columns not used by the playbook were ignored: "
                      + ", ".join(_fmt(u) for u in unknown_keys.values()) + ".")
        self.missing_cols[tname] = set(missing_required)
        return out
