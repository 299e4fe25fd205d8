"""Reading cell values by the schema's column kinds: text, categories, dates, numbers,
yes/no; and giving a table the schema's column types (:func:`coerce_table`).

Each parser takes a column as read (text from CSV; typed values from Parquet/Excel)
and returns the typed values with the masks of unreadable and empty cells. All
vectorised."""

from __future__ import annotations

import datetime as _dt
import re

import numpy as np
import pandas as pd

from kamlib import schema

# The datetime64 unit pandas gives dates parsed from text (us on pandas 3, ns on 2.x):
# every date column is given this unit, so that tables can be compared and merged.
_DATE_DTYPE = pd.to_datetime(pd.Series(["2024-01-01"])).dtype
_EARLIEST, _LATEST = pd.Timestamp("1900-01-01"), pd.Timestamp("2100-12-31")


def _is_arrow_string(s: pd.Series) -> bool:
    dt = s.dtype
    return isinstance(dt, pd.StringDtype) and getattr(dt, "storage", "") == "pyarrow"


# ----------------------------------------------------------------- value parsing
#
# Each parser takes a column as read (text from CSV; typed values from Parquet/Excel)
# and returns (values, bad, empty): the typed values, the mask of cells that are not
# empty but cannot be read, and the mask of empty cells. All vectorised.

_NULL_TOKENS = frozenset(
    {"null", "none", "nan", "n/a", "na", "#n/a", "-", "--", "nat", "<na>", "#null!"}
)
_TRUE = frozenset({"yes", "y", "true", "1", "1.0", "ja", "j", "oui", "si", "sí", "x",
                   "wahr", "t"})
_FALSE = frozenset({"no", "n", "false", "0", "0.0", "nein", "non", "falsch", "f"})


def _as_text(s: pd.Series) -> pd.Series:
    """Any column as stripped text (``string`` dtype), empty cells as <NA>.

    Whole numbers read as floats (ids from Excel: 42.0) come back as ``"42"``."""
    dt = s.dtype
    if pd.api.types.is_bool_dtype(dt):
        out = pd.Series(np.where(s.to_numpy(dtype=bool, na_value=False), "yes", "no"),
                        index=s.index, dtype="string").mask(s.isna())
    elif pd.api.types.is_float_dtype(dt):
        a = s.to_numpy(dtype="float64", na_value=np.nan)
        whole = np.zeros(len(a), dtype=bool)
        fin = np.isfinite(a)
        whole[fin] = (a[fin] == np.round(a[fin])) & (np.abs(a[fin]) < 2**53)
        out = s.astype("string")
        if whole.any():
            out[whole] = pd.Series(a[whole].astype(np.int64), dtype="string").to_numpy()
    elif pd.api.types.is_integer_dtype(dt):
        out = s.astype("string")
    elif pd.api.types.is_datetime64_any_dtype(dt):
        out = s.dt.strftime("%Y-%m-%d").astype("string")
    elif isinstance(dt, pd.StringDtype) or (
        dt == object and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")
    ):
        out = s.astype("string")
    else:  # mixed Python objects (Excel), categoricals...
        out = s.astype(object).map(_id_text, na_action="ignore").astype("string")
    out = out.str.strip()
    return out.mask(out == "")


def _id_text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (pd.Timestamp, _dt.datetime)):
        return f"{v:%Y-%m-%d}" if v == pd.Timestamp(v).normalize() else str(v)
    return str(v).strip()


def _null_tokens(t: pd.Series) -> pd.Series:
    """Cells that say "nothing" in words (NULL, N/A, -): read as empty in number,
    date and yes/no columns."""
    return t.str.lower().isin(list(_NULL_TOKENS)).fillna(False).astype(bool)


def _float_of(t: pd.Series) -> np.ndarray:
    """Text to float64 (NaN where unreadable). Arrow's cast when every cell reads (10x
    faster than ``pd.to_numeric``), else pandas with ``errors="coerce"``."""
    if _is_arrow_string(t):
        import pyarrow as pa
        import pyarrow.compute as pc

        try:
            a = pc.cast(pa.array(t.array), pa.float64())
            return np.asarray(a.to_numpy(zero_copy_only=False), dtype="float64")
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            pass
    return np.asarray(
        pd.to_numeric(t, errors="coerce").to_numpy(dtype="float64", na_value=np.nan),
        dtype="float64",
    )


