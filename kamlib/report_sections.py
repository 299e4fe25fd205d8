"""The sections of one customer's key account plan (the cells of the report template).

The template ``notebooks/templates/account_plan.ipynb`` is a list of thin calls::

    from kamlib import report_sections as rs
    a = rs.account(customer_id, data_source, settings_file, analysis_year)
    rs.title(a)
    rs.at_a_glance(a)
    rs.profile(a)          # ... one call per section

Each section returns an :class:`kamlib.report_html.Html` block (Jupyter shows it as
HTML): headings, figures formatted with units (:mod:`kamlib.formatting`), tables of
formatted text, charts as inline PNG (:mod:`kamlib.report_charts`). Text from the data
is escaped. No code, no DataFrame dumps.

**Two kinds of state.**

- :class:`Portfolio` - everything computed over *all* customers (the data, the
  key-account list, segments, visit plan, objectives, anonymised medians...). It is
  the same for every customer of a batch, depends only on (data files and their
  modification times, settings file content, analysis year), and is cached per
  process by :func:`portfolio` under exactly that key. It is shared, non-customer
  state: caching it is what makes a batch of 200 reports fast.
- :class:`Account` - one customer's own slices (its orders, interactions, contacts,
  assessments, its row of each portfolio table) plus the anonymised ``peers``
  aggregates. Sections read only an :class:`Account`: **privacy by construction** -
  a section cannot show another customer's name or figures because it never gets
  them. Portfolio comparisons are medians over groups of at least
  ``ReportSettings.min_group_size`` customers (5), never one other customer.

**Sections that depend on other modules** (segments and levers of
``kamlib.segmentation``, the rebate projection of ``kamlib.rebates``, the service
plan of ``kamlib.service``) show "not available yet" when the function does not exist,
and "could not be computed" with the reason when it failed for the whole portfolio;
the report is still written.

Personal details of contacts (names, e-mails: ``schema.PERSONAL_COLUMNS``) appear only
when ``show_personal_details=True``.
"""

from __future__ import annotations

import copy
import hashlib
import math
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kamlib import formatting as fmt
from kamlib import measures, schema
from kamlib import unknowns as U
from kamlib import report_html as H
from kamlib.report_html import Html

# ------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class ReportSettings:
    """Thresholds of the report's signals and comparisons.

    ``contact_watch_days`` / ``contact_alert_days``: a decision maker not contacted for
    this many days is a decay signal (watch / alert; primer §5, "contacts not seen for
    long"). ``volume_drop``: a fall of volume larger than this fraction, year on year,
    is a signal. ``share_drop_points``: a fall of share of wallet of this many
    percentage points (as a fraction) over two years is a signal. ``otif_min``: on time
    in full below this is a signal. ``min_group_size``: comparisons with the portfolio
    use medians over at least this many customers, so no other customer's figure can
    be read from them. ``max_actions``: next actions listed. ``history_years``: years
    shown in the history (``None``: the settings' ``period.history_years``).
    """

    contact_watch_days: int = 90
    contact_alert_days: int = 180
    volume_drop: float = 0.05
    share_drop_points: float = 0.05
    otif_min: float = 0.90
    min_group_size: int = 5
    max_actions: int = 8
    history_years: int | None = None

    def __post_init__(self) -> None:
        if not 0 < self.contact_watch_days <= self.contact_alert_days:
            raise ValueError("reports: need 0 < contact_watch_days ≤ contact_alert_days")
        if self.min_group_size < 3:
            raise ValueError("reports: min_group_size must be at least 3 (privacy: a "
                             "median of two customers reveals the other's figure)")
        if not 0 <= self.otif_min <= 1:
            raise ValueError("reports: otif_min is a fraction between 0 and 1")


# ------------------------------------------------------------------ the portfolio


@dataclass
class Portfolio:
    """Portfolio-wide results (all customers): shared, non-customer state.

    ``kd``: the data; ``s``: the settings (analysis year applied); ``year``: the
    analysis year; ``years``: the history shown; ``as_of``: the date "days since" are
    counted to (end of the analysis year, or the last date in the data if earlier);
    ``yearly``: :func:`kamlib.measures.customer_year`; ``wallet``:
    :func:`kamlib.measures.share_of_wallet`; ``complaints``: complaints per
    (customer, year); ``tables``: named portfolio results of other modules (``key``,
    ``accounts``, ``segments``, ``levers``, ``rebate_projection``, ``relationship``,
    ``packages``, ``visit_plan``, ``objectives``, ``complaint_trend``, ``supply``),
    ``status``: for each, ``"ok"``, ``"missing"`` (function not written yet) or the
    error; ``peers``: anonymised medians (see :func:`_peers`); ``company``: who the
    text speaks of (:func:`kamlib.settings.company_for`: the sample company on the
    sample, neutral words on other data), made current for :mod:`kamlib.formatting`.
    """

    kd: object
    s: object
    rs: ReportSettings
    year: int
    years: list[int]
    as_of: pd.Timestamp
    yearly: pd.DataFrame
    wallet: pd.DataFrame
    complaints: pd.Series
    tables: dict = field(default_factory=dict)
    status: dict = field(default_factory=dict)
    peers: dict = field(default_factory=dict)
    positions: dict = field(default_factory=dict)
    key: tuple = ()
    company: fmt.Company = field(default_factory=fmt.Company)

    def rows(self, table: str, customer_id: str) -> pd.DataFrame:
        """The rows of ``table`` (a raw table of ``kd``) for one customer (positional)."""
        idx = self.positions[table].get(customer_id)
        df = getattr(self.kd, table)
        if idx is None:
            return df.iloc[0:0]
        return df.iloc[idx]


_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 2


def _file_signature(path: Path) -> tuple:
    """(name, size, mtime) of a data file, or of every file in a data folder."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file())
    elif path.exists():
        files = [path]
    else:
        return (str(path), "missing")
    return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files)


def settings_signature(settings_file) -> str:
    """A hash of the settings file's content (``"defaults"`` without a file)."""
    if not settings_file:
        return "defaults"
    p = Path(settings_file)
    if not p.exists():
        return "defaults"
    return hashlib.sha256(p.read_bytes()).hexdigest()


def portfolio_key(data_source, settings_file=None, analysis_year=None,
                  rs: ReportSettings | None = None) -> tuple:
    """The cache key of :func:`portfolio`: data files (names, sizes, modification
    times), settings content, analysis year, report settings. Never a customer."""
    from kamlib import data

    folder = data.resolve_source(data_source)
    return (str(Path(folder).resolve()), _file_signature(folder),
            settings_signature(settings_file), analysis_year, rs or ReportSettings())


def portfolio(data_source="sample", settings_file=None, analysis_year=None,
              rs: ReportSettings | None = None) -> Portfolio:
    """The portfolio-wide results for ``data_source`` and ``settings_file``, cached.

    Computed once per process for a given :func:`portfolio_key` (data files and their
    modification times, settings file content, analysis year): every customer of a
    batch gets the *same* object, and a changed data file or settings file gives a new
    one. ``analysis_year``: ``None`` = the settings' ``period.analysis_year``.
    """
    key = portfolio_key(data_source, settings_file, analysis_year, rs)
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
        return hit
    p = _build_portfolio(data_source, settings_file, analysis_year, rs)
    p.key = key
    _CACHE[key] = p
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return p


def seed_cache(path, data_source="sample", settings_file=None, analysis_year=None,
               rs: ReportSettings | None = None) -> bool:
    """Put a portfolio computed elsewhere (a pickle of ``(key, Portfolio)`` written by
    the batch runner) into this process's cache - only if ``key`` equals this
    process's own :func:`portfolio_key` for the same arguments (same data files and
    modification times, settings content, year). Returns whether it was used."""
    import pickle

    with open(path, "rb") as f:
        key, p = pickle.load(f)
    if key != portfolio_key(data_source, settings_file, analysis_year, rs):
        return False
    _CACHE[key] = p
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return True


def clear_cache() -> None:
    """Forget the cached portfolios (tests; a long-lived kernel after big changes)."""
    _CACHE.clear()


def _optional(p: Portfolio, name: str, module, function: str, call) -> None:
    """Compute ``p.tables[name]`` with ``call(fn)`` when ``module.function`` exists."""
    fn = getattr(module, function, None)
    if fn is None:
        p.status[name] = "missing"
        return
    try:
        p.tables[name] = call(fn)
        p.status[name] = "ok"
    except Exception as exc:  # noqa: BLE001 - shown in the report, not fatal to it
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        p.status[name] = f"{type(exc).__name__}: {first}"[:300]


def _build_portfolio(data_source, settings_file, analysis_year, rs: ReportSettings | None
                     ) -> Portfolio:
    from kamlib import data, rebates, segmentation, selection, service, settings

    kd = data.load(data_source)
    s = settings.load(settings_file) if settings_file else settings.Settings()
    if rs is None:  # a [reports] section of the settings file, once Settings has one
        rs = getattr(s, "reports", None)
        rs = rs if isinstance(rs, ReportSettings) else ReportSettings()
    if kd.orders.empty:
        raise ValueError(f"the data at {kd.source} has no orders: nothing to report on")
    try:  # the year asked for, else the settings', else the latest complete year
        s = settings.for_data(s, kd, int(analysis_year or 0))
    except settings.SettingsError as exc:
        raise ValueError(f"{exc} (kam reports --year sets it for one run)") from None
    year = int(s.period.analysis_year)
    n_hist = rs.history_years or s.period.history_years
    years = [y for y in range(year - n_hist + 1, year + 1) if y >= kd.years[0]]
    last = max(kd.orders["order_date"].max(),
               kd.interactions["date"].max() if len(kd.interactions) else pd.NaT)
    as_of = min(pd.Timestamp(year=year, month=12, day=31), last)

    orders = kd.orders
    yearly = U.mask(measures.customer_year(orders), kd.available)
    wallet = measures.share_of_wallet(orders, kd.assessments)
    it = kd.interactions
    comp = it.loc[it["type"] == "complaint"]
    complaints = comp.groupby([comp["customer_id"], comp["date"].dt.year.rename("year")]
                              ).size()
    p = Portfolio(kd=kd, s=s, rs=rs, year=year, years=years, as_of=as_of, yearly=yearly,
                  wallet=wallet, complaints=complaints,
                  company=settings.company_for(s, kd))
    fmt.set_company(p.company)
    for table in ("orders", "interactions", "contacts", "assessments", "rebates"):
        df = getattr(kd, table)
        p.positions[table] = (df.groupby("customer_id", sort=False).indices
                              if len(df) else {})

    _optional(p, "key", selection, "key_accounts", lambda f: f(kd, s))
    _optional(p, "accounts", service, "key_account_table", lambda f: f(kd, s))
    acc = p.tables.get("accounts")
    _optional(p, "segments", segmentation, "segments", lambda f: f(kd, s))
    _optional(p, "levers", segmentation, "levers", lambda f: f(kd, s))
    _optional(p, "rebate_projection", rebates, "account_projection", lambda f: f(kd, s))
    _optional(p, "complaint_trend", service, "complaint_trend", lambda f: f(kd, s))
    for name in ("key", "accounts", "relationship", "packages"):
        if isinstance(p.tables.get(name), pd.DataFrame):  # an unknown is not a 0
            p.tables[name] = U.mask(p.tables[name], kd.available)
    if acc is not None and len(acc):
        _optional(p, "relationship", service, "relationship_levels",
                  lambda f: f(kd, s, acc))
        _optional(p, "packages", service, "service_packages", lambda f: f(kd, s, acc))
        _optional(p, "visit_plan", service, "visit_plan",
                  lambda f: f(acc, s, customers=kd.customers))
        plan = p.tables.get("visit_plan")
        _optional(p, "objectives", service, "objectives",
                  lambda f: f(kd, s, acc, plan=plan))
        _optional(p, "supply", service, "supply_priority", lambda f: f(kd, s, acc))
    else:
        for name in ("relationship", "packages", "visit_plan", "objectives", "supply"):
            p.status[name] = p.status.get("accounts", "missing") if acc is None else \
                "no key accounts"
    try:
        import importlib

        review = importlib.import_module("kamlib.review")
    except ImportError:
        review = None
    if review is not None and "key" in p.tables:
        _optional(p, "review", review, "account_review",
                  lambda f: f(kd, s, key_table=p.tables["key"]))
    if "objectives" in p.tables:
        from kamlib import plan as _plan

        _optional(p, "plan", _plan, "build", lambda f: f(kd, s, p.tables, as_of=as_of))
    else:
        p.status["plan"] = p.status.get("objectives", "missing")
    p.peers = _peers(p)
    return p


