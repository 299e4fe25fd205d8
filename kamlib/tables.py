"""Tables a trainee reads: one helper that turns a result into a formatted table.

    from kamlib import tables
    tables.table(pareto, top=10, formats={"value": "eur"}, what="customers")

A chapter should never show a raw ``DataFrame``: "278.00" customers, shares as "0.01" and
explanations cut off with "…" make the reader do the formatting in their head.
:func:`table` returns a :class:`Table`, which JupyterLab and the HTML copies show as a
styled HTML table (a pandas ``Styler``) and which prints as aligned plain text:

- **units in the header**, not in every cell: ``revenue (EUR)``, ``volume (kg)``,
  ``price (EUR/kg)``; a column named ``volume_kg`` reads ``volume (kg)``;
- **thousands separators** and whole numbers for money, kilograms and counts
  (``75,791,898``, ``278``), two decimals for prices, the year as ``2025``;
- **percentages** for fractions (a column of shares ``0.82`` reads ``82%``; a non-zero
  share under 1% keeps one decimal, ``0.4%``, so it does not read as zero);
- **yes / no** for booleans, ``–`` for a missing value, dates as ``2025-12-31``;
- **wrapped text**: explanation columns are shown whole and wrap inside the cell;
- **the top rows with "and N more"**: ``top=10`` shows the first ten rows and a last
  line ``… and 268 more customers``.

The kind of each column is guessed from its name and type (see :func:`column_kind`) and
can be set with ``formats={"column": "kind"}``; ``"kind:decimals"`` (``"pct:1"``,
``"number:3"``) sets the decimals. Kinds: ``eur``, ``price``, ``kg``, ``tonnes`` (values
in kg, shown in t), ``t`` (values already in t), ``pct``, ``count``, ``year``, ``number``,
``minutes``, ``days``, ``text``, ``id``, ``bool``, ``date``, ``break_even`` (a break-even share
of new volume: a percentage from 0 to 100 %, "never pays" above, see
:func:`kamlib.rebates.break_even_share`; a column named ``…break_even_new_share`` gets it). A transposed summary whose *rows* have different
units takes ``row_formats={"row label": "kind"}`` (a row kind wins over a column kind).

Formatting is per column, with pandas' vectorised string methods where they exist; the
table is for display only: compute with the frame, show with ``table``.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

KINDS = ("eur", "price", "kg", "tonnes", "t", "pct", "break_even", "count", "year", "number",
         "minutes", "days", "text", "id", "bool", "date")
"""The column kinds :func:`table` knows."""

UNITS = {"eur": "EUR", "price": "EUR/kg", "kg": "kg", "tonnes": "t", "t": "t",
         "minutes": "min", "days": "days"}
"""The unit each kind puts into the column header (money and quantities: the sample's;
:func:`units` gives the current company's when ``kamlib.formatting`` knows it)."""


def units() -> dict[str, str]:
    """The header unit of each kind, in the current company's currency and quantity unit
    (``kamlib.formatting.current_company``) when it is set, else :data:`UNITS`."""
    from kamlib import formatting

    current = getattr(formatting, "current_company", None)
    if current is None:
        return dict(UNITS)
    company = current()
    money, qty = company.currency, company.quantity_unit
    out = dict(UNITS)
    out["eur"] = money
    out["kg"] = qty
    out["price"] = f"{money}/{qty or 'unit'}" if money else (f"per {qty}" if qty else "")
    out["tonnes"] = "t" if qty in ("kg", "") else f"thousand {qty}"
    out["t"] = out["tonnes"]
    return out

NEVER_PAYS = "never pays"
"""How a break-even share above 100 % reads (kind ``break_even``): no share of new
volume makes the deal pay (its price is below cost; :func:`kamlib.rebates.break_even_share`)."""

DEFAULT_DECIMALS = {"eur": 0, "price": 2, "kg": 0, "tonnes": 1, "t": 1, "pct": 0,
                    "break_even": 0, "count": 0,
                    "year": 0, "number": 2, "minutes": 0, "days": 0}
MISSING = "–"
DEFAULT_TOP = 25
"""Rows shown when ``top`` is not given: longer tables end with "and N more"."""
TEXT_WIDTH_EM = 28
"""Text columns wrap at about this width (in the HTML table)."""

NUMERIC_KINDS = {"eur", "price", "kg", "tonnes", "t", "pct", "break_even", "count", "year",
                 "number", "minutes", "days"}

# Name patterns, checked in this order: the first that matches gives the kind. A name's
# last word says what it holds, so the rules for a last word come before the rules for
# a word anywhere: ``revenue_rank`` is a rank (a count), not money; ``volume_t`` is
# already in tonnes (kind ``t``: not divided by 1,000 again, unlike ``tonnes``, which
# shows kilograms in tonnes). A ``confidence`` is a score between 0 and 1, not a share
# of anything: a number with two decimals, never a percentage.
_NAME_RULES: tuple[tuple[str, str], ...] = (
    (r"(^|_)(id|ids)$|_id$", "id"),
    (r"(^|_)year$", "year"),
    (r"(^|_)(rank|ranks|position)$", "rank"),
    (r"^(t|tonnes)$|(?<!_per)_(t|tonnes)$", "t"),
    (r"(^|_)confidence($|_)", "number"),
    (r"(^|_)break_even(_new)?_share($|_)", "break_even"),
    (r"(^|_)(share|pct|percent|fraction|rate_of|retention|probability|accuracy)"
     r"($|_)|_share$|share_|^share", "pct"),
    (r"(^|_)(profit_margin|margin_rate|ratio|growth|discount_depth|on_time_in_full|otif)"
     r"($|_)", "pct"),
    (r"per_kg", "price"),
    (r"(^|_)(minutes|min)$", "minutes"),
    (r"(^|_)days(_|$)", "days"),
    (r"_kg$|^kg$|(^|_)volume($|_)", "kg"),
    (r"(^|_)(revenue|profit|margin|cost|costs|rebate|rebates|discount|clv|eur|amount|"
     r"budget|value|lifetime_value|turnover|sales|accrued|paid|payment|saving|savings)"
     r"($|_)", "eur"),
    (r"(^|_)(customers|accounts|count|n|number|rank|movers|visits|orders|lines|"
     r"complaints|contacts|interactions|calls|trials|trainings|requests)($|_)|^n_", "count"),
)

_UNIT_SUFFIXES = {"_kg": "kg", "_eur": "EUR", "_per_kg": "EUR/kg", "_minutes": "min",
                  "_pct": "", "_days": "days", "_t": "t", "_tonnes": "t"}


def _parse_spec(spec: str) -> tuple[str, int | None]:
    kind, _, dec = str(spec).partition(":")
    kind = kind.strip()
    if kind not in KINDS:
        raise ValueError(
            f"unknown table format {spec!r}: use one of {', '.join(KINDS)}, optionally "
            "with decimals after a colon (e.g. 'pct:1')."
        )
    if dec:
        try:
            decimals = int(dec)
        except ValueError:
            raise ValueError(
                f"table format {spec!r}: the decimals after the colon must be a whole "
                "number, e.g. 'number:3'."
            ) from None
        if not 0 <= decimals <= 6:
            raise ValueError(f"table format {spec!r}: decimals must be between 0 and 6.")
        return kind, decimals
    return kind, None


def column_kind(name, values: pd.Series) -> str:
    """The kind :func:`table` gives a column, from its type first and then its name.

    Booleans are ``bool``, dates ``date``, text is ``text`` (or ``id`` for a name ending
    in ``_id``); for numbers the first matching name rule wins. A name's last word comes
    first: ``…_rank`` -> ``count`` (``number`` if not whole: a mean rank),
    ``…_t``/``…_tonnes`` -> ``t`` (already tonnes, shown as they are), ``year`` ->
    ``year``; then a word anywhere: ``confidence`` -> ``number`` (a 0-1 score, not a
    share), ``…_share``/``…_pct`` -> ``pct``, ``…per_kg`` -> ``price``,
    ``…_kg``/``volume`` -> ``kg``, ``revenue``/``profit``/``cost``/... -> ``eur``,
    ``customers``/``count``/... -> ``count``; an unnamed numeric column holding only
    whole numbers is a ``count``, any other a ``number``.
    """
    label = re.sub(r"[^a-z0-9]+", "_", str(name).lower()).strip("_")
    if pd.api.types.is_bool_dtype(values):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    if not pd.api.types.is_numeric_dtype(values):
        if re.search(r"(^|_)id$|_id$", label):
            return "id"
        # booleans held as objects (a column with missing values); a text column of
        # another dtype (pandas' string type, all missing on a partial export) is text
        if values.dtype == object and len(values) and values.map(
                lambda v: isinstance(v, (bool, np.bool_))).astype(bool).all():
            return "bool"
        return "text"
    for pattern, kind in _NAME_RULES:
        if re.search(pattern, label):
            if kind in ("id", "year") and not _whole(values):
                continue
            if kind == "rank":  # 1, 2, 3 ... (a mean rank of tied customers: 2.5)
                return "count" if _whole(values) else "number"
            return kind
    return "count" if _whole(values) else "number"


def _whole(values: pd.Series) -> bool:
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    return bool(len(v)) and bool(np.all(v == np.round(v)))


def header(name, kind: str, unit_of: dict[str, str] | None = None) -> str:
    """The column header: the name in words, with the unit of its kind in brackets.

    ``header("volume_kg", "kg") -> "volume (kg)"``; ``header("revenue", "eur") ->
    "revenue (EUR)"``; ``header("revenue_share", "pct") -> "revenue share"`` (the cells
    say ``82%``).
    """
    text = str(name)
    unit = (unit_of if unit_of is not None else UNITS).get(kind, "")
    low = text.lower()
    for suffix in sorted(_UNIT_SUFFIXES, key=len, reverse=True):
        if low.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    words = text.replace("_", " ").strip()
    if kind in ("tonnes", "t") and words.lower() in ("t", "tonnes"):
        words = "volume"
    if unit and f"({unit.lower()})" not in words.lower():
        return f"{words} ({unit})"
    return words


def _format_numbers(values: pd.Series, kind: str, decimals: int | None) -> pd.Series:
    x = pd.to_numeric(values, errors="coerce").astype(float)
    if kind == "break_even":  # a share needed, 0-100 %; above: no share makes it pay
        never = (x > 1.0).to_numpy()
        body = _format_numbers(x.where(~never), "pct", decimals)
        return body.where(~never, NEVER_PAYS).astype(object)
    if kind == "tonnes":
        x = x / 1000.0
    dec = DEFAULT_DECIMALS[kind] if decimals is None else decimals
    missing = ~np.isfinite(x)
    if kind == "pct":
        p = x * 100.0
        tiny = (p.abs() < 1.0) & (p != 0) & (decimals is None)
        body = p.map(lambda v: f"{v:,.{dec}f}%")
        body = body.where(~tiny, p.map(lambda v: f"{v:,.1f}%"))
    elif kind == "year":
        body = x.map(lambda v: f"{v:.0f}")
    else:
        body = x.map(lambda v: f"{v:,.{dec}f}")
    # "-0" and "-0.00" read as a sign error: a value that rounds to zero is zero
    body = body.astype(object).map(lambda v: re.sub(r"^-(?=0(\.0+)?%?$)", "", v))
    return body.where(~missing, MISSING).astype(object)


def _format_column(values: pd.Series, kind: str, decimals: int | None) -> pd.Series:
    if kind in NUMERIC_KINDS:
        return _format_numbers(values, kind, decimals)
    isna = values.isna()
    if kind == "bool":
        out = values.map({True: "yes", False: "no"})
        return out.where(~isna, MISSING).fillna(MISSING).astype(object)
    if kind == "date":
        d = pd.to_datetime(values, errors="coerce")
        return d.dt.strftime("%Y-%m-%d").where(d.notna(), MISSING).astype(object)
    out = values.astype(object).where(~isna, MISSING)
    return out.map(str).astype(object)


@dataclass(frozen=True)
class Table:
    """A formatted table: ``cells`` (strings, the shown rows), ``kinds`` (the kind of
    each shown column), ``more`` (rows left out), ``total_rows``, ``what`` (the noun of
    the rows), ``title``. Shows as HTML in a notebook and as text when printed."""

    cells: pd.DataFrame
    kinds: tuple[str, ...]
    more: int
    total_rows: int
    what: str = "rows"
    title: str = ""

    @property
    def note(self) -> str:
        """``"… and 268 more customers"``, or ``""`` when every row is shown."""
        if self.more <= 0:
            return ""
        what = self.what[:-1] if self.more == 1 and self.what.endswith("s") else self.what
        return f"… and {self.more:,} more {what}"

    def _uuid(self) -> str:
        digest = hashlib.sha1(
            (self.title + "\x1f" + self.cells.to_json(orient="split")).encode("utf-8")
        ).hexdigest()
        return f"kam{digest[:10]}"

    def to_html(self) -> str:
        """The HTML table (a pandas ``Styler``, with a stable id so a re-run diffs only
        in what changed)."""
        cells = self.cells.copy()
        classes = pd.DataFrame(
            [["num" if k in NUMERIC_KINDS else ("text" if k == "text" else "plain")
              for k in self.kinds]] * len(cells),
            index=cells.index, columns=cells.columns,
        )
        if self.more > 0:
            more = pd.DataFrame([[self.note] + [""] * (cells.shape[1] - 1)],
                                columns=cells.columns, index=[len(cells)])
            cells = pd.concat([cells, more])
            classes = pd.concat([classes, pd.DataFrame(
                [["more"] * cells.shape[1]], columns=cells.columns, index=[len(cells) - 1])])
        from pandas.io.formats.style import Styler

        styler = (
            Styler(cells, uuid=self._uuid(), cell_ids=False)
            .hide(axis="index")
            .format(escape="html")
            .set_td_classes(classes)
            .set_table_attributes('class="kam-table"')
            .set_table_styles([
                {"selector": "", "props": "border-collapse: collapse; "
                 "font-variant-numeric: tabular-nums; margin: 0.4em 0 1em 0;"},
                {"selector": "th", "props": "text-align: left; vertical-align: bottom; "
                 "white-space: normal; padding: 0.25em 0.6em; "
                 "border-bottom: 1px solid #888;"},
                {"selector": "td", "props": "padding: 0.2em 0.6em; "
                 "border-bottom: 1px solid #ddd; vertical-align: top;"},
                {"selector": "td.num", "props": "text-align: right; white-space: nowrap;"},
                {"selector": "td.plain", "props": "text-align: left; white-space: nowrap;"},
                {"selector": "td.text", "props": "text-align: left; white-space: normal; "
                 f"min-width: 12em; max-width: {TEXT_WIDTH_EM}em; overflow-wrap: anywhere;"},
                {"selector": "td.more", "props": "text-align: left; font-style: italic; "
                 "border-bottom: none; white-space: nowrap;"},
                {"selector": "caption", "props": "caption-side: top; text-align: left; "
                 "font-weight: bold; padding-bottom: 0.3em;"},
            ], overwrite=True)
        )
        if self.title:
            styler = styler.set_caption(html.escape(self.title))
        return styler.to_html()

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_text(self) -> str:
        """Aligned plain text: numbers right, text left, then the "and N more" line."""
        cols = list(self.cells.columns)
        widths = [max([len(str(c))] + [len(v) for v in self.cells[c]]) for c in cols]
        def line(values):
            parts = []
            for v, w, k in zip(values, widths, self.kinds):
                parts.append(v.rjust(w) if k in NUMERIC_KINDS else v.ljust(w))
            return "  ".join(parts).rstrip()
        out = [self.title] if self.title else []
        out.append(line([str(c) for c in cols]))
        out.extend(line(list(row)) for row in self.cells.itertuples(index=False))
        if self.note:
            out.append(self.note)
        return "\n".join(out)

    def __repr__(self) -> str:
        return self.to_text()

    __str__ = __repr__


def table(
    df: pd.DataFrame | pd.Series,
    *,
    formats: dict | None = None,
    row_formats: dict | None = None,
    top: int | None = DEFAULT_TOP,
    what: str = "rows",
    title: str = "",
    columns: dict | None = None,
    index: bool | None = None,
) -> Table:
    """A readable table of ``df`` (a DataFrame or a Series).

    ``formats``: ``{column: "kind"}`` or ``"kind:decimals"``, overriding the guess of
    :func:`column_kind`; ``row_formats``: the same by row label, for a transposed summary
    whose rows differ in unit. ``top``: show the first ``top`` rows and say how many more
    there are (``None``: every row). ``what``: the noun of the rows in that line
    ("customers"). ``title``: a caption. ``columns``: ``{column: header}`` to name the
    headers yourself (the unit is still added). ``index``: show the index as the first
    column(s); default: yes unless it is a plain 0, 1, 2, … range. Returns a
    :class:`Table`. Raises ``ValueError`` naming the column for a format it cannot use.
    """
    if isinstance(df, pd.Series):
        df = df.to_frame(name=df.name if df.name is not None else "value")
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"tables.table needs a DataFrame or Series, not {type(df).__name__}.")
    formats = dict(formats or {})
    row_formats = dict(row_formats or {})
    unknown = [c for c in formats if c not in df.columns and c not in (df.index.names or [])]
    if unknown:
        raise ValueError(
            f"tables.table: formats names {unknown}, which are not columns of the table "
            f"(its columns: {list(map(str, df.columns))})."
        )
    unknown_rows = [r for r in row_formats if r not in df.index]
    if unknown_rows:
        raise ValueError(
            f"tables.table: row_formats names {unknown_rows}, which are not rows of the "
            f"table (its rows: {list(map(str, df.index))[:20]})."
        )
    if top is not None and (not isinstance(top, (int, np.integer)) or top < 1):
        raise ValueError(f"tables.table: top must be a whole number ≥ 1 or None, not {top!r}.")
    total = len(df)
    shown = df if top is None else df.iloc[: int(top)]
    row_labels = shown.index
    show_index = index if index is not None else not (
        isinstance(df.index, pd.RangeIndex) and df.index.name is None
    )
    frame = shown.copy()
    frame.columns = [str(c) for c in frame.columns]
    index_columns: list[str] = []
    if show_index:
        names = [n if n is not None else ("" if df.index.nlevels == 1 else f"level {i}")
                 for i, n in enumerate(df.index.names)]
        names = [str(n) for n in names]
        index_columns = names
        idx = frame.index.to_frame(index=False,
                                   name=names if df.index.nlevels > 1 else names[0])
        frame = pd.concat([idx, frame.reset_index(drop=True)], axis=1)
    else:
        frame = frame.reset_index(drop=True)
    if frame.columns.duplicated().any():
        dup = list(frame.columns[frame.columns.duplicated()])
        raise ValueError(f"tables.table: the columns {dup} appear twice; rename one.")
    formats = {str(k): v for k, v in formats.items()}
    unit_of = units()
    cells = {}
    kinds = []
    headers = []
    for col in frame.columns:
        values = frame[col]
        if col in formats and not isinstance(formats[col], str):
            specs = list(formats[col])
            if len(specs) != total:
                raise ValueError(
                    f"tables.table: formats gives {len(specs)} kinds for column {col!r}, "
                    f"which has {total} rows; give one kind per row, or one kind as text."
                )
            specs = specs[: len(frame)]
            if not (pd.api.types.is_numeric_dtype(values) or values.isna().all()):
                raise ValueError(
                    f"tables.table: column {col!r} holds text, so it cannot take a kind "
                    "per row; convert it to numbers first."
                )
            col_text = pd.Series(MISSING, index=values.index, dtype=object)
            for spec in dict.fromkeys(specs):
                rkind, rdec = _parse_spec(spec)
                pos = np.flatnonzero(np.asarray(specs, dtype=object) == spec)
                col_text.iloc[pos] = _format_column(values.iloc[pos], rkind, rdec).to_numpy()
            cells[col] = col_text
            heading = columns.get(col, col) if columns else col
            headers.append(str(heading).replace("_", " ") if heading == col else str(heading))
            kinds.append("number")
            continue
        if col in formats:
            kind, dec = _parse_spec(formats[col])
            if kind in NUMERIC_KINDS and not (
                pd.api.types.is_numeric_dtype(values) or values.isna().all()
            ):
                raise ValueError(
                    f"tables.table: column {col!r} holds text, so it cannot be shown as "
                    f"{kind!r}; convert it to numbers first or choose 'text'."
                )
        else:
            kind, dec = column_kind(col, values), None
        if row_formats and col not in index_columns:
            col_text = _format_column(values, kind, dec)
            for label, spec in row_formats.items():
                rkind, rdec = _parse_spec(spec)
                pos = np.flatnonzero(row_labels == label)
                if len(pos):
                    col_text.iloc[pos] = _format_column(values.iloc[pos], rkind, rdec).to_numpy()
            cells[col] = col_text
            heading = columns.get(col, col) if columns else col
            headers.append(str(heading).replace("_", " ") if heading == col else str(heading))
            kinds.append(kind if kind in NUMERIC_KINDS else "number")
            continue
        cells[col] = _format_column(values, kind, dec)
        if columns and col in columns:
            name = str(columns[col])
            unit = unit_of.get(kind, "")
            headers.append(f"{name} ({unit})" if unit and f"({unit})" not in name else name)
        elif col in index_columns:
            headers.append(col.replace("_", " "))
        else:
            headers.append(header(col, kind, unit_of))
        kinds.append(kind)
    out = pd.DataFrame(cells)
    out.columns = headers
    return Table(out, tuple(kinds), total - len(shown), total, what, title)