_SPACES = r"[\s\u00a0\u202f']"
_COMMA_DECIMAL = (r"[+-]?\d{1,3}(?:\.\d{3})+,\d*", r"[+-]?\d*,(?:\d{1,2}|\d{4,})",
                  r"[+-]?\d{1,3}(?:\.\d{3}){2,}")
_POINT_DECIMAL = (r"[+-]?\d{1,3}(?:,\d{3})+\.\d*", r"[+-]?\d*\.(?:\d{1,2}|\d{4,})",
                  r"[+-]?\d{1,3}(?:,\d{3}){2,}", r"[+-]?\d*\.\d*[eE][+-]?\d+")


def number_style(t: pd.Series) -> tuple[str, list[str]]:
    """How a text column writes its numbers, decided from all its (distinct) values.

    Returns (style, examples): ``"comma"`` (decimal comma; ``.``, space or apostrophe
    group thousands: ``1.234,5``, ``9,80``, ``1.234.567``), ``"point"`` (decimal point;
    ``,`` groups thousands: ``1,234.5``, ``9.80``), ``"mixed"`` (both kinds appear:
    examples of each), ``"ambiguous"`` (only values such as ``2.000`` or ``1,500`` that
    read either way) or ``"plain"`` (no separators at all). A value with exactly three
    digits after its only separator is no evidence: it is what makes a column
    ambiguous."""
    u = pd.Series(pd.unique(t.dropna().to_numpy(dtype=object)), dtype="string")
    u = u.str.replace(_SPACES, "", regex=True)
    u = u[u.str.contains(r"[.,]", regex=True).fillna(False).to_numpy(dtype=bool)]
    if not len(u):
        return "plain", []

    def hits(patterns) -> pd.Series:
        m = np.zeros(len(u), dtype=bool)
        for pat in patterns:
            m |= u.str.fullmatch(pat).fillna(False).to_numpy(dtype=bool)
        return u[m]

    comma, point = hits(_COMMA_DECIMAL), hits(_POINT_DECIMAL)
    if len(comma) and len(point):
        return "mixed", [str(comma.iloc[0]), str(point.iloc[0])]
    if len(comma):
        return "comma", [str(comma.iloc[0])]
    if len(point):
        return "point", [str(point.iloc[0])]
    amb = u[u.str.fullmatch(r"[+-]?\d{1,3}[.,]\d{3}").fillna(False).to_numpy(dtype=bool)]
    return ("ambiguous", [str(amb.iloc[0])]) if len(amb) else ("plain", [])


def text_cells(s: pd.Series) -> np.ndarray:
    """Which cells of a column hold text (``str``), as opposed to typed values: a
    spreadsheet column may mix real numbers and numbers typed as text ("1.234,50").
    Everything for a text column; nothing for a typed (numeric, date) column."""
    if isinstance(s.dtype, pd.StringDtype):
        return s.notna().to_numpy(dtype=bool)
    if s.dtype != object:
        return np.zeros(len(s), dtype=bool)
    return s.map(type).to_numpy(dtype=object) == str  # one C-level pass over the cells


def _parse_number_styled(s: pd.Series, style: str):
    """Text numbers read with one style for the whole column (see number_style); in a
    column that also holds typed numbers (a spreadsheet), those are taken as they are
    and only the text cells are read with the style."""
    typed = None
    if s.dtype == object:
        txt = text_cells(s)
        num = ~txt & s.notna().to_numpy(dtype=bool)
        if num.any():
            typed = (num, pd.to_numeric(s.where(num), errors="coerce")
                     .to_numpy(dtype="float64", na_value=np.nan))
            s = s.where(~num)
    t = _as_text(s)
    empty = np.array(t.isna().to_numpy(dtype=bool), dtype=bool)
    nulls = _null_tokens(t.fillna("")).to_numpy(dtype=bool) & ~empty
    empty |= nulls
    c = t.mask(empty).str.replace(_SPACES, "", regex=True)
    seps = c.str.contains(r"[.,]", regex=True).fillna(False).to_numpy(dtype=bool)
    if style == "comma":
        c = c.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        c = c.str.replace(",", "", regex=False)
    vals = np.array(_float_of(c), dtype="float64")
    fail = ~empty & np.isnan(vals)
    bad = fail | np.isinf(vals)
    has_comma = t.str.contains(",", regex=False).fillna(False).to_numpy(dtype=bool)
    fixed = int((seps & ~bad).sum()) if style == "comma" else int((has_comma & ~bad).sum())
    if typed is not None:
        num, tv = typed
        vals[num], empty[num] = tv[num], False
        bad = bad | (num & ~np.isfinite(tv))
    return (pd.Series(vals, index=s.index), pd.Series(bad, index=s.index),
            pd.Series(empty, index=s.index), t, fixed)


