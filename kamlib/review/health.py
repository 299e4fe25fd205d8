"""Account health 0-100: the components, their evidence, and the decay flag.

Relationships decay by nature (Levitt, "After the sale is over", HBR 1983: attention
and sensitivity weaken unless they are managed). The signs are falling volume and
share of wallet, rising complaints, decision makers not seen for long and routine
without innovation. :func:`health` measures each sign per customer as of a review date
(default: 31 December of the analysis year), turns it into a score 0-100 on a stated
scale, and combines the scores with the weights of the settings:

    component score = 100 × clip((x - bad) / (good - bad), 0, 1)
    health = Σ_c w_c × score_c / Σ_c w_c      (over the components with evidence)

``bad`` and ``good`` are ``review.scales``, ``w_c`` ``review.weights``. The windows are
12-month periods ending at the review date: *the last 12 months* (W0), the 12 before
(W1) and the 12 before those (W2).

Components (values and their units):

- ``volume``: average yearly change of the kg bought, (kg W0 / kg W2)^(1/2) - 1.
  Needs ``evidence.min_orders`` orders in W2 (a short history has no trend).
- ``share_of_wallet``: change in points of share of wallet (our kg / the customer's
  estimated total use, :func:`kamlib.measures.share_of_wallet`) from year Y-2 to Y.
  Needs an estimate of total use in both years.
- ``margin``: change in points of the gross margin rate (gross margin / revenue),
  W0 against W2; same evidence as the volume.
- ``complaints``: complaints received in W0 per 100 orders of W0, as a multiple of the
  portfolio's rate (all complaints / all orders of the active customers, ×100). With
  fewer than ``evidence.min_complaints`` complaints it is no signal and scores 100:
  one complaint received a day before the review is not a trend.
- ``resolution``: median days to resolve the complaints received in W0; a complaint
  still open at the review date counts with its age so far. Same minimum.
- ``contacts``: days since the decision maker seen longest ago was last contacted
  (table ``contacts``, ``is_decision_maker``). Contact dates later than the review
  date (a later snapshot) cannot say what the gap was then: no evidence.
- ``delivery``: on-time-in-full rate of the order lines delivered in W0 (at least
  ``evidence.min_deliveries`` lines).
- ``service_gap``: Kotler's recommended relationship level minus the level observed
  in W0, in levels (the rules of :class:`kamlib.service.RelationshipSettings`, with the
  revenue, margin and interactions of W0); > 0 means under-served.

An account is **decaying** when its health is below ``review.health_threshold`` and at
least ``review.decay_min_signals`` components with evidence score below
``review.signal_below``; with less than ``evidence.min_coverage`` of the weights
backed by evidence there is no health (too little is known), and no decay flag.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamlib import measures
from kamlib.formatting import texts as _texts
from kamlib.review.config import COMPONENT_LABELS, COMPONENT_NEEDS, COMPONENTS, ReviewSettings

LEVELS = ("basic", "reactive", "accountable", "proactive", "partnership")


# --------------------------------------------------------------------------- helpers


def review_settings(s) -> ReviewSettings:
    """The ``[review]`` section of the whole settings (defaults if it has none)."""
    if isinstance(s, ReviewSettings):
        return s
    rv = getattr(s, "review", None)
    return rv if isinstance(rv, ReviewSettings) else ReviewSettings()


def analysis_year(s, year=None, kd=None) -> int:
    if year is not None:
        return int(year)
    period = getattr(s, "period", None)
    if period is None:
        raise TypeError("pass the whole kamlib.settings.Settings (with .period), or year=")
    if period.analysis_year or kd is None or not len(kd.orders):
        return int(period.analysis_year)
    return measures.analysis_year(0, kd.orders)  # 0 = the latest complete year in the data


def review_date(year: int) -> pd.Timestamp:
    """The review date of a year: its last day."""
    return pd.Timestamp(f"{int(year)}-12-31")


def scale(x, bad: float, good: float) -> np.ndarray:
    """Score 0-100: 0 at ``bad``, 100 at ``good``, linear between, capped (NaN stays)."""
    x = np.asarray(x, dtype=float)
    return 100.0 * np.clip((x - bad) / (good - bad), 0.0, 1.0)


def _frac(num, den) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.full(np.broadcast(num, den).shape, np.nan),
                     where=den != 0)


def _fmt(fmt: str, x) -> np.ndarray:
    """Vectorised number formatting (NaN → 'n/a')."""
    x = np.asarray(x, dtype=float)
    txt = _texts(fmt, np.nan_to_num(x)).astype(object)
    return np.where(np.isnan(x), "n/a", txt).astype(object)


def _quantities(x) -> np.ndarray:
    """Quantities in the current company's unit (:mod:`kamlib.formatting`), vectorised:
    kg from 1,000 in tonnes ('59 t', '850 kg'); another unit as '12500 pcs'."""
    from kamlib import formatting

    unit = formatting.current_company().quantity_unit
    x = np.asarray(x, dtype=float)
    if unit == "kg":
        return np.where(np.abs(x) >= 1000, _fmt("%.0f t", x / 1000.0), _fmt("%.0f kg", x))
    txt = _fmt("%.0f", x)
    return np.where(np.isnan(x), "n/a", txt + (f" {unit}" if unit else "")).astype(object)


def _pct(x, signed: bool = False) -> np.ndarray:
    return _fmt("%+.0f%%" if signed else "%.0f%%", 100 * np.asarray(x, dtype=float))


def _points(x) -> np.ndarray:
    return _fmt("%+.0f points", 100 * np.asarray(x, dtype=float))


def _in_window0(dates: pd.Series, as_of: pd.Timestamp) -> np.ndarray:
    """True for the dates in the last 12 months up to ``as_of`` (window 0)."""
    d = dates.to_numpy(dtype="datetime64[ns]")
    return (d > np.datetime64(as_of - pd.DateOffset(years=1), "ns")) & (
        d <= np.datetime64(as_of, "ns"))


def _years_needed(ends, volume: bool = True) -> list[int]:
    """Calendar years the aggregates must cover for review dates ``ends``: those of
    window 0 (the interactions and complaints of the last 12 months), and with
    ``volume`` the share of wallet's three years (unless the facts give the kg)."""
    ends = [pd.Timestamp(e) for e in ends]
    lo = min((e - pd.DateOffset(years=1) + pd.Timedelta(days=1)).year for e in ends)
    if volume:
        lo = min(lo, min(_sow_year(e) - 2 for e in ends))
    return list(range(lo, max(e.year for e in ends) + 1))


