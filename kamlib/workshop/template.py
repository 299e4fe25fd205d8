"""The Excel input template, generated from :mod:`kamlib.schema` (never edited by hand).

    kam data template --out kam_input.xlsx            # empty template, one example row
    kam data template --sample --out sample.xlsx      # the bundled sample written into it

The workbook has a **README** sheet first (how to fill it in, every column of every
table with its type, unit, meaning, allowed values and example, and what each optional
table unlocks), then **one sheet per table** of the schema, named after the table:

- row 1: the column headers (required columns dark, optional ones light), frozen;
- row 2: a filled example row (the schema's ``example`` values, consistent across
  sheets: customer C0042 orders product P01) - overwrite or delete it;
- data validation where the values are fixed: a drop-down list for category columns
  (``deal_type``, interaction ``type``, ``complaint_reason``, contact ``role``) and for
  yes/no columns, whole numbers 1-5 for assessment scores.

The file is deterministic: fixed workbook properties (author, created and modified
timestamps) and fixed zip entry times, so ``data/templates/kam_input.xlsx`` is exactly
what :func:`write_template` writes (a test checks the committed file).

A filled copy is checked by ``kam data check FILE.xlsx`` like any export (the README
sheet is ignored); :func:`leftover_examples` finds example rows left in it.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile
from pathlib import Path

from kamlib import schema

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_FILE = PROJECT_ROOT / "data" / "templates" / "kam_input.xlsx"
README_SHEET = "README"
FIXED_TIME = _dt.datetime(2025, 1, 1, 0, 0, 0)
"""Workbook created/modified time and zip entry times of every generated file."""
MAX_ROW = 1_048_576
"""Excel's last row: validations apply to the whole column below the header."""

_REQUIRED_FILL = "1F4E79"  # dark blue, white text
_OPTIONAL_FILL = "BDD7EE"  # light blue, black text
_EXAMPLE_FILL = "FFF2CC"  # pale yellow: "this is an example, replace it"


def _unlocks(table: schema.Table) -> str:
    """What a table gives the playbook, in words (from the loader's own texts)."""
    from kamlib.data import MISSING_TABLE_EFFECT

    if table.required:
        return "Required: the playbook cannot run without it."
    effect = MISSING_TABLE_EFFECT.get(table.name, "")
    return f"Optional. Without it, {effect}." if effect else "Optional."


def _allowed_text(col: schema.Column) -> str:
    if col.allowed:
        text = ", ".join(col.allowed)
    elif col.kind == "bool":
        text = "yes, no"
    elif col.kind == "score":
        text = "whole number 1-5"
    else:
        bounds = []
        if col.minimum is not None:
            bounds.append(f"≥ {col.minimum:g}")
        if col.maximum is not None:
            bounds.append(f"≤ {col.maximum:g}")
        text = ", ".join(bounds)
    if col.nullable:
        text = (text + "; " if text else "") + "may be empty"
    return text


def readme_rows() -> list[list[str]]:
    """The README sheet's rows (first row: the title)."""
    rows = [
        ["KAM Playbook: input template"],
        ["Generated from kamlib/schema.py by `kam data template`. Do not edit this "
         "sheet; fill in the table sheets."],
        [""],
        ["How to fill it in"],
        ["1. One sheet per table; the sheet name is the table name. Keep the header "
         "row (row 1) as it is."],
        ["2. Row 2 of each sheet is an example (yellow). Overwrite it with your first "
         "row, or delete it."],
        ["3. customers and orders are required. Every other sheet is optional: leave "
         "it with its header only (or delete it) if you do not have the data."],
        ["4. Dark headers are columns that must be there; light headers may be left "
         "empty or deleted (the playbook then uses a default)."],
        [f"5. Money in {schema.CURRENCY}; quantities in kg; prices and costs in "
         "EUR per kg; dates as dates (or YYYY-MM-DD); yes/no columns: yes or no."],
        ["6. Check the filled file before the workshop: `kam data check FILE.xlsx`. "
         "It lists every problem with sheet, column and row, and how to fix it."],
        [""],
        ["Tables"],
        ["table", "needed?", "what it holds", "what it unlocks"],
    ]
    for t in schema.TABLES.values():
        rows.append([t.name, "required" if t.required else "optional",
                     t.meaning, _unlocks(t)])
    rows += [[""], ["Columns"],
             ["table", "column", "column needed?", "type", "unit", "meaning",
              "allowed values", "example"]]
    for t in schema.TABLES.values():
        for c in t.columns:
            meaning = c.meaning + (" Personal detail: kept out of shared reports."
                                   if c.personal else "")
            rows.append([t.name, c.name, "yes" if c.required else "no",
                         schema.KINDS[c.kind], c.unit, meaning, _allowed_text(c),
                         c.example])
    return rows


