"""Rebates and price levers for price-sensitive key customers, tested on their own history.

For price-sensitive key customers the source company used an **annual cumulative-volume
rebate** whose rate rises with volume, **off-season prices**, **bundles**, **bigger
packs** and a cheaper **economy grade** (primer §2). Each gives away margin. This module
shows what a design would have cost on last year's history and what it has to earn
back, *before* anyone signs it - and ties the schedule to who is price-sensitive
(:mod:`kamlib.segmentation`), which rebate tools (SAP, Vistex, Enable) do not.

1. **Schedules as settings** (:class:`RebateTier`, :class:`RebateSchedule`,
   :class:`RebateSettings`), modelled on SAP/Vistex condition contracts: a named
   schedule, a basis (``kg`` or ``EUR`` of net revenue), a method and tiers
   ``(threshold, rate)`` where the threshold is the **lower bound** of the band.
   Methods (primer §3):

   - ``retroactive`` ("back to dollar one"): the rate of the highest tier reached
     applies to *all* the volume of the year;
   - ``marginal`` (stepped): each rate applies only to the volume inside its band;
   - ``growth``: paid only on the volume above a baseline (by default last year's
     volume); the tiers are measured on that incremental volume and the reached rate
     applies to all of it.

   **Boundary rule**: a volume *exactly at* a threshold reaches that tier
   (``np.searchsorted(thresholds, volume, side="right")``). The rate is a share of the
   net invoiced revenue (0.02 = 2 %). With a kg basis, the revenue of the kg inside a
   band is valued at the customer's average net price of the year.
   Bad schedules are refused with a message: thresholds not ascending, two tiers at the
   same threshold (overlapping bands), rates outside 0-100 %, rates falling as volume
   rises.
2. **Computation** for all customers at once (:func:`apply_schedule`), and **accrual
   and settlement** during the year (:func:`accrue`, :func:`accrual`,
   :func:`settlement`, :func:`forecast_errors`): accrue at the rate of the tier the
   customer is forecast to reach, pay interim amounts (quarterly by default), settle
   at the end: final = total earned − interim paid, which can be negative.
3. **Simulation on history** (:func:`simulate`, :func:`simulation_summary`,
   :func:`tier_counts`, :func:`near_threshold`): what a schedule would have paid last
   year, its cost as % of revenue and of margin, customers per tier and the customers
   just below a threshold; :func:`rebate_curve` and :func:`cliffs` show the
   retroactive cliff.
4. **Response scenarios** (:func:`break_even_volume_change`, :func:`volume_response`,
   :func:`respond`, :func:`compare_schedules`, :func:`elasticities`): with the
   customer's elasticity (from segmentation where known, a setting otherwise), the
   incremental volume, the margin after rebate and the break-even volume increase
   %ΔV = −ΔP / (CM + ΔP) (Nagle & Müller).
5. **The other levers**, each with its arithmetic: off-season prices and bundles
   (:func:`deal_arithmetic`, :func:`deal_effect`, :func:`season_shares`,
   :func:`bundle_pairs`), bigger packs (:func:`pack_twins`, :func:`big_pack_switch`),
   the economy grade (:func:`economy_twins`, :func:`economy_effect`,
   :func:`economy_design`).
6. **For the account plans**: :func:`account_projection` - the schedule of each
   price-sensitive key customer, its projected cost and the distance to the next tier.

Functions that read the data take a :class:`kamlib.data.KamData` and the whole
:class:`kamlib.settings.Settings` (``period.analysis_year`` and ``rebates``); the pure
functions take plain DataFrames and a :class:`RebateSchedule`, so that tests pin them to
hand-computed answers. Volumes are kg, money EUR; rates and shares are fractions.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from kamlib import measures
from kamlib.errors import SettingsError
from kamlib.memo import TableMemo

METHODS = ("retroactive", "marginal", "growth")
"""How a schedule turns volume into a rebate (see the module docstring)."""

BASES = ("kg", "EUR")
"""What the tiers are measured on: kilograms delivered or EUR of net revenue."""

FORECASTS = ("seasonal", "customer_seasonal", "run_rate", "last_year")
"""How accrual forecasts the year-end volume (see :func:`accrue`)."""

METHOD_MEANING = {
    "retroactive": "the rate of the highest tier reached applies to all volume of the "
    "year (back to the first kg)",
    "marginal": "each rate applies only to the volume inside its band (stepped)",
    "growth": "paid only on the volume above a baseline (e.g. last year); the tier "
    "reached on that increment sets the rate for all of it",
}

MIN_SEASONAL_SHARE = 0.05
"""Below this share of a normal year bought so far, the seasonal forecast is too
uncertain (it divides by the share) and the run rate is used instead."""




def _fmt_volume(x: float, basis: str) -> str:
    from kamlib import formatting

    return formatting.kg(x) if basis == "kg" else formatting.eur(x)


def _frac(num, den) -> np.ndarray:
    """num / den, NaN where den is 0 or not finite (no warning)."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    ok = np.isfinite(den) & (den != 0) & np.isfinite(num)
    return np.divide(num, den, out=np.full(np.broadcast(num, den).shape, np.nan), where=ok)


def break_even_share(concession, normal_margin) -> np.ndarray:
    """The break-even share of new volume n* = concession / margin at normal prices
    (= (p − p_d) / (p − c) per kg), with the cases a sales person reads as words:

    - ``0`` when nothing is given away (deal price at or above the normal price, margin
      positive): the deal pays with no new volume at all (the raw ratio would be ≤ 0);
    - ``inf`` when something is given away and the normal price does not cover the cost
      (p ≤ c): no share of new volume makes it pay (the raw ratio would be negative,
      e.g. "−1,007 %");
    - above 1 (100 %) when the deal price is below cost: even all-new volume loses money;
    - NaN when the deal price is *above* the normal price but the normal price does not
      cover the cost (nothing given away, margin ≤ 0): the ratio would be a *ceiling*
      (it pays only while at most that share is new), not the floor the column means.

    So every value is ≥ 0 and "> 1" means *never pays*; :mod:`kamlib.tables` shows such
    values as "never pays" (kind ``break_even``). NaN where an input is missing."""
    c, m = np.broadcast_arrays(np.asarray(concession, dtype=float),
                               np.asarray(normal_margin, dtype=float))
    n = _frac(c, m)
    known = np.isfinite(c) & np.isfinite(m)
    n = np.where(known & (c <= 0) & (m > 0), 0.0, n)
    n = np.where(known & (c > 0) & (m <= 0), np.inf, n)
    n = np.where(known & (c < 0) & (m <= 0), np.nan, n)
    return n


# ============================================================================ settings


@dataclass(frozen=True)
class RebateTier:
    """One tier of a schedule: from ``threshold`` (kg or EUR a year, the **lower
    bound** of the band, inclusive) the rate ``rate`` (a share of net revenue, 0-1:
    0.02 = 2 %) applies."""

    threshold: float
    rate: float

    def __post_init__(self) -> None:
        t, r = self.threshold, self.rate
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
            raise SettingsError(f"rebate tier: the threshold must be a number, got {t!r}")
        if isinstance(r, bool) or not isinstance(r, (int, float)) or not math.isfinite(r):
            raise SettingsError(f"rebate tier: the rate must be a number, got {r!r}")
        if t < 0:
            raise SettingsError(f"rebate tier: threshold {t:g} is negative; thresholds are the "
                       "annual volume (kg or EUR) from which the tier applies, ≥ 0")
        if not 0 <= r <= 1:
            hint = (f" Rates are shares: write {r:g} % as {r / 100:g}." if 1 < r <= 100
                    else "")
            raise SettingsError(f"rebate tier from {t:g}: rate {r:g} is outside 0-100 % "
                       f"(0 to 1).{hint}")


def _as_tier(t) -> RebateTier:
    if isinstance(t, RebateTier):
        return t
    if isinstance(t, dict):
        return RebateTier(**t)
    if isinstance(t, (tuple, list)) and len(t) == 2:
        return RebateTier(t[0], t[1])
    raise SettingsError(f"rebate tier: expected (threshold, rate), got {t!r}")