def _parse_number(s: pd.Series, decimal_comma: bool = False, style: str | None = None):
    """-> (float64 Series, bad, empty, text, n_reformatted).

    With ``style`` (``"comma"`` or ``"point"``, decided per column by
    :func:`number_style`) every cell is read the same way. Without it (typed tables,
    :func:`coerce_table`): text is read as a plain number first; cells that fail are
    tried again without thousands separators (space, apostrophe; ``,`` before a final
    ``.``) and, when the file uses decimal commas (``decimal_comma``), with ``,`` as
    the decimal point."""
    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype("float64")
    if pd.api.types.is_numeric_dtype(s.dtype):
        vals = pd.Series(s.to_numpy(dtype="float64", na_value=np.nan), index=s.index)
        empty = vals.isna()
        bad = pd.Series(np.isinf(vals.to_numpy()), index=s.index)
        return vals, bad, empty, None, 0
    if style in ("comma", "point"):
        return _parse_number_styled(s, style)
    t = _as_text(s)
    empty = np.array(t.isna().to_numpy(dtype=bool), dtype=bool)  # writable copies
    vals = np.array(_float_of(t), dtype="float64")
    fail = ~empty & np.isnan(vals)
    fixed = 0
    if fail.any():
        sub = t[fail]
        nulls = _null_tokens(sub).to_numpy()
        empty[np.flatnonzero(fail)[nulls]] = True
        sub = sub[~nulls]
        if len(sub):
            c = sub.str.replace(r"[\s\u00a0\u202f']", "", regex=True)
            last_comma = c.str.rfind(",").to_numpy(dtype="int64", na_value=-1)
            last_dot = c.str.rfind(".").to_numpy(dtype="int64", na_value=-1)
            euro = (last_comma > last_dot) & ((last_dot >= 0) | decimal_comma)
            c = c.copy()
            if euro.any():
                c[euro] = (c[euro].str.replace(".", "", regex=False)
                           .str.replace(",", ".", regex=False))
            us = (last_comma >= 0) & (last_comma < last_dot)
            if us.any():
                c[us] = c[us].str.replace(",", "", regex=False)
            v2 = _float_of(c)
            pos = s.index.get_indexer(sub.index)
            vals[pos] = v2
            fixed = int(np.isfinite(v2).sum())
        fail = ~empty & np.isnan(vals)
    bad = fail | np.isinf(vals)
    return (pd.Series(vals, index=s.index), pd.Series(bad, index=s.index),
            pd.Series(empty, index=s.index), t, fixed)


_DATE_FORMATS = (
    # (strptime format, how it is described in a note)
    ("%d.%m.%Y", "DD.MM.YYYY"), ("%d/%m/%Y", "DD/MM/YYYY"), ("%m/%d/%Y", "MM/DD/YYYY"),
    ("%d-%m-%Y", "DD-MM-YYYY"), ("%Y/%m/%d", "YYYY/MM/DD"), ("%Y.%m.%d", "YYYY.MM.DD"),
    ("%d.%m.%y", "DD.MM.YY"), ("%d/%m/%y", "DD/MM/YY"), ("%m/%d/%y", "MM/DD/YY"),
    ("%d.%m.%Y %H:%M", "DD.MM.YYYY hh:mm"), ("%d/%m/%Y %H:%M", "DD/MM/YYYY hh:mm"),
    ("%m/%d/%Y %H:%M", "MM/DD/YYYY hh:mm"), ("%d.%m.%Y %H:%M:%S", "DD.MM.YYYY hh:mm:ss"),
    ("%d/%m/%Y %H:%M:%S", "DD/MM/YYYY hh:mm:ss"), ("%d %b %Y", "DD Mon YYYY"),
    ("%d-%b-%Y", "DD-Mon-YYYY"), ("%d-%b-%y", "DD-Mon-YY"), ("%b %d, %Y", "Mon DD, YYYY"),
    ("%Y%m%d", "YYYYMMDD"),
)


