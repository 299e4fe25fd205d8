"""Validating the values read: cells by the schema (readable, within bounds, on the
list, not empty), keys, references between tables, dates; and the summary of what
was found."""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from kamlib import schema
from kamlib.data import derive
from kamlib.data.headers import carried_columns
from kamlib.data.parse import (_EARLIEST, _LATEST, _as_text, _category_key, _default_series,
                               _frame, _is_arrow_string, _parse_column, _typed,
                               coerce_table, number_style, text_cells)
from kamlib.data.problems import (SHOW_VALUES, _ROW_WORDS, DataSummary, _default_text, _fmt,
                                  _Input, _plural, _values_text, _was)

def _isin(values: pd.Series, known: pd.Series) -> np.ndarray:
    """Vectorised membership (pyarrow's is_in when both are Arrow strings)."""
    if _is_arrow_string(values) and _is_arrow_string(known):
        import pyarrow as pa
        import pyarrow.compute as pc

        va = pa.array(values.array)
        ka = pa.array(known.dropna().array)
        if va.type != ka.type:
            ka = ka.cast(va.type)
        return np.asarray(pc.is_in(va, value_set=ka).to_numpy(zero_copy_only=False),
                          dtype=bool)
    return values.isin(known.dropna()).to_numpy(dtype=bool, na_value=False)


def _runs_sorted(s: pd.Series) -> np.ndarray | None:
    """Group numbers for a column whose equal values are contiguous (sorted as text, or
    as ids of growing length: SO9, SO10), else None. O(n) without hashing."""
    n = len(s)
    if n < 2:
        return np.zeros(n, dtype=np.int64)
    if _is_arrow_string(s):
        import pyarrow as pa
        import pyarrow.compute as pc

        a = pa.array(s.array)
        if a.null_count:
            return None
        x, y = a.slice(0, n - 1), a.slice(1)
        eq = pc.equal(x, y).to_numpy(zero_copy_only=False)
        le = pc.less_equal(x, y).to_numpy(zero_copy_only=False)
        if not le.all():
            lx, ly = pc.utf8_length(x).to_numpy(), pc.utf8_length(y).to_numpy()
            natural = (lx < ly) | ((lx == ly) & le)
            if not natural.all():
                return None
    elif pd.api.types.is_numeric_dtype(s.dtype) and not s.isna().any():
        a = s.to_numpy()
        eq = a[:-1] == a[1:]
        if not (a[:-1] <= a[1:]).all():
            return None
    else:
        return None
    return np.concatenate([[0], np.cumsum(~np.asarray(eq, dtype=bool))]).astype(np.int64)


def _n_distinct(s: pd.Series) -> int:
    """Number of distinct non-empty values (adjacent comparisons when sorted)."""
    runs = _runs_sorted(s)
    if runs is not None:
        return int(runs[-1] + 1) if len(runs) else 0
    return int(s.nunique())


def _duplicated(df: pd.DataFrame, key: list[str]) -> np.ndarray:
    """Rows whose key occurs more than once (all of them, like ``keep=False``).

    Fast path for exports sorted by their first key column (the usual case): integer
    group numbers from adjacent comparisons instead of hashing millions of strings."""
    groups = _runs_sorted(df[key[0]])
    if groups is None:
        groups = pd.factorize(df[key[0]])[0].astype(np.int64)
    codes = groups
    for k in key[1:]:
        s = df[k]
        if pd.api.types.is_integer_dtype(s.dtype) and not s.isna().any():
            v = s.to_numpy(dtype=np.int64)
        else:
            v = pd.factorize(s)[0].astype(np.int64)
        lo = v.min() if len(v) else 0
        span = int(v.max() - lo + 1) if len(v) else 1
        if span > 0 and int(codes.max(initial=0)) < (2**62) // max(span, 1):
            codes = codes * span + (v - lo)
        else:
            codes = pd.factorize(pd.MultiIndex.from_arrays([codes, v]))[0].astype(np.int64)
    if len(codes) < 2 or (np.diff(codes) > 0).all():
        return np.zeros(len(codes), dtype=bool)
    return pd.Series(codes).duplicated(keep=False).to_numpy()