def _median_or_none(values, n_min: int):
    v = pd.Series(values, dtype="float64").dropna()
    if len(v) < n_min:
        return None
    return float(v.median())


def _peers(p: Portfolio) -> dict:
    """Anonymised medians of the analysis year over the key accounts (or, without a
    key-account list, the active customers), each over at least ``min_group_size``
    customers, else ``None``.

    Keys: ``group`` (label), ``n`` (customers), ``revenue``, ``volume_kg``,
    ``gross_margin_pct``, ``on_time_in_full_rate``, ``complaints_per_100_orders``,
    ``share_of_wallet``, ``net_price_per_kg``, ``volume_by_year`` (Series by year or
    ``None``), ``n_active`` (active customers: the base of the revenue rank).
    """
    y = p.year
    yr = p.yearly.xs(y, level="year") if y in p.yearly.index.get_level_values("year") \
        else p.yearly.iloc[0:0]
    active = yr.index[yr["revenue"] > 0]
    key = p.tables.get("key")
    group, label = active, "active customers"
    if key is not None and "is_key" in key.columns:
        k = key.index[key["is_key"].astype(bool)]
        if len(k) >= p.rs.min_group_size:
            group, label = k, "key accounts"
    n_min = p.rs.min_group_size
    g = yr.reindex(group)
    comp = p.complaints.xs(y, level="year") if len(p.complaints) and \
        y in p.complaints.index.get_level_values("year") else pd.Series(dtype=float)
    per100 = 100 * comp.reindex(group).fillna(0).to_numpy(float) / np.maximum(
        g["order_count"].fillna(0).to_numpy(float), 1)
    w = p.wallet["share_of_wallet"]
    wy = w.xs(y, level="year") if y in w.index.get_level_values("year") else \
        pd.Series(dtype=float)
    vol = p.yearly["volume_kg"].unstack("year").reindex(index=group, columns=p.years)
    by_year = None
    if len(group) >= n_min:
        by_year = vol.fillna(0.0).median()
    return {
        "group": label,
        "n": int(len(group)),
        "n_active": int(len(active)),
        "revenue": _median_or_none(g["revenue"], n_min),
        "volume_kg": _median_or_none(g["volume_kg"], n_min),
        "gross_margin_pct": _median_or_none(g["gross_margin_pct"], n_min),
        "on_time_in_full_rate": _median_or_none(g["on_time_in_full_rate"], n_min),
        "complaints_per_100_orders": _median_or_none(per100, n_min),
        "share_of_wallet": _median_or_none(wy.reindex(group), n_min),
        "net_price_per_kg": _median_or_none(g["net_price_per_kg"], n_min),
        "volume_by_year": by_year,
    }


# ------------------------------------------------------------------- one account


class CustomerNotFound(ValueError):
    """The customer id is not in the data."""


@dataclass
class Account:
    """One customer's share of the data and of the portfolio results.

    ``customer_id``, ``name``; ``profile`` (its row of ``customers``, a dict);
    ``orders``, ``interactions``, ``contacts``, ``assessments``, ``rebates_paid``: its
    rows of the raw tables; ``yearly`` (its :func:`kamlib.measures.customer_year`,
    index year, the history years); ``wallet`` (index year); ``complaints`` (per
    year); ``rows``: its row of each portfolio table (``None`` where it has none);
    ``status``: availability of each portfolio table; ``peers``: anonymised medians;
    ``year``, ``years``, ``as_of``; ``show_personal_details``.
    """

    customer_id: str
    name: str
    profile: dict
    orders: pd.DataFrame
    interactions: pd.DataFrame
    contacts: pd.DataFrame
    assessments: pd.DataFrame
    rebates_paid: pd.DataFrame
    yearly: pd.DataFrame
    wallet: pd.DataFrame
    complaints: pd.Series
    rows: dict
    status: dict
    peers: dict
    year: int
    years: list[int]
    as_of: pd.Timestamp
    rs: ReportSettings
    settings: object
    show_personal_details: bool = False
    visits: pd.DataFrame | None = None
    levers: pd.DataFrame | None = None
    plan: object = None
    """The account's :class:`kamlib.plan.AccountPlan` (None: not a planned account)."""
    available: frozenset = field(default_factory=lambda: frozenset(schema.CAPABILITIES))
    """What the data allows (``KamData.available``): figures that need a capability it
    lacks are unknown (:mod:`kamlib.unknowns`), never shown as 0."""
    _memo: dict = field(default_factory=dict, repr=False)

    @property
    def is_key(self) -> bool:
        k = self.rows.get("key")
        return bool(k is not None and bool(k.get("is_key", False)))


def _row(df, customer_id: str):
    """The row of ``df`` for one customer as a dict, or ``None``."""
    if df is None or not isinstance(df, pd.DataFrame) or df.empty:
        return None
    if df.index.name != "customer_id" and "customer_id" in df.columns:
        m = df.loc[df["customer_id"].astype(str) == customer_id]
        return None if m.empty else m.iloc[0].to_dict()
    try:
        idx = df.index.astype(str)
    except (TypeError, ValueError):
        return None
    pos = np.flatnonzero(idx == customer_id)
    if len(pos) == 0:
        return None
    return df.iloc[int(pos[0])].to_dict()


def _rows_of(df, customer_id: str) -> pd.DataFrame | None:
    """All rows of ``df`` for one customer (index or column ``customer_id``)."""
    if df is None or not isinstance(df, pd.DataFrame):
        return None
    if "customer_id" in df.columns:
        return df.loc[df["customer_id"].astype(str) == customer_id]
    if df.index.name == "customer_id":
        return df.loc[df.index.astype(str) == customer_id]
    return None


def account(customer_id: str, data_source="sample", settings_file=None,
            analysis_year=None, *, show_personal_details: bool = False,
            rs: ReportSettings | None = None) -> Account:
    """One customer's :class:`Account` (the portfolio is computed once per process).

    Raises :class:`CustomerNotFound` (a ``ValueError``) naming the data when the id is
    not a customer.
    """
    p = portfolio(data_source, settings_file, analysis_year or None, rs)
    fmt.set_company(p.company)  # money() and quantity() speak this company's units
    cid = str(customer_id).strip()
    cust = p.kd.customers
    match = cust.loc[cust["customer_id"].astype(str) == cid]
    if match.empty:
        raise CustomerNotFound(
            f"customer {cid!r} is not in the data at {p.kd.source} (customers.csv has "
            f"{len(cust)} customers, e.g. {cust['customer_id'].iloc[0]}). Check the id."
        )
    prof = match.iloc[0].to_dict()
    years = p.years
    try:
        yearly = p.yearly.xs(cid, level="customer_id")
    except KeyError:
        yearly = p.yearly.iloc[0:0].droplevel("customer_id")
    yearly = yearly.reindex(years)
    for col in measures.SUM_COLUMNS + ["order_count", "line_count"]:
        if col in yearly.columns:
            yearly[col] = yearly[col].fillna(0.0)
    yearly = U.mask(yearly, p.kd.available)  # no cost in the data: margin unknown, not 0
    try:
        wallet = p.wallet.xs(cid, level="customer_id").reindex(years)
    except KeyError:
        wallet = pd.DataFrame(index=pd.Index(years, name="year"),
                              columns=p.wallet.columns, dtype=float)
    try:
        comp = p.complaints.xs(cid, level="customer_id")
    except KeyError:
        comp = pd.Series(dtype="int64")
    comp = comp.reindex(years, fill_value=0).astype("int64")
    if U.is_unknown(p.kd.available, "complaints"):
        comp = comp.astype("float64") * np.nan  # no interactions: complaints unknown
    rows = {name: _row(t, cid) for name, t in p.tables.items()
            if isinstance(t, pd.DataFrame)}
    plan = p.tables.get("visit_plan")
    visits = None
    if plan is not None and hasattr(plan, "for_customer"):
        visits = plan.for_customer(cid).copy()
    levers = _rows_of(p.tables.get("levers"), cid)
    the_plan = p.tables.get("plan")
    return Account(
        plan=the_plan.for_customer(cid) if the_plan is not None else None,
        customer_id=cid, name=str(prof.get("customer_name", cid)), profile=prof,
        orders=p.rows("orders", cid), interactions=p.rows("interactions", cid),
        contacts=p.rows("contacts", cid), assessments=p.rows("assessments", cid),
        rebates_paid=p.rows("rebates", cid), yearly=yearly, wallet=wallet,
        complaints=comp, rows=rows, status=dict(p.status), peers=copy.deepcopy(p.peers),
        year=p.year, years=list(years), as_of=p.as_of, rs=p.rs, settings=p.s,
        show_personal_details=bool(show_personal_details), visits=visits,
        levers=None if levers is None else levers.copy(),
        available=frozenset(p.kd.available),
    )


# ----------------------------------------------------------------- formatting


def _num(x) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v


def _ok(x) -> bool:
    return math.isfinite(_num(x))


def change(new, old) -> str:
    """Relative change as text: ``+5%``, ``-12%``; ``new`` when old is 0; ``n/a``."""
    n, o = _num(new), _num(old)
    if not (math.isfinite(n) and math.isfinite(o)):
        return "n/a"
    if o == 0:
        return "new" if n > 0 else "n/a"
    r = round(100 * (n - o) / abs(o))
    return "0%" if r == 0 else f"{r:+.0f}%"