@dataclass(frozen=True)
class RebateSchedule:
    """A named rebate schedule (a condition contract in SAP/Vistex terms).

    - ``name``: how the schedule is called in settings, tables and reports;
    - ``basis``: ``"kg"`` (delivered kilograms) or ``"EUR"`` (net invoiced revenue) -
      what the tiers are measured on; the rebate is always a share of revenue;
    - ``method``: ``"retroactive"``, ``"marginal"`` or ``"growth"`` (:data:`METHODS`);
    - ``tiers``: ``(threshold, rate)`` pairs, threshold = lower bound of the band
      (inclusive: a volume exactly at a threshold reaches that tier), ascending, rates
      0-1 and not falling as volume rises. Below the first threshold nothing is paid;
    - ``baseline_years`` (growth): the baseline is the mean yearly volume of the
      previous ``baseline_years`` years (1 = last year; a year without sales counts 0);
      ``baseline_uplift``: pay only above baseline × (1 + uplift) (0.05 = growth beyond
      5 %);
    - ``interim_months``: months after which an interim payment is made (1-11; the
      final settlement follows month 12); ``interim_share``: share of the accrued amount
      paid at an interim (1 = all of it; less keeps a buffer against a forecast that
      overshoots);
    - ``description``: a sentence for the reader.

    ``tiers`` also accepts plain ``(threshold, rate)`` pairs.
    """

    name: str
    basis: str = "kg"
    method: str = "retroactive"
    tiers: tuple[RebateTier, ...] = ()
    baseline_years: int = 1
    baseline_uplift: float = 0.0
    interim_months: tuple[int, ...] = (3, 6, 9)
    interim_share: float = 1.0
    description: str = ""

    def __post_init__(self) -> None:
        w = f"rebate schedule '{self.name}'"
        if not isinstance(self.name, str) or not self.name.strip():
            raise SettingsError("rebate schedule: every schedule needs a name")
        if self.basis not in BASES:
            close = [b for b in BASES if b.lower() == str(self.basis).lower()]
            hint = f" (write '{close[0]}')" if close else ""
            raise SettingsError(f"{w}: basis must be 'kg' or 'EUR'{hint}, got '{self.basis}'")
        if self.method not in METHODS:
            close = difflib.get_close_matches(str(self.method), METHODS, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise SettingsError(f"{w}: method must be one of {', '.join(METHODS)}, got "
                       f"'{self.method}'.{hint}")
        tiers = tuple(_as_tier(t) for t in self.tiers)
        object.__setattr__(self, "tiers", tiers)
        object.__setattr__(self, "interim_months", tuple(self.interim_months))
        if not tiers:
            raise SettingsError(f"{w}: needs at least one tier (threshold, rate)")
        unit = "kg" if self.basis == "kg" else "EUR"
        for i in range(1, len(tiers)):
            a, b = tiers[i - 1], tiers[i]
            if b.threshold == a.threshold:
                raise SettingsError(f"{w}: overlapping bands - tiers {i} and {i + 1} both start at "
                           f"{a.threshold:,.0f} {unit}. Each tier needs its own threshold.")
            if b.threshold < a.threshold:
                raise SettingsError(f"{w}: tiers not ascending - tier {i + 1} starts at "
                           f"{b.threshold:,.0f} {unit}, below tier {i} "
                           f"({a.threshold:,.0f} {unit}). List the tiers from the lowest "
                           "threshold up.")
            if b.rate < a.rate:
                raise SettingsError(f"{w}: the rate falls as volume rises - tier {i + 1} "
                           f"({b.threshold:,.0f} {unit}) pays {b.rate:.2%}, less than tier "
                           f"{i} ({a.rate:.2%}). A customer would earn less by buying "
                           "more; rates must stay or rise from tier to tier.")
        if isinstance(self.baseline_years, bool) or int(self.baseline_years) < 1:
            raise SettingsError(f"{w}: baseline_years must be at least 1, got {self.baseline_years}")
        if not self.baseline_uplift > -1:
            raise SettingsError(f"{w}: baseline_uplift must be > -1 (a share: 0.05 = 5 % above "
                       f"the baseline), got {self.baseline_uplift}")
        months = list(self.interim_months)
        if any(not 1 <= int(m) <= 11 for m in months) or months != sorted(set(months)):
            raise SettingsError(f"{w}: interim_months must be ascending months 1-11 (the final "
                       f"settlement follows month 12), got {months}")
        if not 0 <= self.interim_share <= 1:
            raise SettingsError(f"{w}: interim_share is a share of the accrued amount (0-1), got "
                       f"{self.interim_share}")

    @property
    def thresholds(self) -> np.ndarray:
        return np.array([t.threshold for t in self.tiers], dtype=float)

    @property
    def rates(self) -> np.ndarray:
        return np.array([t.rate for t in self.tiers], dtype=float)

    @property
    def unit(self) -> str:
        """``"kg"`` or ``"EUR"``: the unit of thresholds and volumes."""
        return self.basis

    def tier_labels(self) -> list[str]:
        """Labels of tier 0 (below the first threshold) to tier n, e.g.
        ``['below 40.0 t', '40.0 t+: 1.0%', ...]``."""
        above = " above baseline" if self.method == "growth" else ""
        out = [f"below {_fmt_volume(self.tiers[0].threshold, self.basis)}{above}"]
        for t in self.tiers:
            out.append(f"{_fmt_volume(t.threshold, self.basis)}+{above}: {t.rate:.1%}")
        return out

    def describe(self) -> str:
        """The schedule in one sentence."""
        tiers = ", ".join(f"{t.rate:.1%} from {_fmt_volume(t.threshold, self.basis)}"
                          for t in self.tiers)
        base = ""
        if self.method == "growth":
            yrs = "last year" if self.baseline_years == 1 else \
                f"the mean of the last {self.baseline_years} years"
            up = f" + {self.baseline_uplift:.0%}" if self.baseline_uplift else ""
            base = f"; baseline = {yrs}{up}"
        on = "volume" if self.basis == "kg" else "revenue"  # the basis' name is the sample's
        return (f"{self.name}: {self.method} on {on} ({tiers}{base}); "
                f"{METHOD_MEANING[self.method]}.")


DEFAULT_SCHEDULES = (
    RebateSchedule(
        "current programme", "kg", "retroactive",
        (RebateTier(50_000, 0.01), RebateTier(150_000, 0.02), RebateTier(300_000, 0.03)),
        description="The programme in force: retroactive on yearly kg, 1 % from 50 t, "
        "2 % from 150 t, 3 % from 300 t."),
    RebateSchedule(
        "cumulative volume", "kg", "retroactive",
        (RebateTier(40_000, 0.01), RebateTier(80_000, 0.02), RebateTier(120_000, 0.03)),
        description="The proposal for price-sensitive key accounts: lower thresholds "
        "that their volumes can reach, rate rising with volume, retroactive."),
    RebateSchedule(
        "stepped volume", "kg", "marginal",
        (RebateTier(40_000, 0.01), RebateTier(80_000, 0.02), RebateTier(120_000, 0.03)),
        description="The same tiers paid band by band: no cliff at a threshold."),
    RebateSchedule(
        "growth", "kg", "growth",
        (RebateTier(0, 0.03), RebateTier(10_000, 0.05)),
        description="3 % on the kg above last year's volume, 5 % once the growth "
        "reaches 10 t."),
)
"""The schedules of the default settings."""


def _default_by_segment() -> dict[str, str]:
    return {"price": "cumulative volume"}


@dataclass(frozen=True)
class RebateSettings:
    """Settings of the rebates and prices chapter (``[rebates]`` in the settings file).

    Schedules:

    - ``schedules``: the named schedules (:class:`RebateSchedule`), at least one;
    - ``default_schedule``: the schedule of a price-sensitive customer nothing else
      names; ``schedule_by_segment``: schedule per segment of
      :func:`kamlib.segmentation.segments` (a key may also be a mixed pair such as
      ``"price+service"``; a mixed customer with price among its drivers falls back to
      the ``"price"`` entry); ``schedule_by_customer``: per customer id (wins over the
      segment).

    Accrual (:func:`accrual`): ``forecast`` - how the year-end volume is forecast during
    the year: ``"seasonal"`` (volume so far / the share of a year all customers
    together had bought by the same month in the last ``forecast_history_years``
    years), ``"customer_seasonal"`` (the same with the customer's own history - less
    biased for a customer with its own rhythm, but noisy for one with few orders),
    ``"run_rate"`` (volume so far × 12 / months elapsed; ignores the autumn peak) or
    ``"last_year"`` (last year's volume, or the volume so far once it is larger).
    :func:`forecast_errors` compares them on your history.

    Response (:func:`respond`): ``default_elasticity`` - %ΔQ/%ΔP used where the
    customer's own elasticity is unknown (segmentation could not fit one, or found a
    non-negative one). ``near_threshold_share``: a customer is *just below* a
    threshold when the volume still missing is at most this share of the volume the
    next tier needs.

    Other levers: ``off_season_months`` (1-12), ``off_season_discount`` (share of the
    normal price), ``pull_forward_share`` (share of the off-season deal volume that
    would have been bought later at the normal price anyway);
    ``bundle_discount`` (share off the bundled product), ``bundle_new_share`` (share of
    the bundled volume the customer would not have bought from us without the bundle);
    ``big_pack_other_saving_per_kg`` (EUR/kg saved by a big pack beyond the unit cost -
    handling, warehouse moves, fewer deliveries); ``economy_price_discount`` and
    ``economy_cost_saving`` (economy grade's price and cost below the standard grade's,
    shares; used to design one where none exists), ``economy_cannibalisation`` (share
    of economy-grade volume that replaces standard-grade volume).
    """

    schedules: tuple[RebateSchedule, ...] = DEFAULT_SCHEDULES
    default_schedule: str = "cumulative volume"
    schedule_by_segment: dict[str, str] = field(default_factory=_default_by_segment)
    schedule_by_customer: dict[str, str] = field(default_factory=dict)
    forecast: str = "seasonal"
    forecast_history_years: int = 3
    default_elasticity: float = -1.5
    near_threshold_share: float = 0.15
    off_season_months: tuple[int, ...] = (6, 7, 8)
    off_season_discount: float = 0.08
    pull_forward_share: float = 0.5
    bundle_discount: float = 0.10
    bundle_new_share: float = 0.4
    big_pack_other_saving_per_kg: float = 0.02
    economy_price_discount: float = 0.12
    economy_cost_saving: float = 0.10
    economy_cannibalisation: float = 0.6

    def __post_init__(self) -> None:
        w = "rebates"
        object.__setattr__(self, "schedules", tuple(self.schedules))
        if not self.schedules:
            raise SettingsError(f"{w}.schedules: at least one schedule is needed")
        names = [sc.name for sc in self.schedules]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise SettingsError(f"{w}.schedules: two schedules are called {dup[0]!r}; names must "
                       "be unique")
        refs = [("default_schedule", self.default_schedule)]
        refs += [(f"schedule_by_segment.{k}", v) for k, v in self.schedule_by_segment.items()]
        refs += [(f"schedule_by_customer.{k}", v)
                 for k, v in self.schedule_by_customer.items()]
        for where, name in refs:
            if name not in names:
                close = difflib.get_close_matches(str(name), names, n=1)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                raise SettingsError(f"{w}.{where}: no schedule called '{name}'.{hint} Schedules: "
                           f"{', '.join(names)}.")
        if self.forecast not in FORECASTS:
            raise SettingsError(f"{w}.forecast must be one of {', '.join(FORECASTS)}, got "
                       f"'{self.forecast}'")
        if self.forecast_history_years < 1:
            raise SettingsError(f"{w}.forecast_history_years must be at least 1")
        if not self.default_elasticity < 0:
            raise SettingsError(f"{w}.default_elasticity is %ΔQ/%ΔP and must be negative (volume "
                       f"falls when the price rises), got {self.default_elasticity}")
        if not 0 < self.near_threshold_share < 1:
            raise SettingsError(f"{w}.near_threshold_share must be between 0 and 1, got "
                       f"{self.near_threshold_share}")
        bad = [m for m in self.off_season_months if not 1 <= int(m) <= 12]
        if bad or not self.off_season_months:
            raise SettingsError(f"{w}.off_season_months: months are 1-12, got "
                       f"{list(self.off_season_months)}")
        for name in ("off_season_discount", "pull_forward_share", "bundle_discount",
                     "bundle_new_share", "economy_price_discount", "economy_cost_saving",
                     "economy_cannibalisation"):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                raise SettingsError(f"{w}.{name} is a share (0-1), got {v}")
        if self.off_season_discount >= 1 or self.bundle_discount >= 1:
            raise SettingsError(f"{w}: a discount of 100 % gives the product away")
        if self.big_pack_other_saving_per_kg < 0:
            raise SettingsError(f"{w}.big_pack_other_saving_per_kg must be ≥ 0 (EUR/kg)")

    @property
    def names(self) -> list[str]:
        return [sc.name for sc in self.schedules]

    def schedule(self, name: str | RebateSchedule | None = None) -> RebateSchedule:
        """The schedule called ``name`` (``None`` = ``default_schedule``; a schedule is
        returned as is). Unknown names are refused with the closest valid name."""
        if isinstance(name, RebateSchedule):
            return name
        name = self.default_schedule if name is None else name
        for sc in self.schedules:
            if sc.name == name:
                return sc
        close = difflib.get_close_matches(str(name), self.names, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise SettingsError(f"no rebate schedule called '{name}'.{hint} Schedules in the settings: "
                   f"{', '.join(self.names)}.")

    def segment_schedule(self, segment: str = "price") -> RebateSchedule:
        """The schedule of a segment (``schedule_by_segment``, else
        ``default_schedule``)."""
        return self.schedule(self.schedule_by_segment.get(segment, self.default_schedule))

    def with_schedule(self, schedule: RebateSchedule) -> RebateSettings:
        """A copy with ``schedule`` replacing the one of the same name (or added)."""
        out = [schedule if sc.name == schedule.name else sc for sc in self.schedules]
        if schedule.name not in self.names:
            out.append(schedule)
        return dataclasses.replace(self, schedules=tuple(out))


def _rebate_settings(s) -> RebateSettings:
    if isinstance(s, RebateSettings):
        return s
    rs = getattr(s, "rebates", None)
    if not isinstance(rs, RebateSettings):
        raise TypeError("expected the playbook settings (kamlib.settings.Settings) or its "
                        f"rebates section, got {type(s).__name__}")
    return rs


def _year(s, year, kd=None) -> int:
    if year is not None:
        return int(year)
    period = getattr(s, "period", None)
    if period is None:
        raise ValueError("pass year=... or the whole playbook settings (its "
                         "period.analysis_year is the year)")
    from kamlib import measures

    return measures.year_of(period, kd)


def schedules_table(s) -> pd.DataFrame:
    """The schedules of the settings, one row per tier: ``schedule``, ``method``,
    ``basis``, ``tier`` (1 = lowest), ``threshold`` (kg or EUR a year, lower bound,
    inclusive), ``rate`` (share of revenue), ``band`` (the band in words)."""
    rs = _rebate_settings(s)
    rows = []
    for sc in rs.schedules:
        labels = sc.tier_labels()
        for i, t in enumerate(sc.tiers, start=1):
            rows.append((sc.name, sc.method, sc.basis, i, t.threshold, t.rate, labels[i]))
    return pd.DataFrame(rows, columns=["schedule", "method", "basis", "tier", "threshold",
                                       "rate", "band"])


# ============================================================================ core


def _amount(x: np.ndarray, sc: RebateSchedule) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tier reached 0..n, its rate, rebate in basis units) for rebated volume ``x`` ≥ 0.

    Tier k (1-based) is reached when thresholds[k-1] ≤ x (searchsorted, side right: a
    volume exactly at a threshold reaches it). Retroactive and growth: amount = rate × x.
    Marginal: amount = Σ_i rate_i × (min(x, t_(i+1)) − t_i)⁺.
    """
    x = np.nan_to_num(np.asarray(x, dtype=float), nan=0.0)
    t, r = sc.thresholds, sc.rates
    k = np.searchsorted(t, x, side="right")
    rate = np.concatenate([[0.0], r])[k]
    if sc.method == "marginal":
        at_thresholds = np.concatenate([[0.0], np.cumsum(r[:-1] * np.diff(t))])
        t_k = np.concatenate([[0.0], t])[k]
        c_k = np.concatenate([[0.0], at_thresholds])[k]
        amount = np.where(k > 0, c_k + rate * (x - t_k), 0.0)
    else:
        amount = rate * x
    return k, rate, amount


def apply_schedule(volumes: pd.DataFrame, schedule: RebateSchedule) -> pd.DataFrame:
    """The rebate each customer earns under ``schedule``, all customers at once.

    ``volumes``: one row per customer (any index, kept) with ``volume_kg`` (kg) and
    ``revenue`` (EUR, net invoiced) of the period; for a growth schedule also
    ``baseline`` (in the schedule's basis: kg or EUR; missing = 0).

    Formulas (basis volume V = kg or EUR; p = revenue / kg for a kg basis, 1 for EUR;
    thresholds t_1 < ... < t_n, rates r_i; tier k reached when t_k ≤ x):

    - retroactive: x = V, rebate = r_k × revenue;
    - marginal: x = V, rebate = p × Σ_i r_i × (min(V, t_(i+1)) − t_i)⁺;
    - growth: x = (V − baseline)⁺, rebate = r_k × x × p;
    - ``to_next_tier`` = t_(k+1) − (V − baseline) (growth) or t_(k+1) − V;
      ``value_of_next_tier`` = rebate at t_(k+1) − rebate now (EUR the customer would
      gain by buying exactly up to the next threshold, at its average price);
      ``marginal_rebate_rate`` = value_of_next_tier / (p × to_next_tier): the rebate
      earned per EUR of extra purchase - above the tier's rate where a retroactive
      threshold is near (the cliff), equal to it for a marginal schedule.

    Columns: ``schedule``; ``basis_volume`` (kg or EUR); ``baseline`` (basis units;
    NaN unless growth); ``rebated_volume`` (the volume the tiers are measured on);
    ``tier`` (0 = below the first threshold, 1..n); ``rate`` (of the tier reached);
    ``rebate`` (EUR); ``effective_rate`` (rebate / revenue); ``to_next_tier`` (kg or EUR;
    NaN at the top tier); ``next_tier_rate``; ``value_of_next_tier`` (EUR);
    ``marginal_rebate_rate``. A customer without kg gets rebate 0 (and NaN values of
    the next tier on a kg basis: no price to value them).
    """
    sc = schedule
    missing = [c for c in ("volume_kg", "revenue") if c not in volumes.columns]
    if missing:
        raise ValueError(f"apply_schedule needs the columns volume_kg and revenue; "
                         f"missing: {', '.join(missing)}")
    kg = np.nan_to_num(volumes["volume_kg"].to_numpy(dtype=float))
    rev = np.nan_to_num(volumes["revenue"].to_numpy(dtype=float))
    if sc.basis == "kg":
        basis = kg
        price = _frac(rev, kg)
    else:
        basis = rev
        price = np.ones(len(rev))
    if sc.method == "growth":
        if "baseline" in volumes.columns:
            base = np.nan_to_num(volumes["baseline"].to_numpy(dtype=float))
        else:
            base = np.zeros(len(kg))
        raw = basis - base * (1.0 + sc.baseline_uplift)
        x = np.maximum(raw, 0.0)
    else:
        base = np.full(len(kg), np.nan)
        raw = basis
        x = basis
    k, rate, amount = _amount(x, sc)
    valued = np.isfinite(price)
    rebate = np.where(valued, amount * np.nan_to_num(price), 0.0)
    t, r = sc.thresholds, sc.rates
    n = len(t)
    has_next = k < n
    t_next = np.where(has_next, np.append(t, np.nan)[k], np.nan)
    to_next = np.where(has_next, t_next - raw, np.nan)
    next_rate = np.where(has_next, np.append(r, np.nan)[k], np.nan)
    _, _, amount_next = _amount(np.where(has_next, t_next, 0.0), sc)
    value_next = np.where(has_next & valued, (amount_next - amount) * price, np.nan)
    out = pd.DataFrame(index=volumes.index)
    out["schedule"] = sc.name
    out["basis_volume"] = basis
    out["baseline"] = base if sc.method == "growth" else np.nan
    out["rebated_volume"] = x
    out["tier"] = k.astype("int64")
    out["rate"] = rate
    out["rebate"] = rebate
    out["effective_rate"] = np.where(rev > 0, _frac(rebate, rev), 0.0)
    out["to_next_tier"] = to_next
    out["next_tier_rate"] = next_rate
    out["value_of_next_tier"] = value_next
    out["marginal_rebate_rate"] = _frac(value_next, to_next * price)
    return out


def rebate_curve(schedule: RebateSchedule, volumes, price_per_kg: float = 1.0,
                 baseline: float = 0.0) -> pd.DataFrame:
    """The rebate and the customer's net payment along a range of annual volumes (for
    pictures: the retroactive cliff). ``volumes`` in the schedule's basis (kg or EUR);
    ``price_per_kg`` values kg (ignored for an EUR basis); ``baseline`` for growth.

    Columns: ``basis_volume``, ``revenue`` (EUR), ``tier``, ``rate``, ``rebate`` (EUR),
    ``net_payment`` = revenue − rebate (what the customer pays in the end, EUR),
    ``effective_rate``.
    """
    v = np.asarray(volumes, dtype=float)
    if schedule.basis == "kg":
        df = pd.DataFrame({"volume_kg": v, "revenue": v * price_per_kg})
    else:
        df = pd.DataFrame({"volume_kg": v / max(price_per_kg, 1e-12), "revenue": v})
    df["baseline"] = baseline
    a = apply_schedule(df, schedule)
    return pd.DataFrame({
        "basis_volume": v, "revenue": df["revenue"].to_numpy(), "tier": a["tier"],
        "rate": a["rate"], "rebate": a["rebate"],
        "net_payment": df["revenue"].to_numpy() - a["rebate"].to_numpy(),
        "effective_rate": a["effective_rate"],
    })


def cliffs(schedule: RebateSchedule, price_per_kg: float = 1.0) -> pd.DataFrame:
    """What happens at each threshold: the jump in the rebate and the *dead zone*.

    At a retroactive threshold t where the rate rises from r₀ to r₁ the rebate jumps by
    (r₁ − r₀) × t × p on volume already bought (the **cliff**). Just above t the
    customer pays less in total than just below it: the net payment V·p·(1 − r₁) is
    below t·p·(1 − r₀) until V = t (1 − r₀) / (1 − r₁); the **dead zone**
    t (r₁ − r₀) / (1 − r₁) is the extra volume the customer gets "for free" - or
    could buy and throw away. A marginal schedule has neither (its rebate is
    continuous). For growth the same holds on the volume above the baseline.
    (Standard analysis of all-units vs incremental discounts; e.g. Nagle & Müller,
    *The Strategy and Tactics of Pricing*, ch. on price structure.)

    One row per tier: ``tier``, ``threshold`` (basis units), ``rate_below``,
    ``rate_above``, ``rebate_jump`` (EUR at the threshold), ``dead_zone`` (basis
    units), ``dead_zone_end`` (basis units).
    """
    t, r = schedule.thresholds, schedule.rates
    below = np.concatenate([[0.0], r[:-1]])
    p = price_per_kg if schedule.basis == "kg" else 1.0
    if schedule.method == "marginal":
        jump = np.zeros(len(t))
        dead = np.zeros(len(t))
    else:
        jump = (r - below) * t * p
        dead = np.divide(t * (r - below), 1 - r, out=np.full(len(t), np.inf), where=r < 1)
    return pd.DataFrame({
        "tier": np.arange(1, len(t) + 1), "threshold": t, "rate_below": below,
        "rate_above": r, "rebate_jump": jump, "dead_zone": dead,
        "dead_zone_end": t + dead,
    })


# ============================================================================ history


def _ids(kd, customers) -> pd.Index | None:
    if customers is None:
        return None
    if isinstance(customers, (str, bytes)):
        customers = [customers]
    if isinstance(customers, (pd.DataFrame, pd.Series)):
        customers = customers.index
    ids = pd.Index(list(dict.fromkeys(str(c) for c in customers)), name="customer_id",
                   dtype=object)
    bad = ~ids.isin(kd.customers["customer_id"].astype(str))
    if bad.any() and not getattr(kd, "lazy", False):  # lines in a file were checked
        bad &= ~ids.isin(measures.first_year(kd.orders).index)  # an id with a line
    unknown = ids[bad].tolist()
    if unknown:
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise ValueError(f"unknown customer id(s) {unknown[:5]}{more}: not in customers "
                         "or orders. Ids are text, e.g. 'C0042'.")
    return ids


def _yearly(orders: pd.DataFrame, value: str) -> pd.DataFrame:
    """customer × year table of ``value`` (0 where nothing was bought)."""
    g = orders.groupby([orders["customer_id"].astype(str), "year"], observed=True)[value].sum()
    t = g.unstack("year", fill_value=0.0)
    t.index.name = "customer_id"
    return t


def _yearly_of(kd, years, value: str) -> pd.DataFrame:
    """:func:`_yearly` of the lines of ``years``; on a large table
    (:func:`kamlib.measures.large`) a slice of the remembered customer-year sums."""
    years = list(years)
    if measures.large(kd.orders):
        cy = measures.customer_year(kd.orders, years)
        return _facts_years(cy, years, [value])[value].unstack("year", fill_value=0.0)
    return _yearly(kd.orders.loc[kd.orders["year"].isin(years), ["customer_id", "year", value]],
                   value)


def _facts_years(customer_year: pd.DataFrame, years, columns) -> pd.DataFrame:
    """The rows of per-customer-year facts (:func:`kamlib.measures.customer_year` or
    :func:`kamlib.engine.customer_year`) of ``years``, customer ids as text."""
    f = customer_year.loc[customer_year.index.get_level_values("year").isin(list(years)),
                          list(columns)]
    f.index = f.index.set_levels(f.index.levels[0].astype(str).astype(object), level=0)
    return f


def _baseline(kd, ids: pd.Index, year: int, sc: RebateSchedule, value: str,
              customer_year: pd.DataFrame | None = None) -> np.ndarray:
    """Mean yearly ``value`` of the ``baseline_years`` years before ``year`` (from the
    per-customer-year facts when given, else from the order lines)."""
    years = list(range(year - sc.baseline_years, year))
    if customer_year is not None:
        t = _facts_years(customer_year, years, [value])[value].unstack("year", fill_value=0.0)
    else:
        t = _yearly_of(kd, years, value)
    t = t.reindex(index=ids, columns=years, fill_value=0.0).fillna(0.0)
    return t.to_numpy(dtype=float).mean(axis=1)


def year_volumes(kd, year: int, customers=None, *,
                 customer_year: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per customer, the year's ``volume_kg``, ``revenue``, ``gross_margin`` (revenue −
    cost of goods, EUR; the contribution margin before rebates) and
    ``rebate_paid`` (EUR, from the ``rebates`` table). ``customers=None``: every
    customer with sales in the year; given ids without sales get zeros.
    ``customer_year``: the per-customer-year facts when already computed (the sums of
    the order lines by customer and year), so the lines are not read again."""
    cols = ["volume_kg", "revenue", "gross_margin"]
    if customer_year is not None:
        g = _facts_years(customer_year, [year], cols).droplevel("year")
    elif measures.large(kd.orders):  # a slice of the remembered customer-year sums
        g = _facts_years(measures.customer_year(kd.orders, [year]), [year],
                         cols).droplevel("year")
    else:
        o = kd.orders.loc[kd.orders["year"] == year, ["customer_id", *cols]]
        g = o.groupby(o["customer_id"].astype(str), observed=True)[cols].sum()
    g.index.name = "customer_id"
    ids = _ids(kd, customers)
    if ids is None:
        g = g.loc[g["volume_kg"] > 0]
    else:
        g = g.reindex(ids, fill_value=0.0)
    rb = kd.rebates
    if rb is not None and len(rb):
        r = rb.loc[rb["year"].astype("float") == year]
        paid = r.groupby(r["customer_id"].astype(str))["rebate_paid"].sum()
        g["rebate_paid"] = paid.reindex(g.index).fillna(0.0).to_numpy()
    else:
        g["rebate_paid"] = 0.0
    return g


def simulate(kd, s, schedule=None, year: int | None = None,
             customers=None) -> pd.DataFrame:
    """What ``schedule`` would have paid on the history of ``year``.

    ``kd``: :class:`kamlib.data.KamData`; ``s``: the playbook settings (uses
    ``period.analysis_year`` when ``year`` is None, and ``rebates``); ``schedule``: a
    :class:`RebateSchedule` or a name (None = ``rebates.default_schedule``);
    ``customers``: ids (None = every customer with sales in the year).

    Index ``customer_id``. Columns: ``volume_kg``, ``revenue``, ``gross_margin``,
    ``rebate_paid`` (what was actually paid that year) and those of
    :func:`apply_schedule`, plus ``rebate_pct_of_revenue`` (= rebate / revenue),
    ``rebate_pct_of_margin`` (rebate / gross margin; NaN when the margin is not
    positive) and ``near_threshold`` (bool: to_next_tier ≤ ``near_threshold_share`` ×
    the volume the next tier needs). For growth schedules the baseline is taken from
    the years before ``year`` (see :class:`RebateSchedule`).
    """
    rs = _rebate_settings(s)
    return _simulate(kd, rs, rs.schedule(schedule), _year(s, year, kd), customers)


def _simulate(kd, rs: RebateSettings, sc: RebateSchedule, year: int, customers,
              baseline_before: int | None = None,
              customer_year: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`simulate`; the growth baseline uses the years before ``baseline_before``
    (default ``year``; the plan year for a projection). ``customer_year``: the facts
    when already computed (:func:`year_volumes`)."""
    v = year_volumes(kd, year, customers, customer_year=customer_year)
    value = "volume_kg" if sc.basis == "kg" else "revenue"
    if sc.method == "growth":
        before = year if baseline_before is None else baseline_before
        v["baseline"] = _baseline(kd, v.index, before, sc, value, customer_year)
    a = apply_schedule(v, sc)
    out = v[["volume_kg", "revenue", "gross_margin", "rebate_paid"]].join(a)
    out["rebate_pct_of_revenue"] = out["effective_rate"]
    gm = out["gross_margin"].to_numpy(dtype=float)
    out["rebate_pct_of_margin"] = np.where(gm > 0, _frac(out["rebate"], gm), np.nan)
    needed = out["basis_volume"].to_numpy() + out["to_next_tier"].to_numpy()
    out["near_threshold"] = (out["to_next_tier"].to_numpy()
                             <= rs.near_threshold_share * needed) & np.isfinite(needed)
    out.attrs.update(year=year, schedule=sc.name)
    return out


def simulation_summary(sim: pd.DataFrame) -> pd.Series:
    """Totals of a :func:`simulate` table: ``customers``, ``customers_paid`` (rebate >
    0), ``volume_kg``, ``revenue``, ``gross_margin``, ``rebate`` (EUR),
    ``rebate_pct_of_revenue`` (Σ rebate / Σ revenue), ``rebate_pct_of_margin``
    (Σ rebate / Σ gross margin), ``rebate_paid`` (what was actually paid, EUR),
    ``near_threshold`` (customers just below a threshold)."""
    rev, gm, reb = sim["revenue"].sum(), sim["gross_margin"].sum(), sim["rebate"].sum()
    return pd.Series(dtype=float, data={
        "customers": int(len(sim)),
        "customers_paid": int((sim["rebate"] > 0).sum()),
        "volume_kg": float(sim["volume_kg"].sum()),
        "revenue": float(rev), "gross_margin": float(gm), "rebate": float(reb),
        "rebate_pct_of_revenue": float(reb / rev) if rev > 0 else np.nan,
        "rebate_pct_of_margin": float(reb / gm) if gm > 0 else np.nan,
        "rebate_paid": float(sim["rebate_paid"].sum()) if "rebate_paid" in sim else np.nan,
        "near_threshold": int(sim["near_threshold"].sum()) if "near_threshold" in sim else 0,
    })


def tier_counts(sim: pd.DataFrame, schedule: RebateSchedule) -> pd.DataFrame:
    """Customers per tier of a :func:`simulate` (or :func:`apply_schedule`) table.

    Index ``tier`` (0 = below the first threshold). Columns ``band`` (in words),
    ``threshold`` (basis units; NaN for tier 0), ``rate``, ``customers``,
    ``basis_volume`` (kg or EUR), ``rebate`` (EUR)."""
    n = len(schedule.tiers)
    g = sim.groupby("tier")
    out = pd.DataFrame(index=pd.RangeIndex(0, n + 1, name="tier"))
    out["band"] = schedule.tier_labels()
    out["threshold"] = np.concatenate([[np.nan], schedule.thresholds])
    out["rate"] = np.concatenate([[0.0], schedule.rates])
    out["customers"] = g.size().reindex(out.index, fill_value=0).astype("int64")
    out["basis_volume"] = g["basis_volume"].sum().reindex(out.index, fill_value=0.0)
    out["rebate"] = g["rebate"].sum().reindex(out.index, fill_value=0.0)
    return out


def near_threshold(sim: pd.DataFrame) -> pd.DataFrame:
    """The customers just below a threshold (``near_threshold`` of :func:`simulate`),
    closest first: ``basis_volume``, ``tier``, ``to_next_tier``, ``next_tier_rate``,
    ``value_of_next_tier`` (EUR), ``marginal_rebate_rate`` (rebate per EUR of the extra
    purchase: above 1 means the extra volume would cost the customer *nothing*)."""
    cols = ["basis_volume", "tier", "to_next_tier", "next_tier_rate",
            "value_of_next_tier", "marginal_rebate_rate"]
    return sim.loc[sim["near_threshold"], cols].sort_values("to_next_tier")


# ============================================================================ response


def break_even_volume_change(price_change, contribution_margin, cost_change=0.0):
    """Break-even volume change of a price change (Nagle & Müller, *The Strategy and
    Tactics of Pricing*, ch. "Price change: the break-even analysis"):

        %ΔV = −(ΔP − ΔC) / (CM + ΔP − ΔC)

    with the price change ΔP, the change in unit variable cost ΔC and the contribution
    margin CM all as fractions of the *old* price (ΔC = 0 gives the familiar
    −ΔP / (CM + ΔP)). A rebate is a price cut for the volume it covers: ΔP = −rate.
    Example: a 2 % rebate at a 25 % margin needs 0.02 / 0.23 = +8.7 % volume. Where the
    cut eats the whole margin (CM + ΔP − ΔC ≤ 0) no volume can pay for it: +inf.
    Arrays are broadcast.
    """
    dp = np.asarray(price_change, dtype=float) - np.asarray(cost_change, dtype=float)
    cm = np.asarray(contribution_margin, dtype=float)
    den = cm + dp
    res = np.divide(-dp, den, out=np.full(np.broadcast(dp, den).shape, np.inf),
                    where=den > 0)
    res = np.where(np.isnan(den) | np.isnan(dp), np.nan, res)
    return res if res.ndim else float(res)


def volume_response(price_change, elasticity):
    """Volume change for a price change at constant elasticity ε (%ΔQ/%ΔP), the
    log-log model segmentation fits: %ΔV = (1 + ΔP)^ε − 1. For small changes ≈ ε·ΔP.
    Example: a 3 % price cut (ΔP = −0.03) at ε = −2.5 gives 0.97^−2.5 − 1 = +7.9 %."""
    dp = np.asarray(price_change, dtype=float)
    e = np.asarray(elasticity, dtype=float)
    res = np.power(np.maximum(1.0 + dp, 1e-12), e) - 1.0
    return res if res.ndim else float(res)


def break_even_elasticity(price_change, contribution_margin):
    """The elasticity at which a price change exactly pays for itself, in the
    constant-elasticity model of :func:`volume_response`: solve
    (1 + ΔP)^ε − 1 = −ΔP / (CM + ΔP) for ε:

        ε* = ln(CM / (CM + ΔP)) / ln(1 + ΔP)

    For small cuts ε* ≈ −1 / (CM + ΔP): at a 20 % margin a 2 % rebate needs a customer
    about six times as price-elastic as "unit elastic". A cut pays when the customer's
    elasticity is *more negative* than ε*. NaN for ΔP = 0; −inf when the cut eats the
    margin. (Derived from Nagle & Müller's break-even volume.)"""
    dp = np.asarray(price_change, dtype=float)
    cm = np.asarray(contribution_margin, dtype=float)
    shape = np.broadcast(dp, cm).shape
    ok = (cm + dp > 0) & (cm > 0) & (dp != 0) & (dp > -1)
    num = np.log(np.divide(cm, cm + dp, out=np.ones(shape), where=ok))
    den = np.log1p(np.where(ok, dp, 0.0))
    res = np.divide(num, den, out=np.full(shape, np.nan), where=ok & (den != 0))
    res = np.where((cm + dp <= 0) & (dp < 0), -np.inf, res)
    return res if res.ndim else float(res)


def respond(sim: pd.DataFrame, schedule: RebateSchedule, elasticity,
            reach_share: float | None = None) -> pd.DataFrame:
    """The volume and margin response of each customer to ``schedule``.

    ``sim``: a :func:`simulate` table of the schedule (the customer's year without the
    schedule: its volume, revenue, gross margin); ``elasticity``: a number, or a Series
    by customer (see :func:`elasticities`; missing customers are refused).

    The model, one round: the schedule is a price cut ΔP = −(rebate / revenue) at the
    volume the customer bought; the customer answers with %ΔV = (1 + ΔP)^ε − 1
    (:func:`volume_response`) at its invoice price; the rebate is then paid on the new
    volume at the tier it reaches. Margins are contribution margins (revenue − cost of
    goods; the cost per kg stays the same). The baseline of the comparison is *no
    rebate*: incremental_margin = (gross margin after − rebate after) − gross margin
    before. It uses the average price; a growth rebate's pull on the *marginal* kg is
    stronger than this model says.

    ``reach_share`` (None = off): the **threshold effect** the elasticity model leaves
    out - after the response, a customer whose volume is within ``reach_share`` of the
    volume its next tier needs buys up to that threshold (one tier; e.g.
    ``rebates.near_threshold_share``).

    Index as ``sim``. Columns: ``elasticity_used``, ``price_change`` (ΔP),
    ``contribution_margin`` (CM, share of the price), ``break_even_volume_change``
    (−ΔP / (CM + ΔP)), ``volume_change`` (%ΔV), ``volume_before_kg``,
    ``volume_after_kg``, ``incremental_volume_kg``, ``rebate_before`` (EUR, at last
    year's volume), ``rebate_after`` (EUR), ``gross_margin_before``,
    ``gross_margin_after``, ``margin_after_rebate``, ``incremental_margin`` (EUR),
    ``earns_back`` (incremental_margin ≥ 0), ``break_even_elasticity``
    (:func:`break_even_elasticity`), ``reaches_next_tier`` (bool, only with
    ``reach_share``), ``revenue_after``, ``tier_after``,
    ``rate_after``, ``to_next_tier_after``, ``next_tier_rate_after``,
    ``value_of_next_tier_after``.
    """
    idx = sim.index
    if isinstance(elasticity, pd.Series):
        e = elasticity.reindex(idx)
        if e.isna().any():
            miss = list(e.index[e.isna()][:5])
            raise ValueError(f"respond: no elasticity for customer(s) {miss}; pass a "
                             "number or a Series covering every customer")
        e = e.to_numpy(dtype=float)
    else:
        e = np.full(len(idx), float(elasticity))
    v0 = sim["volume_kg"].to_numpy(dtype=float)
    rev0 = sim["revenue"].to_numpy(dtype=float)
    gm0 = sim["gross_margin"].to_numpy(dtype=float)
    dp = -sim["effective_rate"].to_numpy(dtype=float)
    cm = np.where(rev0 > 0, _frac(gm0, rev0), np.nan)
    vc = np.where(v0 > 0, volume_response(dp, e), 0.0)
    factor = 1.0 + vc
    after = pd.DataFrame({"volume_kg": v0 * factor, "revenue": rev0 * factor}, index=idx)
    if "baseline" in sim.columns:
        after["baseline"] = sim["baseline"].to_numpy()
    a = apply_schedule(after, schedule)
    reaches = np.zeros(len(idx), dtype=bool)
    if reach_share is not None:
        basis1 = a["basis_volume"].to_numpy()
        gap = a["to_next_tier"].to_numpy()
        needed = basis1 + gap
        reaches = np.isfinite(gap) & (gap > 0) & (v0 > 0) & (gap <= reach_share * needed)
        extra_kg = gap if schedule.basis == "kg" else gap * _frac(v0, rev0)
        extra = np.where(reaches, np.nan_to_num(_frac(np.nan_to_num(extra_kg), v0)), 0.0)
        factor = factor + extra
        vc = factor - 1.0
        after["volume_kg"] = v0 * factor
        after["revenue"] = rev0 * factor
        a = apply_schedule(after, schedule)
    gm1 = gm0 * factor
    margin_after = gm1 - a["rebate"].to_numpy()
    out = pd.DataFrame(index=idx)
    out["elasticity_used"] = e
    out["price_change"] = dp
    out["contribution_margin"] = cm
    out["break_even_volume_change"] = break_even_volume_change(dp, cm)
    out["volume_change"] = vc
    out["volume_before_kg"] = v0
    out["volume_after_kg"] = v0 * factor
    out["incremental_volume_kg"] = v0 * vc
    out["rebate_before"] = sim["rebate"].to_numpy()
    out["rebate_after"] = a["rebate"].to_numpy()
    out["gross_margin_before"] = gm0
    out["gross_margin_after"] = gm1
    out["margin_after_rebate"] = margin_after
    out["incremental_margin"] = margin_after - gm0
    out["earns_back"] = out["incremental_margin"].to_numpy() >= -1e-9
    out["break_even_elasticity"] = break_even_elasticity(dp, cm)
    out["reaches_next_tier"] = reaches
    out["revenue_after"] = rev0 * factor
    out["tier_after"] = a["tier"].to_numpy()
    out["rate_after"] = a["rate"].to_numpy()
    out["to_next_tier_after"] = a["to_next_tier"].to_numpy()
    out["next_tier_rate_after"] = a["next_tier_rate"].to_numpy()
    out["value_of_next_tier_after"] = a["value_of_next_tier"].to_numpy()
    return out


def _segmentation_table(kd, s, ids) -> pd.DataFrame | None:
    """segmentation.segments for ``ids`` (None = its key accounts), or None when the
    module cannot provide it."""
    try:
        from kamlib import segmentation
    except ImportError:  # pragma: no cover
        return None
    if not hasattr(segmentation, "segments"):
        return None
    return segmentation.segments(kd, s, customers=None if ids is None else list(ids))


def elasticities(kd, s, customers, segments: pd.DataFrame | None = None) -> pd.DataFrame:
    """The elasticity used for each customer's volume response.

    The customer's own estimate (``price_elasticity`` of
    :func:`kamlib.segmentation.segments`: slope of a log-log fit of quarterly volume on
    its net price, Nagle's "response of volume to price") where it is known and
    negative; else ``rebates.default_elasticity``. A zero or positive estimate
    contradicts the law of demand and is treated as noise.
    Pass ``segments`` to reuse a table already computed.

    Index ``customer_id``; columns ``elasticity_used``, ``elasticity_source``
    ("customer's history" or "default setting").
    """
    rs = _rebate_settings(s)
    if customers is None:
        raise ValueError("elasticities: pass the customers (ids)")
    ids = _ids(kd, customers)
    if segments is None and len(ids):
        segments = _segmentation_table(kd, s, ids)
    est = pd.Series(np.nan, index=ids, dtype=float)
    if segments is not None and "price_elasticity" in segments.columns:
        est = segments["price_elasticity"].astype(float).reindex(ids)
    known = np.isfinite(est.to_numpy()) & (est.to_numpy() < 0)
    out = pd.DataFrame(index=pd.Index(ids, name="customer_id"))
    out["elasticity_used"] = np.where(known, est.to_numpy(), rs.default_elasticity)
    out["elasticity_source"] = np.where(known, "customer's history", "default setting")
    return out


def compare_schedules(kd, s, schedules=None, year: int | None = None, customers=None,
                      elasticity=None, reach_near_tiers: bool = False) -> pd.DataFrame:
    """Two or more schedules side by side on the same customers and year.

    ``schedules``: names or :class:`RebateSchedule` objects (None = all in the
    settings); ``customers``: ids (None = everyone with sales); ``elasticity``: a
    number, a Series by customer, or None (= :func:`elasticities`);
    ``reach_near_tiers``: customers within ``rebates.near_threshold_share`` of their
    next tier reach it (the threshold effect, see :func:`respond`).

    Index ``schedule``. Columns: ``method``, ``basis``, ``customers``,
    ``customers_paid``, ``rebate`` (EUR, on last year's volume), ``rebate_pct_of_revenue``,
    ``rebate_pct_of_margin``, ``break_even_volume_change`` (the whole group: ΔP =
    −Σ rebate / Σ revenue, CM = Σ margin / Σ revenue), ``volume_change`` (the response,
    Σ incremental kg / Σ kg), ``incremental_volume_kg``, ``rebate_after_response``
    (EUR), ``incremental_margin`` (EUR, vs no rebate), ``customers_earning_back``,
    ``near_threshold``.
    """
    rs = _rebate_settings(s)
    scs = [rs.schedule(x) for x in (schedules if schedules is not None else rs.names)]
    rows = []
    el = elasticity
    for sc in scs:
        sim = simulate(kd, s, sc, year, customers)
        if el is None:
            el = elasticities(kd, s, sim.index)["elasticity_used"]
        r = respond(sim, sc, el, rs.near_threshold_share if reach_near_tiers else None)
        tot = simulation_summary(sim)
        rev, gm = tot["revenue"], tot["gross_margin"]
        dp = -tot["rebate"] / rev if rev > 0 else np.nan
        rows.append({
            "schedule": sc.name, "method": sc.method, "basis": sc.basis,
            "customers": tot["customers"], "customers_paid": tot["customers_paid"],
            "rebate": tot["rebate"], "rebate_pct_of_revenue": tot["rebate_pct_of_revenue"],
            "rebate_pct_of_margin": tot["rebate_pct_of_margin"],
            "break_even_volume_change": break_even_volume_change(
                dp, gm / rev if rev > 0 else np.nan),
            "volume_change": r["incremental_volume_kg"].sum() / max(tot["volume_kg"], 1e-12),
            "incremental_volume_kg": r["incremental_volume_kg"].sum(),
            "rebate_after_response": r["rebate_after"].sum(),
            "incremental_margin": r["incremental_margin"].sum(),
            "customers_earning_back": int((r["earns_back"] & (r["rebate_after"] > 0)).sum()),
            "near_threshold": tot["near_threshold"],
            "customers_reaching_next_tier": int(r["reaches_next_tier"].sum()),
        })
    out = pd.DataFrame(rows).set_index("schedule")
    num = [c for c in out.columns if c not in ("method", "basis")]
    out[num] = out[num].apply(pd.to_numeric)
    return out


# ============================================================================ accrual


def monthly_volumes(orders: pd.DataFrame, year: int, ids=None) -> pd.DataFrame:
    """One row per customer and month 1-12 of ``year`` (months without sales = 0):
    ``customer_id``, ``month``, ``volume_kg``, ``revenue``. ``ids`` fixes the customers
    (None = those with sales in the year)."""
    if measures.large(orders):  # a slice of the remembered customer x month sums
        g = measures.customer_month(orders, [year])[["volume_kg", "revenue"]]
        g = g.droplevel("year")
    else:
        o = orders.loc[orders["year"] == year, ["customer_id", "month", "volume_kg",
                                                  "revenue"]]
        g = o.groupby([o["customer_id"].astype(str), "month"], observed=True)[
            ["volume_kg", "revenue"]].sum()
    if ids is None:
        ids = pd.Index(sorted(g.index.get_level_values(0).unique()))
    full = pd.MultiIndex.from_product([pd.Index(ids, dtype=object), range(1, 13)],
                                      names=["customer_id", "month"])
    g.index = g.index.set_names(["customer_id", "month"])
    g = g.reindex(full, fill_value=0.0).fillna(0.0)
    return g.reset_index()


def seasonal_shares(orders: pd.DataFrame, year: int, history_years: int = 3,
                    value: str = "volume_kg", ids=None, by: str = "customer") -> pd.DataFrame:
    """Seasonality as the cumulative share of a year's ``value`` bought by the end of
    each month, pooled over the ``history_years`` years before ``year`` (Σ over years
    of value to month m / Σ of yearly values, so larger years weigh more).
    ``by="customer"``: each customer's own history; ``by="company"``: all customers
    together (the same profile for everyone; one seasonal index of the classical
    decomposition, e.g. Hyndman & Athanasopoulos, *Forecasting: principles and
    practice*, ch. 3). Index ``customer_id``; columns 1-12 (month 12 = 1). Customers
    without history get NaN (``by="customer"``)."""
    if by not in ("customer", "company"):
        raise ValueError(f"seasonal_shares: by must be 'customer' or 'company', got '{by}'")
    years = list(range(year - history_years, year))
    o = g = None
    if measures.large(orders):  # the remembered customer x month sums, over the years
        cm = measures.customer_month(orders, years)[value]
        g = cm.groupby(level=["customer_id", "month"], sort=True).sum()
    else:  # only the columns used: taking all 36 columns was most of the time
        o = orders.loc[orders["year"].isin(years), ["customer_id", "month", value]]
    if by == "company":
        prof = (g.groupby(level="month").sum() if o is None
                else o.groupby("month")[value].sum()).reindex(range(1, 13), fill_value=0.0)
        cum = prof.cumsum().to_numpy(dtype=float)
        share = _frac(cum, np.full(12, cum[-1]))
        if ids is None:
            ids = pd.Index(sorted(g.index.get_level_values(0).unique() if o is None
                                  else o["customer_id"].astype(str).unique()), dtype=object)
        ids = pd.Index(ids, dtype=object, name="customer_id")
        return pd.DataFrame(np.tile(share, (len(ids), 1)), index=ids,
                            columns=list(range(1, 13)))
    if g is None:
        g = o.groupby([o["customer_id"].astype(str), "month"], observed=True)[value].sum()
    t = g.unstack("month", fill_value=0.0).reindex(columns=range(1, 13), fill_value=0.0)
    t.index.name = "customer_id"
    cum = t.cumsum(axis=1)
    total = cum[12].to_numpy()
    shares = pd.DataFrame(_frac(cum.to_numpy(), total[:, None]), index=t.index,
                          columns=list(range(1, 13)))
    if ids is not None:
        shares = shares.reindex(pd.Index(ids, dtype=object))
    return shares


def accrue(monthly: pd.DataFrame, schedule: RebateSchedule, *, forecast: str = "run_rate",
           last_year: pd.Series | None = None, seasonal: pd.DataFrame | None = None,
           baseline: pd.Series | None = None) -> pd.DataFrame:
    """Month-by-month accrual, interim payments and final settlement of ``schedule``
    for each customer-year. Pure: the inputs are plain tables.

    ``monthly``: rows ``customer_id``, ``month`` (1-12), ``volume_kg``, ``revenue``
    (missing months = nothing bought). Forecast of the year-end volume F after month m
    (basis units; x = basis volume so far):

    - ``"run_rate"``: F = x × 12 / m;
    - ``"seasonal"`` or ``"customer_seasonal"``: F = x / S_m with S_m the cumulative
      seasonal share given in ``seasonal`` (index customer_id, columns 1-12, see
      :func:`seasonal_shares`); the run rate where S_m is unknown or below 5 %;
    - ``"last_year"``: F = last year's volume (``last_year``, by customer; the run rate
      where unknown);

    never below x, and F = x after month 12 (the actual). The customer is expected to
    end in the tier of F; the expected rebate R(F) is computed by the schedule at the
    average price so far, and accrued in proportion to the revenue so far:
    accrued_to_date = R(F) / revenue(F) × revenue so far. ``accrual`` is the month's
    booking (the change; negative = a reversal when the forecast falls).
    Interim payments, after each month of ``schedule.interim_months``: the paid total
    rises to ``interim_share`` × accrued_to_date (never paid back at an interim).
    Final settlement after month 12: **final = earned − interim paid** (negative when
    the interim payments exceeded what was earned: the customer owes it back, usually
    by credit note). This is the accrual logic of rebate agreements in SAP (condition
    contract settlement: accruals, partial settlements, final settlement).

    ``baseline``: for a growth schedule, by customer (basis units; missing = 0).

    Columns: ``customer_id``, ``month``, ``volume_kg``, ``revenue``,
    ``volume_to_date`` (kg), ``revenue_to_date`` (EUR), ``forecast_volume`` (basis
    units), ``forecast_tier``, ``forecast_rate``, ``accrual_rate`` (expected rebate /
    expected revenue), ``accrued_to_date``, ``accrual``, ``interim_payment``,
    ``interim_paid_to_date``, ``final_settlement`` (month 12 only; NaN before), all EUR.
    """
    if forecast not in FORECASTS:
        raise ValueError(f"forecast must be one of {', '.join(FORECASTS)}, got '{forecast}'")
    m = monthly.copy()
    m["customer_id"] = m["customer_id"].astype(str)
    ids = pd.Index(sorted(m["customer_id"].unique()), dtype=object)
    grid = pd.MultiIndex.from_product([ids, range(1, 13)], names=["customer_id", "month"])
    m = m.groupby(["customer_id", "month"])[["volume_kg", "revenue"]].sum()
    m = m.reindex(grid, fill_value=0.0).fillna(0.0)
    n = len(ids)
    kg = m["volume_kg"].to_numpy(dtype=float).reshape(n, 12)
    rev = m["revenue"].to_numpy(dtype=float).reshape(n, 12)
    kg_td = np.cumsum(kg, axis=1)
    rev_td = np.cumsum(rev, axis=1)
    x = kg_td if schedule.basis == "kg" else rev_td
    months = np.arange(1, 13)[None, :]
    run = x * 12.0 / months
    if forecast == "run_rate":
        f = run
    elif forecast in ("seasonal", "customer_seasonal"):
        if seasonal is None:
            sh = np.full((n, 12), np.nan)
        else:
            sh = seasonal.reindex(index=ids, columns=range(1, 13)).to_numpy(dtype=float)
        ok = np.isfinite(sh) & (sh >= MIN_SEASONAL_SHARE)
        f = np.where(ok, np.divide(x, sh, out=np.zeros_like(x), where=ok), run)
    else:
        ly = (np.full(n, np.nan) if last_year is None
              else last_year.reindex(ids).to_numpy(dtype=float))
        f = np.where(np.isfinite(ly)[:, None], ly[:, None], run)
    f = np.maximum(f, x)
    f[:, 11] = x[:, 11]
    base = (np.zeros(n) if baseline is None
            else np.nan_to_num(baseline.reindex(ids).to_numpy(dtype=float)))
    if schedule.basis == "kg":  # forecast kg valued at the average price so far
        price = np.nan_to_num(_frac(rev_td, kg_td))
        fdf = pd.DataFrame({"volume_kg": f.ravel(), "revenue": (f * price).ravel()})
    else:  # EUR basis: the forecast is revenue (the kg column is not used)
        fdf = pd.DataFrame({"volume_kg": f.ravel(), "revenue": f.ravel()})
    fdf["baseline"] = np.repeat(base, 12)
    a = apply_schedule(fdf, schedule)
    exp_rebate = a["rebate"].to_numpy().reshape(n, 12)
    exp_rev = fdf["revenue"].to_numpy().reshape(n, 12)
    acc_rate = np.where(exp_rev > 0, _frac(exp_rebate, exp_rev), 0.0)
    accrued = acc_rate * rev_td
    booked = np.diff(accrued, axis=1, prepend=0.0)
    booked[np.abs(booked) < 1e-9] = 0.0  # floating-point dust, not a booking
    pay_month = np.isin(months, np.asarray(schedule.interim_months))
    target = np.where(pay_month, schedule.interim_share * np.maximum(accrued, 0.0), 0.0)
    paid_td = np.maximum.accumulate(target, axis=1)
    paid_td[:, 11] = paid_td[:, 10]
    payment = np.diff(paid_td, axis=1, prepend=0.0)
    final = np.full((n, 12), np.nan)
    final[:, 11] = accrued[:, 11] - paid_td[:, 11]
    out = pd.DataFrame({
        "customer_id": np.repeat(ids.to_numpy(), 12),
        "month": np.tile(np.arange(1, 13), n),
        "volume_kg": kg.ravel(), "revenue": rev.ravel(),
        "volume_to_date": kg_td.ravel(), "revenue_to_date": rev_td.ravel(),
        "forecast_volume": f.ravel(), "forecast_tier": a["tier"].to_numpy(),
        "forecast_rate": a["rate"].to_numpy(), "accrual_rate": acc_rate.ravel(),
        "accrued_to_date": accrued.ravel(), "accrual": booked.ravel(),
        "interim_payment": payment.ravel(), "interim_paid_to_date": paid_td.ravel(),
        "final_settlement": final.ravel(),
    })
    out.attrs.update(schedule=schedule.name, forecast=forecast)
    return out


def accrual(kd, s, schedule=None, year: int | None = None, customers=None) -> pd.DataFrame:
    """:func:`accrue` on the data: the orders of ``year`` (default
    ``period.analysis_year``) month by month, the forecast of ``rebates.forecast``
    (seasonal shares and last year's volume from the customer's own history,
    ``rebates.forecast_history_years``), the growth baseline from the years before.
    ``customers``: ids (None = everyone with sales in the year). Same columns as
    :func:`accrue`."""
    rs = _rebate_settings(s)
    return _accrual(kd, rs, rs.schedule(schedule), _year(s, year, kd), customers)


def _accrual(kd, rs: RebateSettings, sc: RebateSchedule, year: int,
             customers, inputs: dict | None = None) -> pd.DataFrame:
    """:func:`accrual`. ``inputs``: a dict kept between calls for the same data,
    schedule, year and customers (the forecasts compared by :func:`forecast_errors`):
    the monthly volumes, last year and seasonality are then taken once."""
    inputs = {} if inputs is None else inputs
    value = "volume_kg" if sc.basis == "kg" else "revenue"
    if "monthly" not in inputs:
        ids = _ids(kd, customers)
        monthly = monthly_volumes(kd.orders, year, ids)
        ids = pd.Index(monthly["customer_id"].unique(), dtype=object)
        ly = _yearly_of(kd, [year - 1], value)
        last_year = (ly[year - 1] if (year - 1) in ly.columns else pd.Series(dtype=float))
        last_year = last_year.reindex(ids)
        base = None
        if sc.method == "growth":
            base = pd.Series(_baseline(kd, ids, year, sc, value), index=ids)
        inputs.update(monthly=monthly, ids=ids, last_year=last_year.where(last_year > 0),
                      baseline=base)
    by = "customer" if rs.forecast == "customer_seasonal" else "company"
    if ("seasonal", by) not in inputs:
        inputs[("seasonal", by)] = seasonal_shares(
            kd.orders, year, rs.forecast_history_years, value, inputs["ids"], by=by)
    out = accrue(inputs["monthly"], sc, forecast=rs.forecast, last_year=inputs["last_year"],
                 seasonal=inputs[("seasonal", by)], baseline=inputs["baseline"])
    out.attrs.update(year=year)
    return out


def settlement(accrued: pd.DataFrame) -> pd.DataFrame:
    """The year's settlement per customer from an :func:`accrue` table.

    Index ``customer_id``. Columns: ``volume_kg``, ``revenue``, ``earned`` (EUR: the
    rebate on the actual year), ``tier`` (reached), ``interim_paid`` (EUR),
    ``final_settlement`` (= earned − interim_paid; negative: the customer pays back),
    ``largest_forecast_error`` (share: the largest gap between a month's forecast and
    the actual year-end volume, relative to the actual)."""
    a = accrued
    last = a.loc[a["month"] == 12].set_index("customer_id")
    actual = last["forecast_volume"]
    err = a.assign(actual=a["customer_id"].map(actual))
    gap = (err["forecast_volume"] - err["actual"]).abs()
    rel = pd.Series(_frac(gap, err["actual"]), index=err.index)
    worst = rel.groupby(err["customer_id"]).max()
    out = pd.DataFrame(index=last.index)
    out["volume_kg"] = last["volume_to_date"]
    out["revenue"] = last["revenue_to_date"]
    out["earned"] = last["accrued_to_date"]
    out["tier"] = last["forecast_tier"]
    out["interim_paid"] = last["interim_paid_to_date"]
    out["final_settlement"] = last["final_settlement"]
    out["largest_forecast_error"] = worst.reindex(out.index)
    return out


def forecast_errors(kd, s, schedule=None, year: int | None = None, customers=None,
                    months=(3, 6, 9)) -> pd.DataFrame:
    """How well each accrual forecast (:data:`FORECASTS`) would have done in ``year``:
    which one to accrue with. For each forecast and month of ``months``:

    - ``median_error``: median over customers of |forecast − actual| / actual
      (year-end volume in the schedule's basis); ``weighted_error``: Σ |forecast −
      actual| / Σ actual (the large customers, where the money is, weigh most);
    - ``wrong_tier``: share of customers whose forecast tier was not the tier they
      reached;
    - ``customers_paying_back``: customers whose final settlement is negative (interim
      payments above what they earned), with ``paid_back`` (EUR, positive) the total.

    Index (``forecast``, ``month``). Customers without volume in the year are left out.
    """
    rs = _rebate_settings(s)
    sc = rs.schedule(schedule)
    year = _year(s, year, kd)
    rows = []
    inputs: dict = {}  # the same volumes and seasonality for each forecast
    for fc in FORECASTS:
        acc = _accrual(kd, dataclasses.replace(rs, forecast=fc), sc, year, customers,
                       inputs)
        last = acc.loc[acc["month"] == 12].set_index("customer_id")
        last = last.loc[last["forecast_volume"] > 0]
        final = last["final_settlement"]
        for m in months:
            cur = acc.loc[acc["month"] == m].set_index("customer_id").reindex(last.index)
            err = np.abs(cur["forecast_volume"] - last["forecast_volume"]) / last["forecast_volume"]
            rows.append({
                "forecast": fc, "month": int(m),
                "median_error": float(np.median(err)) if len(err) else np.nan,
                "weighted_error": float(np.abs(cur["forecast_volume"]
                                               - last["forecast_volume"]).sum()
                                        / last["forecast_volume"].sum()) if len(err) else np.nan,
                "wrong_tier": float((cur["forecast_tier"] != last["forecast_tier"]).mean())
                if len(err) else np.nan,
                "customers_paying_back": int((final < -0.005).sum()),
                "paid_back": float(-final[final < 0].sum()),
            })
    return pd.DataFrame(rows).set_index(["forecast", "month"])


# ============================================================================ customers


def _drivers(seg: pd.DataFrame) -> pd.Series:
    """The drivers of each customer as text: 'price', 'price+service', ..."""
    mixed = seg["mixed_types"].fillna("").astype(str) if "mixed_types" in seg else ""
    s = seg["segment"].astype(str)
    return pd.Series(np.where(s == "mixed", mixed, s), index=seg.index)


def price_sensitive(segments: pd.DataFrame) -> pd.Index:
    """Ids of the customers whose segment is ``price``, or ``mixed`` with price among
    its drivers (``mixed_types`` like ``price+service``), in a
    :func:`kamlib.segmentation.segments` table."""
    d = _drivers(segments)
    mask = d.str.split("+").map(lambda parts: "price" in parts)
    return segments.index[mask.to_numpy(dtype=bool)]


def _key_segments(kd, s) -> pd.DataFrame:
    """segmentation.segments of the key accounts (``is_key`` of
    :func:`kamlib.selection.key_accounts`)."""
    try:
        from kamlib import selection
    except ImportError:  # pragma: no cover
        selection = None
    key = None
    if selection is not None and hasattr(selection, "key_accounts"):
        ka = selection.key_accounts(kd, s)
        key = [str(c) for c in ka.index[ka["is_key"].astype(bool).to_numpy()]]
    seg = _segmentation_table(kd, s, key)
    if seg is None:
        raise ValueError("kamlib.segmentation.segments is not available, so the "
                         "price-sensitive key customers are unknown: pass the customers "
                         "explicitly, e.g. customers=['C0042', ...]")
    return seg


def price_sensitive_key_accounts(kd, s, segments: pd.DataFrame | None = None) -> pd.Index:
    """The price-sensitive key customers: key accounts of
    :func:`kamlib.selection.key_accounts` (``is_key``) segmented ``price`` (or mixed
    with price) by :func:`kamlib.segmentation.segments`. ``segments``: a segments table
    of the key accounts already computed. Raises a clear error when those modules are
    not available (then pass the customers explicitly)."""
    seg = _key_segments(kd, s) if segments is None else segments
    return pd.Index(price_sensitive(seg), name="customer_id")


def schedule_for(rs, segments: pd.DataFrame) -> pd.Series:
    """The schedule name of each customer of a segments table (index customer_id,
    ``segment``, ``mixed_types``): ``schedule_by_customer``, else
    ``schedule_by_segment`` of its segment or mixed pair ('price+service'), else the
    ``price`` entry when price is among its drivers, else ``default_schedule``."""
    rs = _rebate_settings(rs)
    ids = segments.index.astype(str)
    d = _drivers(segments)
    seg = segments["segment"].astype(str)
    by_seg = rs.schedule_by_segment
    name = pd.Series(rs.default_schedule, index=segments.index, dtype=object)
    has_price = d.str.split("+").map(lambda p: "price" in p).to_numpy(dtype=bool)
    if "price" in by_seg:
        name[has_price] = by_seg["price"]
    name = name.where(~seg.isin(list(by_seg)).to_numpy(), seg.map(by_seg))
    name = name.where(~d.isin(list(by_seg)).to_numpy(), d.map(by_seg))
    cust = pd.Series(ids, index=segments.index, dtype=object).map(rs.schedule_by_customer)
    return pd.Series(np.where(cust.notna().to_numpy(), cust.to_numpy(dtype=object),
                              name.to_numpy(dtype=object)), index=segments.index, dtype=object)


def account_projection(kd, s, customers=None, *, segments: pd.DataFrame | None = None,
                       customer_year: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rebate of each price-sensitive key customer for the plan year, for the
    account-plan reports.

    ``kd``: :class:`kamlib.data.KamData`; ``s``: the playbook settings
    (``period.analysis_year``, ``rebates``); ``customers``: ids (None = the
    price-sensitive key customers, :func:`price_sensitive_key_accounts`).

    Each customer's schedule comes from the settings (:func:`schedule_for`). The
    projection starts from the analysis year ("last year") and applies the customer's
    response to the schedule (:func:`respond`: one round at its elasticity,
    :func:`elasticities`); the rebate is the schedule's at the projected volume and
    last year's average price.

    Index ``customer_id``. Columns: ``schedule``; ``basis`` (kg or EUR);
    ``last_year_volume`` (basis units); ``projected_volume`` (basis units);
    ``tier_reached`` (0 = below the first threshold); ``rate``; ``projected_rebate``
    (EUR); ``rebate_pct_of_revenue``; ``rebate_pct_of_margin`` (of the projected gross
    margin); ``to_next_tier`` (basis units, NaN at the top tier); ``next_tier_rate``;
    ``value_of_next_tier`` (EUR the customer would gain by reaching it);
    ``elasticity_used``. ``attrs``: ``analysis_year``, ``plan_year``, ``customers``
    (how the list was chosen).

    ``segments``: the segments table of the key accounts when already computed
    (:func:`kamlib.segmentation.segments`; used when ``customers`` is None), so the
    key accounts and their segments are not computed a second time.
    ``customer_year``: the per-customer-year facts when already computed (the volumes
    and revenue of the analysis year and the growth baseline come from them).
    """
    rs = _rebate_settings(s)
    year = _year(s, None, kd)
    if customers is None:
        seg_all = _key_segments(kd, s) if segments is None else segments
        ids = pd.Index(price_sensitive(seg_all), name="customer_id", dtype=object)
        seg = seg_all.reindex(ids)
        how = "price-sensitive key accounts"
    else:
        ids = _ids(kd, customers)
        seg = _segmentation_table(kd, s, ids)
        how = "customers given"
    cols = ["schedule", "basis", "last_year_volume", "projected_volume", "tier_reached",
            "rate", "projected_rebate", "rebate_pct_of_revenue", "rebate_pct_of_margin",
            "to_next_tier", "next_tier_rate", "value_of_next_tier", "elasticity_used"]
    if not len(ids):
        out = pd.DataFrame(columns=cols, index=pd.Index([], name="customer_id", dtype=object))
        out.attrs.update(analysis_year=year, plan_year=year + 1, customers=how)
        return out
    if seg is None or "segment" not in seg.columns:
        own = pd.Series(ids, index=ids, dtype=object).map(rs.schedule_by_customer)
        names = pd.Series(np.where(own.notna().to_numpy(), own.to_numpy(dtype=object),
                                   rs.default_schedule), index=ids, dtype=object)
    else:
        names = schedule_for(rs, seg.reindex(ids).fillna({"segment": "", "mixed_types": ""}))
    el = elasticities(kd, s, ids, segments=seg)["elasticity_used"]
    parts = []
    for name in pd.unique(names.to_numpy()):
        sc = rs.schedule(name)
        who = names.index[names.to_numpy() == name]
        # the plan year's growth baseline: the years up to the analysis year
        sim = _simulate(kd, rs, sc, year, who, baseline_before=year + 1,
                        customer_year=customer_year)
        r = respond(sim, sc, el.reindex(who))
        rev1, gm1 = r["revenue_after"].to_numpy(), r["gross_margin_after"].to_numpy()
        projected = (r["volume_after_kg"].to_numpy() if sc.basis == "kg" else rev1)
        p = pd.DataFrame(index=who)
        p["schedule"] = sc.name
        p["basis"] = sc.basis
        p["last_year_volume"] = sim["basis_volume"].to_numpy()
        p["projected_volume"] = projected
        p["tier_reached"] = r["tier_after"].to_numpy().astype("int64")
        p["rate"] = r["rate_after"].to_numpy()
        p["projected_rebate"] = r["rebate_after"].to_numpy()
        p["rebate_pct_of_revenue"] = np.where(rev1 > 0, _frac(p["projected_rebate"], rev1),
                                              np.nan)
        p["rebate_pct_of_margin"] = np.where(gm1 > 0, _frac(p["projected_rebate"], gm1),
                                             np.nan)
        p["to_next_tier"] = r["to_next_tier_after"].to_numpy()
        p["next_tier_rate"] = r["next_tier_rate_after"].to_numpy()
        p["value_of_next_tier"] = r["value_of_next_tier_after"].to_numpy()
        p["elasticity_used"] = r["elasticity_used"].to_numpy()
        parts.append(p)
    out = pd.concat(parts).reindex(ids)[cols]
    out.index.name = "customer_id"
    out.attrs.update(analysis_year=year, plan_year=year + 1, customers=how)
    return out


# ============================================================================ levers


def deal_arithmetic(volume_kg, normal_price, deal_price, unit_cost, new_share):
    """The margin effect of selling ``volume_kg`` at a special price.

    Of the deal volume Q a share n is **new** (would not have been bought from us
    without the deal); the rest would have been bought anyway at the normal price p -
    later in the year (volume *pulled forward* by an off-season price) or at full price
    (a bundle's product the customer buys anyway). With deal price p_d and unit cost c:

        margin effect = Q × [ n × (p_d − c) − (1 − n) × (p − p_d) ]
        break-even new share n* = (p − p_d) / (p − c) = discount / contribution margin
        (0 when nothing is given away; above 1, or inf, when no share pays:
        :func:`break_even_share`)

    (the same arithmetic as Nagle & Müller's break-even volume: with base volume
    (1 − n)Q and new volume nQ, n* corresponds to %ΔV = −ΔP / (CM + ΔP)).

    Returns a DataFrame (arrays broadcast): ``concession`` (EUR given away on the
    volume that was not new), ``margin_on_new`` (EUR), ``margin_effect`` (EUR),
    ``break_even_new_share``.
    """
    q, p, pd_, c, n = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in
                                            (volume_kg, normal_price, deal_price,
                                             unit_cost, new_share)))
    concession = q * (1 - n) * (p - pd_)
    margin_new = q * n * (pd_ - c)
    return pd.DataFrame({
        "concession": np.atleast_1d(concession),
        "margin_on_new": np.atleast_1d(margin_new),
        "margin_effect": np.atleast_1d(margin_new - concession),
        "break_even_new_share": np.atleast_1d(break_even_share(p - pd_, p - c)),
    })


def _normal_prices(o: pd.DataFrame) -> np.ndarray:
    """Each line's *normal* price: the customer's kg-weighted net price for the same
    product on lines without a deal in the year; else list × the customer's net/list
    ratio without deals; else list × the ratio of all customers."""
    cid = o["customer_id"].astype(str)
    plain = o["deal_type"].astype(str) == "none"
    op = o.loc[plain]
    key = [cid.loc[plain], op["product_id"].astype(str)]
    g = op.groupby(key, observed=True)[["revenue", "volume_kg"]].sum()
    own = pd.Series(_frac(g["revenue"], g["volume_kg"]), index=g.index)
    idx = pd.MultiIndex.from_arrays([cid, o["product_id"].astype(str)])
    same = own.reindex(idx).to_numpy()
    gc = op.groupby(cid.loc[plain], observed=True)[["revenue", "list_revenue"]].sum()
    ratio_c = pd.Series(_frac(gc["revenue"], gc["list_revenue"]), index=gc.index)
    ratio = ratio_c.reindex(cid).to_numpy()
    all_ratio = (op["revenue"].sum() / op["list_revenue"].sum()
                 if op["list_revenue"].sum() > 0 else 1.0)
    lst = o["list_price_per_kg"].to_numpy(dtype=float)
    fallback = lst * np.where(np.isfinite(ratio), ratio, all_ratio)
    return np.where(np.isfinite(same), same, fallback)


YEAR_LINE_COLUMNS = ("customer_id", "order_id", "product_id", "deal_type", "month",
                     "volume_kg", "quantity_kg", "revenue", "list_revenue",
                     "cost_of_goods", "gross_margin", "net_price_per_kg",
                     "list_price_per_kg")
"""The columns of the order lines that the deal, season and pack functions read."""

# The lines of one year, only the columns read (taking all 36 columns of a year of a
# large export cost 0.3-0.5 s a call), and those lines with their normal prices (1-1.5 s
# at 13 million lines; asked for by each deal type and the bundle table). Remembered per
# order-line table and year; the frames are read, never changed (callers assign copies).
_YEAR_MEMO = TableMemo(4)


def _year_lines(kd, year: int, priced: bool = False) -> pd.DataFrame:
    """The order lines of ``year`` (columns of :data:`YEAR_LINE_COLUMNS` the data has),
    with ``normal_price`` (:func:`_normal_prices` over the whole year) when ``priced``."""
    key = ("year_lines", int(year), bool(priced))
    hit = _YEAR_MEMO.get((kd.orders,), key)
    if hit is not None:
        return hit
    if priced:
        o = _year_lines(kd, year)
        o = o.assign(normal_price=_normal_prices(o))
    else:
        cols = [c for c in YEAR_LINE_COLUMNS if c in kd.orders.columns]
        o = kd.orders.loc[kd.orders["year"] == year, cols]
    _YEAR_MEMO.put((kd.orders,), key, o)
    return o


def deal_effect(kd, s, deal_type: str = "off-season", year: int | None = None,
                customers=None, new_share: float | None = None) -> pd.DataFrame:
    """The margin effect of the special prices of ``deal_type`` in ``year``, per customer.

    Each deal line is compared with the customer's **normal** price for the same
    product that year (kg-weighted net price of its lines without a deal; else list
    price × its usual net/list ratio). ``new_share`` (None = from the settings:
    1 − ``pull_forward_share`` for off-season and promotion deals, ``bundle_new_share``
    for bundles) splits the deal volume into new and anyway volume;
    :func:`deal_arithmetic` gives the effect.

    Index ``customer_id`` (customers with deal lines; or the ``customers`` given).
    Columns: ``deal_kg``, ``deal_share_of_volume`` (of the customer's kg that year),
    ``normal_revenue`` (EUR the deal kg would have cost at normal prices),
    ``deal_revenue``, ``deal_discount`` (1 − deal / normal), ``cost_of_goods``,
    ``contribution_margin`` (at normal prices, share), ``new_share``, ``concession``,
    ``margin_on_new``, ``margin_effect`` (EUR), ``break_even_new_share``.
    """
    from kamlib import schema

    if deal_type not in schema.DEAL_TYPES or deal_type == "none":
        raise ValueError(f"deal_type must be one of {', '.join(schema.DEAL_TYPES[1:])}, "
                         f"got '{deal_type}'")
    rs = _rebate_settings(s)
    year = _year(s, year, kd)
    if new_share is None:
        new_share = rs.bundle_new_share if deal_type == "bundle" else 1 - rs.pull_forward_share
    o = _year_lines(kd, year, priced=True)
    cid = o["customer_id"].astype(str)
    total_kg = o.groupby(cid, observed=True)["volume_kg"].sum()
    d = o.loc[o["deal_type"].astype(str) == deal_type]
    g = d.assign(normal_revenue=d["volume_kg"] * d["normal_price"]).groupby(
        d["customer_id"].astype(str), observed=True)[
        ["volume_kg", "normal_revenue", "revenue", "cost_of_goods"]].sum()
    g.index.name = "customer_id"
    ids = _ids(kd, customers)
    if ids is not None:
        g = g.reindex(ids, fill_value=0.0)
    g = g.loc[g["volume_kg"] > 0] if ids is None else g
    out = pd.DataFrame(index=g.index)
    out["deal_kg"] = g["volume_kg"]
    out["deal_share_of_volume"] = _frac(g["volume_kg"], total_kg.reindex(g.index))
    out["normal_revenue"] = g["normal_revenue"]
    out["deal_revenue"] = g["revenue"]
    out["deal_discount"] = 1 - _frac(g["revenue"], g["normal_revenue"])
    out["cost_of_goods"] = g["cost_of_goods"]
    out["contribution_margin"] = _frac(g["normal_revenue"] - g["cost_of_goods"],
                                       g["normal_revenue"])
    out["new_share"] = float(new_share)
    q = g["volume_kg"].to_numpy()
    a = deal_arithmetic(q, _frac(g["normal_revenue"], q), _frac(g["revenue"], q),
                        _frac(g["cost_of_goods"], q), new_share)
    for c in ("concession", "margin_on_new", "margin_effect"):
        out[c] = np.where(q > 0, np.nan_to_num(a[c].to_numpy()), 0.0)
    out["break_even_new_share"] = a["break_even_new_share"].to_numpy()
    return out


def season_shares(kd, s, year: int | None = None, customers=None) -> pd.DataFrame:
    """How each customer's volume falls over the seasons of ``year``.

    Index ``customer_id``. Columns: ``volume_kg``; ``off_season_share`` (kg bought in
    ``rebates.off_season_months`` / kg of the year); ``off_season_deal_share`` (kg on
    off-season deals / kg bought in the off-season months); ``deal_share`` (kg on any
    deal / kg of the year)."""
    rs = _rebate_settings(s)
    year = _year(s, year, kd)
    o = _year_lines(kd, year)
    cid = o["customer_id"].astype(str)
    off = o["month"].isin(list(rs.off_season_months)).to_numpy()
    dt = o["deal_type"].astype(str).to_numpy()
    kg = o["volume_kg"].to_numpy(dtype=float)
    t = pd.DataFrame({"volume_kg": kg, "off": kg * off,
                      "off_deal": kg * (dt == "off-season"),
                      "deal": kg * (dt != "none")}).groupby(cid.to_numpy()).sum()
    t.index.name = "customer_id"
    ids = _ids(kd, customers)
    if ids is not None:
        t = t.reindex(ids, fill_value=0.0)
    out = pd.DataFrame(index=t.index)
    out["volume_kg"] = t["volume_kg"]
    out["off_season_share"] = _frac(t["off"], t["volume_kg"])
    out["off_season_deal_share"] = _frac(t["off_deal"], t["off"])
    out["deal_share"] = _frac(t["deal"], t["volume_kg"])
    return out


def bundle_pairs(kd, s, year: int | None = None, customers=None) -> pd.DataFrame:
    """Which products are bundled with which, and what the bundles cost, in ``year``.

    A bundle line (``deal_type == "bundle"``) is the product sold at a special price
    with another product of the same order (the *anchor*: the largest other line of the
    order). Index (``anchor_product``, ``bundled_product``). Columns: ``bundles``
    (orders), ``bundled_kg``, ``normal_revenue``, ``bundle_revenue``, ``concession``
    (EUR below the customers' normal prices on *all* bundled kg), ``bundle_discount``,
    ``margin_on_bundled`` (EUR: revenue − cost of goods of the bundled lines),
    ``break_even_new_share`` (concession / (normal revenue − cost of goods); above 1 or
    inf = never pays, :func:`break_even_share`)."""
    year = _year(s, year, kd)
    ids = _ids(kd, customers)
    if ids is None:
        o = _year_lines(kd, year, priced=True)
    else:  # the normal prices of these customers' lines only (their own fallback ratio)
        o = _year_lines(kd, year)
        o = o.loc[o["customer_id"].astype(str).isin(ids)]
        o = o.assign(normal_price=_normal_prices(o))
    is_b = o["deal_type"].astype(str) == "bundle"
    b = o.loc[is_b]
    others = o.loc[~is_b & o["order_id"].isin(b["order_id"])]
    anchor = (others.sort_values(["order_id", "volume_kg"], ascending=[True, False])
              .drop_duplicates("order_id").set_index("order_id")["product_id"])
    b = b.assign(anchor_product=b["order_id"].map(anchor).fillna("(none)").astype(str),
                 bundled_product=b["product_id"].astype(str),
                 normal_revenue=b["volume_kg"] * b["normal_price"])
    g = b.groupby(["anchor_product", "bundled_product"], observed=True)
    out = pd.DataFrame({
        "bundles": g["order_id"].nunique(),
        "bundled_kg": g["volume_kg"].sum(),
        "normal_revenue": g["normal_revenue"].sum(),
        "bundle_revenue": g["revenue"].sum(),
        "cost_of_goods": g["cost_of_goods"].sum(),
    })
    out["concession"] = out["normal_revenue"] - out["bundle_revenue"]
    out["bundle_discount"] = _frac(out["concession"], out["normal_revenue"])
    out["margin_on_bundled"] = out["bundle_revenue"] - out["cost_of_goods"]
    out["break_even_new_share"] = break_even_share(
        out["concession"], out["normal_revenue"] - out["cost_of_goods"])
    return out.drop(columns="cost_of_goods").sort_values("bundled_kg", ascending=False)


def _products(kd_or_products) -> pd.DataFrame:
    p = getattr(kd_or_products, "products", kd_or_products)
    p = p.drop_duplicates("product_id").copy()
    p["product_id"] = p["product_id"].astype(str)
    return p


def pack_twins(kd, s) -> pd.DataFrame:
    """Each product sold in a small pack and its **big-pack twin** (same substance,
    grade, purity, economy and custom flags; a larger ``pack_size_kg``; the smallest
    such), with the per-kg arithmetic of moving a kg from the small to the big pack.

    Index ``small_product``. Columns: ``big_product``, ``small_pack_kg``,
    ``big_pack_kg``, ``price_small``, ``price_big`` (list, EUR/kg),
    ``price_difference`` (EUR/kg the customer saves at list), ``packaging_small``,
    ``packaging_big``, ``packaging_saving`` (EUR/kg of packaging material),
    ``unit_cost_saving`` (EUR/kg, all of the unit cost, packaging included),
    ``other_saving`` (``rebates.big_pack_other_saving_per_kg``), ``margin_small``,
    ``margin_big`` (EUR/kg: list − unit cost, + other saving for the big pack),
    ``margin_change_per_kg``, ``break_even_volume_change`` (Nagle & Müller with cost
    change: −(ΔP − ΔC) / (CM + ΔP − ΔC), fractions of the small pack's price)."""
    rs = _rebate_settings(s)
    p = _products(kd)
    keys = ["product_family", "grade", "purity_pct", "is_economy_grade", "is_custom"]
    p = p.dropna(subset=["pack_size_kg", "list_price_per_kg", "unit_cost_per_kg"])
    m = p.merge(p, on=keys, suffixes=("_s", "_b"))
    m = m.loc[m["pack_size_kg_b"] > m["pack_size_kg_s"]]
    m = m.sort_values(["product_id_s", "pack_size_kg_b"]).drop_duplicates("product_id_s")
    out = pd.DataFrame(index=pd.Index(m["product_id_s"].to_numpy(), name="small_product"))
    v = lambda c: m[c].to_numpy(dtype=float)  # noqa: E731
    out["big_product"] = m["product_id_b"].to_numpy()
    out["small_pack_kg"], out["big_pack_kg"] = v("pack_size_kg_s"), v("pack_size_kg_b")
    out["price_small"], out["price_big"] = v("list_price_per_kg_s"), v("list_price_per_kg_b")
    out["price_difference"] = out["price_small"] - out["price_big"]
    out["packaging_small"] = np.nan_to_num(v("packaging_cost_per_kg_s"))
    out["packaging_big"] = np.nan_to_num(v("packaging_cost_per_kg_b"))
    out["packaging_saving"] = out["packaging_small"] - out["packaging_big"]
    out["unit_cost_saving"] = v("unit_cost_per_kg_s") - v("unit_cost_per_kg_b")
    out["other_saving"] = rs.big_pack_other_saving_per_kg
    out["margin_small"] = v("list_price_per_kg_s") - v("unit_cost_per_kg_s")
    out["margin_big"] = (v("list_price_per_kg_b") - v("unit_cost_per_kg_b")
                         + rs.big_pack_other_saving_per_kg)
    out["margin_change_per_kg"] = out["margin_big"] - out["margin_small"]
    ps = out["price_small"].to_numpy()
    out["break_even_volume_change"] = break_even_volume_change(
        -out["price_difference"].to_numpy() / ps, out["margin_small"].to_numpy() / ps,
        -(out["unit_cost_saving"].to_numpy() + rs.big_pack_other_saving_per_kg) / ps)
    return out


def big_pack_switch(kd, s, year: int | None = None, customers=None) -> pd.DataFrame:
    """What moving each customer's small-pack kg to the big-pack twin would do.

    Only lines of a product with a big twin (:func:`pack_twins`) and at least one big
    pack in size count (``switchable_kg``: the customer orders that much at a time).
    The customer keeps its usual net/list ratio on the big pack.

    Index ``customer_id``. Columns: ``small_pack_kg`` (kg in small packs of products
    with a twin), ``switchable_kg``, ``customer_saving`` (EUR a year: list difference ×
    its net/list ratio), ``cost_saving`` (EUR: unit cost + other savings),
    ``margin_change`` (EUR: cost saving − customer saving), ``price_cut`` (the
    customer's saving as a share of what it pays for those kg)."""
    rs = _rebate_settings(s)
    year = _year(s, year, kd)
    tw = pack_twins(kd, s)
    o = _year_lines(kd, year)
    ids = _ids(kd, customers)
    if ids is not None:
        o = o.loc[o["customer_id"].astype(str).isin(ids)]
    pid = o["product_id"].astype(str)
    o = o.loc[pid.isin(tw.index).to_numpy()]
    pid = o["product_id"].astype(str)
    big_kg = tw["big_pack_kg"].reindex(pid).to_numpy()
    ok = o["quantity_kg"].to_numpy(dtype=float) >= big_kg
    kg = o["volume_kg"].to_numpy(dtype=float)
    ratio = _frac(o["net_price_per_kg"], o["list_price_per_kg"])
    ratio = np.where(np.isfinite(ratio), ratio, 1.0)
    diff = tw["price_difference"].reindex(pid).to_numpy() * ratio
    cost_sv = tw["unit_cost_saving"].reindex(pid).to_numpy() + rs.big_pack_other_saving_per_kg
    t = pd.DataFrame({
        "small_pack_kg": kg, "switchable_kg": kg * ok,
        "customer_saving": kg * ok * diff, "cost_saving": kg * ok * cost_sv,
        "paid": kg * ok * o["net_price_per_kg"].to_numpy(dtype=float),
    }).groupby(o["customer_id"].astype(str).to_numpy()).sum()
    t.index.name = "customer_id"
    if ids is not None:
        t = t.reindex(ids, fill_value=0.0)
    t["margin_change"] = t["cost_saving"] - t["customer_saving"]
    t["price_cut"] = _frac(t["customer_saving"], t["paid"])
    return t.drop(columns="paid")


def economy_twins(kd, s) -> pd.DataFrame:
    """Each economy-grade product and its **standard twin** (same substance, grade,
    pack type and size; not economy, not custom; the cheapest such), with the per-kg
    arithmetic of the economy grade at list prices.

    Index ``economy_product``. Columns: ``standard_product``, ``price_economy``,
    ``price_standard`` (EUR/kg), ``price_discount`` (share below the standard),
    ``cost_economy``, ``cost_standard``, ``margin_economy``, ``margin_standard``
    (EUR/kg, list − unit cost), ``break_even_cannibalisation`` (= margin_economy /
    margin_standard: the economy grade adds margin as long as less than this share of
    its volume replaces standard volume)."""
    p = _products(kd)
    p = p.dropna(subset=["list_price_per_kg", "unit_cost_per_kg"])
    keys = ["product_family", "grade", "pack_type", "pack_size_kg"]
    e = p.loc[p["is_economy_grade"].astype(bool)]
    st = p.loc[~p["is_economy_grade"].astype(bool) & ~p["is_custom"].astype(bool)]
    m = e.merge(st, on=keys, suffixes=("_e", "_s"))
    m = m.sort_values(["product_id_e", "list_price_per_kg_s"]).drop_duplicates("product_id_e")
    v = lambda c: m[c].to_numpy(dtype=float)  # noqa: E731
    out = pd.DataFrame(index=pd.Index(m["product_id_e"].to_numpy(), name="economy_product"))
    out["standard_product"] = m["product_id_s"].to_numpy()
    out["price_economy"], out["price_standard"] = v("list_price_per_kg_e"), v("list_price_per_kg_s")
    out["price_discount"] = 1 - out["price_economy"] / out["price_standard"]
    out["cost_economy"], out["cost_standard"] = v("unit_cost_per_kg_e"), v("unit_cost_per_kg_s")
    out["margin_economy"] = out["price_economy"] - out["cost_economy"]
    out["margin_standard"] = out["price_standard"] - out["cost_standard"]
    out["break_even_cannibalisation"] = _frac(out["margin_economy"], out["margin_standard"])
    return out


def economy_arithmetic(volume_kg, margin_standard, margin_economy, cannibalisation):
    """Margin effect of selling ``volume_kg`` of an economy grade: a share c of it
    replaces standard-grade kg (each loses margin_standard − margin_economy), the rest
    is new (each earns margin_economy):

        effect = Q × [(1 − c) × m_e − c × (m_s − m_e)] = Q × (m_e − c × m_s)
        break-even cannibalisation c* = m_e / m_s

    Returns ``(effect, break_even_cannibalisation)`` (arrays broadcast; EUR, share)."""
    q, ms, me, c = (np.asarray(a, dtype=float) for a in
                    (volume_kg, margin_standard, margin_economy, cannibalisation))
    return q * (me - c * ms), _frac(me, ms)


def economy_effect(kd, s, year: int | None = None, customers=None,
                   cannibalisation: float | None = None) -> pd.DataFrame:
    """The margin effect of each customer's economy-grade purchases in ``year``.

    Economy margin from the orders (revenue − cost of goods); the standard twin's
    margin per kg (:func:`economy_twins`) at the customer's own net/list ratio on the
    line: list_standard × ratio − cost_standard. ``cannibalisation`` (None =
    ``rebates.economy_cannibalisation``).

    Index ``customer_id`` (customers with economy kg, or those given). Columns:
    ``economy_kg``, ``economy_share`` (of the customer's kg), ``margin_economy``
    (EUR), ``margin_if_standard`` (EUR, had those kg been the standard grade),
    ``cannibalisation``, ``margin_effect`` (EUR, :func:`economy_arithmetic`),
    ``break_even_cannibalisation``."""
    rs = _rebate_settings(s)
    year = _year(s, year, kd)
    c = rs.economy_cannibalisation if cannibalisation is None else float(cannibalisation)
    tw = economy_twins(kd, s)
    p = _products(kd).set_index("product_id")
    o = _year_lines(kd, year)
    cid_all = o["customer_id"].astype(str)
    total = o.groupby(cid_all, observed=True)["volume_kg"].sum()
    pid = o["product_id"].astype(str)
    o = o.loc[pid.isin(tw.index).to_numpy()]
    pid = o["product_id"].astype(str)
    std = tw["standard_product"].reindex(pid).to_numpy()
    ratio = _frac(o["net_price_per_kg"], o["list_price_per_kg"])
    ratio = np.where(np.isfinite(ratio), ratio, 1.0)
    m_std = (p["list_price_per_kg"].reindex(std).to_numpy(dtype=float) * ratio
             - p["unit_cost_per_kg"].reindex(std).to_numpy(dtype=float))
    kg = o["volume_kg"].to_numpy(dtype=float)
    t = pd.DataFrame({"economy_kg": kg, "margin_economy": o["gross_margin"].to_numpy(),
                      "margin_if_standard": kg * m_std}).groupby(
        o["customer_id"].astype(str).to_numpy()).sum()
    t.index.name = "customer_id"
    ids = _ids(kd, customers)
    if ids is not None:
        t = t.reindex(ids, fill_value=0.0)
    t["economy_share"] = _frac(t["economy_kg"], total.reindex(t.index))
    t["cannibalisation"] = c
    eff, be = economy_arithmetic(1.0, t["margin_if_standard"], t["margin_economy"], c)
    t["margin_effect"] = eff
    t["break_even_cannibalisation"] = be
    return t[["economy_kg", "economy_share", "margin_economy", "margin_if_standard",
              "cannibalisation", "margin_effect", "break_even_cannibalisation"]]


def economy_design(price_standard: float, cost_standard: float, s,
                   volume_kg: float = 1.0) -> pd.Series:
    """Design an economy grade from a standard grade with the settings
    ``economy_price_discount`` and ``economy_cost_saving`` (for a company that has
    none yet): price and cost per kg, margins, the break-even cannibalisation and the
    effect on ``volume_kg`` at ``economy_cannibalisation``."""
    rs = _rebate_settings(s)
    pe = price_standard * (1 - rs.economy_price_discount)
    ce = cost_standard * (1 - rs.economy_cost_saving)
    ms, me = price_standard - cost_standard, pe - ce
    eff, be = economy_arithmetic(volume_kg, ms, me, rs.economy_cannibalisation)
    return pd.Series({"price_economy": pe, "cost_economy": ce, "margin_standard": ms,
                      "margin_economy": me, "break_even_cannibalisation": float(be),
                      "cannibalisation": rs.economy_cannibalisation,
                      "margin_effect": float(eff)})