def _example_value(col: schema.Column):
    """The schema's example as the cell value Excel would hold (number, date, text)."""
    text = col.example
    if text == "":
        return None
    if col.kind in ("int", "score"):
        return int(text)
    if col.kind == "float":
        return float(text)
    if col.kind == "date":
        return _dt.datetime.strptime(text, "%Y-%m-%d")
    return text


def _validation(col: schema.Column):
    """The openpyxl DataValidation for a column, or None."""
    from openpyxl.worksheet.datavalidation import DataValidation

    blank = col.nullable or not col.required
    if col.allowed or col.kind == "bool":
        values = col.allowed if col.allowed else ("yes", "no")
        dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"',
                            allow_blank=blank)
        dv.error = f"{col.name}: choose one of {', '.join(values)}."
    elif col.kind == "score":
        dv = DataValidation(type="whole", operator="between", formula1="1", formula2="5",
                            allow_blank=blank)
        dv.error = f"{col.name}: a whole number from 1 to 5."
    else:
        return None
    dv.errorTitle = "Not a valid value"
    dv.showErrorMessage = True
    dv.showDropDown = False  # (sic) False shows the drop-down arrow in Excel
    return dv


def _sample_frames(source) -> dict:
    """The tables of ``source`` with the schema's columns only (typed, as loaded)."""
    from kamlib import data

    kd = data.load(source)
    out = {}
    for name, t in schema.TABLES.items():
        df = getattr(kd, name)
        out[name] = df[[c for c in t.column_names if c in df.columns]]
    return out


def _cell_values(df, table: schema.Table) -> list[list]:
    """Rows of plain Python values for openpyxl: dates as datetimes, yes/no as text,
    missing as empty (None). Column-wise conversion (no loop over rows in pandas)."""
    import numpy as np
    import pandas as pd

    cols = []
    for name in df.columns:
        col = table.column(name)
        s = df[name]
        if col.kind == "bool":
            v = np.where(s.astype("boolean").fillna(False).to_numpy(bool), "yes", "no")
            v = v.astype(object)
            v[s.isna().to_numpy()] = None
        elif col.kind == "date":
            d = pd.to_datetime(s)
            v = np.array(d.dt.to_pydatetime(), dtype=object)
            v[d.isna().to_numpy()] = None
        elif col.kind in ("int",):
            v = pd.to_numeric(s).astype("Int64").to_numpy(dtype=object, na_value=None)
        elif col.kind in ("float", "score"):
            num = pd.to_numeric(s).astype("float64").to_numpy()
            v = num.astype(object)
            v[np.isnan(num)] = None  # astype gives a new, writable array
        else:
            t = s.astype("string")
            v = t.astype(object).to_numpy().copy()
            v[t.fillna("").to_numpy() == ""] = None
        cols.append(v)
    return [list(r) for r in zip(*cols)] if cols else []