def _to_date_dtype(d: pd.Series) -> pd.Series:
    if getattr(d.dtype, "tz", None) is not None:
        d = d.dt.tz_localize(None)
    if d.dtype != _DATE_DTYPE:
        d = d.astype(_DATE_DTYPE)
    return d


def _parse_date_text(t: pd.Series, empty: np.ndarray):
    """Text to dates: ISO 8601 first, then the common day-first / month-first forms.
    -> (datetime Series, list of format descriptions used)."""
    d = pd.to_datetime(t, errors="coerce", format="ISO8601")
    used: list[str] = []
    rest = ~empty & d.isna().to_numpy()
    if rest.any():
        d = d.astype(_DATE_DTYPE) if d.dtype != _DATE_DTYPE else d.copy()
        todo = t[rest]
        uniq = pd.Series(todo.unique()).dropna()
        while len(uniq):
            best, best_n, best_parsed = None, 0, None
            for fmt, label in _DATE_FORMATS:
                p = pd.to_datetime(uniq, errors="coerce", format=fmt)
                k = int(p.notna().sum())
                if k > best_n:
                    best, best_n, best_parsed = (fmt, label), k, p
            if best is None:
                break
            used.append(best[1])
            ok = best_parsed.notna().to_numpy()
            parsed = pd.Series(best_parsed[ok].to_numpy(), index=uniq[ok].to_numpy())
            hit = todo.isin(parsed.index).to_numpy(dtype=bool, na_value=False)
            pos = np.flatnonzero(rest)[hit]
            d.iloc[pos] = pd.to_datetime(todo[hit].map(parsed)).astype(_DATE_DTYPE).to_numpy()
            uniq = uniq[~ok]
    return d, used


def _parse_date(s: pd.Series):
    """-> (dates, bad, empty, formats used, numbers_found)."""
    idx = s.index
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        d = _to_date_dtype(s)
        return d, pd.Series(False, index=idx), d.isna(), [], False
    if pd.api.types.is_numeric_dtype(s.dtype):  # numbers are not dates
        empty = s.isna()
        d = pd.Series(pd.NaT, index=idx, dtype=_DATE_DTYPE)
        return d, ~empty, empty, [], bool((~empty).any())
    numbers = False
    if s.dtype == object:
        kind = pd.api.types.infer_dtype(s, skipna=True)
        if kind in ("datetime", "date", "datetime64"):
            d = _to_date_dtype(pd.to_datetime(s, errors="coerce"))
            return d, pd.Series(False, index=idx), s.isna(), [], False
        if kind not in ("string", "empty"):  # mixed cells (Excel): split by type
            is_dt = s.map(lambda v: isinstance(v, (_dt.date, np.datetime64)),
                          na_action="ignore").fillna(False).astype(bool)
            is_num = s.map(lambda v: isinstance(v, (int, float, np.number))
                           and not isinstance(v, bool), na_action="ignore")
            is_num = is_num.fillna(False).astype(bool) & s.notna()
            d = pd.Series(pd.NaT, index=idx, dtype=_DATE_DTYPE)
            if is_dt.any():
                d[is_dt] = _to_date_dtype(pd.to_datetime(s[is_dt], errors="coerce"))
            text = s.where(~(is_dt | is_num))
            t = _as_text(text)
            empty = t.isna().to_numpy() & ~is_num.to_numpy() & ~is_dt.to_numpy()
            tok = _null_tokens(t).to_numpy()
            empty |= tok
            dt_text, used = _parse_date_text(t.mask(tok), empty | is_dt.to_numpy())
            from_text = t.notna().to_numpy() & ~tok
            d[from_text] = dt_text[from_text].astype(_DATE_DTYPE)
            bad = ~empty & d.isna().to_numpy()
            numbers = bool(is_num.any())
            return d, pd.Series(bad, index=idx), pd.Series(empty, index=idx), used, numbers
    t = _as_text(s)
    empty = t.isna().to_numpy(dtype=bool)
    tok = _null_tokens(t).to_numpy() if not empty.all() else np.zeros(len(t), bool)
    if tok.any():
        empty = empty | tok
        t = t.mask(tok)
    d, used = _parse_date_text(t, empty)
    d = _to_date_dtype(d)
    bad = ~empty & d.isna().to_numpy()
    if bad.any():  # numbers in a text column of dates: Excel serial numbers
        numbers = bool(np.isfinite(_float_of(t[bad])).any())
    return d, pd.Series(bad, index=idx), pd.Series(empty, index=idx), used, numbers