def _sow_year(as_of: pd.Timestamp) -> int:
    """The share-of-wallet year of a review date: its year on 31 December, else the
    year before (the last complete one)."""
    return as_of.year if (as_of.month, as_of.day) == (12, 31) else as_of.year - 1


def review_inputs(kd, ends, *, windows=None, activity=None, volume: bool = True):
    """(windows, activity) for the review dates ``ends``: the order-line window sums
    of :func:`kamlib.activity_facts.review_windows` and the aggregates of
    :func:`kamlib.activity_facts.activity_facts`, each computed (one SQL pass) unless
    given and covering the dates and years needed (``volume``: the kg per year of the
    share of wallet are needed too, i.e. no per-customer-year facts are given)."""
    from kamlib import activity_facts as af

    ends = [pd.Timestamp(e) for e in ends]
    if windows is None or not set(ends) <= set(windows.ends):
        windows = af.review_windows(kd, ends)
    years = _years_needed(ends, volume)
    if activity is None or (activity.years is not None
                            and not set(years) <= set(activity.years)):
        activity = af.activity_facts(kd, years=years)
    return windows, activity


def _yearly_volume(activity, customer_year, years, index) -> pd.DataFrame:
    """kg per customer (``index``) and sales year (``years``): from the facts when
    given (:func:`kamlib.measures.customer_year`), else from the activity aggregates."""
    if customer_year is not None:
        v = customer_year["volume_kg"]
        yr = v.index.get_level_values("year")
        v = v.loc[np.isin(yr, years)].unstack("year", fill_value=0.0)
    else:
        o = activity.orders
        o = o.loc[o["year"].isin(years)]
        v = o.pivot_table(index="customer_id", columns="year", values="volume_kg",
                          aggfunc="sum", fill_value=0.0)
    v.index = v.index.astype("string")
    v.columns = pd.Index(v.columns.astype("int64"), name=None)
    return v.reindex(index=index, columns=years).fillna(0.0)


