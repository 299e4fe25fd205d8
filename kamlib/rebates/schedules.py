"""Rebate schedules as settings and their arithmetic: tiers, methods, the boundary rule,
:func:`apply_schedule`, :func:`rebate_curve` and :func:`cliffs`."""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from kamlib import measures
from kamlib.errors import SettingsError


METHODS = ("retroactive", "marginal", "growth")
"""How a schedule turns volume into a rebate (see :mod:`kamlib.rebates`)."""

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
