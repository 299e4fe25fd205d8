"""Finding the tables of a source (the bundled sample, a folder of CSV/Parquet files,
an Excel workbook) and reading each into a frame of cells with its header."""

from __future__ import annotations

import csv
import difflib
import io
import re
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from kamlib import schema
from kamlib.data.headers import _TABLE_ALIASES, _norm, _parquet_columns
from kamlib.data.problems import _ROW_WORDS, _exc_text, _Input, _Raw, _values_text

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
ANSWER_KEY_FILE = PROJECT_ROOT / "data" / "answer_key" / "answer_key.csv"


TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
OTHER_SPREADSHEETS = (".xls", ".ods", ".numbers", ".xlsb")


MISSING_TABLE_EFFECT = {
    "products": "product names, grades and packs will be unknown: chapter 02 cannot "
    "see economy grades, custom grades or big bags, and product ids are not checked",
    "interactions": "cost to serve (chapter 01) will count orders and deliveries only, "
    "service and technology sensitivity (chapter 02) cannot be measured, and chapter 04 "
    "has no visit or complaint history",
    "contacts": "the buying centre (who decides, who has not been seen for months) will "
    "be missing from chapter 04 and the account plans",
    "assessments": "the scorecard (chapter 01) lacks cooperation and strategic-fit "
    "scores, and share of wallet cannot be computed",
    "rebates": "profitability (chapter 01) and the rebate chapter (03) will not subtract "
    "the rebates actually paid",
}
"""What the playbook loses when an optional table is not given (shown in the summary)."""


def resolve_source(source: str | Path) -> Path:
    """``"sample"`` means the bundled data; anything else is a path."""
    if str(source) == "sample":
        return SAMPLE_DIR
    return Path(source).expanduser()


def _safe_listdir(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir(), key=lambda x: x.name.lower())
    except OSError:
        return []


def _sep_name(sep: str) -> str:
    return {"\t": "tab"}.get(sep, sep)


def _detect_separator(header_line: str) -> tuple[str, list[str]]:
    """The separator giving the most columns on the header line (comma on a tie)."""
    best, best_fields = ",", None
    for sep in (",", ";", "\t", "|"):
        try:
            fields = next(csv.reader([header_line], delimiter=sep))
        except (csv.Error, StopIteration):
            continue
        if best_fields is None or len(fields) > len(best_fields):
            best, best_fields = sep, fields
    return best, [f.strip().lstrip("\ufeff") for f in (best_fields or [])]