# --------------------------------------------------------------------------- components


def volume_component(w: dict, rv: ReviewSettings, first: pd.Series, *,
                     words: bool = True) -> pd.DataFrame:
    """Volume trend from window sums ``w`` (see :func:`health`; ``words=False``: the
    evidence left empty)."""
    ev, sc = rv.evidence, rv.scales
    v0, v1, v2 = (w["volume_kg"][k].to_numpy(float) for k in (0, 1, 2))
    n2 = w["orders"][2].to_numpy()
    ok = (n2 >= ev.min_orders) & (v2 > 0)
    change = np.where(ok, np.sqrt(_frac(v0, v2)) - 1.0, np.nan)
    score = np.where(ok, scale(change, sc.volume_change_bad, sc.volume_change_good), np.nan)
    first_txt = (pd.Series(first).dt.strftime("%Y-%m-%d").fillna("unknown").to_numpy(object)
                 if words else "")
    text = "" if not words else np.where(
        ok,
        _pct(change, signed=True) + " a year over two years (" + _quantities(v2) + " → "
        + _quantities(v1) + " → " + _quantities(v0) + " in the last 12 months)",
        np.where(n2 > 0, "too few orders 24-36 months ago (" + _fmt("%d", n2)
                 + ") to see a trend",
                 "history too short for a trend (first order " + first_txt + ")"))
    return pd.DataFrame({"volume_value": change, "volume_score": score,
                         "volume_evidence": text}, index=w["orders"].index)


def margin_component(w: dict, rv: ReviewSettings, *, words: bool = True) -> pd.DataFrame:
    """Gross-margin-rate trend (points, last 12 months against 24-36 months ago)."""
    ev, sc = rv.evidence, rv.scales
    r0, r2 = w["revenue"][0].to_numpy(float), w["revenue"][2].to_numpy(float)
    m0 = _frac(w["gross_margin"][0].to_numpy(float), r0)
    m2 = _frac(w["gross_margin"][2].to_numpy(float), r2)
    ok = (w["orders"][2].to_numpy() >= ev.min_orders) & (w["orders"][0].to_numpy()
                                                          >= ev.min_orders)
    ok &= ~np.isnan(m0) & ~np.isnan(m2)
    change = np.where(ok, m0 - m2, np.nan)
    score = np.where(ok, scale(change, sc.margin_change_bad, sc.margin_change_good), np.nan)
    text = "" if not words else np.where(
        ok, "gross margin " + _pct(m2) + " → " + _pct(m0) + " of revenue ("
        + _points(change) + " in two years)",
        "too few orders in the windows compared to see a margin trend")
    return pd.DataFrame({"margin_value": change, "margin_score": score,
                         "margin_evidence": text}, index=w["orders"].index)


def share_component(kd, volume: pd.DataFrame, year: int, rv: ReviewSettings,
                    index: pd.Index, *, words: bool = True) -> pd.DataFrame:
    """Share-of-wallet trend: points from year - 2 to year. Share of wallet = our kg of
    the year (``volume``: customers × the three years) / the customer's estimated total
    use of the year, capped at 1 (the formula of
    :func:`kamlib.measures.share_of_wallet`)."""
    sc = rv.scales
    years = [year - 2, year - 1, year]
    a = kd.assessments
    if len(a):
        vol = volume.reindex(index=index, columns=years).fillna(0.0)
        a = a.loc[a["year"].isin(years)]
        use = (a.assign(customer_id=a["customer_id"].astype("string"))
               .pivot_table(index="customer_id", columns="year",
                            values="estimated_annual_use_kg", aggfunc="first"))
        use.columns = use.columns.astype("int64")
        use = use.reindex(index=index, columns=years).to_numpy(float)
        t = pd.DataFrame(np.minimum(_frac(vol.to_numpy(float), np.where(use > 0, use, 0)),
                                    1.0), index=index, columns=years)
    else:
        t = pd.DataFrame(np.nan, index=index, columns=years)
    s2, s1, s0 = (t[c].to_numpy(float) for c in t.columns)
    ok = ~np.isnan(s0) & ~np.isnan(s2)
    change = np.where(ok, s0 - s2, np.nan)
    score = np.where(ok, scale(change, sc.share_change_bad, sc.share_change_good), np.nan)
    text = "" if not words else np.where(
        ok, _pct(s2) + f" in {year - 2} → " + _pct(s1) + " → " + _pct(s0)
        + f" in {year} (" + _points(change) + ")",
        f"no estimate of the customer's total use in both {year - 2} and {year}")
    out = pd.DataFrame({"share_of_wallet_value": change, "share_of_wallet_score": score,
                        "share_of_wallet_evidence": text}, index=index)
    out["share_of_wallet"] = s0
    return out