def points(new, old) -> str:
    """Change of a share in percentage points: ``+3 pts``."""
    n, o = _num(new), _num(old)
    if not (math.isfinite(n) and math.isfinite(o)):
        return "n/a"
    r = round(100 * (n - o))
    return "0 pts" if r == 0 else f"{r:+.0f} pts"


def date(x) -> str:
    """``14 Oct 2025``; ``n/a`` for missing."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x):
        return "n/a"
    return pd.Timestamp(x).strftime("%d %b %Y").lstrip("0")


def count(x) -> str:
    return "n/a" if not _ok(x) else f"{_num(x):,.0f}"


def score5(x) -> str:
    return "n/a" if not _ok(x) else f"{_num(x):.0f}/5"


def yes_no(x) -> str:
    return "yes" if bool(x) else "no"


def _label(col: str) -> str:
    return str(col).replace("_", " ").replace(" kg", " (kg)").strip().capitalize()


def auto(col: str, value) -> str:
    """Format a value of a column whose meaning is known by its name (tables of other
    modules shown generically): money, kg, shares, prices, dates, counts, text."""
    c = str(col).lower()
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return yes_no(value)
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return date(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            return "n/a"
        if any(w in c for w in ("elasticity", "score", "z_", "strength")):
            return f"{v:+.2f}"
        if c.endswith("_kg") or c in ("volume", "kg"):
            return fmt.kg(v)
        if any(w in c for w in ("share", "pct", "rate", "ratio", "realisation", "growth",
                                "probability", "confidence", "coverage")):
            return fmt.pct(v, 1 if abs(v) < 0.1 else 0)
        if "price" in c or c.endswith("_per_kg"):
            return fmt.price(v)
        if any(w in c for w in ("revenue", "margin", "profit", "cost", "rebate", "value",
                                "eur", "amount", "budget", "paid", "earned", "accrual",
                                "settlement", "payment", "bonus")):
            return fmt.eur(v)
        if float(v).is_integer():
            return f"{v:,.0f}"
        return f"{v:,.2f}"
    return str(value)


def unavailable(what: str, status: str) -> Html:
    """The note shown instead of a section part whose portfolio result is missing."""
    if status == "missing":
        text = f"{what}: not available yet (the playbook's module for it is still being " \
               "written)."
    elif status in ("no key accounts",):
        text = f"{what}: not available (no key accounts in the data)."
    else:
        text = f"{what}: could not be computed for the portfolio ({status})."
    return H.tag("p", text, class_="unavailable")


def known(a: Account, measure: str, value, formatter=str) -> str:
    """``formatter(value)``, or "not in the data" when the data cannot give
    ``measure`` (:mod:`kamlib.unknowns`): an unknown is never shown as a 0."""
    return U.cell(a.available, measure, value, formatter)


def unknown(a: Account, measure: str) -> bool:
    """True when the data cannot give ``measure`` (no costs for a margin...)."""
    return U.is_unknown(a.available, measure)


def unknown_note(a: Account, labels: dict[str, str]) -> Html | None:
    """The line under a table or a block naming its figures the data cannot give and
    what to add (``None`` when all are known)."""
    t = U.note(a.available, labels)
    return H.tag("p", t, class_="unavailable") if t else None


def not_key_note(what: str) -> Html:
    return H.tag("p", f"{what}: planned for key accounts only; this customer is not on "
                 "the key-account list.", class_="unavailable")


# -------------------------------------------------------------------- sections


def _first_year_with_orders(a: Account):
    f = a.profile.get("first_order_date")
    if f is not None and not pd.isna(f):
        return pd.Timestamp(f)
    return a.orders["order_date"].min() if len(a.orders) else None


def title(a: Account) -> Html:
    """The title block: who, where, who looks after it, which year, and the TOC."""
    p = a.profile
    where = ", ".join(str(x) for x in (p.get("country"), p.get("region")) if x)
    sub = " · ".join(str(x) for x in (
        a.customer_id, p.get("industry"), where,
        f"account manager {p.get('account_manager')}" if p.get("account_manager") else None,
    ) if x)
    peers = a.peers
    comp = (f"comparisons use anonymised medians of {peers['n']} {peers['group']}"
            if peers.get("revenue") is not None else "no portfolio comparisons")
    conf = (f"Confidential. Figures of {a.name} only; {comp}. Analysis year {a.year}, "
            f"data up to {date(a.as_of)}.")
    toc = [("summary", "Plan on a page"), ("glance", "At a glance"),
           ("objectives", "Objectives"), ("actions", "Action plan"), ("risks", "Risks"),
           ("opportunities", "Opportunities"), ("profile", "Profile and buying centre"),
           ("history", "History"), ("position", "Position"),
           ("sensitivity", "Buying drivers"), ("rebates", "Rebates"),
           ("service", "Service and relationship"), ("visits", "Visit plan"),
           ("appendix", "Appendix")]
    links = " · ".join(f'<a href="#{k}">{H.esc(v)}</a>' for k, v in toc)
    return Html(
        f"<header><h1>Key account plan: {H.esc(a.name)}</h1>"
        f'<p class="subtitle">{H.esc(sub)}</p>'
        f'<p class="confidential">{H.esc(conf)}</p>'
        f'<p class="toc">{links}</p></header>'
    )


def _y(a: Account, col: str, year=None):
    year = a.year if year is None else year
    if col not in a.yearly.columns or year not in a.yearly.index:
        return math.nan
    return a.yearly.at[year, col]


def _key_text(a: Account) -> str:
    k = a.rows.get("key")
    if k is None:
        return "not on the key-account list" if a.status.get("key") == "ok" else \
            "key-account list not available"
    parts = ["KEY ACCOUNT" if k.get("is_key") else "not a key account"]
    if k.get("abc_class"):
        parts.append(f"class {k['abc_class']}")
    if k.get("pyramid_tier"):
        parts.append(f"tier {k['pyramid_tier']}")
    return " · ".join(parts)


def at_a_glance(a: Account) -> Html:
    """Headline figures of the analysis year with their change, the status and the
    three first next actions: the first screen an account manager reads."""
    y, y0 = a.year, a.year - 1
    k = a.rows.get("key") or {}
    peers = a.peers
    rev, rev0 = _y(a, "revenue"), _y(a, "revenue", y0)
    vol, vol0 = _y(a, "volume_kg"), _y(a, "volume_kg", y0)
    gm = _y(a, "gross_margin_pct")
    otif = _y(a, "on_time_in_full_rate")
    sow = a.wallet["share_of_wallet"].get(y, math.nan) if len(a.wallet) else math.nan
    sow0 = a.wallet["share_of_wallet"].get(y0, math.nan) if len(a.wallet) else math.nan
    comp, comp0 = a.complaints.get(y, 0), a.complaints.get(y0, 0)
    competitor = _competitor(a)
    items = [
        (f"Revenue {y}", fmt.eur(rev), f"{change(rev, rev0)} vs {y0}"),
        (f"Volume {y}", fmt.kg(vol), f"{change(vol, vol0)} vs {y0}"),
        ("Gross margin", known(a, "gross_margin_pct", gm, fmt.pct),
         U.add_text("costs") if unknown(a, "gross_margin") else
         fmt.eur(_y(a, "gross_margin")) + " in " + str(y)),
    ]
    if k.get("profit") is not None and _ok(k.get("profit")):
        items.append(("Profit after cost to serve", fmt.eur(k["profit"]),
                      f"after rebates {fmt.eur(k.get('rebate'))}, service "
                      f"{fmt.eur(k.get('cost_to_serve'))}"))
    items.append(("Share of wallet", known(a, "share_of_wallet", sow, fmt.pct),
                  U.add_text("assessments") if unknown(a, "share_of_wallet") else
                  f"{points(sow, sow0)} vs {y0}" + (f"; rival {competitor}" if competitor
                                                    else "")))
    med = peers.get("on_time_in_full_rate")
    items.append(("On time in full", known(a, "on_time_in_full_rate", otif, fmt.pct),
                  U.add_text("deliveries") if unknown(a, "on_time_in_full_rate") else
                  f"median {peers['group']}: {fmt.pct(med)}" if med is not None else ""))
    items.append((f"Complaints {y}", known(a, "complaints", comp, count),
                  U.add_text("interactions") if unknown(a, "complaints") else
                  f"{count(comp0)} in {y0}"))
    if _ok(k.get("score")):
        items.append(("Key-account score", f"{_num(k['score']):.0f}/100",
                      f"rank {count(k.get('score_rank'))} of {peers.get('n_active', '?')}"))
    status = _key_text(a)
    seg = _segment(a)
    if seg:
        status += f" · buying driver: {seg}"
    acts = actions_list(a)[:3] if a.plan is None else []
    blocks = [H.tag("p", H.tag("strong", status)), H.kpis(items)]
    if acts:
        blocks.append(H.tag("h3", "First things to do"))
        blocks.append(H.bullets([Html(f"{H.badge(x['priority_label'], x['level'])} "
                                      f"{H.esc(x['action'])}") for x in acts],
                                class_="actions"))
    return H.section("At a glance", *blocks, anchor="glance")


def _competitor(a: Account) -> str:
    if "main_competitor" not in a.wallet.columns:
        return ""
    c = a.wallet["main_competitor"].dropna()
    c = c[c.astype(str).str.strip() != ""]
    return str(c.iloc[-1]) if len(c) else ""


def _segment(a: Account) -> str:
    for name in ("segments", "accounts"):
        r = a.rows.get(name)
        if r and r.get("segment") and str(r.get("segment")) not in ("nan", "<NA>"):
            seg = str(r["segment"])
            mixed = r.get("mixed_types")
            if seg == "mixed" and mixed and str(mixed) not in ("nan", "<NA>", ""):
                seg += f" ({mixed})"
            return seg
    return ""


def contacts_table(a: Account) -> pd.DataFrame:
    """The buying centre of the customer, one row per contact, as shown in the report.

    Columns: ``Role``, ``Decision maker``, ``Influence``, ``Relationship``,
    ``Last contact``, ``Days since`` - and ``Name``, ``E-mail`` only when
    ``show_personal_details``. Decision makers first, then by influence.
    """
    c = a.contacts
    if c.empty:
        return pd.DataFrame(columns=["Role", "Decision maker", "Influence",
                                     "Relationship", "Last contact", "Days since"])
    c = c.sort_values(["is_decision_maker", "influence"], ascending=[False, False],
                      kind="stable")
    days = (a.as_of - c["last_contact_date"]).dt.days
    out = pd.DataFrame({
        "Role": c["role"].astype(str).to_numpy(),
        "Decision maker": np.where(c["is_decision_maker"].to_numpy(bool), "yes", "no"),
        "Influence": [score5(v) for v in c["influence"]],
        "Relationship": [score5(v) for v in c["relationship_strength"]],
        "Last contact": [date(v) for v in c["last_contact_date"]],
        "Days since": [count(v) for v in days],
    })
    if a.show_personal_details:
        out.insert(0, "E-mail", c["email"].astype(str).to_numpy())
        out.insert(0, "Name", c["contact_name"].astype(str).to_numpy())
    return out


def _contact_signal(a: Account) -> tuple[str, str, int | None]:
    """(level, text, days) for the decision makers' last contact."""
    c = a.contacts
    if unknown(a, "decision_makers"):
        return "info", "buying centre " + U.text("contacts"), None
    if c.empty:
        return "alert", "no contacts recorded at this customer", None
    dm = c.loc[c["is_decision_maker"].astype(bool)]
    if dm.empty:
        return "alert", "no decision maker known in the buying centre", None
    days = (a.as_of - dm["last_contact_date"]).dt.days
    if days.isna().all():
        return "watch", "no contact date recorded for the decision makers", None
    worst = int(days.max())
    roles = ", ".join(sorted(set(dm.loc[days == worst, "role"].astype(str))))
    if worst >= a.rs.contact_alert_days:
        lvl = "alert"
    elif worst >= a.rs.contact_watch_days:
        lvl = "watch"
    else:
        lvl = "ok"
    n = len(dm)
    return lvl, (f"{n} decision maker{'s' if n > 1 else ''}; the longest without contact "
                 f"({roles}) was last seen {worst} days ago"), worst