def _empty_fix(col: schema.Column, words: tuple[str, str]) -> str:
    if col.kind == "id" and col.name.endswith("_id"):
        return (f"Every {words[0]} needs a {col.name}. Fill in the missing values, or "
                "remove the rows if they are not real data (subtotals, notes).")
    return (f"Fill in {col.name} on these rows ({col.meaning.rstrip('.').lower()}), or "
            "remove the rows.")


_BOUNDS_FIX = {
    "quantity_kg": "Quantities must be 0 or more; returns belong in a separate credit "
    "note, not as negative order lines.",
    "delivered_kg": "Delivered quantities must be 0 or more; returns belong in a separate "
    "credit note, not as negative order lines.",
    "rebate_paid": "Rebates paid must be 0 or more; a rebate taken back belongs in the "
    "year it was earned, as a lower amount.",
    "effort_minutes": "Effort is time spent: 0 minutes or more.",
    "days_to_resolve": "Days to resolve count from receipt to closure: 0 or more; leave "
    "the cell empty while the complaint is open.",
    "estimated_annual_use_kg": "The customer's total use is 0 kg or more; leave the cell "
    "empty when unknown.",
    "order_line": "Number the lines of each order from 1.",
    "year": "Write the calendar year with four digits, e.g. 2025.",
    "purity_pct": "Purity is a percentage from 0 to 100 (99.5, not 0.995).",
}


def _bounds_fix(col: schema.Column) -> str:
    if col.name in _BOUNDS_FIX:
        return _BOUNDS_FIX[col.name]
    if col.kind == "score":
        return ("Scores are whole numbers from 1 (lowest) to 5 (highest); leave the cell "
                "empty when not assessed.")
    if "price" in col.name or "cost" in col.name:
        return ("Prices and costs must be 0 or more; a reduction shows as a net price "
                "below the list price, and credits are not order lines.")
    lo = "" if col.minimum is None else f"at least {_fmt(col.minimum)}"
    hi = "" if col.maximum is None else f"at most {_fmt(col.maximum)}"
    return f"{col.name} must be {' and '.join(x for x in (lo, hi) if x)}."


def _duplicate_fix(name: str, key: list[str]) -> str:
    if name == "orders":
        return ("Each order line must appear once: remove rows repeated by the export, or "
                "give the lines of one order different order_line numbers.")
    if len(key) == 2 and key[1] == "year":
        return f"Keep one {name} row per customer and year: merge or remove the others."
    what = _ROW_WORDS[name][0]
    return (f"Each {what} must appear once: merge the repeated rows, or give different "
            f"{what}s different {key[0]}s.")