def complaint_components(complaints: pd.DataFrame, as_of: pd.Timestamp, w: dict,
                         rv: ReviewSettings, portfolio_rate: float,
                         index: pd.Index, *, words: bool = True) -> pd.DataFrame:
    """Complaint rate against the portfolio, and resolution time (last 12 months).
    ``complaints``: the complaint rows (customer_id, date, days_to_resolve), e.g.
    :attr:`kamlib.activity_facts.ActivityFacts.complaints`."""
    ev, sc = rv.evidence, rv.scales
    c = complaints.loc[_in_window0(complaints["date"], as_of)]
    cid = c["customer_id"].astype("string")
    closed_at = c["date"] + pd.to_timedelta(c["days_to_resolve"], unit="D")
    is_open = c["days_to_resolve"].isna() | (closed_at > as_of)
    age = (as_of - c["date"]).dt.days.astype(float)
    days = np.where(is_open, age, c["days_to_resolve"].to_numpy(float))
    frame = pd.DataFrame({"customer_id": cid.to_numpy(), "days": days,
                          "open": is_open.to_numpy(), "date": c["date"].to_numpy()})
    g = frame.groupby("customer_id")
    n = g.size().reindex(index, fill_value=0).to_numpy()
    n_open = g["open"].sum().reindex(index, fill_value=0).to_numpy()
    med = g["days"].median().reindex(index).to_numpy(float)
    last = g["date"].max().reindex(index)
    orders = w["orders"][0].to_numpy()
    rate = 100.0 * _frac(n, orders)
    ratio = _frac(rate, np.full(len(index), portfolio_rate))
    enough_orders = orders >= ev.min_orders
    counts = enough_orders & (n >= ev.min_complaints)
    c_score = np.where(counts, np.nan_to_num(scale(ratio, sc.complaint_ratio_bad,
                                                   sc.complaint_ratio_good), nan=100.0),
                       100.0)
    c_score = np.where(enough_orders, c_score, np.nan)
    last_txt = last.dt.strftime("%Y-%m-%d").fillna("").to_numpy(object) if words else ""
    few = "" if not words else (
           _fmt("%d", n) + np.where(n == 1, " complaint", " complaints")
           + " in the last 12 months" + np.where(n > 0, " (latest " + last_txt + ")", "")
           + np.where(n > 0, f": fewer than {ev.min_complaints}, not a trend", ""))
    c_text = "" if not words else np.where(
        ~enough_orders, "too few orders in the last 12 months for a complaint rate",
        np.where(counts, _fmt("%d", n) + " complaints in the last 12 months, "
                 + _fmt("%.1f", rate) + " per 100 orders = " + _fmt("%.1f", ratio)
                 + f" × the portfolio's {portfolio_rate:.1f}", few))
    r_counts = n >= ev.min_complaints
    r_score = np.where(r_counts, scale(med, sc.resolution_days_bad, sc.resolution_days_good),
                       100.0)
    r_text = "" if not words else np.where(
        r_counts, "median " + _fmt("%.0f", med) + " days to resolve"
        + np.where(n_open > 0, ", " + _fmt("%d", n_open) + " still open", "")
        + f" (scale: {sc.resolution_days_good:g} days good, "
          f"{sc.resolution_days_bad:g} bad)",
        np.where(n > 0, f"fewer than {ev.min_complaints} complaints to judge "
                        "the resolution time", "no complaint to resolve"))
    return pd.DataFrame({
        "complaints_value": ratio, "complaints_score": c_score, "complaints_evidence": c_text,
        "resolution_value": np.where(n > 0, med, np.nan), "resolution_score": r_score,
        "resolution_evidence": r_text, "complaints_12m": n, "open_complaints": n_open,
    }, index=index)