def profile(a: Account) -> Html:
    """Company facts, the buying centre (roles, decision makers, influence,
    relationship strength, days since last contact) and the latest assessment."""
    p = a.profile
    first = _first_year_with_orders(a)
    since = "n/a"
    if first is not None and not pd.isna(first):
        yrs = (a.as_of - first).days / 365.25
        since = f"{date(first)} ({yrs:.0f} years)"
    ass = a.assessments.sort_values("year") if len(a.assessments) else a.assessments
    last = ass.iloc[-1] if len(ass) else None
    facts = [
        ("Customer number", a.customer_id),
        ("Industry", p.get("industry") or "n/a"),
        ("Country / region", ", ".join(str(x) for x in (p.get("country"), p.get("region"))
                                       if x) or "n/a"),
        ("Size", p.get("size_band") or "n/a"),
        ("Customer since", since),
        ("Account manager", p.get("account_manager") or "n/a"),
        ("Main competitor at the customer", _competitor(a) or "none known"),
    ]
    blocks = [H.facts(facts), H.tag("h3", "Buying centre: who uses, buys, supports and "
                                          "decides")]
    ct = contacts_table(a)
    if ct.empty:
        blocks.append(H.tag("p", "No contacts recorded. Map the buying centre at the next "
                                 "visit: purchasing, technical, production, quality and "
                                 "management.", class_="unavailable"))
    else:
        num = [c in ("Days since",) for c in ct.columns]
        note = None if a.show_personal_details else \
            "Names and e-mails are left out (personal data); ask for a report with " \
            "personal details if you need them."
        blocks.append(H.table(list(ct.columns), ct.itertuples(index=False, name=None),
                              numeric=num, note=note))
        from kamlib import schema

        roles = set(a.contacts["role"].astype(str))
        missing = [r for r in schema.CONTACT_ROLES if r not in roles]
        lvl, text, _ = _contact_signal(a)
        lines = [Html(f"{H.badge(lvl, lvl)} {H.esc(text)}.")]
        if missing:
            lines.append(f"Roles we do not know anyone in: {', '.join(missing)}.")
        else:
            lines.append("Every role of the buying centre has a contact.")
        blocks.append(H.bullets(lines))
    if last is not None:
        blocks.append(H.tag("h3", f"Account manager's assessment ({int(last['year'])})"))
        blocks.append(H.table(
            ["Information sharing", "Cooperation", "Strategic fit", "Growth potential",
             "Estimated total use"],
            [[score5(last.get("information_sharing")), score5(last.get("cooperation")),
              score5(last.get("strategic_fit")), score5(last.get("growth_potential")),
              fmt.kg(last.get("estimated_annual_use_kg")) + " a year"]],
            numeric=[True] * 5))
    return H.section("Profile and buying centre", *blocks, anchor="profile")


HISTORY_LABELS = {"gross_margin": "gross margin", "discount_pct": "on-invoice discount",
                  "on_time_in_full_rate": "on time in full", "complaints": "complaints"}
"""The figures of the history that a partial export may lack (measure -> label)."""


def history_table(a: Account) -> pd.DataFrame:
    """The customer's yearly history as formatted text: one row per measure, one column
    per year (volume, revenue, gross margin, net price, discount, on time in full,
    orders, complaints, rebate paid)."""
    yr = a.yearly
    reb = a.rebates_paid.set_index("year")["rebate_paid"] if len(a.rebates_paid) else \
        pd.Series(dtype=float)
    reb.index = [int(i) for i in reb.index]
    rows = [
        ("Volume", [fmt.kg(v) for v in yr["volume_kg"]]),
        ("Revenue", [fmt.eur(v) for v in yr["revenue"]]),
        ("Gross margin", [known(a, "gross_margin", v, fmt.eur) for v in yr["gross_margin"]]),
        ("Gross margin %", [known(a, "gross_margin_pct", v, fmt.pct)
                            for v in yr["gross_margin_pct"]]),
        ("Net price", [fmt.price(v) for v in yr["net_price_per_kg"]]),
        ("On-invoice discount", [known(a, "discount_pct", v, lambda x: fmt.pct(x, 1))
                                 for v in yr["discount_pct"]]),
        ("On time in full", [known(a, "on_time_in_full_rate", v, fmt.pct)
                             for v in yr["on_time_in_full_rate"]]),
        ("Orders", [count(v) for v in yr["order_count"]]),
        ("Complaints", [known(a, "complaints", a.complaints.get(y, 0), count)
                        for y in yr.index]),
        ("Rebate paid", [fmt.eur(reb.get(int(y), 0.0)) for y in yr.index]),
    ]
    return pd.DataFrame([r[1] for r in rows], index=[r[0] for r in rows],
                        columns=[str(y) for y in yr.index])


def history(a: Account, *, charts: bool = True) -> Html:
    """Volume, revenue, margin, net price, on time in full and complaints by year, with
    charts (volume and net price; revenue and margin; service quality; season)."""
    from kamlib import report_charts as C

    t = history_table(a)
    blocks = [H.table(["", *t.columns], [[i, *r] for i, r in zip(t.index, t.to_numpy())],
                      numeric=[False] + [True] * len(t.columns))]
    gap = unknown_note(a, HISTORY_LABELS)
    if gap is not None:
        blocks.append(gap)
    if charts and len(a.orders):
        med = a.peers.get("volume_by_year")
        ax = C.volume_by_year(a.yearly, median=med)
        blocks.append(H.figure(ax.figure, "Bar chart of the volume bought per year, with "
                               "the net price per kg", None))
        ax = C.revenue_margin_by_year(a.yearly)
        blocks.append(H.figure(ax.figure, "Bar chart of revenue and gross margin per year"))
        q = a.yearly[["on_time_in_full_rate"]].copy()
        q["complaints"] = a.complaints.reindex(a.yearly.index, fill_value=0).to_numpy()
        axes = C.service_quality_by_year(q)
        blocks.append(H.figure(axes[0].figure, "Line chart of on-time-in-full rate and bar "
                               "chart of complaints per year"))
        o = a.orders.loc[a.orders["year"].isin(a.years[-3:])]
        if len(o):
            m = o.groupby(["month", "year"])["volume_kg"].sum().unstack("year")
            m = m.reindex(range(1, 13)).fillna(0.0)
            ax = C.monthly_volume(m)
            blocks.append(H.figure(ax.figure, "Line chart of volume per month for the last "
                                   "years"))
    y, y0 = a.year, a.year - 1
    lead = (f"{a.name} bought {fmt.kg(_y(a, 'volume_kg'))} in {y} "
            f"({change(_y(a, 'volume_kg'), _y(a, 'volume_kg', y0))} vs {y0}) for "
            f"{fmt.eur(_y(a, 'revenue'))}, at {fmt.price(_y(a, 'net_price_per_kg'))} net.")
    return H.section("History", *blocks, anchor="history", lead=lead)


def comparison_table(a: Account) -> pd.DataFrame | None:
    """This account against the anonymised median of its peer group (None when the
    group is smaller than ``min_group_size``)."""
    pe = a.peers
    if pe.get("revenue") is None:
        return None
    y = a.year
    sow = a.wallet["share_of_wallet"].get(y, math.nan) if len(a.wallet) else math.nan
    per100 = 100 * _num(a.complaints.get(y, 0)) / max(_y(a, "order_count") or 0, 1)

    def both(label, measure, mine, median, f):
        return (label, known(a, measure, mine, f), known(a, measure, median, f))

    def per(x):
        return "n/a" if x is None or not _ok(x) else f"{_num(x):.1f}"

    rows = [
        ("Revenue", fmt.eur(_y(a, "revenue")), fmt.eur(pe["revenue"])),
        ("Volume", fmt.kg(_y(a, "volume_kg")), fmt.kg(pe["volume_kg"])),
        both("Gross margin %", "gross_margin_pct", _y(a, "gross_margin_pct"),
             pe["gross_margin_pct"], fmt.pct),
        ("Net price", fmt.price(_y(a, "net_price_per_kg")), fmt.price(pe["net_price_per_kg"])),
        both("On time in full", "on_time_in_full_rate", _y(a, "on_time_in_full_rate"),
             pe["on_time_in_full_rate"], fmt.pct),
        both("Complaints per 100 orders", "complaints", per100,
             pe["complaints_per_100_orders"], per),
        both("Share of wallet", "share_of_wallet", sow, pe["share_of_wallet"], fmt.pct),
    ]
    return pd.DataFrame(rows, columns=["Measure", "This account",
                                       f"Median of {pe['n']} {pe['group']}"])


