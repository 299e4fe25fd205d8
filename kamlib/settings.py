"""The decisions of the playbook, as one typed settings file.

Scorecard weights, thresholds, pyramid shares, rebate schedules, visit capacities are
*decisions*, not code. They live in one TOML file (by default ``kam_settings.toml`` at the
root of the project) that chapters and workshops write and the reports read. Derived
tables (the key-account list, segments, levers, plans) are always recomputed by
``kamlib`` from data + settings.

Each section is a frozen dataclass with defaults, defined in the module it belongs to
(``selection.SelectionSettings``, ``rebates.RebateSettings``, ...), and validated on
construction. This module composes them, and reads and writes the file::

    from kamlib import settings
    s = settings.load("kam_settings.toml")      # defaults where the file is silent
    s = settings.replace(s, "selection.abc.top_share", 0.25)
    settings.save(s, "kam_settings.toml")

A missing file gives the defaults. Unknown keys or wrong types are refused with a message
naming the file, the key and the closest valid key.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from kamlib import formatting
from kamlib.errors import SettingsError
from kamlib.plan.config import PlanSettings
from kamlib.rebates import RebateSettings
from kamlib.report_sections import ReportSettings
from kamlib.review.config import ReviewSettings
from kamlib.segmentation import SegmentationSettings
from kamlib.selection import SelectionSettings
from kamlib.service import ServiceSettings

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SETTINGS_FILE = PROJECT_ROOT / "kam_settings.toml"


def _located(source: str, where: str, exc: Exception) -> SettingsError:
    err = SettingsError(f"{source}: [{where or 'top level'}] {exc}")
    err.located = True
    return err


@dataclass(frozen=True)
class PeriodSettings:
    """Which period the analysis looks at.

    ``analysis_year``: the calendar year treated as "this year"; growth, classes and
    plans refer to it. ``0`` (the default) = the latest complete year in the data
    (:func:`kamlib.measures.latest_complete_year`: the latest year the data reaches to
    its December; a later, partial year is said and not analysed), resolved by
    :func:`for_data`. ``history_years``: how many years up to and including it the trend
    methods use.
    """

    analysis_year: int = 0
    history_years: int = 5

    def __post_init__(self) -> None:
        if self.analysis_year != 0 and not 1900 <= self.analysis_year <= 2200:
            raise SettingsError("period.analysis_year must be a year (or 0 = the latest "
                                f"complete year in the data), got {self.analysis_year}")
        if self.history_years < 1:
            raise SettingsError("period.history_years must be at least 1")

    @property
    def years(self) -> list[int]:
        """The years of history, oldest first, ending with ``analysis_year``."""
        if not self.analysis_year:
            raise SettingsError(
                "period.analysis_year is 0 (= the latest complete year in the data) and "
                "has not been resolved against the data yet: use "
                "settings.for_data(s, kd) first.")
        return list(range(self.analysis_year - self.history_years + 1, self.analysis_year + 1))


@dataclass(frozen=True)
class CompanySettings:
    """Who the analysis is for: the words and units the text uses (``[company]``).

    ``name``: the company's name; ``currency``: the code or sign written before amounts
    ("EUR", "CHF", "$"); ``quantity_unit``: the unit of the quantities ("kg", "l",
    "pcs"); ``product``: what it sells, in words ("niacin"). Empty = not set: on the
    bundled sample the sample company's values are used (Auronia Nutrichem, EUR, kg,
    niacin), on any other data neutral ones ("your company", no currency sign, no unit,
    "the product"). See :func:`company_for`.
    """

    name: str = ""
    currency: str = ""
    quantity_unit: str = ""
    product: str = ""

    def __post_init__(self) -> None:
        for key in ("name", "currency", "quantity_unit", "product"):
            value = getattr(self, key)
            if value != value.strip() or "\n" in value:
                raise SettingsError(f"company.{key} must be one line without leading or "
                                    f"trailing spaces, got {value!r}")
        if len(self.currency) > 8:
            raise SettingsError(f"company.currency is a code or sign such as 'EUR' or '$', "
                                f"got {self.currency!r}")


@dataclass(frozen=True)
class Settings:
    """All decisions of the playbook. Every section has defaults."""

    company: CompanySettings = field(default_factory=CompanySettings)
    period: PeriodSettings = field(default_factory=PeriodSettings)
    selection: SelectionSettings = field(default_factory=SelectionSettings)
    segmentation: SegmentationSettings = field(default_factory=SegmentationSettings)
    rebates: RebateSettings = field(default_factory=RebateSettings)
    service: ServiceSettings = field(default_factory=ServiceSettings)
    review: ReviewSettings = field(default_factory=ReviewSettings)
    reports: ReportSettings = field(default_factory=ReportSettings)
    plan: PlanSettings = field(default_factory=PlanSettings)

    columns: dict[str, str] = field(default_factory=dict)
    """The column map (``[columns]``): the playbook's column = the export's header,
    e.g. ``net_amount = "Netwr"`` or ``"orders.order_date" = "Fkdat"``. Completes or
    overrides the header recognition of ``kamlib.data`` (see data/README.md); pass it
    as ``data.load(source, columns=s.columns)``."""

    @property
    def company_name(self) -> str:
        """The company's name as set (``""`` when not set; see :func:`company_for`)."""
        return self.company.name