def _parse_bool(s: pd.Series):
    """yes/no, true/false, 1/0 (and ja/nein, oui/non, x) -> (bool Series with NaN as
    False, bad, empty)."""
    idx = s.index
    if pd.api.types.is_bool_dtype(s.dtype) and not s.isna().any():
        return s.astype(bool), pd.Series(False, index=idx), pd.Series(False, index=idx)
    codes, u = _factorize_text(s)
    low = [x.lower() for x in u]
    truth = np.array([x in _TRUE for x in low] + [False], dtype=bool)
    known = np.array([(x in _TRUE or x in _FALSE or x in _NULL_TOKENS) for x in low]
                     + [True], dtype=bool)
    null = np.array([x in _NULL_TOKENS for x in low] + [True], dtype=bool)
    vals = truth[codes]
    bad = ~known[codes]
    empty = null[codes]
    return pd.Series(vals, index=idx), pd.Series(bad, index=idx), pd.Series(empty, index=idx)


def _category_key(v: str) -> str:
    return re.sub(r"[\s_\-]+", " ", str(v).strip().lower())


def _parse_category(s: pd.Series, allowed: tuple[str, ...] | None):
    """-> (object Series of canonical values / NaN, bad, empty, renamed count).

    Values are matched to the allowed list ignoring case, spaces, ``_`` and ``-``
    (``Off Season`` is ``off-season``). Works on the distinct values only (factorize),
    so a 10-million-row column costs one hashing pass."""
    codes, u = _factorize_text(s)
    empty = codes < 0
    if allowed:
        canon = {_category_key(a): a for a in allowed}
        mapped = [canon.get(_category_key(x)) for x in u]
        counts = np.bincount(codes[codes >= 0], minlength=len(u))
        renamed = int(sum(counts[i] for i, (x, m) in enumerate(zip(u, mapped))
                          if m is not None and m != x))
        known = np.array([m is not None for m in mapped] + [True], dtype=bool)
        out_u = np.array([m if m is not None else np.nan for m in mapped] + [np.nan],
                         dtype=object)
        bad = ~known[codes] & ~empty
    else:
        out_u = np.array(list(u) + [np.nan], dtype=object)
        bad = np.zeros(len(s), dtype=bool)
        renamed = 0
    vals = pd.Series(out_u[codes], index=s.index, dtype=object)
    return vals, pd.Series(bad, index=s.index), pd.Series(empty, index=s.index), renamed