def position(a: Account) -> Html:
    """Class, tier, score with reasons, quadrants, lifetime value, profit, share of
    wallet and competitor, and the comparison with the (anonymised) portfolio."""
    from kamlib import report_charts as C

    k = a.rows.get("key")
    blocks = []
    if k is None:
        blocks.append(unavailable("Key-account position", a.status.get("key", "missing"))
                      if a.status.get("key") != "ok" else
                      H.tag("p", "This customer has no row in the key-account list.",
                            class_="unavailable"))
    else:
        facts = [
            ("Decision", _key_text(a)),
            ("Score", f"{_num(k.get('score')):.0f}/100 (rank {count(k.get('score_rank'))} "
                      f"of {a.peers.get('n_active', '?')} active customers)"
             if _ok(k.get("score")) else "n/a"),
            ("Revenue rank", f"{count(k.get('revenue_rank'))} of "
                             f"{a.peers.get('n_active', '?')} active customers"),
            ("Evaluation against the criteria", _fuzzy_text(a, k)),
            ("Profit now × future", known(a, "profitability_quadrant",
                                          k.get("profitability_quadrant") or "n/a")),
            ("Price × cost to serve", known(a, "price_realisation",
                                            k.get("shapiro_quadrant") or "n/a")),
            ("Portfolio action", str(k.get("portfolio_action") or "n/a")),
            ("Profit after cost to serve", U.text("costs") if unknown(a, "profit") else
             f"{fmt.eur(k.get('profit'))} ({fmt.pct(k.get('profit_margin'))} of revenue)"),
            ("Cost to serve", f"{fmt.eur(k.get('cost_to_serve'))} "
                              f"({fmt.pct(k.get('cost_to_serve_ratio'), 1)} of revenue)"
             + (" - from the orders and deliveries only (no interactions in the data)"
                if unknown(a, "complaints") else "")),
            ("Price realisation", U.text("list_prices") if unknown(a, "price_realisation")
             else fmt.pct(k.get("price_realisation"))
             + " of list price after discounts and rebates"),
            ("Lifetime value", U.text("costs") if unknown(a, "lifetime_value") else
             fmt.eur(k.get("lifetime_value")) + " (discounted future profit)"),
        ]
        blocks.append(H.facts(facts))
        reasons = plain_reasons(str(k.get("reasons") or ""))
        if reasons:
            blocks.append(H.tag("h3", "Why: the decision in words"))
            blocks.append(H.bullets([r.strip() for r in reasons.split(";") if r.strip()]))
    # share of wallet
    w = a.wallet.dropna(subset=["estimated_annual_use_kg"]) if len(a.wallet) else a.wallet
    blocks.append(H.tag("h3", "Share of wallet and competitor"))
    if len(w):
        y = a.year
        sow = a.wallet["share_of_wallet"].get(y, math.nan)
        use = a.wallet["estimated_annual_use_kg"].get(y, math.nan)
        head = max(_num(use) - _num(_y(a, "volume_kg")), 0) if _ok(use) else math.nan
        comp = _competitor(a)
        blocks.append(H.tag("p", (
            f"In {y} we supplied {fmt.pct(sow)} of its estimated use of {fmt.kg(use)}; "
            f"{fmt.kg(head)} went to other suppliers"
            + (f" (main competitor: {comp})." if comp else ".")
        )))
        ax = C.share_of_wallet_by_year(a.wallet.reindex(a.years))
        blocks.append(H.figure(ax.figure, "Bar chart of our volume against the customer's "
                                          "estimated total use per year"))
    else:
        blocks.append(H.tag("p", "No estimate of the customer's total use: ask for it at "
                                 "the next visit (it gives the share of wallet).",
                            class_="unavailable"))
    ct = comparison_table(a)
    if ct is not None:
        blocks.append(H.tag("h3", "Against the portfolio"))
        blocks.append(H.table(list(ct.columns), ct.itertuples(index=False, name=None),
                              numeric=[False, True, True],
                              note="Portfolio figures are medians over the group: no "
                                   "other customer's figures are shown."))
    return H.section("Position", *blocks, anchor="position")


def plain_reasons(text: str) -> str:
    """The key-account list's reasons without method names (they are in the appendix):
    ``"score 76/100 (rank 8, goal 'balanced'; strongest: ...)"`` ->
    ``"score 76/100 (rank 8; strongest: ...)"``."""
    import re

    text = re.sub(r",\s*goal '[^']*'", "", text)
    return re.sub(r"\s*\((Levitt|Kotler|Shapiro|Curry)\)", "", text)


def _fuzzy_text(a: Account, k: dict) -> str:
    """The fuzzy evaluation's grade consistent with its score (plan status rule)."""
    if not _ok(k.get("fuzzy_score")):
        return "n/a"
    grade = k.get("fuzzy_grade", "n/a")
    if a.plan is not None and a.plan.status.get("fuzzy grade", {}).get("grade"):
        grade = a.plan.status["fuzzy grade"]["grade"]
    part = (" - without the relationship criteria (" + U.text("assessments") + ")"
            if unknown(a, "relationship_criteria") else "")
    return f"{grade} ({_num(k.get('fuzzy_score')):.0f}/100){part}"


def _generic(df: pd.DataFrame, drop=()) -> Html:
    """A table of another module's rows for this customer, formatted by column name."""
    cols = [c for c in df.columns if c not in drop and c != "customer_id"]
    rows = [[auto(c, v) for c, v in zip(cols, r)]
            for r in df[cols].itertuples(index=False, name=None)]
    num = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
           for c in cols]
    return H.table([_label(c) for c in cols], rows, numeric=num)


def _facts_of(row: dict, drop=()) -> Html:
    return H.facts([(_label(c), auto(c, v)) for c, v in row.items()
                    if c not in drop and c != "customer_id" and not str(c).startswith("_")])


MAX_LEVERS = 5
"""Levers shown in full (strongest evidence first); the others are named only."""

_SEGMENT_MEANING = {
    "price": "buys on price: deals, off-season stock, economy grades, big packs, "
             "frequent price negotiations",
    "service": "buys on service: reliable deliveries, fast answers to complaints and "
               "requests",
    "technology": "buys on technology: technical support, trials, custom grades, new "
                  "products",
    "mixed": "two drivers stand out together",
    "unclear": "no driver stands out clearly",
}


def sensitivity(a: Account) -> Html:
    """The buying-driver segment (price / service / technology / mixed), its evidence
    and the recommended levers (``kamlib.segmentation``)."""
    blocks = []
    st = a.status.get("segments", "missing")
    r = a.rows.get("segments")
    if st != "ok":
        blocks.append(unavailable("Buying-driver segment", st))
    elif r is None:
        blocks.append(not_key_note("Buying-driver segment") if not a.is_key else
                      H.tag("p", "This customer was not segmented.", class_="unavailable"))
    else:
        seg = _segment(a)
        base = seg.split(" ")[0]
        conf = r.get("confidence")
        blocks.append(H.tag("p", Html(
            f"<strong>Segment: {H.esc(seg)}</strong> — "
            f"{H.esc(_SEGMENT_MEANING.get(base, ''))}"
            + (f" (confidence {H.esc(fmt.pct(conf))})" if _ok(conf) else ""))))
        ev = r.get("evidence")
        if ev and str(ev) not in ("nan", "<NA>"):
            blocks.append(H.tag("p", str(ev)))
        fam = [(f, r.get(f"{f}_score")) for f in ("price", "service", "technology")
               if f"{f}_score" in r]
        if fam:
            blocks.append(H.table(
                ["Buying driver", "Score"],
                [[f, f"{_num(v):+.2f}" if _ok(v) else "n/a"] for f, v in fam],
                numeric=[False, True],
                note="Scores are standardised against the reference customers: 0 is "
                     "typical, +1 one (robust) standard deviation more sensitive."))
        el = r.get("price_elasticity")
        if _ok(el) and _num(el) >= 0:
            se = r.get("price_elasticity_se")
            blocks.append(H.tag("p", (
                "No sign of price sensitivity: its volume did not fall when its price "
                f"rose (estimate {_num(el):+.2f}"
                + (f" ± {_num(se):.2f}" if _ok(se) else "")
                + "; growth in the same years explains a positive figure).")))
        elif _ok(el):
            se = r.get("price_elasticity_se")
            blocks.append(H.tag("p", (
                f"Price elasticity of its volume: {_num(el):+.2f}"
                + (f" (± {_num(se):.2f})" if _ok(se) else "")
                + " — the % change of volume for a 1% change of its net price"
                + (f"; {r.get('elasticity_note')}" if r.get("elasticity_note") and
                   str(r.get("elasticity_note")) not in ("nan", "<NA>") else "") + ".")))
    if a.plan is not None and r is not None:
        sp = a.plan.status.get("segment and price response", {})
        if sp.get("level") in ("watch", "info") and sp.get("text"):
            blocks.append(H.tag("p", Html(f"{H.badge(sp['level'], sp['level'])} "
                                          f"{H.esc(str(sp['text']).capitalize())}.")))
    lst = a.status.get("levers", "missing")
    blocks.append(H.tag("h3", "Recommended levers"))
    if lst != "ok":
        blocks.append(unavailable("Levers", lst))
    elif a.levers is None or a.levers.empty:
        blocks.append(H.tag("p", "No levers listed for this customer.", class_="unavailable"))
    else:
        lv = a.levers
        if "priority" in lv.columns:
            lv = lv.sort_values("priority", kind="stable")
        if {"lever", "why"} <= set(lv.columns):
            top = lv.head(MAX_LEVERS)
            rows = [[i + 1, x, w, b] for i, (x, w, b) in enumerate(zip(
                top["lever"], top["why"], top.get("benefit", [""] * len(top))))]
            more = len(lv) - len(top)
            note = ("Customer benefit: what the lever improves for the customer - the "
                    "product's use, our brand, the relationship, its costs, its time.")
            if more > 0:
                note += (f" {more} more lever(s) with weaker evidence: "
                         + "; ".join(lv["lever"].astype(str).iloc[MAX_LEVERS:]) + ".")
            blocks.append(H.table(["#", "Lever", "Why", "Customer benefit"], rows,
                                  numeric=[True, False, False, False], note=note))
        else:
            blocks.append(_generic(lv, drop=("customer_name", "account_manager",
                                             "segment")))
    return H.section("Buying drivers and levers", *blocks, anchor="sensitivity")


def _basis_amount(x, basis) -> str:
    return fmt.eur(x) if str(basis).upper() == "EUR" else fmt.kg(x)