def is_sample(data) -> bool:
    """True when ``data`` (a ``KamData``, ``"sample"`` or a path) is the bundled sample."""
    source = getattr(data, "source", data)
    if source is None:
        return False
    if str(source) == "sample":
        return True
    from kamlib.data import SAMPLE_DIR

    try:
        return Path(source).expanduser().resolve() == SAMPLE_DIR.resolve()
    except (OSError, TypeError, ValueError):
        return False


def company_for(s: "Settings", data=None) -> formatting.Company:
    """The company the text speaks of, for settings ``s`` and ``data``.

    What ``[company]`` sets is used; what it leaves empty is the sample company's on the
    bundled sample (Auronia Nutrichem, EUR, kg, niacin) and neutral on any other data
    ("your company", no currency, no unit, "the product"): nothing computed from another
    company's data speaks of the sample company or its product. ``data``: a
    ``KamData``, ``"sample"`` or the path of an export (``None`` = not the sample).
    """
    c = s.company
    base = formatting.SAMPLE_COMPANY if is_sample(data) else formatting.NEUTRAL
    return formatting.Company(
        name=c.name or base.name, currency=c.currency or base.currency,
        quantity_unit=c.quantity_unit or base.quantity_unit, product=c.product or base.product)


def for_data(s: "Settings", kd, year: int | None = None) -> "Settings":
    """``s`` with the analysis year fixed for data ``kd``.

    ``year`` (e.g. a chapter's parameter or ``kam ... --year``) wins when it is not 0 /
    None; else ``period.analysis_year`` when set; else the latest complete year in the
    data (:func:`kamlib.measures.latest_complete_year`). Raises ``SettingsError`` when
    the year has no orders, naming the years the data covers.
    """
    from kamlib import measures

    chosen = int(year or s.period.analysis_year or 0)
    if len(kd.orders) == 0:
        raise SettingsError(f"the data at {getattr(kd, 'source', '?')} has no orders: "
                            "there is no year to analyse.")
    resolved = chosen or measures.latest_complete_year(kd.orders)[0]
    years = (kd.years if hasattr(kd, "years")  # also order lines left in their file
             else sorted(int(y) for y in kd.orders["year"].unique()))
    if resolved not in years:
        raise SettingsError(
            f"there are no sales in {resolved}, the analysis year: the data covers "
            f"{years[0]}-{years[-1]}. Set period.analysis_year in the settings file to one "
            "of these years, or 0 for the latest complete year in the data (a chapter's "
            "analysis_year parameter, or `--year`, does the same for one run).")
    if resolved == s.period.analysis_year:
        return s
    return dataclasses.replace(s, period=dataclasses.replace(s.period,
                                                             analysis_year=resolved))