class _Checks:
    """Checker steps: values, keys, references, dates; the summary."""

    def _values(self, inp: _Input, df: pd.DataFrame, decimal_comma: bool) -> pd.DataFrame:
        table, tname = inp.table, inp.table.name
        words = _ROW_WORDS[tname]
        out: dict[str, pd.Series] = {}
        carried = carried_columns(tname)
        styles = self._number_styles(inp, df, decimal_comma)
        for col in table.columns:
            name = col.name
            if name not in df.columns and (name in carried or col.alternative_to):
                continue  # added by the derive step when it can be derived
            if name not in df.columns:
                if name == "order_line" and tname == "orders" and "order_id" in df.columns \
                        and len(df):
                    ids = _as_text(df["order_id"])
                    out[name] = (ids.groupby(ids, dropna=False, sort=False).cumcount()
                                 + 1).astype("Int64")
                    self.note(f"{inp.label}: no order_line column; the lines of each order "
                              "were numbered 1, 2, 3... in file order.")
                else:
                    out[name] = _default_series(col, df.index)
                continue
            vals, bad, empty, info = _parse_column(df[name], col, decimal_comma,
                                                   styles.get(name))
            bad_np = bad.to_numpy(dtype=bool)
            empty_np = empty.to_numpy(dtype=bool)
            if bad_np.any():
                self._bad_values(inp, df, col, bad_np, info)
            if col.kind in ("int", "score") and info.get("fraction") is not None:
                frac = info["fraction"].to_numpy(dtype=bool)
                if frac.any():
                    what = "a score" if col.kind == "score" else "a whole number"
                    self.add_rows(inp, name, df, frac,
                                  f"{name} is not {what} "
                                  f"({_values_text(vals[frac])}).",
                                  "Write whole numbers"
                                  + (" from 1 to 5." if col.kind == "score" else "."))
                    vals = vals.where(~frac)
            if empty_np.any() and not col.nullable:
                if col.default is not None:
                    fill = _default_series(col, df.index)
                    vals = vals.where(~empty_np, fill) if col.kind != "bool" else \
                        vals.where(~empty_np, bool(col.default))
                    k = int(empty_np.sum())
                    self.note(f"{inp.label}: {_plural(k, 'empty cell')} in {name} {_was(k)} "
                              f"read as its default{_default_text(col)}.")
                else:
                    self.add_rows(inp, name, df, empty_np, f"{name} is empty.",
                                  _empty_fix(col, words))
            if info.get("formats"):
                self.note(f"{inp.label}: {name} has dates written as "
                          f"{' and '.join(info['formats'])}; read "
                          + ("day first." if any(f.startswith("DD") for f in info["formats"])
                             else "accordingly.")
                          + " YYYY-MM-DD avoids any doubt.")
            if info.get("reformatted"):
                k = info["reformatted"]
                self.note(f"{inp.label}: {_plural(k, 'number')} in {name} written with "
                          f"thousands separators or a decimal comma {_was(k)} read as "
                          f"{'a number' if k == 1 else 'numbers'}.")
            if info.get("renamed"):
                k = info["renamed"]
                self.note(f"{inp.label}: {_plural(k, 'value')} in {name} written "
                          f"differently from the list (case, spaces) {_was(k)} read as "
                          "the listed value.")
            ok = ~bad_np & ~empty_np
            self._bounds(inp, df, col, vals, ok)
            if col.kind == "date":
                a = vals.to_numpy()
                odd = ok & ((a < _EARLIEST.to_datetime64()) | (a > _LATEST.to_datetime64()))
                if odd.any():
                    self.add_rows(inp, name, df, odd,
                                  f"{name} lies outside the years 1900-2100 "
                                  f"({_values_text(vals[odd])}).",
                                  "Check the year for a typo (2204 for 2024?).")
                    vals = vals.where(~odd)
            out[name] = _typed(vals, col)
        return _frame(out, df.index)

    def _number_styles(self, inp: _Input, df: pd.DataFrame, decimal_comma: bool
                       ) -> dict[str, str]:
        """How each number column of a text file writes its numbers, decided from all
        its values (never cell by cell); a column whose values read either way
        (``2.000``) follows the other columns of the file, else the separator (``;``:
        decimal comma). A column mixing both ways is a problem."""
        found: dict[str, tuple[str, list[str]]] = {}
        texts: dict[str, np.ndarray] = {}
        for col in inp.table.columns:
            if col.kind not in ("float", "int", "score") or col.name not in df.columns:
                continue
            s = df[col.name]
            # typed cells (Parquet, Excel numbers) need no decision; text cells do, also
            # in a spreadsheet column mixing real numbers and numbers typed as text
            txt = text_cells(s)
            if not txt.any():
                continue
            texts[col.name] = txt
            found[col.name] = number_style(s[txt])
        decided = {st for st, _ in found.values() if st in ("comma", "point")}
        file_style = decided.pop() if len(decided) == 1 else None
        out: dict[str, str] = {}
        for name, (st, ex) in found.items():
            if st == "mixed":
                self.add(inp.label, name, [1], f"{name} mixes decimal commas and decimal "
                         f"points ({_fmt(ex[0])} and {_fmt(ex[1])}): its numbers cannot "
                         "be read without guessing.",
                         "Write every number of the column the same way (all 1234,5 or "
                         "all 1234.5), e.g. by exporting again with one regional "
                         "setting.", inp.table.name)
                self.missing_cols.setdefault(inp.table.name, set()).add(name)
                out[name] = "point"
            elif st in ("comma", "point"):
                out[name] = st
            elif st == "ambiguous" and inp.kind == "excel" and not file_style:
                # a workbook has no separator to tell the regional setting: ask
                amb = texts[name] & _as_text(df[name]).str.replace(
                    r"[\s\u00a0\u202f']", "", regex=True).str.fullmatch(
                    r"[+-]?\d{1,3}[.,]\d{3}").fillna(False).to_numpy(dtype=bool)
                v = ex[0]
                whole = v.replace(",", "").replace(".", "")
                frac = f"{float(v.replace(',', '.')):g}"
                self.add_rows(inp, name, df, amb, f"{name} has numbers typed as text "
                              f"that read two ways ({v}: {whole} or {frac}?), and no "
                              "other column of the sheet tells which.",
                              "Format the column as Number in Excel (or retype the cells "
                              "as numbers), or write them with the decimals "
                              "(2.000,00 or 2,000.00).")
                self.missing_cols.setdefault(inp.table.name, set()).add(name)
                out[name] = "point"
            elif st == "ambiguous":
                st2 = file_style or ("comma" if decimal_comma else "point")
                out[name] = st2
                why = ("the file's other columns write decimal "
                       + ("commas" if st2 == "comma" else "points")) if file_style else (
                    "the file is separated by semicolons, as European Excel writes it"
                    if decimal_comma else "the file is separated by commas")
                v = ex[0]
                read = (v.replace(".", "").replace(",", ".") if st2 == "comma"
                        else v.replace(",", ""))
                self.note(f"{inp.label}: {name} has numbers such as {_fmt(v)} that "
                          f"could be read two ways; read {_fmt(v)} as {read} because "
                          f"{why}.")
        return out

    def _bad_values(self, inp: _Input, df: pd.DataFrame, col: schema.Column,
                    bad: np.ndarray, info: dict) -> None:
        name = col.name
        raw_vals = df[name][bad]
        shown = _values_text(_as_text(raw_vals) if raw_vals.dtype != object else raw_vals)
        if col.kind in ("float", "int", "score"):
            hint = ""
            text = _as_text(raw_vals).dropna()
            if text.str.contains(",", regex=False).any():
                hint = (" A comma is not read as a decimal point in a comma-separated "
                        "file: write 9.80, not 9,80 (or use ; as the separator).")
            self.add_rows(inp, name, df, bad,
                          f"{name} is not a number ({shown}).",
                          "Write plain numbers: digits with a point as decimal separator, "
                          "no units, currency signs or words (1250.5, not '1 250,5 kg')."
                          + hint)
        elif col.kind == "date":
            hint = (" Numbers like 45000 are Excel date serials shown as numbers: format "
                    "the column as Date in Excel before exporting." if info.get("numbers")
                    else "")
            self.add_rows(inp, name, df, bad,
                          f"{name} is not a date that can be read ({shown}).",
                          "Write dates as YYYY-MM-DD (2024-05-13); check for impossible "
                          "dates such as 2024-02-30." + hint)
        elif col.kind == "bool":
            self.add_rows(inp, name, df, bad,
                          f"{name} must be yes or no ({shown}).",
                          "Write yes or no (true/false and 1/0 are understood too).")
        elif col.kind == "category":
            uniq = pd.unique(_as_text(raw_vals).to_numpy(dtype=object))
            parts = []
            for v in uniq[:SHOW_VALUES]:
                near = difflib.get_close_matches(_category_key(v),
                                                 [_category_key(a) for a in col.allowed],
                                                 n=1, cutoff=0.6)
                if near:
                    match = next(a for a in col.allowed if _category_key(a) == near[0])
                    parts.append(f"{_fmt(v)} (did you mean '{match}'?)")
                else:
                    parts.append(_fmt(v))
            if len(uniq) > SHOW_VALUES:
                parts.append(f"and {len(uniq) - SHOW_VALUES} other values")
            self.add_rows(inp, name, df, bad,
                          f"{name} has values that are not on its list: "
                          f"{', '.join(parts)}.",
                          f"Use one of: {', '.join(col.allowed)}.")

    def _bounds(self, inp: _Input, df: pd.DataFrame, col: schema.Column, vals: pd.Series,
                ok: np.ndarray) -> None:
        if col.kind not in ("float", "int", "score") or (col.minimum is None
                                                          and col.maximum is None):
            return
        a = vals.to_numpy(dtype="float64", na_value=np.nan)
        low = ok & (a < col.minimum) if col.minimum is not None else np.zeros(len(a), bool)
        high = ok & (a > col.maximum) if col.maximum is not None else np.zeros(len(a), bool)
        name = col.name
        if col.kind == "score" or (col.minimum is not None and col.maximum is not None
                                   and (low | high).any()):
            both = low | high
            if both.any():
                self.add_rows(inp, name, df, both,
                              f"{name} is outside {_fmt(col.minimum)}-{_fmt(col.maximum)} "
                              f"({_values_text(vals[both])}).", _bounds_fix(col))
            return
        if low.any():
            what = "negative" if col.minimum == 0 else f"below {_fmt(col.minimum)}"
            self.add_rows(inp, name, df, low, f"{name} is {what} ({_values_text(vals[low])}).",
                          _bounds_fix(col))
        if high.any():
            self.add_rows(inp, name, df, high,
                          f"{name} is above {_fmt(col.maximum)} ({_values_text(vals[high])}).",
                          _bounds_fix(col))

    def _keys(self) -> None:
        for name, df in self.frames.items():
            table = schema.TABLES[name]
            key = list(table.key)
            if any(k in self.missing_cols.get(name, ()) for k in key) or not len(df):
                continue
            complete = np.ones(len(df), dtype=bool)
            for k in key:
                complete &= df[k].notna().to_numpy(dtype=bool)
            dup = _duplicated(df, key) & complete
            if not dup.any():
                continue
            inp = self.inputs[name]
            sub = df.loc[dup, key]
            firsts = sub.drop_duplicates().head(3)
            examples = []
            for _, r in firsts.iterrows():  # at most 3 examples
                m = np.ones(len(sub), dtype=bool)
                for k in key:
                    m &= (sub[k] == r[k]).to_numpy(dtype=bool, na_value=False)
                rows = sub.index.to_numpy()[m] + 2
                what = " ".join(f"{_fmt(r[k]) if k.endswith('_id') else k + ' ' + _fmt(r[k])}"
                                for k in key)
                examples.append(f"{what} (rows {', '.join(str(x) for x in rows[:5])})")
            n_keys = len(sub.drop_duplicates())
            more = f" and {n_keys - 3:,} more" if n_keys > 3 else ""
            self.add_rows(inp, key[0] if len(key) == 1 else ", ".join(key), df, dup,
                          f"The same {' and '.join(key)} appears on more than one row: "
                          f"{'; '.join(examples)}{more}.", _duplicate_fix(name, key))

    def _references(self) -> None:
        for name, df in self.frames.items():
            table = schema.TABLES[name]
            for col, target in table.references.items():
                if col in self.missing_cols.get(name, ()) or not len(df):
                    continue
                if col not in self.given.get(name, {col}):
                    continue  # not given (product_id of a minimal export)
                if target not in self.frames:
                    if target not in self.inputs and not schema.TABLES[target].required:
                        self.note(f"{self.inputs[name].label}: {col} not checked against "
                                  f"{target} (no {target} table).")
                    continue
                tdf = self.frames[target]
                if col in self.missing_cols.get(target, ()):
                    continue
                if not len(tdf) and not schema.TABLES[target].required:
                    continue  # an optional table given empty: "not checked" was noted
                known = tdf[col]
                vals = df[col]
                present = vals.notna().to_numpy(dtype=bool)
                unknown = present & ~_isin(vals, known)
                if not unknown.any():
                    continue
                inp = self.inputs[name]
                tlabel = self.inputs[target].label
                n_ids = int(pd.unique(vals[unknown].to_numpy(dtype=object)).size)
                words = _ROW_WORDS[name]
                self.add_rows(
                    inp, col, df, unknown,
                    f"{_plural(int(unknown.sum()), words[0], words[1])} "
                    f"{'refers' if int(unknown.sum()) == 1 else 'refer'} to "
                    f"{'a ' + col if n_ids == 1 else _plural(n_ids, col)} not in "
                    f"{tlabel}: {_values_text(vals[unknown])}.",
                    f"Add the missing {target} to {tlabel}, or correct the ids (look "
                    "for typos, extra spaces, or leading zeros lost in Excel).")

    def _dates(self) -> None:
        o = self.frames.get("orders")
        if o is None or not len(o):
            return
        inp = self.inputs["orders"]
        od = o["order_date"]
        for col, fix in (
            ("actual_delivery_date", "Goods cannot arrive before they were ordered: check "
             "both dates (a swapped day and month, 05/01 for 01/05, is a common cause)."),
            ("promised_delivery_date", "A delivery cannot be promised for a day before the "
             "order: check both dates (a swapped day and month is a common cause)."),
        ):
            if col in self.missing_cols.get("orders", ()):
                continue
            d = o[col]
            before = (d < od).to_numpy(dtype=bool, na_value=False)
            if before.any():
                ex = o.loc[before, [col, "order_date"]].head(3)
                shown = "; ".join(f"{a:%Y-%m-%d} before {b:%Y-%m-%d}"
                                  for a, b in zip(ex[col], ex["order_date"]))
                verb = "delivered" if col.startswith("actual") else "promised"
                self.add_rows(inp, col, o, before,
                              f"{col} is before order_date ({verb} {shown}"
                              + (" ..." if before.sum() > 3 else "") + ").", fix)

    # -- completing the orders, deriving tables, plausibility

    def _value_rule(self) -> bool:
        """Every order line needs its value: a net amount, or a quantity and a net
        price per unit."""
        g = self.given.get("orders", set())
        has_qty = "quantity_kg" in g or "delivered_kg" in g
        if "net_amount" in g or ("net_price_per_kg" in g and has_qty):
            return True
        if "net_amount" in self.missing_cols.get("orders", ()):
            return False  # ambiguous headers: already a problem
        inp = self.inputs["orders"]
        why = ("there is a net price per unit but no quantity to multiply it with"
               if "net_price_per_kg" in g else "no column gives the value of each line")
        self.add(inp.label, "net_amount", [1], f"The order lines have no value: {why}.",
                 "Add the line's net amount (a column such as 'Net value', 'Net amount', "
                 "'Revenue' or 'Amount'), or a quantity with a net price per unit "
                 "('Quantity' and 'Net price'); or name the export's column in the "
                 "settings file: [columns] net_amount = \"its header\".", "orders")
        return False

    def _derive(self) -> None:
        o = self.frames.get("orders")
        if o is None:
            return
        inp = self.inputs["orders"]
        required = {c.name for c in schema.ORDERS.columns if c.required}
        if required & self.missing_cols.get("orders", set()) or not self._value_rule():
            self.frames.pop("orders")  # nothing sensible can be derived
            return
        self.source_given = {k: set(v) for k, v in self.given.items()}
        given = set(self.given.get("orders", set()))
        o, notes, known = derive.complete_orders(o, given)
        for n in notes:
            self.note(f"{inp.label}: {n.split(': ', 1)[1]}")
        self.given["orders"] = known
        for tname, key in (("customers", "customer_id"), ("products", "product_id")):
            cols = [c for c in schema.CARRIED[tname] if c in given]
            if tname in self.inputs:
                if cols:
                    self.note(f"{inp.label}: the {tname} attributes on the order lines "
                              f"({', '.join(cols)}) were ignored: the {tname} table "
                              f"{self.inputs[tname].label} is used.")
                continue
            if tname == "products" and (key not in given or not cols):
                continue
            table, conflicts = derive.derive_table(o, key, cols)
            self.frames[tname] = coerce_table(table, schema.TABLES[tname])
            self.inputs[tname] = _Input(schema.TABLES[tname],
                                        f"{tname} (derived from {inp.label})", "derived",
                                        inp.path)
            self.given[tname] = {key, *cols}
            self.notes[:] = [n for n in self.notes if not n.startswith(f"No {tname} table (optional)")]
            self.note(f"No {tname} table: {_plural(len(table), tname[:-1], tname)} "
                      f"derived from the order lines of {inp.label}"
                      + (f", with {', '.join(cols)}" if cols else "")
                      + (" (the value on the latest order where lines differ)."
                         if cols else "."))
            for col, counts in conflicts.items():
                ids = list(counts.index[:3])
                shown = []
                for cid in ids:  # at most three examples
                    vals = o.loc[o[key] == cid, col].dropna().astype(str)
                    vals = [v for v in pd.unique(vals.to_numpy()) if v.strip()]
                    shown.append(f"{cid}: " + ", ".join(_fmt(v) for v in vals[:3]))
                more = f" and {len(counts) - 3:,} more" if len(counts) > 3 else ""
                self.note(f"{inp.label}: {_plural(len(counts), tname[:-1], tname)} "
                          f"{'has' if len(counts) == 1 else 'have'} different {col} "
                          f"values on different lines ({'; '.join(shown)}{more}); the "
                          f"value on the latest order is used. Check that one "
                          f"{key} is not used for two {tname}.")
        self.frames["orders"] = o.drop(columns=[c for c in carried_columns("orders")
                                                if c in o.columns])
        c = self.frames.get("customers")
        if c is not None and len(c):
            noname = c["customer_name"].isna() | (c["customer_name"].str.strip() == "")
            noname = noname.to_numpy(dtype=bool, na_value=True)
            if noname.any():
                c["customer_name"] = c["customer_name"].mask(noname, c["customer_id"])
                if "customer_name" not in self.given.get("customers", set()):
                    self.note("No customer names: the customer id is used as the name.")
                else:
                    self.note(f"{self.inputs['customers'].label}: "
                              f"{_plural(int(noname.sum()), 'customer')} without a name: "
                              "the customer id is used as the name.")
        self._unsafe_ids()

    def _unsafe_ids(self) -> None:
        """A note for customer ids that hold path or control characters."""
        for tname in ("customers", "orders"):
            df = self.frames.get(tname)
            if df is None or not len(df):
                continue
            ids = pd.Series(pd.unique(df["customer_id"].dropna().to_numpy(dtype=object)),
                            dtype="string")
            bad = ids.str.contains(r"[/\\\x00-\x1f\x7f]|\.\.", regex=True)
            bad = bad.fillna(False).to_numpy(dtype=bool)
            if bad.any():
                self.note(f"{self.inputs[tname].label}: "
                          f"{_plural(int(bad.sum()), 'customer id')} "
                          f"{'holds' if bad.sum() == 1 else 'hold'} characters that "
                          "could make a file path (/, \\, ..) or control characters "
                          f"({_values_text(ids[bad].map(repr).str.strip(chr(39)))}): "
                          "file names made from them are made safe, but better give "
                          "such customers plain ids in the export.")
            return

    def _plausibility(self) -> None:
        """Notes (not problems) for values that are possible but unlikely."""
        o = self.frames.get("orders")
        if o is None or not len(o):
            return
        inp = self.inputs["orders"]
        try:
            exported = pd.Timestamp(inp.path.stat().st_mtime, unit="s").normalize()
        except (OSError, ValueError):
            exported = None
        if exported is not None:
            late = (o["order_date"] > exported).to_numpy(dtype=bool, na_value=False)
            if late.any():
                rows = o.index.to_numpy()[late] + 2
                self.note(f"{inp.label}: {_plural(int(late.sum()), 'order line')} "
                          f"{'is' if late.sum() == 1 else 'are'} dated after the file "
                          f"was written ({exported:%Y-%m-%d}): "
                          f"{_values_text(o.loc[late, 'order_date'])} (rows "
                          f"{', '.join(str(r) for r in rows[:5])}). Check the dates "
                          "(a year typo?); planned orders do not belong in a sales "
                          "export.")
        g = self.given.get("orders", set())
        if {"quantity_kg", "delivered_kg"} <= self.source_given.get("orders", set()):
            q = o["quantity_kg"].to_numpy(dtype="float64", na_value=np.nan)
            d = o["delivered_kg"].to_numpy(dtype="float64", na_value=np.nan)
            with np.errstate(all="ignore"):
                far = (d > 1.5 * q) & (d > q + 1)
            if far.any():
                rows = o.index.to_numpy()[far] + 2
                self.note(f"{inp.label}: {_plural(int(far.sum()), 'order line')} "
                          f"delivered more than 1.5 times the quantity ordered (rows "
                          f"{', '.join(str(r) for r in rows[:5])}). Check the units "
                          "of the two columns (kg and tonnes?).")
        del g
        a = self.frames.get("assessments")
        if a is not None and len(a):
            ainp = self.inputs["assessments"]
            if exported is not None:
                fut = (a["year"] > exported.year).to_numpy(dtype=bool, na_value=False)
                if fut.any():
                    self.add_rows_note(ainp, a, fut,
                                       f"{_plural(int(fut.sum()), 'assessment')} "
                                       f"{'is' if fut.sum() == 1 else 'are'} for a year "
                                       f"after the file was written ({exported.year}).",
                                       "Check the year.")
            if "delivered_kg" in self.given.get("orders", set()):
                when = o["order_date"]  # the year of the sale, as share of wallet counts
                if "actual_delivery_date" in o.columns:  # it (schema.SALES_CONVENTION)
                    when = o["actual_delivery_date"].where(
                        o["actual_delivery_date"].notna(), when)
                sold = o.groupby(["customer_id", when.dt.year.rename("year")],
                                 observed=True)["delivered_kg"].sum().rename("sold")
                m = a[["customer_id", "year", "estimated_annual_use_kg"]].copy()
                m["year"] = m["year"].astype("float64")
                s = sold.reset_index()
                s["year"] = s["year"].astype("float64")
                m = m.merge(s, on=["customer_id", "year"], how="left")
                low = (m["estimated_annual_use_kg"] < m["sold"] * 0.999).to_numpy(
                    dtype=bool, na_value=False)
                if low.any():
                    self.add_rows_note(ainp, a, low,
                                       f"{_plural(int(low.sum()), 'assessment')} "
                                       "estimate the customer's annual use below what "
                                       "we sold to it that year.",
                                       "Share of wallet would be above 100 % "
                                       "there: check the estimates.")

    def add_rows_note(self, inp, frame: pd.DataFrame, mask: np.ndarray, text: str,
                      advice: str) -> None:
        rows = frame.index.to_numpy()[mask] + 2
        self.note(f"{inp.label}: {text.rstrip('.')} (rows "
                  f"{', '.join(str(r) for r in rows[:5])}"
                  + (f" and {len(rows) - 5:,} more" if len(rows) > 5 else "")
                  + f"). {advice}")

    # -- summary

    def summary(self) -> DataSummary:
        files = {n: self.inputs[n].label for n in self.frames}
        rows = {n: int(len(df)) for n, df in self.frames.items()}
        kw: dict = {}
        c = self.frames.get("customers")
        if c is not None:
            kw["customers"] = int(c["customer_id"].nunique())
        p = self.frames.get("products")
        if p is not None:
            kw["products"] = int(p["product_id"].nunique())
        o = self.frames.get("orders")
        if o is not None and len(o):
            kw["order_lines"] = int(len(o))
            kw["orders"] = _n_distinct(o["order_id"])
            kw["customers_with_orders"] = int(o["customer_id"].nunique())
            od = o["order_date"]
            if od.notna().any():
                kw["first_order_date"] = od.min()
                kw["last_order_date"] = od.max()
            rev = o["net_amount"] if "net_amount" in o.columns else (
                o["delivered_kg"] * o["net_price_per_kg"])
            rev = rev.fillna(0.0)
            kw["revenue"] = float(rev.sum())
            kw["volume_kg"] = float(o["delivered_kg"].fillna(0.0).sum())
            # by year as the chapters count sales (schema.SALES_CONVENTION): at the
            # delivery date; a line delivered without a date at its order date; a line
            # not delivered yet in no year (the open order book, said apart)
            when = od
            if {"promised_delivery_date", "actual_delivery_date"} <= \
                    self.given.get("orders", set()):
                kw["sales_by"] = "delivery"
                shipped = o["delivered_kg"].to_numpy(dtype="float64", na_value=np.nan) > 0
                ad = o["actual_delivery_date"]
                when = ad.where(ad.notna(), od.where(shipped))
                qty = o["quantity_kg"].to_numpy(dtype="float64", na_value=np.nan)
                is_open = (when.isna() & od.notna()).to_numpy() & (qty > 0)
                kw["open_lines"] = int(is_open.sum())
                if "net_price_per_kg" in o.columns:
                    kw["open_value"] = float(np.nansum(
                        qty[is_open] * o["net_price_per_kg"].to_numpy(
                            dtype="float64", na_value=np.nan)[is_open]))
            if when.notna().any():
                by = rev.groupby(when.dt.year).sum()
                kw["revenue_by_year"] = {int(y): float(v) for y, v in by.items()}
        r = self.frames.get("rebates")
        if r is not None:
            kw["rebates_paid"] = float(r["rebate_paid"].fillna(0.0).sum())
        if o is not None and len(o):
            kw["available"] = derive.capabilities(self.available_given())
            if "quantities" not in kw["available"]:
                kw["volume_kg"] = 0.0
        return DataSummary(source=self.source, kind=self.kind, files=files, rows=rows,
                           notes=tuple(self.notes), **kw)