def contact_component(kd, as_of: pd.Timestamp, rv: ReviewSettings,
                      index: pd.Index, *, words: bool = True) -> pd.DataFrame:
    """Days since the decision maker seen longest ago (table ``contacts``)."""
    sc = rv.scales
    c = kd.contacts
    if not len(c):
        nan = np.full(len(index), np.nan)
        return pd.DataFrame({"contacts_value": nan, "contacts_score": nan,
                             "contacts_evidence": "no contacts table"}, index=index)
    dm = c.loc[c["is_decision_maker"].astype(bool)]
    dm = dm.assign(customer_id=dm["customer_id"].astype("string"))
    later = dm["last_contact_date"] > as_of
    days = (as_of - dm["last_contact_date"]).dt.days.astype(float)
    g = dm.assign(_days=days, _later=later).groupby("customer_id")
    n_dm = g.size().reindex(index, fill_value=0).to_numpy()
    worst = g["_days"].max().reindex(index).to_numpy(float)
    any_later = g["_later"].any().reindex(index, fill_value=False).to_numpy(bool)
    ok = (n_dm > 0) & ~np.isnan(worst) & ~any_later
    score = np.where(ok, scale(worst, sc.contact_days_bad, sc.contact_days_good), np.nan)
    text = "" if not words else np.where(
        ok, _fmt("%d", n_dm) + np.where(n_dm == 1, " decision maker", " decision makers")
        + ", the one seen longest ago last contacted " + _fmt("%d", worst) + " days ago",
        np.where(n_dm == 0, "no decision maker recorded in the buying centre",
                 np.where(any_later, "contact dates are later than the review date",
                          "no contact date recorded for the decision makers")))
    return pd.DataFrame({"contacts_value": np.where(ok, worst, np.nan),
                         "contacts_score": score, "contacts_evidence": text}, index=index)


def delivery_component(deliveries: pd.DataFrame, rv: ReviewSettings,
                       index: pd.Index, *, words: bool = True) -> pd.DataFrame:
    """On time in full of the lines delivered in the last 12 months (``deliveries``:
    index customer_id, ``delivered_lines``, ``otif_lines``, from
    :meth:`kamlib.activity_facts.ReviewWindows.at`)."""
    ev, sc = rv.evidence, rv.scales
    n = deliveries["delivered_lines"].reindex(index, fill_value=0).to_numpy()
    hits = deliveries["otif_lines"].reindex(index, fill_value=0).to_numpy()
    rate = _frac(hits, n)
    ok = n >= ev.min_deliveries
    score = np.where(ok, scale(rate, sc.otif_bad, sc.otif_good), np.nan)
    text = "" if not words else np.where(ok, _pct(rate) + " of " + _fmt("%d", n)
                    + " deliveries on time in full in the last 12 months",
                    "only " + _fmt("%d", n) + f" deliveries in the last 12 months (at least "
                    f"{ev.min_deliveries} needed)")
    return pd.DataFrame({"delivery_value": np.where(ok, rate, np.nan),
                         "delivery_score": score, "delivery_evidence": text}, index=index)


def observed_levels(counts: pd.DataFrame, rs) -> np.ndarray:
    """Observed relationship level (0-4) from interaction counts by type (columns named
    as ``schema.INTERACTION_TYPES``), by the rules of
    :class:`kamlib.service.RelationshipSettings` ``rs``."""
    visits = (counts["visit"] + counts["executive visit"]).to_numpy()
    execs = counts["executive visit"].to_numpy()
    joint = (counts["trial"] + counts["training"]).to_numpy()
    any_contact = counts.sum(axis=1).to_numpy() > 0
    return np.select(
        [(visits >= rs.partnership_min_visits) & (execs >= rs.partnership_min_executive)
         & (joint >= rs.partnership_min_joint),
         (visits >= rs.proactive_min_visits) & (joint >= rs.proactive_min_joint),
         visits >= rs.accountable_min_visits, any_contact],
        [4, 3, 2, 1], 0)