def rebates(a: Account) -> Html:
    """Rebates paid by year, and the projection of next year's rebate with the distance
    to the next tier (``kamlib.rebates.account_projection``: price-sensitive key
    accounts), with the tiers of the customer's schedule."""
    if a.plan is not None:
        return H.section("Rebates", *_plan_rebates(a), anchor="rebates")
    blocks = []
    st = a.status.get("rebate_projection", "missing")
    r = a.rows.get("rebate_projection")
    if st != "ok":
        blocks.append(unavailable("Rebate projection and distance to the next tier", st))
    elif r is None:
        blocks.append(H.tag("p", "No rebate projection: volume rebates are the lever for "
                                 "price-sensitive key accounts, and this account is not "
                                 "one of them.", class_="unavailable"))
    elif "projected_rebate" in r:
        basis = r.get("basis", "kg")
        y1 = a.year + 1
        tier = _num(r.get("tier_reached"))
        lines = [
            ("Rebate schedule", f"{r.get('schedule')} (on {basis})"),
            (f"Volume {a.year}", _basis_amount(r.get("last_year_volume"), basis)),
            (f"Projected {y1}", _basis_amount(r.get("projected_volume"), basis)
             + (f" (its price response, elasticity {_num(r['elasticity_used']):+.2f})"
                if _ok(r.get("elasticity_used")) else "")),
            ("Tier reached", (f"tier {tier:.0f} at {fmt.pct(r.get('rate'), 1)}"
                              if _ok(tier) and tier > 0 else "below the first threshold")),
            (f"Projected rebate {y1}", f"{fmt.eur(r.get('projected_rebate'))} "
                                      f"({fmt.pct(r.get('rebate_pct_of_revenue'), 1)} of "
                                      f"revenue, {fmt.pct(r.get('rebate_pct_of_margin'))} "
                                      "of gross margin)"),
        ]
        to_next = r.get("to_next_tier")
        if _ok(to_next):
            proj = _num(r.get("projected_volume"))
            close = _ok(proj) and proj > 0 and _num(to_next) <= 0.10 * proj
            lines.append(("Distance to the next tier", Html(
                H.esc(f"{_basis_amount(to_next, basis)} more reaches "
                      f"{fmt.pct(r.get('next_tier_rate'), 1)}, worth "
                      f"{fmt.eur(r.get('value_of_next_tier'))} to the customer ")
                + (H.badge("just below a threshold: expect it to push for it", "watch")
                   if close else Html("")))))
        else:
            lines.append(("Distance to the next tier", "at the top tier"))
        blocks.append(H.facts(lines))
        tiers = _schedule_tiers(a, str(r.get("schedule")))
        if tiers is not None and len(tiers):
            blocks.append(H.table(
                ["Tier", "From", "Rate", "Method"],
                [[f"{int(t)}", _basis_amount(th, b), fmt.pct(rt, 1), m] for t, th, rt, b, m
                 in zip(tiers["tier"], tiers["threshold"], tiers["rate"], tiers["basis"],
                        tiers["method"])],
                numeric=[True, True, True, False], caption="The schedule's tiers",
                note="Retroactive: the rate of the tier reached applies to all the year's "
                     "volume (a cliff at each threshold); marginal: each rate applies to "
                     "its band only; growth: paid on the volume above the baseline."))
    else:
        blocks.append(_facts_of(r, drop=("customer_name", "account_manager")))
    paid = a.rebates_paid.sort_values("year") if len(a.rebates_paid) else a.rebates_paid
    if len(paid):
        rows = []
        for y, v in zip(paid["year"], paid["rebate_paid"]):
            rev = _y(a, "revenue", int(y))
            rows.append([str(int(y)), fmt.eur(v), fmt.pct(_num(v) / rev, 1)
                         if _ok(rev) and rev > 0 else "n/a"])
        blocks.append(H.table(["Year", "Rebate paid", "Share of revenue"], rows,
                              numeric=[False, True, True], caption="Rebates paid"))
    else:
        blocks.append(H.tag("p", "No rebate was paid to this customer in the history."))
    return H.section("Rebates", *blocks, anchor="rebates")


def _plan_rebates(a: Account) -> list:
    """The rebate part of a plan: the schedule at the plan volume (the volume
    objective's figure), the thresholds near it, and the rebates paid against the
    programme in force."""
    ap = a.plan
    r = ap.rebate
    y1 = ap.plan_year
    blocks = []
    if r is None:
        blocks.append(H.tag("p", "No rebate projection: the account is not paid rebates and "
                                 "does not buy on price.", class_="unavailable"))
    else:
        basis = r.get("basis", "kg")
        tier = _num(r.get("tier"))
        to_next = r.get("to_next_tier")
        cliff = ap.status.get("rebate cliff") or {}
        lines = [
            ("Schedule", f"{r.get('schedule')} ({r.get('method')}, on {basis})"),
            (f"Plan volume {y1}", _basis_amount(r.get("plan_volume"), basis)
             + " (the volume objective)"),
            ("Tier reached", f"tier {tier:.0f} at {fmt.pct(r.get('rate'), 1)}"
             if _ok(tier) and tier > 0 else "below the first threshold"),
            (f"Rebate {y1}", fmt.eur(r.get("rebate"))),
            ("Next tier", f"{_basis_amount(to_next, basis)} more reaches "
                          f"{fmt.pct(r.get('next_tier_rate'), 1)}, worth "
                          f"{fmt.eur(r.get('value_of_next_tier'))} to the customer"
             if _ok(to_next) else "at the top tier"),
            ("Thresholds near the plan", Html(H.badge(cliff.get("level", "info"),
                                                      cliff.get("level", "info")) + " "
                                              + H.esc(cliff.get("text", "")))),
        ]
        blocks.append(H.facts(lines))
        tiers = _schedule_tiers(a, str(r.get("schedule")))
        if tiers is not None and len(tiers):
            blocks.append(H.table(
                ["Tier", "From", "Rate", "Method"],
                [[f"{int(t)}", _basis_amount(th, b), fmt.pct(rt, 1), m] for t, th, rt, b, m
                 in zip(tiers["tier"], tiers["threshold"], tiers["rate"], tiers["basis"],
                        tiers["method"])],
                numeric=[True, True, True, False], caption="The schedule's tiers"))
    h = ap.rebate_history
    if len(h):
        rows = [[str(int(y)), fmt.eur(p), fmt.pct(pr, 1), fmt.pct(sr, 1),
                 "matches" if m else "differs"]
                for y, p, pr, sr, m in zip(h["year"], h["rebate_paid"], h["paid_rate"],
                                           h["schedule_rate"], h["matches"])]
        st = ap.status.get("rebate history") or {}
        note = str(st.get("text", ""))
        if r is not None and str(h["schedule"].iloc[0]) != str(r.get("schedule")):
            note += (f" The plan uses the {r.get('schedule')} schedule, which would have paid "
                     f"{fmt.pct(h['plan_schedule_rate'].iloc[-1], 1)} on the volume of "
                     f"{int(h['year'].iloc[-1])}: the change of terms is part of this plan.")
        blocks.append(H.table(
            ["Year", "Rebate paid", "Share of revenue", f"{h['schedule'].iloc[0]} would pay",
             "Against the programme"], rows, numeric=[False, True, True, True, False],
            caption="Rebates paid", note=note.strip().capitalize() if note else None))
    else:
        blocks.append(H.tag("p", "No rebate was paid to this customer in the history."))
    return blocks


def _schedule_tiers(a: Account, name: str):
    """The tiers of the named rebate schedule (from the settings), or None."""
    try:
        from kamlib import rebates as rb

        t = rb.schedules_table(a.settings)
    except Exception:  # noqa: BLE001 - the table is a help, not essential
        return None
    return t.loc[t["schedule"].astype(str) == name]


def service(a: Account) -> Html:
    """Relationship level (recommended, observed, gap), stage, the service package and
    its budget, and supply priority before the peak season (``kamlib.service``)."""
    blocks = []
    if not a.is_key and a.status.get("key") == "ok":
        blocks.append(not_key_note("Service package and relationship level"))
        return H.section("Service and relationship", *blocks, anchor="service")
    try:
        from kamlib import service as sv

        level_meaning = getattr(sv, "LEVEL_MEANING", {})
        stage_meaning = getattr(sv, "STAGE_MEANING", {})
    except ImportError:  # pragma: no cover
        level_meaning, stage_meaning = {}, {}
    r = a.rows.get("relationship")
    st = a.status.get("relationship", "missing")
    blocks.append(H.tag("h3", "Relationship level"))
    if st != "ok" or r is None:
        blocks.append(unavailable("Relationship level", st if st != "ok" else "missing"))
    else:
        rec, obs = r.get("recommended_level"), r.get("observed_level")
        gap = _num(r.get("gap"))

        def level(x, cap):  # a level the data cannot give says so (never "basic")
            return f"{x}: {level_meaning.get(x, '')}" if isinstance(x, str) and x else \
                U.text(cap)

        facts = [
            ("Recommended", level(rec, "costs") + (
                " (the margin sets it)" if unknown(a, "gross_margin") else "")),
            ("What we do now", level(obs, "interactions")),
            ("Gap", (f"{gap:+.0f} level(s)" if _ok(gap) else "unknown")
             + (f" — {r.get('action')}" if r.get("action") else "")),
        ]
        if not unknown(a, "relationship_stage"):
            facts += [
                ("Relationship stage",
                 f"{r.get('stage')}: {stage_meaning.get(r.get('stage'), '')}"),
                (f"Contacts in {a.year}",
                 f"{count(r.get('visits'))} visits, {count(r.get('executive_visits'))} "
                 f"executive visits, {count(r.get('joint_activities'))} trials/trainings, "
                 f"{count(r.get('reactive_contacts'))} calls and requests")]
        blocks.append(H.facts(facts))
    pk = a.rows.get("packages")
    st = a.status.get("packages", "missing")
    blocks.append(H.tag("h3", "Service package"))
    if st != "ok" or pk is None:
        blocks.append(unavailable("Service package", st if st != "ok" else "missing"))
    else:
        services = [x.strip() for x in str(pk.get("services") or "").split(";") if x.strip()]
        if services:
            blocks.append(H.bullets(services))
        bud = (a.plan.status.get("service budget") if a.plan is not None else None) or {}
        blocks.append(H.facts([
            ("Visits a year", f"{count(pk.get('visits_per_year'))} visits, "
                              f"{count(pk.get('executive_visits_per_year'))} executive"),
            ("Package budget", f"{fmt.eur(pk.get('cost_to_serve_budget'))} a year " + (
                f"(share of the gross margin {U.text('costs')})"
                if unknown(a, "gross_margin") else
                f"({fmt.pct(pk.get('budget_share_of_margin'))} of the gross margin)")),
            ("Same activities last year", known(a, "current_service_cost",
                                                pk.get("current_service_cost"), fmt.eur)),
            ("Budget check", Html(H.badge(bud.get("level", "info"), bud.get("level", "info"))
                                  + " " + H.esc(bud.get("text", ""))) if bud else "n/a"),
            ("Whole cost to serve last year", fmt.eur(pk.get("current_cost_to_serve"))
             + " (orders, deliveries and complaints included)"),
        ]))
    sp = a.rows.get("supply")
    if a.status.get("supply") == "ok" and sp is not None:
        blocks.append(H.tag("h3", "Supply priority before the peak season"))
        blocks.append(H.tag("p", (
            f"Expected need over the peak months: {fmt.kg(sp.get('peak_kg'))}; reserve "
            f"{fmt.kg(sp.get('reserve_kg'))} (with safety stock). Agree stock levels by "
            f"{date(sp.get('agree_by'))}.")))
    return H.section("Service and relationship", *blocks, anchor="service")


def visits(a: Account) -> Html:
    """The planned visits of the plan year (date, type, purpose)."""
    st = a.status.get("visit_plan", "missing")
    if not a.is_key and a.status.get("key") == "ok":
        return H.section("Visit plan", not_key_note("Visit plan"), anchor="visits")
    if st != "ok" or a.visits is None:
        return H.section("Visit plan", unavailable("Visit plan", st if st != "ok" else
                                                   "missing"), anchor="visits")
    v = a.visits.sort_values("date", kind="stable")
    if v.empty:
        return H.section("Visit plan", H.tag(
            "p", "No visit could be planned for this account (see the capacity of the "
                 "account manager in the visit plan).", class_="unavailable"),
            anchor="visits")
    rows = [[date(d), f"week {int(w)}", t, pu] for d, w, t, pu in
            zip(v["date"], v["week"], v["visit_type"], v.get("purpose", [""] * len(v)))]
    n_exec = int((v["visit_type"] == "executive visit").sum())
    lead = (f"{len(v)} visits planned in {int(v['date'].dt.year.iloc[0])}"
            + (f", {n_exec} of them with an executive" if n_exec else "")
            + f", by {a.profile.get('account_manager')}.")
    return H.section("Visit plan", H.table(["Date", "Week", "Visit", "Purpose"], rows),
                     anchor="visits", lead=lead)