def period_note(s: "Settings", kd, year: int | None = None) -> str:
    """One sentence on the analysis year of ``for_data(s, kd, year)``: the rule that chose
    it, where the data ends, a partial year."""
    from kamlib import measures

    chosen = not int(year or s.period.analysis_year or 0)
    resolved = for_data(s, kd, year).period.analysis_year
    return measures.period_note(kd.orders, resolved, chosen=chosen)


def use_company(s: "Settings", data=None) -> formatting.Company:
    """Make :func:`company_for` the current company of :mod:`kamlib.formatting`
    (``eur()``, ``money()``, ... then speak its currency and unit). Returns it."""
    company = company_for(s, data)
    formatting.set_company(company)
    return company


# --------------------------------------------------------------------------- reading


def _origin(tp):
    return typing.get_origin(tp)


def _build(cls, raw: dict, where: str, source: str):
    """Build dataclass ``cls`` from a dict, recursively; defaults fill what is missing."""
    if not isinstance(raw, dict):
        raise SettingsError(f"{source}: [{where}] must be a table of keys, got {raw!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in fields(cls)]
    for key in raw:
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            valid = ", ".join(names)
            raise SettingsError(
                f"{source}: unknown setting '{_join(where, key)}'.{hint} "
                f"Valid keys here: {valid}."
            )
    kwargs = {}
    for f in fields(cls):
        if f.name in raw:
            kwargs[f.name] = _convert(hints[f.name], raw[f.name], _join(where, f.name), source)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        if getattr(exc, "located", False):
            raise
        raise _located(source, where, exc) from None


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _convert(tp, value, where: str, source: str):
    """Convert a TOML value to the annotated type ``tp``."""
    origin = _origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert(args[0], value, where, source)
    if is_dataclass(tp):
        return _build(tp, value, where, source)
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(value, list):
            raise SettingsError(f"{source}: '{where}' must be a list, got {value!r}")
        item_tp = args[0]
        return tuple(_convert(item_tp, v, f"{where}[{i}]", source) for i, v in enumerate(value))
    if origin is dict:
        _, val_tp = typing.get_args(tp)
        if not isinstance(value, dict):
            raise SettingsError(f"{source}: '{where}' must be a table, got {value!r}")
        return {k: _convert(val_tp, v, f"{where}.{k}", source) for k, v in value.items()}
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SettingsError(f"{source}: '{where}' must be a number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"{source}: '{where}' must be a whole number, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise SettingsError(f"{source}: '{where}' must be true or false, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise SettingsError(f"{source}: '{where}' must be text, got {value!r}")
        return value
    return value


def from_dict(raw: dict, source: str = "settings") -> Settings:
    """Build ``Settings`` from a nested dict (as read from TOML).

    The top-level ``company_name`` of older files is read as ``company.name``.
    """
    if isinstance(raw, dict) and "company_name" in raw:
        raw = dict(raw)
        name = raw.pop("company_name")
        company = dict(raw.get("company") or {})
        company.setdefault("name", name)
        raw["company"] = company
    return _build(Settings, raw, "", source)


_BOMS = ((b"\xef\xbb\xbf", "UTF-8 with a byte-order mark"),
         (b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
         (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))


def read_text(path: str | Path) -> str:
    """The text of a settings file: UTF-8, with or without a byte-order mark.

    Anything else raises ``SettingsError`` naming the file, the encoding found
    (UTF-16 or UTF-32 by their byte-order mark or their zero bytes; otherwise the
    first byte that is not UTF-8, with its line, read as Windows-1252 - what Notepad
    and Excel on Windows call "ANSI") and how to save it as UTF-8.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read the settings file ({exc.strerror}).") \
            from None
    if data.startswith(_BOMS[0][0]):
        data = data[3:]
    found = next((name for bom, name in _BOMS[1:] if data.startswith(bom)), None)
    if found is None and b"\x00" in data[:200]:
        found = "UTF-16 or UTF-32 (it has zero bytes between the letters)"
    how = ("Open it in a text editor and save it as UTF-8 (Notepad: File > Save as > "
           "Encoding: UTF-8; VS Code: the encoding in the status bar > Save with "
           "encoding > UTF-8), then run again.")
    if found is not None:
        raise SettingsError(f"{path}: the settings file is saved as {found}, and settings "
                            f"files must be UTF-8. {how}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start: exc.start + 1]
        try:
            char = byte.decode("cp1252")
            guess = (f"probably Windows-1252 (\"ANSI\"): byte 0x{byte.hex().upper()} on "
                     f"line {line} would be {char!r} there")
        except UnicodeDecodeError:
            guess = f"an unknown encoding (byte 0x{byte.hex().upper()} on line {line})"
        raise SettingsError(f"{path}: the settings file is not UTF-8 - {guess}. {how}") \
            from None


def load(path: str | Path | None = None) -> Settings:
    """Read the settings file; a missing file (or ``None``) gives the defaults.

    Raises ``SettingsError`` naming the file and key for anything it cannot use.
    """
    if path is None:
        return Settings()
    path = Path(path)
    if not path.exists():
        return Settings()
    try:
        raw = tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(
            f"{path}: not a valid settings file ({exc}). Fix the line named, or delete "
            "the file to start again from the defaults."
        ) from None
    return from_dict(raw, str(path))


# --------------------------------------------------------------------------- writing


def to_dict(obj) -> dict:
    """Turn settings into plain dicts/lists (TOML-ready; ``None`` values are left out)."""
    if is_dataclass(obj):
        out = {}
        for f in fields(obj):
            v = to_dict(getattr(obj, f.name))
            if v is not None:
                out[f.name] = v
        return out
    if isinstance(obj, (tuple, list)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    return obj


def dumps(s: Settings) -> str:
    """The TOML text of ``s``."""
    import tomli_w

    header = (
        "# KAM Playbook settings: the decisions the playbook uses.\n"
        "# Written by kamlib.settings.save; edit by hand or from the workshop widgets.\n"
        "# Keys left out take their defaults (see kamlib/settings.py and the modules).\n\n"
    )
    return header + tomli_w.dumps(_drop_empty(to_dict(s)))


def _drop_empty(d):
    if isinstance(d, dict):
        return {k: _drop_empty(v) for k, v in d.items() if v != {} and v is not None}
    return d


def save(s: Settings, path: str | Path = DEFAULT_SETTINGS_FILE) -> Path:
    """Write the settings file (whole, via a temporary file). Returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(s), encoding="utf-8")
    tmp.replace(path)
    return path


def replace(s, dotted: str, value, _done: str = ""):
    """Return a copy of settings ``s`` with one value changed, by dotted key.

    ``replace(s, "selection.abc.top_share", 0.25)``. The new value is validated like
    one read from the file; an error names the full dotted key.
    """
    if dotted == "company_name" and not _done:  # the older name of company.name
        dotted = "company.name"
    head, _, rest = dotted.partition(".")
    here = _join(_done, head)
    names = [f.name for f in fields(s)]
    if head not in names:
        close = difflib.get_close_matches(head, names, n=1)
        hint = f" Did you mean '{_join(_done, close[0])}'?" if close else ""
        raise SettingsError(f"unknown setting '{_join(_done, dotted)}'.{hint}")
    if rest:
        new = replace(getattr(s, head), rest, value, here)
    else:
        tp = typing.get_type_hints(type(s))[head]
        new = _convert(tp, to_dict(value), here, "settings")
    try:
        return dataclasses.replace(s, **{head: new})
    except (TypeError, ValueError) as exc:
        if getattr(exc, "located", False):
            raise
        raise _located("settings", here, exc) from None