def service_gap_component(s, counts: pd.DataFrame, w: dict, revenue_all: pd.Series,
                          abc_class: pd.Series | None, rv: ReviewSettings,
                          index: pd.Index, *, words: bool = True) -> pd.DataFrame:
    """Recommended minus observed relationship level, last 12 months (see module doc).
    ``counts``: interactions of the last 12 months per customer (``index``) and type."""
    from kamlib.service import RelationshipSettings

    sv = getattr(s, "service", None)
    rs = sv.relationship if sv is not None else RelationshipSettings()
    sc = rv.scales
    active = revenue_all[revenue_all > 0]
    rank = active.rank(ascending=False, method="first").reindex(index).to_numpy(float)
    rel = rank / max(len(active), 1)
    cust_step = np.where(np.isnan(rel), 0, np.select([rel <= rs.few_share,
                                                      rel <= rs.medium_share], [2, 1], 0))
    margin = _frac(w["gross_margin"][0].to_numpy(float), w["revenue"][0].to_numpy(float))
    m = np.nan_to_num(margin, nan=-np.inf)
    margin_step = np.select([m >= rs.margin_high, m >= rs.margin_low], [2, 1], 0)
    if abc_class is None:
        growth = np.zeros(len(index), dtype=int)
    else:
        growth = abc_class.reindex(index).astype("string").fillna("C").isin(
            rs.growth_classes).to_numpy().astype(int)
    rec = np.minimum(cust_step + margin_step + growth, len(LEVELS) - 1)
    obs = observed_levels(counts.reindex(index, fill_value=0), rs)
    gap = (rec - obs).astype(float)
    score = scale(gap, sc.gap_bad, sc.gap_good)
    names = np.array(LEVELS, dtype=object)
    text = "" if not words else ("recommended " + names[rec] + ", observed " + names[obs]
            + np.where(gap > 0, " (under-served by " + _fmt("%d", gap) + " level(s))",
                       np.where(gap < 0, " (more than the margin pays for)", " (right level)")))
    return pd.DataFrame({"service_gap_value": gap, "service_gap_score": score,
                         "service_gap_evidence": text, "recommended_level": names[rec],
                         "observed_level": names[obs]}, index=index)


# --------------------------------------------------------------------------- health


def _without_evidence_where_data_is_missing(out: pd.DataFrame, kd) -> None:
    """Components whose data the export lacks (:data:`COMPONENT_NEEDS`): score NaN,
    evidence "not in the data: add …" (:func:`kamlib.unknowns.text`), in place."""
    from kamlib import unknowns

    if not hasattr(kd, "has"):
        return
    for c, cap in COMPONENT_NEEDS.items():
        if not kd.has(cap):
            out[f"{c}_score"] = np.nan
            out[f"{c}_evidence"] = unknowns.text(cap)