class _Sources:
    """Checker steps: find the tables, read each one."""

    def _discover(self) -> bool:
        p = self.path
        if not p.exists():
            hint = ""
            parent = p.parent if str(p.parent) not in ("", ".") else Path(".")
            if parent.is_dir():
                near = difflib.get_close_matches(p.name, [x.name for x in _safe_listdir(parent)],
                                                 n=1, cutoff=0.6)
                if near:
                    hint = f" Did you mean {parent / near[0]}?"
            self.add(str(p), "", None, f"There is no file or folder {p}.",
                     "Give the folder that holds the exported tables (customers.csv, "
                     "orders.csv, ...) or an Excel workbook (.xlsx)." + hint)
            return False
        if p.is_file():
            suffix = p.suffix.lower()
            if suffix in EXCEL_SUFFIXES:
                self.kind = "Excel workbook"
                return self._discover_workbook(p)
            if suffix in OTHER_SPREADSHEETS:
                self.add(p.name, "", None, f"{p.name} is a {suffix} spreadsheet, which "
                         "the playbook cannot read.",
                         "Open it and save it as an Excel workbook (.xlsx), one sheet "
                         "per table, or as CSV files in a folder.")
                return False
            if suffix in TEXT_SUFFIXES + PARQUET_SUFFIXES:
                self.add(p.name, "", None, f"{p} is a single file; the data has several "
                         "tables.",
                         f"Give the folder that holds it ({p.parent}), with customers and "
                         "orders next to it.")
                return False
            self.add(p.name, "", None, f"{p} is not a folder of tables or an Excel "
                     "workbook.", "Give a folder of CSV or Parquet files, or an .xlsx "
                     "workbook with one sheet per table.")
            return False
        return self._discover_folder(p)

    def _discover_folder(self, folder: Path) -> bool:
        entries = _safe_listdir(folder)
        found: dict[str, list[Path]] = {}
        other: list[Path] = []
        workbooks: list[Path] = []
        for e in entries:
            suffix = e.suffix.lower()
            if suffix in EXCEL_SUFFIXES and not e.name.startswith("~$"):
                workbooks.append(e)
                continue
            if suffix not in TEXT_SUFFIXES + PARQUET_SUFFIXES:
                continue
            stem = _norm(e.stem)
            name = stem if stem in schema.TABLES else _TABLE_ALIASES.get(stem)
            if name is None:
                other.append(e)
                continue
            found.setdefault(name, []).append(e)
        if not found and len(workbooks) == 1:
            self.note(f"No table files in {folder}; read the workbook {workbooks[0].name}.")
            self.kind = "Excel workbook"
            return self._discover_workbook(workbooks[0])
        kinds = set()
        for name, paths in found.items():
            paths = sorted(paths, key=lambda x: (x.suffix.lower() not in PARQUET_SUFFIXES,
                                                 x.name))
            chosen = paths[0]
            if len(paths) > 1:
                self.note(f"{name}: several files ({', '.join(x.name for x in paths)}); "
                          f"read {chosen.name}, ignored the others.")
            kind = "parquet" if chosen.suffix.lower() in PARQUET_SUFFIXES else "csv"
            kinds.add(kind)
            self.inputs[name] = _Input(schema.TABLES[name], chosen.name, kind, chosen)
            if _norm(chosen.stem) != name:
                self.note(f"{chosen.name} read as the {name} table.")
        if not self.kind:
            self.kind = {frozenset({"csv"}): "folder of CSV files",
                         frozenset({"parquet"}): "folder of Parquet files"}.get(
                frozenset(kinds), "folder of CSV and Parquet files")
        unused = [x.name for x in other]
        if not found:
            listing = ", ".join(x.name for x in entries[:12]) or "nothing"
            self.add(str(folder), "", None,
                     f"No data tables found in {folder} (it holds: {listing}).",
                     "Put the exported tables there as customers.csv, orders.csv and, "
                     "optionally, " + ", ".join(
                         f"{n}.csv" for n, t in schema.TABLES.items() if not t.required)
                     + " (or .parquet files), or give an Excel workbook (.xlsx).")
            return False
        self._missing_tables({e.name: e.stem for e in other}, "file", ".csv")
        if workbooks:
            self.note("Ignored the workbook(s) " + ", ".join(w.name for w in workbooks)
                      + ": the folder has table files. Check a workbook with "
                      "`kam data check WORKBOOK.xlsx`.")
        leftover = [n for n in unused if not any(n in x for x in self.notes)]
        if leftover:
            self.note("Ignored files that are not tables of the playbook: "
                      + ", ".join(leftover[:10]) + (" ..." if len(leftover) > 10 else "")
                      + ".")
        return True

    def _discover_workbook(self, path: Path) -> bool:
        try:
            self._workbook = pd.ExcelFile(path, engine="openpyxl")
            sheets = [str(s) for s in self._workbook.sheet_names]
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
            self.add(path.name, "", None, f"{path.name} could not be opened as an Excel "
                     f"workbook ({_exc_text(exc)}).",
                     "Is it password-protected, still open in another program, or "
                     "another format renamed to .xlsx? Save it again from Excel as "
                     "'Excel Workbook (.xlsx)'.")
            return False
        except Exception as exc:  # openpyxl raises its own exception types
            self.add(path.name, "", None, f"{path.name} could not be opened as an Excel "
                     f"workbook ({_exc_text(exc)}).",
                     "Save it again from Excel as 'Excel Workbook (.xlsx)'.")
            return False
        other = {}
        for sh in sheets:
            key = _norm(sh)
            name = key if key in schema.TABLES else _TABLE_ALIASES.get(key)
            if name is None:
                other[sh] = sh
                continue
            if name in self.inputs:
                self.note(f"{name}: several sheets ({self.inputs[name].sheet}, {sh}); "
                          f"read {self.inputs[name].sheet}.")
                continue
            self.inputs[name] = _Input(schema.TABLES[name], f"{path.name}, sheet {sh}",
                                       "excel", path, sheet=sh)
            if _norm(sh) != name:
                self.note(f"Sheet '{sh}' read as the {name} table.")
        self._missing_tables(other, "sheet", "", workbook=path.name, sheets=sheets)
        if other:
            self.note("Ignored sheets that are not tables of the playbook: "
                      + ", ".join(f"'{s}'" for s in other) + ".")
        return True

    def _missing_tables(self, other: dict[str, str], what: str, suffix: str,
                        workbook: str = "", sheets: list[str] | None = None) -> None:
        """Problems for missing required tables (with the closest file/sheet name),
        notes for missing optional ones. ``other``: unmatched file/sheet -> its stem."""
        stems = {_norm(stem): shown for shown, stem in other.items()}
        for name, table in schema.TABLES.items():
            if name in self.inputs:
                continue
            near = difflib.get_close_matches(name, list(stems), n=1, cutoff=0.75)
            where = f"The workbook {workbook} has no sheet named '{name}'" if workbook else (
                f"There is no {name}{suffix or '.csv'} (or {name}.parquet)")
            if table.required:
                if near:
                    msg = (f"{where}; there is a {what} '{stems[near[0]]}'. Did you mean "
                           f"{name}?")
                    fix = f"Rename the {what} '{stems[near[0]]}' to {name}{suffix}."
                else:
                    have = (f" (sheets: {', '.join(repr(s) for s in sheets)})"
                            if sheets else "")
                    msg = f"{where}{have}. The {name} table is required."
                    fix = (f"Export the {name} table ({table.meaning.lower().rstrip('.')}) "
                           f"as {name}{suffix or '.csv'}"
                           + (" or a sheet of that name" if workbook else "")
                           + "; its columns are listed in data/README.md.")
                self.add(workbook or f"{name}{suffix or '.csv'}", "", None, msg, fix, name)
            else:
                effect = MISSING_TABLE_EFFECT.get(name, "")
                if near:
                    self.note(f"No {name} table; the {what} '{stems[near[0]]}' looks like "
                              f"it (rename it to {name}{suffix} to use it). Without it: "
                              f"{effect}.")
                    other.pop(stems[near[0]], None)
                else:
                    self.note(f"No {name} table (optional): {effect}.")

    def _read(self, inp: _Input) -> _Raw | None:
        try:
            if inp.kind == "csv":
                raw = self._read_csv(inp)
            elif inp.kind == "parquet":
                raw = self._read_parquet(inp)
            else:
                raw = self._read_excel(inp)
        except MemoryError:
            self.add(inp.label, "", None, "The file is too large for this computer's "
                     "memory.", "Use Parquet files, or a computer with more memory.",
                     inp.table.name)
            return None
        if raw is None:
            return None
        df = raw.frame
        if len(df.columns) == 0:
            what = "sheet" if inp.kind == "excel" else (
                "folder" if inp.path.is_dir() else "file")
            if inp.table.required:
                self.add(inp.label, "", None, f"The {what} is empty: no column names, no "
                         "rows.", f"Export the {inp.table.name} table again, with its "
                         "header and rows.", inp.table.name)
            else:
                self.note(f"{inp.label} is empty: "
                          f"{MISSING_TABLE_EFFECT.get(inp.table.name, '')}.")
            return None
        # rows where every cell is empty (blank lines, formatted but empty Excel rows)
        if len(df) and len(df.columns):
            filled = df.notna().any(axis=1).to_numpy(dtype=bool)
            if not filled.all():
                raw.frame = df = df[filled]
        if len(df) == 0:
            if inp.table.required:
                self.add(inp.label, "", None, "The file has column names but no rows "
                         f"(no {_ROW_WORDS[inp.table.name][1]}).",
                         "Export the table again with its data.", inp.table.name)
            else:
                effect = MISSING_TABLE_EFFECT.get(inp.table.name, "")
                self.note(f"{inp.label} has no rows: {effect}.")
        return raw

    def _read_csv(self, inp: _Input) -> _Raw | None:
        p, label, tname = inp.path, inp.label, inp.table.name
        if p.is_dir():
            self.add(label, "", None, f"{label} is a folder, not a file.",
                     f"Put the {tname} table in a file named {tname}.csv.", tname)
            return None
        try:
            data = p.read_bytes()
        except OSError as exc:
            self.add(label, "", None, f"The file could not be opened ({_exc_text(exc)}).",
                     "Check that it is not open in another program and that you may "
                     "read it.", tname)
            return None
        if len(data) == 0:
            self.add(label, "", None, "The file is empty (0 bytes).",
                     "Export the table again: the file has no content at all.", tname)
            return None
        if not data.strip(b" \t\r\n\x00\xef\xbb\xbf"):
            self.add(label, "", None, "The file holds only blank lines.",
                     "Export the table again, with its header and rows.", tname)
            return None
        magic = data[:8]
        if magic.startswith(b"PK\x03\x04") or magic.startswith(b"\xd0\xcf\x11\xe0"):
            self.add(label, "", None, "This is not a CSV file but an Excel workbook (or "
                     "another packed file) with a .csv name.",
                     "Open it in Excel and save it as 'CSV UTF-8 (comma delimited)', or "
                     "give the workbook itself to the playbook.", tname)
            return None
        if magic.startswith(b"PAR1"):
            self.add(label, "", None, "This is a Parquet file with a .csv name.",
                     f"Rename it to {tname}.parquet.", tname)
            return None
        encoding, text = "utf-8", None
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            try:
                text = data.decode("utf-16")
                encoding = "utf-16"
                self.note(f"{label} is UTF-16 text (Excel's 'Unicode text'); read it as such.")
            except UnicodeDecodeError:
                text = None
        if text is None and b"\x00" in data:
            line = int(data[: data.index(b"\x00")].count(b"\n")) + 1
            self.add(label, "", [line], "The file contains binary data, not text: it is "
                     "not a CSV file (a damaged file, or another format renamed to .csv).",
                     "Export the table again as 'CSV UTF-8 (comma delimited)'.", tname)
            return None
        if text is None:
            encoding = self._encoding(data, inp)
            if encoding is None:
                return None
        head = (text if text is not None else data[:200_000].decode(
            encoding if encoding != "utf-8" else "utf-8-sig", errors="replace"))
        header_line = head.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
        sep, header = _detect_separator(header_line)
        decimal_comma = sep != ","
        if sep != ",":
            name = {";": "semicolons (;)", "\t": "tabs", "|": "vertical bars (|)"}[sep]
            self.note(f"{label} is separated by {name}"
                      + (", with decimal commas understood (9,80 = 9.8)" if sep == ";"
                         else "") + "; read accordingly.")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                buf = io.StringIO(text) if text is not None else io.BytesIO(data)
                df = pd.read_csv(
                    buf, sep=sep, dtype=str, keep_default_na=False, na_values=[""],
                    skip_blank_lines=False, on_bad_lines="warn", engine="c",
                    encoding=None if text is not None else (
                        "utf-8-sig" if encoding == "utf-8" else encoding),
                    encoding_errors="replace", index_col=False,
                )
            except pd.errors.EmptyDataError:
                self.add(label, "", None, "The file has no header line.",
                         "Export the table again with its column names on the first line.",
                         tname)
                return None
            except (pd.errors.ParserError, ValueError, UnicodeError) as exc:
                msg = _exc_text(exc)
                m = re.search(r"starting at row (\d+)", msg)
                rows = [int(m.group(1)) + 1] if m else None
                if "EOF inside string" in msg:
                    self.add(label, "", rows, "A quote (\") opened here is never closed, "
                             "so the rest of the file reads as one value.",
                             "Close the quote, or remove the stray \" character from the "
                             "value.", tname)
                else:
                    self.add(label, "", rows, f"The file could not be read as CSV ({msg}).",
                             "Export the table again as 'CSV UTF-8 (comma delimited)'.",
                             tname)
                return None
        bad_lines: list[int] = []
        saw: dict[int, int] = {}
        expected = len(df.columns)
        for w in caught:
            for m in re.finditer(r"line (\d+): expected (\d+) fields, saw (\d+)",
                                 str(w.message)):
                bad_lines.append(int(m.group(1)))
                saw[int(m.group(1))] = int(m.group(3))
                expected = int(m.group(2))
        if bad_lines:
            counts = _values_text(pd.Series(sorted(set(saw.values()))))
            self.add(label, "", bad_lines,
                     f"These rows have more values ({counts}) than the header has columns "
                     f"({expected}); they were not read.",
                     f"A value probably contains the separator '{_sep_name(sep)}' without "
                     "quotes (a company name like 'Nordfeed, Inc.' or a number with a "
                     "decimal comma). Put such values in double quotes, as Excel does "
                     "when it saves CSV, or remove the extra separator.", tname)
            total = len(df) + len(bad_lines)
            lines = np.setdiff1d(np.arange(2, total + 2), np.asarray(bad_lines))
            df.index = pd.Index(lines[: len(df)] - 2)
        if not header or len(header) != len(df.columns):
            header = [str(c) for c in df.columns]
        return _Raw(df, header, decimal_comma=decimal_comma)

    def _encoding(self, data: bytes, inp: _Input) -> str | None:
        """utf-8 when it decodes; else cp1252 (noted) or a problem naming the rows."""
        try:
            data.decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError:
            pass
        label, tname = inp.label, inp.table.name
        arr = np.frombuffer(data, dtype=np.uint8)
        nl = np.flatnonzero(arr == 10)
        starts = np.concatenate([[0], nl + 1])
        ends = np.concatenate([nl, [len(data)]])
        hi_lines = np.unique(np.searchsorted(nl, np.flatnonzero(arr >= 0x80)))
        utf8_lines, other_lines = [], []
        for i in hi_lines[:200_000]:
            try:
                data[starts[i]:ends[i]].decode("utf-8")
                utf8_lines.append(i)
            except UnicodeDecodeError:
                other_lines.append(i)
        if utf8_lines and other_lines:
            self.add(label, "", np.asarray(other_lines) + 1,
                     "These rows hold characters in another encoding than the rest of "
                     "the file (UTF-8): accented letters there would be read wrong.",
                     "The file mixes encodings (rows pasted from another file?). Retype "
                     "the accented names in these rows, or save the file again as "
                     "'CSV UTF-8 (comma delimited)'.", tname)
            return None
        undefined = np.isin(arr, np.array([0x81, 0x8D, 0x8F, 0x90, 0x9D], dtype=np.uint8))
        if undefined.any():
            rows = np.unique(np.searchsorted(nl, np.flatnonzero(undefined))) + 1
            self.add(label, "", rows,
                     "These rows hold bytes that are neither UTF-8 nor Windows-1252 text: "
                     "the file's encoding cannot be recognised.",
                     "Save the file as 'CSV UTF-8 (comma delimited)' in Excel, or export "
                     "it again with the encoding set to UTF-8.", tname)
            return None
        self.note(f"{label} is not UTF-8; read it as Windows-1252 (Western European, "
                  "Excel's default). Check that accented names look right, or save it as "
                  "'CSV UTF-8' to be sure.")
        return "cp1252"

    def _read_parquet(self, inp: _Input) -> _Raw | None:
        import pyarrow.parquet as pq

        p, label, tname = inp.path, inp.label, inp.table.name
        try:
            if p.is_dir():  # a Parquet dataset (a folder of part files, as Spark writes)
                names = list(pq.ParquetDataset(p).schema.names)
            elif p.stat().st_size == 0:
                self.add(label, "", None, "The file is empty (0 bytes).",
                         "Write the table again: the file has no content at all.", tname)
                return None
            else:
                names = pq.read_schema(p).names
            want = [n for n in names if not n.startswith("__index_level_")]
            table = pq.read_table(p, columns=_parquet_columns(want, inp.table))
            df = table.to_pandas()
        except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
            self.add(label, "", None, f"The file could not be read as Parquet "
                     f"({_exc_text(exc)}).",
                     "Write it again (pandas: df.to_parquet(path, index=False)), or "
                     "export the table as CSV.", tname)
            return None
        df = df.reset_index(drop=True)
        return _Raw(df, [str(c) for c in df.columns])

    def _read_excel(self, inp: _Input) -> _Raw | None:
        label, tname = inp.label, inp.table.name
        try:
            df = pd.read_excel(self._workbook, sheet_name=inp.sheet, dtype=object,
                               keep_default_na=False, na_values=[""], header=0)
        except Exception as exc:  # openpyxl/zipfile errors
            self.add(label, "", None, f"The sheet could not be read ({_exc_text(exc)}).",
                     "Save the workbook again from Excel as 'Excel Workbook (.xlsx)'.",
                     tname)
            return None
        header = [str(c) for c in df.columns]
        # empty header cells come back as "Unnamed: 3": drop such columns when empty
        drop = [c for c in df.columns if str(c).startswith("Unnamed:") and df[c].isna().all()]
        if drop:
            df = df.drop(columns=drop)
            header = [str(c) for c in df.columns]
        df = df.reset_index(drop=True)
        return _Raw(df, header)