def objectives(a: Account) -> Html:
    """Next year's targets: volume, net price, revenue, share of wallet, visit cycle,
    trainings and services (``kamlib.service.objectives``)."""
    if a.plan is not None:
        from kamlib import report_plan

        return report_plan.plan_objectives(a)
    st = a.status.get("objectives", "missing")
    if not a.is_key and a.status.get("key") == "ok":
        return H.section("Objectives", not_key_note("Objectives"), anchor="objectives")
    o = a.rows.get("objectives")
    if st != "ok" or o is None:
        return H.section("Objectives", unavailable("Objectives", st if st != "ok" else
                                                   "missing"), anchor="objectives")
    y1 = a.year + 1
    rows = [
        ("Volume", fmt.kg(o.get("volume_kg")), fmt.kg(o.get("target_volume_kg")),
         change(o.get("target_volume_kg"), o.get("volume_kg"))),
        ("Net price", fmt.price(o.get("net_price")), fmt.price(o.get("target_net_price")),
         change(o.get("target_net_price"), o.get("net_price"))),
        ("Revenue", fmt.eur(o.get("revenue")), fmt.eur(o.get("target_revenue")),
         change(o.get("target_revenue"), o.get("revenue"))),
        ("Share of wallet", fmt.pct(o.get("share_of_wallet")),
         fmt.pct(o.get("target_share_of_wallet")),
         points(o.get("target_share_of_wallet"), o.get("share_of_wallet"))),
    ]
    blocks = [H.table(["Target", str(a.year), str(y1), "Change"], rows,
                      numeric=[False, True, True, True])]
    qual = [
        ("Visit cycle", f"{o.get('visit_cycle')} ({count(o.get('visits_per_year'))} a "
                        f"year), {count(o.get('executive_visits_per_year'))} executive "
                        "visit(s)"),
        ("Training dates", str(o.get("training_dates") or "none planned")),
    ]
    edited = str(o.get("edited") or "")
    if edited:
        qual.append(("Edited by the account manager", edited))
    services = [x.strip() for x in str(o.get("services") or "").split(";") if x.strip()]
    if services:  # listed in full under "Service and relationship"
        qual.append(("Services to provide", f"{len(services)} (the service package above)"))
    blocks.append(H.facts(qual))
    return H.section("Objectives", *blocks, anchor="objectives",
                     lead=f"Proposed targets for {y1}, from history and potential; "
                          "reviewed at least quarterly.")


# --------------------------------------------------------------- risks and actions


def signals(a: Account) -> list[dict]:
    """Risks and decay signals (primer §5, Levitt): each a dict with ``signal``,
    ``evidence`` (text), ``level`` (``ok`` / ``watch`` / ``alert``).

    Falling volume (each of the last two years), falling share of wallet (over two
    years), rising complaints, decision makers not contacted for long, on time in full
    below target, routine without innovation (no trial, training or technical request
    in the year), losing money after cost to serve, a disintegrating relationship stage.
    """
    if "signals" in a._memo:
        return a._memo["signals"]
    y, rs = a.year, a.rs
    out = []
    v2, v1, v0 = (_y(a, "volume_kg", y - 2), _y(a, "volume_kg", y - 1), _y(a, "volume_kg"))
    g1 = (v1 - v2) / v2 if _ok(v2) and v2 > 0 else math.nan
    g0 = (v0 - v1) / v1 if _ok(v1) and v1 > 0 else math.nan
    if _ok(g0) and _ok(g1) and g0 < -rs.volume_drop and g1 < -rs.volume_drop:
        lvl = "alert"
    elif _ok(g0) and g0 < -rs.volume_drop:
        lvl = "watch"
    else:
        lvl = "ok"
    out.append({"signal": "Volume", "level": lvl,
                "evidence": f"{change(v1, v2)} in {y - 1}, {change(v0, v1)} in {y}"})
    w = a.wallet["share_of_wallet"] if len(a.wallet) else pd.Series(dtype=float)
    s0, s2 = w.get(y, math.nan), w.get(y - 2, math.nan)
    if _ok(s0) and _ok(s2):
        d = s0 - s2
        lvl = "alert" if d <= -2 * rs.share_drop_points else (
            "watch" if d <= -rs.share_drop_points else "ok")
        ev = f"{fmt.pct(s2)} in {y - 2} → {fmt.pct(s0)} in {y} ({points(s0, s2)})"
    elif unknown(a, "share_of_wallet"):
        lvl, ev = "info", "no estimate of the customer's total use: " + U.text("assessments")
    else:
        lvl, ev = "watch", "no estimate of the customer's total use"
    out.append({"signal": "Share of wallet", "level": lvl, "evidence": ev})
    out.extend(_unknown_signals(a))
    c0, c2 = (0, 0) if unknown(a, "complaints") else \
        (int(a.complaints.get(y, 0)), int(a.complaints.get(y - 2, 0)))
    ct = a.rows.get("complaint_trend") if not unknown(a, "complaints") else None
    rising = bool(ct.get("rising")) if ct else (c0 > c2 and c0 >= 2)
    lvl = "alert" if rising and c0 >= 2 * max(c2, 1) else ("watch" if rising else "ok")
    cut = a.plan.objective("complaints") if a.plan is not None else None
    cut_to = _num(cut["target"]) if cut else math.nan
    if _ok(cut_to) and cut_to < c0 and lvl == "ok":
        lvl = "watch"  # the plan cuts them: not a fine mark next to that action
    if not unknown(a, "complaints"):
        out.append({"signal": "Complaints", "level": lvl,
                    "evidence": f"{c2} in {y - 2} → {c0} in {y}"
                                + (" (rising per 100 orders)" if rising else "")
                                + (f"; the plan cuts them to {cut_to:.0f}" if _ok(cut_to)
                                   and cut_to < c0 else "")})
    open_c = a.interactions.loc[(a.interactions["type"] == "complaint")
                                & a.interactions["days_to_resolve"].isna()]
    if len(open_c):
        out.append({"signal": "Open complaints", "level": "watch",
                    "evidence": f"{len(open_c)} still open, the oldest received "
                                f"{date(open_c['date'].min())}"})
    if a.plan is None:  # a plan's decision-maker rule covers recency and strength
        lvl, text, _ = _contact_signal(a)
        out.append({"signal": "Decision makers' last contact", "level": lvl,
                    "evidence": text})
    if a.plan is not None:
        for rule, label in (("decision makers", "Decision-maker relationships"),
                            ("relationship level", "Relationship level"),
                            ("service budget", "Service budget"),
                            ("segment and price response", "Price response"),
                            ("rebate cliff", "Rebate threshold"),
                            ("rebate history", "Rebate terms")):
            st = a.plan.status.get(rule) or {}
            if st.get("level") in ("ok", "watch", "alert") or U.WORD in str(st.get("text")):
                out.append({"signal": label, "level": st["level"],
                            "evidence": str(st.get("text", ""))})
        from kamlib import report_plan

        rv = a.plan.review
        if rv and rv.get("health") is not None:
            bad = str(rv.get("decision")) in ("downgrade", "drop") or bool(rv.get("decaying"))
            out.append({"signal": "Review", "level": "alert" if bad else "ok",
                        "evidence": f"health {_health_text(rv.get('health')) or 'n/a'}, "
                                    f"decision {rv.get('decision')}"
                                    + ("; decaying: " + report_plan.first_reason(
                                        rv.get("decay_reasons")) if rv.get("decaying")
                                       else "")})
    otif = _y(a, "on_time_in_full_rate")
    if _ok(otif):
        target = rs.otif_min
        if a.plan is not None:  # the plan's target, so the mark and the action agree
            from kamlib.plan.config import plan_settings

            target = plan_settings(a.settings).otif_target
        out.append({"signal": "On time in full", "level": "watch" if otif < target - 1e-9
                    else "ok", "evidence": f"{fmt.pct(otif)} of deliveries in {y} "
                                           f"(target {fmt.pct(target)})"})
    it = a.interactions
    iy = it.loc[it["date"].dt.year == y]
    n_innov = int(iy["type"].isin(["trial", "training", "technical request"]).sum())
    if not unknown(a, "innovation"):
        out.append({"signal": "Innovation", "level": "ok" if n_innov else "watch",
                    "evidence": (f"{n_innov} trials, trainings or technical requests in {y}"
                                 if n_innov else f"no trial, training or technical request "
                                                 f"in {y}: routine without innovation")})
    k = a.rows.get("key")
    if k is not None and _ok(k.get("profit")):
        pr = _num(k["profit"])
        out.append({"signal": "Profit after cost to serve",
                    "level": "alert" if pr < 0 else "ok",
                    "evidence": f"{fmt.eur(pr)} in {y} after rebates and cost to serve"})
    r = a.rows.get("relationship")
    if r is not None and r.get("stage"):
        out.append({"signal": "Relationship stage",
                    "level": "alert" if r.get("stage") == "disintegrating" else "ok",
                    "evidence": str(r.get("stage"))})
    a._memo["signals"] = out
    return out


UNKNOWN_SIGNALS = (("Complaints", "complaints"), ("On time in full", "on_time_in_full_rate"),
                   ("Innovation", "innovation"), ("Profit after cost to serve", "profit"))
"""Signals a partial export cannot give (label, measure): shown as unknown."""


def _unknown_signals(a: Account) -> list[dict]:
    """The signals the data cannot give, each saying what to add (level ``info``)."""
    return [{"signal": label, "level": "info", "evidence": U.text(U.needs(m))}
            for label, m in UNKNOWN_SIGNALS if unknown(a, m)]


def _signal_badge(level: str) -> Html:
    return H.badge("unknown" if level == "info" else level, level)


def risks(a: Account) -> Html:
    """The risks and decay signals as a table, worst first; signals the data cannot
    give last, marked unknown."""
    order = {"alert": 0, "watch": 1, "ok": 2, "info": 3}
    sig = sorted(signals(a), key=lambda x: order.get(x["level"], 3))
    n_alert = sum(x["level"] == "alert" for x in sig)
    n_watch = sum(x["level"] == "watch" for x in sig)
    rows = [[_signal_badge(x["level"]), x["signal"], x["evidence"]] for x in sig]
    lead = (f"{n_alert} alert(s) and {n_watch} point(s) to watch. Relationships decay by "
            "nature: falling volume and share of wallet, rising complaints, contacts not "
            "seen for long and routine without innovation are the signs.")
    return H.section("Risks and decay signals", H.table(["Status", "Signal", "Evidence"],
                                                        rows), anchor="risks", lead=lead)