def health(kd, s, year: int | None = None, customers=None, *, as_of=None,
           abc_class: pd.Series | None = None, windows=None, activity=None,
           customer_year: pd.DataFrame | None = None, words: bool = True) -> pd.DataFrame:
    """Account health 0-100 with its components (formulas: module docstring).

    ``kd``: :class:`kamlib.data.KamData`; ``s``: the whole settings (``review``,
    ``period``, ``service.relationship``); ``year``: the review year (default
    ``period.analysis_year``); ``as_of``: the review date (default 31 December of the
    year; a quarter end for the trend); ``customers``: ids (default: every customer
    with orders in the last 12 months); ``abc_class``: the ABC classes (for the
    recommended relationship level's growth step; default: none).

    Index ``customer_id``. Columns:

    - ``health`` (0-100; NaN when less than ``evidence.min_coverage`` of the weights
      has evidence), ``coverage`` (0-1, share of the weights with evidence),
      ``signals`` (components with evidence scoring below ``review.signal_below``),
      ``decaying`` (bool), ``reasons`` (the decay signals in words, or "no decay
      signal");
    - per component c in :data:`kamlib.review.config.COMPONENTS`: ``c_value`` (the
      measured value, units in the module doc), ``c_score`` (0-100, NaN without
      evidence), ``c_evidence`` (words);
    - ``share_of_wallet`` (year, 0-1), ``complaints_12m``, ``open_complaints``
      (counts), ``recommended_level``, ``observed_level``, ``volume_kg_12m``,
      ``revenue_12m`` (EUR).

    ``attrs``: ``as_of`` (date), ``portfolio_complaint_rate`` (per 100 orders).

    ``words=False`` leaves the evidence, ``reasons`` and ``main_signal`` empty and
    computes every number the same: the trend's earlier quarter ends need the scores
    only, and the words are most of the time on tens of thousands of customers.

    What it needs from the order lines and the interactions comes as aggregates (SQL
    group-bys, :mod:`kamlib.activity_facts`), computed here when not given:
    ``windows`` (:func:`kamlib.activity_facts.review_windows` for this review date),
    ``activity`` (:func:`kamlib.activity_facts.activity_facts` covering the year and
    the one before; the share of wallet's years too unless ``customer_year``, the
    per-customer-year facts, is given). So a large export is reviewed without its
    order lines in memory.
    """
    rv = review_settings(s)
    year = analysis_year(s, year, kd)
    as_of = review_date(year) if as_of is None else pd.Timestamp(as_of)
    sow_year = _sow_year(as_of)
    windows, activity = review_inputs(kd, [as_of], windows=windows, activity=activity,
                                      volume=customer_year is None)
    wall, deliveries = windows.at(as_of)
    all_ids = wall["orders"].index
    active = wall["orders"][0] > 0
    if customers is None:
        index = pd.Index(sorted(all_ids[active.to_numpy()]), dtype="string",
                         name="customer_id")
    else:
        index = pd.Index([str(c) for c in customers], dtype="string", name="customer_id")
        if index.has_duplicates:
            raise ValueError("health: customers lists an id more than once: "
                             f"{index[index.duplicated()].unique().tolist()[:5]}")
    w = {k: v.reindex(index).fillna(0) for k, v in wall.items()}
    first = activity.first_orders["first_order_date"].reindex(index)

    # portfolio complaint rate: all complaints / all orders of the active customers
    comp = activity.complaints
    comp_w0 = comp.loc[_in_window0(comp["date"], as_of)]
    act_ids = pd.Index(all_ids[active.to_numpy()])
    n_comp = int((act_ids.get_indexer(comp_w0["customer_id"].astype("string")) >= 0).sum())
    n_ord = int(wall["orders"][0].sum())
    portfolio_rate = 100.0 * n_comp / n_ord if n_ord else float("nan")
    volume = _yearly_volume(activity, customer_year,
                            [sow_year - 2, sow_year - 1, sow_year], index)

    parts = [
        volume_component(w, rv, first, words=words),
        share_component(kd, volume, sow_year, rv, index, words=words),
        margin_component(w, rv, words=words),
        complaint_components(comp, as_of, w, rv, portfolio_rate, index, words=words),
        contact_component(kd, as_of, rv, index, words=words),
        delivery_component(deliveries, rv, index, words=words),
        service_gap_component(s, windows.interaction_counts(as_of, index), w,
                              wall["revenue"][0], abc_class, rv, index, words=words),
    ]
    out = pd.concat(parts, axis=1)
    out.index.name = "customer_id"
    _without_evidence_where_data_is_missing(out, kd)
    weights = rv.weights.as_dict()
    scores = out[[f"{c}_score" for c in COMPONENTS]].to_numpy(float)
    wv = np.array([weights[c] for c in COMPONENTS])
    has = ~np.isnan(scores)
    wsum = (has * wv).sum(axis=1)
    coverage = wsum / wv.sum()
    value = np.divide((np.nan_to_num(scores) * wv).sum(axis=1), wsum,
                      out=np.full(len(out), np.nan), where=wsum > 0)
    enough = coverage >= rv.evidence.min_coverage - 1e-9
    out["health"] = np.where(enough, value, np.nan)
    out["coverage"] = coverage
    red = has & (scores < rv.signal_below) & (wv > 0)
    out["signals"] = red.sum(axis=1).astype("int64")
    out["decaying"] = enough & (value < rv.health_threshold) & (
        out["signals"].to_numpy() >= rv.decay_min_signals)
    if words:
        out["reasons"] = _reasons(out, red, enough)
        out["main_signal"] = _reasons(out, red, enough, first_only=True)
    else:  # the scores only (the trend's earlier quarter ends)
        out["reasons"] = out["main_signal"] = pd.array([""] * len(out), dtype="string")
    out["volume_kg_12m"] = w["volume_kg"][0].to_numpy(float)
    out["revenue_12m"] = w["revenue"][0].to_numpy(float)
    lead = ["health", "coverage", "signals", "decaying", "reasons"]
    out = out[lead + [c for c in out.columns if c not in lead]]
    out.attrs["as_of"] = as_of
    out.attrs["portfolio_complaint_rate"] = portfolio_rate
    return out