def build_workbook(sample=None):
    """The template as an openpyxl Workbook. ``sample``: a data source (``"sample"`` or a
    path) whose tables replace the example rows; None = the empty template."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    frames = _sample_frames(sample) if sample is not None else None
    wb = Workbook()
    ws = wb.active
    ws.title = README_SHEET
    for r in readme_rows():
        ws.append(r)
    bold = Font(bold=True)
    for row in ws.iter_rows():
        first = row[0]
        if first.value in ("How to fill it in", "Tables", "Columns"):
            first.font = Font(bold=True, size=12)
        elif first.value in ("table",):
            for c in row:
                c.font = bold
    ws["A1"].font = Font(bold=True, size=14)
    for letter, width in zip("ABCDEFGH", (16, 26, 14, 22, 10, 70, 34, 30)):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=14):
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")

    for name, t in schema.TABLES.items():
        sh = wb.create_sheet(name)
        sh.append(t.column_names)
        for i, col in enumerate(t.columns, start=1):
            cell = sh.cell(row=1, column=i)
            dark = col.required
            cell.font = Font(bold=True, color="FFFFFF" if dark else "000000")
            cell.fill = PatternFill("solid", fgColor=_REQUIRED_FILL if dark else _OPTIONAL_FILL)
            letter = get_column_letter(i)
            sh.column_dimensions[letter].width = max(12, len(col.name) + 4,
                                                     min(40, len(col.example) + 4))
            dv = _validation(col)
            if dv is not None:
                dv.add(f"{letter}2:{letter}{MAX_ROW}")
                sh.add_data_validation(dv)
        sh.freeze_panes = "A2"
        if frames is None:
            sh.append([_example_value(c) for c in t.columns])
            for i, col in enumerate(t.columns, start=1):
                cell = sh.cell(row=2, column=i)
                cell.fill = PatternFill("solid", fgColor=_EXAMPLE_FILL)
                if col.kind == "date":
                    cell.number_format = "yyyy-mm-dd"
        else:
            df = frames[name]
            for r in _cell_values(df, t):
                sh.append(r)
            for i, col in enumerate(t.columns, start=1):
                if col.kind == "date" and len(df):
                    letter = get_column_letter(i)
                    for (cell,) in sh.iter_rows(min_row=2, min_col=i, max_col=i):
                        cell.number_format = "yyyy-mm-dd"
    props = wb.properties
    props.creator = "kamlib (kam data template)"
    props.lastModifiedBy = "kamlib"
    props.title = "KAM Playbook input template"
    props.created = FIXED_TIME
    props.modified = FIXED_TIME
    return wb


_CORE_TIME = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _deterministic(raw: bytes) -> bytes:
    """Rewrite an .xlsx: fixed created/modified time in docProps/core.xml (openpyxl
    stamps 'now' when saving) and fixed zip entry times, entries in the same order."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _CORE_TIME.sub(rb"\g<1>" + stamp + rb"\g<2>", body)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, body)
    return out.getvalue()


def template_bytes(sample=None) -> bytes:
    """The bytes of the template (see :func:`build_workbook`), deterministic."""
    buf = io.BytesIO()
    build_workbook(sample).save(buf)
    return _deterministic(buf.getvalue())


def write_template(path: str | Path = TEMPLATE_FILE, sample=None) -> Path:
    """Write the template (``sample``: a data source written into it) to ``path``, whole
    (via a temporary file). Refuses to overwrite an input it would destroy: the
    target must end in .xlsx. Returns the path."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"{path}: the template is an Excel workbook; give a file name "
                         "ending in .xlsx")
    body = template_bytes(sample)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_bytes(body)
    tmp.replace(path)
    return path


def leftover_examples(path: str | Path) -> list[str]:
    """The sheets of a filled workbook whose row 2 is still the template's example row,
    every example value unchanged (the example customer C0042 would become a real
    customer): their names, in order.
    Only reads the file."""
    from openpyxl import load_workbook

    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm") or not path.is_file():
        return []
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - kam data check reports unreadable workbooks
        return []
    try:
        found = []
        names = {s.strip().lower(): s for s in wb.sheetnames}
        for name, t in schema.TABLES.items():
            sheet = names.get(name)
            if sheet is None:
                continue
            rows = wb[sheet].iter_rows(min_row=1, max_row=2, values_only=True)
            header = next(rows, None)
            second = next(rows, None)
            if not header or not second:
                continue
            want = {c.name: _example_value(c) for c in t.columns if c.example}
            got = {str(h).strip(): v for h, v in zip(header, second) if h is not None}
            if want and all(_same(got.get(k), v) for k, v in want.items()):
                found.append(sheet)
        return found
    finally:
        wb.close()


def _same(a, b) -> bool:
    if isinstance(b, (int, float)) and isinstance(a, (int, float)):
        return float(a) == float(b)
    if isinstance(b, _dt.datetime) and isinstance(a, _dt.datetime):
        return a == b
    return str(a).strip() == str(b).strip()