_PRIORITY = {1: ("now", "alert"), 2: ("this quarter", "watch"), 3: ("this year", "info")}


def actions_list(a: Account) -> list[dict]:
    """The next actions, most urgent first: dicts with ``action`` (text), ``priority``
    (1 now, 2 this quarter, 3 this year), ``priority_label``, ``level``.

    Derived by rules from the signals, the relationship gap, the objectives, the levers,
    the rebate projection, the visit plan and the supply window.
    """
    if "actions" in a._memo:
        return a._memo["actions"]
    if a.plan is not None:
        out = [{"action": r["action"], "priority": int(r["priority"]),
                "priority_label": _PRIORITY[int(r["priority"])][0],
                "level": _PRIORITY[int(r["priority"])][1], "owner": r["owner"],
                "owner_role": r["owner_role"], "due": r["due"]}
               for _, r in a.plan.actions.iterrows()]
        a._memo["actions"] = out
        return out
    acts: list[tuple[int, str]] = []
    sig = {x["signal"]: x for x in signals(a)}
    k = a.rows.get("key") or {}
    y = a.year
    if _ok(k.get("profit")) and _num(k["profit"]) < 0:
        acts.append((1, f"Fix price and cost to serve: the account lost "
                        f"{fmt.eur(-_num(k['profit']))} in {y} after rebates "
                        f"({fmt.eur(k.get('rebate'))}) and cost to serve "
                        f"({fmt.eur(k.get('cost_to_serve'))})."))
    s = sig.get("Decision makers' last contact")
    if s and s["level"] in ("alert", "watch"):
        acts.append((1 if s["level"] == "alert" else 2,
                     f"Meet the decision makers: {s['evidence']}."))
    s = sig.get("Volume")
    if s and s["level"] == "alert":
        comp = _competitor(a)
        acts.append((1, f"Find out why volume falls ({s['evidence']})"
                        + (f" and what {comp} offers." if comp else ".")))
    s = sig.get("Share of wallet")
    if s and s["level"] in ("alert", "watch") and "no estimate" not in s["evidence"]:
        acts.append((2, f"Win back share of wallet: {s['evidence']}."))
    elif s and "no estimate" in s["evidence"]:
        acts.append((3, "Ask the customer for its total annual use (share of wallet "
                        "unknown)."))
    s = sig.get("Open complaints")
    if s:
        acts.append((1, f"Close the open complaints: {s['evidence']}."))
    s = sig.get("Complaints")
    if s and s["level"] in ("alert", "watch"):
        acts.append((2, f"Review the complaints with customer service: {s['evidence']}."))
    s = sig.get("On time in full")
    if s and s["level"] in ("alert", "watch"):
        acts.append((2, f"Agree a delivery-reliability plan with logistics: "
                        f"{s['evidence']}."))
    r = a.rows.get("relationship")
    if r is not None and _ok(r.get("gap")) and _num(r["gap"]) != 0:
        g = _num(r["gap"])
        acts.append((2 if g > 0 else 3,
                     f"Move the relationship from {r.get('observed_level')} to "
                     f"{r.get('recommended_level')}: {r.get('action') or ''}".rstrip(": ")
                     + "."))
    rp = a.rows.get("rebate_projection")
    if rp and _ok(rp.get("to_next_tier")) and _num(rp["to_next_tier"]) > 0:
        proj = _num(rp.get("projected_volume"))
        close = _ok(proj) and proj > 0 and _num(rp["to_next_tier"]) <= 0.10 * proj
        acts.append((2 if close else 3,
                     f"Rebate: {_basis_amount(rp['to_next_tier'], rp.get('basis', 'kg'))} "
                     f"short of the {fmt.pct(rp.get('next_tier_rate'), 1)} tier — check "
                     "that the extra volume pays for the higher rate before offering "
                     "it."))
    s = sig.get("Innovation")
    if s and s["level"] in ("alert", "watch"):
        acts.append((3, "Revive the relationship with something new: a trial, a training "
                        "or a joint promotion (none this year)."))
    if a.levers is not None and len(a.levers):
        col = next((c for c in ("lever", "action", "name") if c in a.levers.columns), None)
        if col:
            for lv in a.levers[col].astype(str).head(2):
                acts.append((3, f"Lever for its buying driver: {lv}."))
    o = a.rows.get("objectives")
    if o is not None and _ok(o.get("target_volume_kg")):
        acts.append((3, f"Agree the {y + 1} targets: {fmt.kg(o['target_volume_kg'])} "
                        f"({change(o['target_volume_kg'], o.get('volume_kg'))}) at "
                        f"{fmt.price(o.get('target_net_price'))}."))
    sp = a.rows.get("supply")
    if sp is not None and _ok(sp.get("reserve_kg")) and _num(sp["reserve_kg"]) > 0:
        acts.append((3, f"Agree peak-season stock by {date(sp.get('agree_by'))}: reserve "
                        f"{fmt.kg(sp['reserve_kg'])}."))
    if a.visits is not None and len(a.visits):
        first = a.visits.sort_values("date").iloc[0]
        acts.append((3, f"Next planned visit: {date(first['date'])}"
                        + (f" ({first['purpose']})." if first.get("purpose") else ".")))
    acts.sort(key=lambda t: t[0])  # stable: rule order within a priority
    out = [{"action": text, "priority": pr, "priority_label": _PRIORITY[pr][0],
            "level": _PRIORITY[pr][1]} for pr, text in acts[: a.rs.max_actions]]
    a._memo["actions"] = out
    return out


def next_actions(a: Account) -> Html:
    """The action plan (:func:`kamlib.report_plan.action_plan`); without a plan, the
    next actions as a numbered list with their urgency."""
    if a.plan is not None:
        from kamlib import report_plan

        return report_plan.action_plan(a)
    acts = actions_list(a)
    if not acts:
        body = H.tag("p", "Nothing urgent: keep the visit plan and review the account at "
                          "the next quarterly review.")
    else:
        items = "".join(f"<li>{H.badge(x['priority_label'], x['level'])} "
                        f"{H.esc(x['action'])}</li>" for x in acts)
        body = Html(f'<ol class="actions">{items}</ol>')
    return H.section("Next actions", body, anchor="actions",
                     lead=f"Owner: {a.profile.get('account_manager') or 'the account manager'}"
                          ". Update the plan after each visit.")


def _first_action(a: Account, acts: list[dict]) -> str:
    """The most urgent action after agreeing the plan (every plan starts with that)."""
    if a.plan is not None and len(a.plan.actions):
        rest = a.plan.actions.loc[a.plan.actions["rule"] != "agree targets", "action"]
        return str(rest.iloc[0]) if len(rest) else str(a.plan.actions["action"].iloc[0])
    return acts[0]["action"] if acts else ""


def _health_text(h) -> str:
    """The review's health (0-100) as ``"62/100"``; '' when unknown."""
    return f"{_num(h):.0f}/100" if _ok(h) else ""


def summary(a: Account) -> Html:
    """The plan on a page (:func:`kamlib.report_plan.summary`)."""
    from kamlib import report_plan

    return report_plan.summary(a, signals(a))


def opportunities(a: Account) -> Html:
    """Opportunities and competition (:func:`kamlib.report_plan.opportunities`)."""
    from kamlib import report_plan

    return report_plan.opportunities(a)


def appendix(a: Account) -> Html:
    """Methods, formulas and status rules (:func:`kamlib.report_plan.appendix`)."""
    from kamlib import report_plan

    return report_plan.appendix(a)


def footer(a: Account) -> Html:
    """Provenance: data, settings, analysis year, and what is not available yet."""
    missing = sorted(k for k, v in a.status.items() if v != "ok")
    text = (f"Prepared with the KAM Playbook (kamlib) from the data up to {date(a.as_of)}; "
            f"analysis year {a.year}.")
    if missing:
        text += " Not available in this report: " + ", ".join(
            m.replace("_", " ") for m in missing) + "."
    return Html(f"<footer>{H.esc(text)}</footer>")


# ------------------------------------------------------------------ for the index


class Headline:
    """The headline figures of one report, handed to the batch runner's index (shown in
    Jupyter as one line; never rendered in the report)."""

    def __init__(self, data: dict):
        self.data = data

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {H.HEADLINE_MIME: self.data,
                "text/plain": f"(headline figures of {self.data.get('customer_id')} for "
                              "the batch index)"}


def headline(a: Account) -> Headline:
    """Headline figures for the index: plain JSON values.

    Keys: ``customer_id``, ``customer_name``, ``account_manager``, ``status``
    (key or not, class, tier), ``segment``, ``revenue`` (EUR, analysis year),
    ``revenue_change`` (fraction vs the year before), ``gross_margin_pct``, ``profit``
    (EUR after cost to serve; None when unknown), ``share_of_wallet``, ``score``,
    ``alerts`` (count), ``first_action`` (text), ``year``.
    """
    k = a.rows.get("key") or {}
    rev, rev0 = _y(a, "revenue"), _y(a, "revenue", a.year - 1)
    sow = a.wallet["share_of_wallet"].get(a.year, math.nan) if len(a.wallet) else math.nan
    acts = actions_list(a)

    def f(x):
        x = _num(x)
        return None if not math.isfinite(x) else round(x, 6)

    return Headline({
        "customer_id": a.customer_id,
        "customer_name": a.name,
        "account_manager": str(a.profile.get("account_manager") or ""),
        "status": _key_text(a),
        "is_key": a.is_key,
        "abc_class": str(k.get("abc_class") or ""),
        "tier": str(k.get("pyramid_tier") or ""),
        "segment": _segment(a),
        "year": a.year,
        "revenue": f(rev),
        "revenue_change": f((rev - rev0) / rev0) if _ok(rev0) and rev0 > 0 else None,
        "gross_margin_pct": f(_y(a, "gross_margin_pct")),
        "profit": f(k.get("profit")),
        "share_of_wallet": f(sow),
        "score": f(k.get("score")),
        "alerts": sum(x["level"] == "alert" for x in signals(a)),
        "first_action": _first_action(a, acts),
        "strategy": a.plan.strategy if a.plan is not None else "",
        "plan_revenue": f(a.plan.forecast.get("plan_revenue")) if a.plan is not None else None,
        "actions": len(acts),
        "health": _health_text((a.plan.review or {}).get("health")) if a.plan is not None
        else "",
        "decision": str((a.plan.review or {}).get("decision") or "") if a.plan is not None
        else "",
    })


SECTIONS = ("title", "summary", "at_a_glance", "objectives", "next_actions", "risks",
            "opportunities", "profile", "history", "position", "sensitivity", "rebates",
            "service", "visits", "appendix", "footer")
"""The sections of the account plan, in the template's order."""


def render_all(a: Account) -> list[Html]:
    """Every section of :data:`SECTIONS` for one account, in order (no kernel: the
    benchmark's floor and the tests use it)."""
    g = globals()
    return [g[name](a) for name in SECTIONS]