def _reasons(out: pd.DataFrame, red: np.ndarray, enough: np.ndarray,
             first_only: bool = False) -> pd.Series:
    """The decay signals in words, worst first ('no decay signal' when none); with
    ``first_only`` the worst one only ('' when none)."""
    n = len(out)
    text = np.full(n, "", dtype=object)
    scores = out[[f"{c}_score" for c in COMPONENTS]].to_numpy(float)
    order = np.argsort(np.where(red, scores, np.inf), axis=1, kind="stable")
    for j in range(1 if first_only else len(COMPONENTS)):  # components, not customers
        k = order[:, j]
        is_red = red[np.arange(n), k]
        label = np.array([COMPONENT_LABELS[c] for c in COMPONENTS], dtype=object)[k]
        ev = np.column_stack([out[f"{c}_evidence"].to_numpy(object)
                              for c in COMPONENTS])[np.arange(n), k]
        piece = label + ": " + ev
        text = np.where(is_red, np.where(text == "", piece, text + "; " + piece), text)
    if first_only:
        return pd.Series(text, index=out.index, dtype="string")
    text = np.where(text == "", "no decay signal", text)
    text = np.where(enough, text, "not enough evidence for a health score; " + text)
    return pd.Series(text, index=out.index, dtype="string")


def trend_dates(year: int, quarters: int) -> list[pd.Timestamp]:
    """The last ``quarters`` quarter ends up to 31 December of ``year``, oldest first."""
    from kamlib.activity_facts import quarter_ends

    return quarter_ends(review_date(year), quarters)


def health_trend(kd, s, year: int | None = None, customers=None, *, quarters=None,
                 abc_class: pd.Series | None = None, windows=None, activity=None,
                 customer_year: pd.DataFrame | None = None,
                 at_review: pd.DataFrame | None = None) -> pd.DataFrame:
    """The health at the last ``quarters`` quarter ends up to the review date (default
    ``review.trend_quarters``), oldest first: one :func:`health` per quarter end, all
    from one pass of window sums over the order lines (``windows``, ``activity``,
    ``customer_year``: see :func:`health`).

    Long table: columns ``customer_id``, ``as_of`` (date), ``health`` and every
    ``c_score``. The contacts table holds only the latest contact date, so for earlier
    quarter ends the contacts component has no evidence and is left out there.

    ``at_review``: the :func:`health` of ``customers`` at the review date, already
    computed with the same arguments (:func:`kamlib.review.account_review` passes it):
    used for the last quarter end instead of computing it again.
    """
    rv = review_settings(s)
    year = analysis_year(s, year, kd)
    n = rv.trend_quarters if quarters is None else int(quarters)
    dates = trend_dates(year, n)
    windows, activity = review_inputs(kd, dates + [review_date(year)], windows=windows,
                                      activity=activity, volume=customer_year is None)
    if customers is None:
        customers = health(kd, s, year, abc_class=abc_class, windows=windows,
                           activity=activity, customer_year=customer_year,
                           words=False).index
    frames = []
    cols = ["health"] + [f"{c}_score" for c in COMPONENTS]
    end = review_date(year)
    for d in dates:  # a handful of quarter ends
        if at_review is not None and d == end and at_review.attrs.get("as_of") == end \
                and at_review.index.equals(pd.Index([str(c) for c in customers])):
            h = at_review
        else:
            h = health(kd, s, year, customers, as_of=d, abc_class=abc_class,
                       windows=windows, activity=activity, customer_year=customer_year,
                       words=False)  # the trend shows the scores, not the words
        frames.append(h[cols].assign(as_of=d).reset_index())
    if not frames:
        return pd.DataFrame(columns=["customer_id", "as_of"] + cols)
    return pd.concat(frames, ignore_index=True)[["customer_id", "as_of"] + cols]