def _factorize_text(s: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes (-1 = empty) and the distinct stripped texts of a column, hashing the raw
    values once and stripping only the distinct ones."""
    if isinstance(s.dtype, pd.StringDtype) or (
        s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")
    ):
        codes, uniq = pd.factorize(s)
        stripped = [str(x).strip() for x in uniq]
    else:
        t = _as_text(s)
        codes, uniq = pd.factorize(t)
        stripped = [str(x) for x in uniq]
    codes = np.asarray(codes, dtype=np.int64)
    distinct = list(dict.fromkeys(x for x in stripped if x))
    if distinct == stripped:
        return codes, stripped
    pos = {x: i for i, x in enumerate(distinct)}
    remap = np.array([pos.get(x, -1) for x in stripped] + [-1], dtype=np.int64)
    return remap[codes], distinct


def _typed(values: pd.Series, col: schema.Column) -> pd.Series:
    """The final dtype of a parsed column (what :func:`coerce_table` promises)."""
    if col.kind in ("id", "text"):
        out = values.astype("string")
        if col.default == "" and col.kind != "id":
            out = out.fillna("")
        return out
    if col.kind == "category":
        out = values if values.dtype == object else values.astype(object)
        if col.default == "":
            out = out.where(out.notna(), "")
        return out
    if col.kind == "date":
        return _to_date_dtype(values)
    if col.kind in ("float", "score"):
        return values.astype("float64")
    if col.kind == "int":
        a = values.to_numpy(dtype="float64", na_value=np.nan)
        fin = np.isfinite(a)
        a = np.where(fin, np.round(np.where(fin, a, 0)), np.nan)
        return pd.Series(a, index=values.index).astype("Int64")
    if col.kind == "bool":
        return values.fillna(False).astype(bool)
    raise ValueError(col.kind)


def _default_series(col: schema.Column, index: pd.Index) -> pd.Series:
    v = col.default
    if col.kind == "bool":
        return pd.Series(bool(v), index=index, dtype=bool)
    if col.kind in ("float", "score", "int"):
        return _typed(pd.Series(np.nan if v is None else float(v), index=index,
                                dtype="float64"), col)
    if col.kind == "date":
        return pd.Series(pd.NaT if v is None else pd.Timestamp(v), index=index,
                         dtype=_DATE_DTYPE)
    return _typed(pd.Series(v, index=index, dtype=object), col)


def _parse_column(s: pd.Series, col: schema.Column, decimal_comma: bool = False,
                  style: str | None = None):
    """-> (typed values, bad, empty, info dict)."""
    info: dict = {}
    if col.kind in ("id", "text"):
        t = _as_text(s)
        empty = t.isna()
        return t, pd.Series(False, index=s.index), empty, info
    if col.kind == "category":
        v, bad, empty, renamed = _parse_category(s, col.allowed)
        info["renamed"] = renamed
        return v, bad, empty, info
    if col.kind == "date":
        d, bad, empty, used, numbers = _parse_date(s)
        info["formats"] = used
        info["numbers"] = numbers
        return d, bad, empty, info
    if col.kind in ("float", "score", "int"):
        v, bad, empty, text, fixed = _parse_number(s, decimal_comma, style)
        info["text"] = text
        info["reformatted"] = fixed
        if col.kind in ("int", "score"):
            a = v.to_numpy()
            frac = np.zeros(len(a), dtype=bool)
            fin = np.isfinite(a)
            frac[fin] = a[fin] != np.round(a[fin])
            info["fraction"] = pd.Series(frac & ~bad.to_numpy(), index=s.index)
        return v, bad, empty, info
    if col.kind == "bool":
        v, bad, empty = _parse_bool(s)
        return v, bad, empty, info
    raise ValueError(col.kind)


# ------------------------------------------------------------------ typing by schema


def coerce_table(df: pd.DataFrame, table: schema.Table) -> pd.DataFrame:
    """Give ``df`` the column types of ``table``; add missing optional columns.

    Assumes the data is valid (use :func:`check` or :func:`load` to validate): cells
    that cannot be read become empty. Column names must be the schema's names. Returns a
    new DataFrame with a fresh 0..n-1 index and the schema's columns in schema order.
    """
    out = {}
    for col in table.columns:
        if col.name in df.columns:
            v, _bad, _empty, _info = _parse_column(df[col.name], col)
            if col.kind == "bool" and col.default is not None:
                v = v.where(~_empty.to_numpy(), bool(col.default))
            out[col.name] = _typed(v, col)
        else:
            out[col.name] = _default_series(col, df.index)
    return _frame(out, df.index).reset_index(drop=True)


def _frame(columns: dict[str, pd.Series], index: pd.Index) -> pd.DataFrame:
    """A DataFrame from same-index Series without copying them into one block
    (``pd.DataFrame(dict)`` consolidates: seconds for 10 million rows)."""
    out = pd.DataFrame(index=index)
    for name, s in columns.items():
        out[name] = s
    return out


def empty_table(table: schema.Table) -> pd.DataFrame:
    """An empty DataFrame with the columns and types of ``table``."""
    return coerce_table(pd.DataFrame({c.name: [] for c in table.columns}), table)
