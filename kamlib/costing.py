"""Cost to serve by time-driven activity-based costing (TDABC).

What does it cost us to *serve* a customer, on top of the goods we sell it? Each
order line has to be entered, each delivery shipped, each visit, complaint, technical
request or trial takes somebody's time. Time-driven activity-based costing (Kaplan &
Anderson, "Time-driven activity-based costing", *Harvard Business Review*, November
2004; Kaplan & Anderson, *Time-Driven Activity-Based Costing*, HBS Press 2007) prices
that time in two estimates only:

1. the **capacity cost rate** of each resource pool (sales force, customer service,
   technical service, logistics, executives)::

       capacity cost rate (EUR/min) = cost of capacity supplied (EUR/year)
                                      / practical capacity (minutes/year)

   where practical capacity is what people can really spend on the work, typically
   80-85 % of the theoretical time (breaks, training, meetings are taken out);

2. the **unit time** of each activity (minutes per order line, per delivery, per
   visit, ...).

Then, per customer::

    cost of an activity = count × unit minutes × capacity cost rate of its pool
    cost_to_serve       = Σ activities + freight (deliveries × EUR per delivery)

The capacity *not* used by any customer is **reported, not spread** over customers
(:func:`capacity_report`): spreading it would make every customer look more expensive
and hide the idle capacity that management can redeploy or cut.

By default every activity costs its *standard* unit time (the TDABC way: a stable,
explainable estimate). ``minutes_source = "recorded"`` uses the ``effort_minutes``
recorded on each interaction instead (order lines and deliveries have no recorded time
and keep their standard).

Functions accept the whole ``kamlib.settings.Settings`` (its ``selection.cost_to_serve``
section and ``period.analysis_year``), a ``kamlib.selection.SelectionSettings``, a
:class:`CostingSettings`, or ``None`` (defaults).

    from kamlib import costing
    cts = costing.cost_to_serve(kd, s)               # per customer, analysis year
    costing.capacity_report(kd, s)                   # used and unused capacity per pool
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kamlib import schema
from kamlib.errors import SettingsError

ORDER_ACTIVITIES = ("order line", "delivery")
"""Activities driven by the orders table: each order line entered, each order shipped."""

ACTIVITIES = ORDER_ACTIVITIES + schema.INTERACTION_TYPES
"""Every costed activity: order lines, deliveries and each interaction type."""

DEFAULT_UNIT_MINUTES: dict[str, float] = {
    "order line": 15.0,
    "delivery": 30.0,
    "visit": 240.0,
    "executive visit": 480.0,
    "call": 20.0,
    "complaint": 180.0,
    "service request": 60.0,
    "technical request": 240.0,
    "trial": 960.0,
    "training": 480.0,
    "price negotiation": 120.0,
}
"""Standard minutes per activity (all people together; a visit includes travel)."""

DEFAULT_ACTIVITY_POOL: dict[str, str] = {
    "order line": "customer service",
    "delivery": "logistics",
    "visit": "sales",
    "executive visit": "executives",
    "call": "sales",
    "complaint": "customer service",
    "service request": "customer service",
    "technical request": "technical service",
    "trial": "technical service",
    "training": "technical service",
    "price negotiation": "sales",
}
"""Which resource pool does each activity."""




def slug(activity: str) -> str:
    """Column-name form of an activity: ``"executive visit" -> "executive_visit"``."""
    return activity.replace(" ", "_").replace("-", "_")


@dataclass(frozen=True)
class ResourcePool:
    """A team whose time customers use, priced by TDABC.

    ``people``: full-time equivalents (may be a fraction, e.g. 0.25 of two executives'
    time); ``cost_per_person``: fully loaded yearly cost of one FTE (salary, social
    charges, car, travel, IT, office) in EUR; ``practical_minutes_per_person``: the
    minutes one FTE can really spend on customer work in a year (Kaplan & Anderson
    suggest 80-85 % of the time at work).

    Capacity cost rate (EUR/min) = people × cost_per_person /
    (people × practical_minutes_per_person).
    """

    name: str
    people: float
    cost_per_person: float
    practical_minutes_per_person: float = 84_480.0  # 220 days × 8 h × 60 min × 80 %

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise SettingsError("selection.cost_to_serve.pools: a pool needs a name")
        if self.people < 0 or self.cost_per_person < 0:
            raise SettingsError(f"selection.cost_to_serve.pools: '{self.name}': people and "
                       "cost_per_person must be ≥ 0")
        if self.practical_minutes_per_person <= 0:
            raise SettingsError(f"selection.cost_to_serve.pools: '{self.name}': "
                       "practical_minutes_per_person must be > 0")

    @property
    def capacity_cost(self) -> float:
        """Cost of the capacity supplied per year (EUR)."""
        return self.people * self.cost_per_person

    @property
    def practical_capacity_minutes(self) -> float:
        """Practical capacity per year (minutes)."""
        return self.people * self.practical_minutes_per_person

    @property
    def rate(self) -> float:
        """Capacity cost rate (EUR per minute) = cost per FTE / practical minutes per FTE."""
        return self.cost_per_person / self.practical_minutes_per_person


DEFAULT_POOLS: tuple[ResourcePool, ...] = (
    # 8 account managers; customer-facing practical time is lower (travel planning,
    # internal meetings, reporting): 60,000 min ≈ 1,000 h a year each.
    ResourcePool("sales", people=8.0, cost_per_person=95_000.0,
                 practical_minutes_per_person=60_000.0),
    ResourcePool("customer service", people=3.0, cost_per_person=62_000.0),
    ResourcePool("technical service", people=5.0, cost_per_person=90_000.0),
    ResourcePool("logistics", people=3.0, cost_per_person=55_000.0),
    # Managing director and sales VP: a quarter of one FTE for customer visits.
    ResourcePool("executives", people=0.25, cost_per_person=250_000.0),
)


@dataclass(frozen=True)
class CostingSettings:
    """How cost to serve is computed (section ``selection.cost_to_serve``).

    ``pools``: the resource pools and their capacity (see :class:`ResourcePool`);
    ``unit_minutes``: standard minutes per activity (activities left out keep their
    default, see ``DEFAULT_UNIT_MINUTES``); ``activity_pool``: the pool doing each
    activity (left out: ``DEFAULT_ACTIVITY_POOL``); ``freight_per_delivery``: EUR per
    shipment (paid to the carrier, not staff time; 0 to leave freight out);
    ``minutes_source``: ``"standard"`` (TDABC unit times, default) or ``"recorded"``
    (the interactions' ``effort_minutes``; order lines and deliveries stay standard).
    """

    pools: tuple[ResourcePool, ...] = DEFAULT_POOLS
    unit_minutes: dict[str, float] = field(default_factory=dict)
    activity_pool: dict[str, str] = field(default_factory=dict)
    freight_per_delivery: float = 120.0
    minutes_source: str = "standard"

    def __post_init__(self) -> None:
        where = "selection.cost_to_serve"
        for name, d in (("unit_minutes", self.unit_minutes),
                        ("activity_pool", self.activity_pool)):
            for key in d:
                if key not in ACTIVITIES:
                    close = difflib.get_close_matches(key, ACTIVITIES, n=1)
                    hint = f" Did you mean '{close[0]}'?" if close else ""
                    raise SettingsError(f"{where}.{name}: unknown activity '{key}'.{hint} "
                               f"Activities: {', '.join(ACTIVITIES)}.")
        for key, v in self.unit_minutes.items():
            if not v >= 0:
                raise SettingsError(f"{where}.unit_minutes['{key}'] must be ≥ 0 minutes, got {v}")
        names = [p.name for p in self.pools]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise SettingsError(f"{where}.pools: pools listed twice: {dup}")
        for act, pool in self.pools_by_activity.items():
            if pool not in names:
                raise SettingsError(f"{where}: activity '{act}' is done by pool '{pool}', which is "
                           f"not among the pools ({', '.join(names) or 'none'}). Add the "
                           "pool or change activity_pool.")
        if self.freight_per_delivery < 0:
            raise SettingsError(f"{where}.freight_per_delivery must be ≥ 0 EUR")
        if self.minutes_source not in ("standard", "recorded"):
            raise SettingsError(f"{where}.minutes_source must be 'standard' or 'recorded', got "
                       f"'{self.minutes_source}'")

    @property
    def minutes(self) -> dict[str, float]:
        """Unit minutes of every activity (defaults where ``unit_minutes`` is silent)."""
        return {**DEFAULT_UNIT_MINUTES, **self.unit_minutes}

    @property
    def pools_by_activity(self) -> dict[str, str]:
        """Pool of every activity (defaults where ``activity_pool`` is silent)."""
        return {**DEFAULT_ACTIVITY_POOL, **self.activity_pool}

    def pool(self, name: str) -> ResourcePool:
        for p in self.pools:
            if p.name == name:
                return p
        raise SettingsError(f"no resource pool named '{name}'")


# --------------------------------------------------------------------------- helpers


def costing_settings(s=None) -> CostingSettings:
    """The :class:`CostingSettings` inside ``s`` (Settings, SelectionSettings, itself or None)."""
    if s is None:
        return CostingSettings()
    if isinstance(s, CostingSettings):
        return s
    sel = getattr(s, "selection", s)
    cts = getattr(sel, "cost_to_serve", None)
    if isinstance(cts, CostingSettings):
        return cts
    raise TypeError(
        "expected kamlib.settings.Settings, SelectionSettings or CostingSettings, got "
        f"{type(s).__name__}"
    )


def resolve_years(kd, s=None, years=None) -> list[int]:
    """The years to cost: ``years`` as given (an int or a list), else the analysis year
    of ``s`` (when it is a full Settings), else the last year with orders."""
    if years is not None:
        ys = [int(years)] if np.isscalar(years) else [int(y) for y in years]
        if not ys:
            raise ValueError("years is empty: give at least one calendar year")
        return ys
    period = getattr(s, "period", None)
    if period is not None and period.analysis_year:
        return [int(period.analysis_year)]
    if len(kd.orders) == 0:
        raise ValueError("there are no orders: give the years to cost explicitly")
    if period is not None:  # 0 = the latest complete year in the data
        from kamlib import measures

        return [measures.analysis_year(0, kd.orders)]
    return [int(kd.orders["year"].max())]


def activity_rates(s=None) -> pd.DataFrame:
    """The price list of activities.

    Index ``activity``; columns ``pool``, ``unit_minutes``, ``rate_per_minute``
    (EUR/min, the pool's capacity cost rate), ``cost_per_unit`` (EUR = unit_minutes ×
    rate), ``freight_per_unit`` (EUR; deliveries only). Kaplan & Anderson (2004).
    """
    c = costing_settings(s)
    pools = {p.name: p for p in c.pools}
    minutes = c.minutes
    pool_of = c.pools_by_activity
    out = pd.DataFrame(
        {
            "pool": [pool_of[a] for a in ACTIVITIES],
            "unit_minutes": [float(minutes[a]) for a in ACTIVITIES],
            "rate_per_minute": [pools[pool_of[a]].rate for a in ACTIVITIES],
        },
        index=pd.Index(list(ACTIVITIES), name="activity"),
    )
    out["cost_per_unit"] = out["unit_minutes"] * out["rate_per_minute"]
    out["freight_per_unit"] = np.where(out.index == "delivery", c.freight_per_delivery, 0.0)
    return out


def pool_rates(s=None) -> pd.DataFrame:
    """Capacity of each resource pool for one year.

    Index ``pool``; columns ``people`` (FTE), ``capacity_cost`` (EUR/year),
    ``practical_capacity_minutes`` (min/year), ``rate_per_minute`` (EUR/min =
    capacity_cost / practical_capacity_minutes).
    """
    c = costing_settings(s)
    return pd.DataFrame(
        {
            "people": [p.people for p in c.pools],
            "capacity_cost": [p.capacity_cost for p in c.pools],
            "practical_capacity_minutes": [p.practical_capacity_minutes for p in c.pools],
            "rate_per_minute": [p.rate for p in c.pools],
        },
        index=pd.Index([p.name for p in c.pools], name="pool"),
    )


def _customer_index(kd, extra: Iterable = ()) -> pd.Index:
    ids = pd.Index(kd.customers["customer_id"].astype("string"))
    extra = pd.Index(pd.Series(list(extra), dtype="string"))
    idx = ids.union(extra.difference(ids), sort=False) if len(extra) else ids
    return pd.Index(idx, name="customer_id", dtype="string")


# --------------------------------------------------------------------------- per customer


def activities(kd, s=None, years=None, *, activity=None) -> pd.DataFrame:
    """Activity counts, minutes and cost per customer and activity (long form).

    One row per (customer, activity) with a count > 0 in ``years``. Columns
    ``customer_id``, ``activity``, ``pool``, ``count``, ``minutes`` (count × unit
    minutes, or the recorded minutes with ``minutes_source = "recorded"``),
    ``rate_per_minute`` (EUR/min), ``cost`` (EUR = minutes × rate), ``freight`` (EUR,
    deliveries only).

    Drivers: ``order line`` = order lines whose sales count in the years (the year of
    ``kd.orders["year"]``: delivery date, else order date); ``delivery`` = orders with
    at least one delivered line, counted in each such year; each interaction type =
    interactions dated in the years. TDABC (Kaplan & Anderson 2004).

    ``activity``: the aggregates of :func:`kamlib.activity_facts.activity_facts`
    already computed (``kamlib.analysis`` passes them; over a large export they come
    from DuckDB and ``kd`` needs no order lines or interactions); ``None`` = computed
    here from ``kd``'s tables (the same SQL).
    """
    from kamlib import activity_facts

    c = costing_settings(s)
    ys = resolve_years(kd, s, years)
    rates = activity_rates(c)
    if activity is None:
        act = activity_facts.activity_facts(kd, years=ys)
    else:
        act = activity
        act.require(ys, "cost to serve")
    oy = act.orders.loc[act.orders["year"].isin(ys)]
    og = oy.groupby("customer_id", observed=True)[["line_count",
                                                   "delivered_order_count"]].sum()
    parts = [
        pd.DataFrame({"customer_id": og.index, "activity": "order line",
                      "count": og["line_count"].to_numpy(dtype=float)}),
        pd.DataFrame({"customer_id": og.index, "activity": "delivery",
                      "count": og["delivered_order_count"].to_numpy(dtype=float)}),
    ]
    it = act.interactions.loc[act.interactions["year"].isin(ys)]
    g = it.groupby("customer_id", observed=True)[list(it.columns[2:])].sum()
    for t in schema.INTERACTION_TYPES:
        k = activity_facts.slug(t)
        n = g[f"n_{k}"].to_numpy(dtype=float)
        std = float(rates.loc[t, "unit_minutes"])
        if c.minutes_source == "recorded":  # recorded minutes, the standard where none
            mins = g[f"minutes_{k}"].to_numpy(dtype=float) + (
                n - g[f"known_{k}"].to_numpy(dtype=float)) * std
        else:
            mins = n * std
        parts.append(pd.DataFrame({"customer_id": g.index, "activity": t,
                                   "count": n, "_recorded": mins}))
    long = pd.concat(parts, ignore_index=True)
    long["customer_id"] = long["customer_id"].astype("string")
    long["activity"] = long["activity"].astype(str)
    long = long.loc[long["count"] > 0].reset_index(drop=True)
    r = rates.reindex(long["activity"])
    long["pool"] = r["pool"].to_numpy()
    std_min = long["count"].to_numpy() * r["unit_minutes"].to_numpy()
    if "_recorded" in long:
        rec = long["_recorded"].to_numpy(dtype=float)
        long["minutes"] = np.where(np.isnan(rec), std_min, rec)
        long = long.drop(columns="_recorded")
    else:
        long["minutes"] = std_min
    long["rate_per_minute"] = r["rate_per_minute"].to_numpy()
    long["cost"] = long["minutes"] * long["rate_per_minute"]
    long["freight"] = long["count"] * r["freight_per_unit"].to_numpy()
    return long[["customer_id", "activity", "pool", "count", "minutes", "rate_per_minute",
                 "cost", "freight"]]


def cost_to_serve(kd, s=None, years=None, *, activity=None) -> pd.DataFrame:
    """Cost to serve per customer by time-driven activity-based costing.

    ``kd``: :class:`kamlib.data.KamData`; ``s``: Settings / SelectionSettings /
    CostingSettings / None; ``years``: a year or a list of years (default: the analysis
    year of ``s``, else the last year with orders). Sums over the years given.

    Index ``customer_id`` (every customer of ``kd.customers``, zeros where nothing
    happened). Columns, for each activity (``order_line``, ``delivery``, ``visit``,
    ``executive_visit``, ``call``, ``complaint``, ``service_request``,
    ``technical_request``, ``trial``, ``training``, ``price_negotiation``):
    ``count_<activity>``, ``minutes_<activity>``, ``cost_<activity>`` (EUR); then
    ``minutes`` (all activities), ``activity_cost`` (EUR, Σ minutes × capacity cost
    rate), ``freight_cost`` (EUR, deliveries × freight_per_delivery), ``cost_to_serve``
    (EUR = activity_cost + freight_cost).

    Formula: cost of an activity = count × unit minutes × capacity cost rate (EUR/min),
    rate = cost of capacity supplied / practical capacity. Unused capacity is not
    spread (see :func:`capacity_report`). Source: Kaplan & Anderson, "Time-driven
    activity-based costing", HBR, Nov. 2004. ``activity``: see :func:`activities`.
    """
    long = activities(kd, s, years, activity=activity)
    idx = _customer_index(kd, long["customer_id"].unique())
    # customers x activities by integer codes (a pivot of 50,000 customers' string ids
    # costs seconds; np.bincount on codes milliseconds)
    ci = idx.get_indexer(long["customer_id"])
    ai = pd.Index(list(ACTIVITIES)).get_indexer(long["activity"])
    n, k = len(idx), len(ACTIVITIES)

    def table(col: str) -> np.ndarray:
        return np.bincount(ci * k + ai, weights=long[col].to_numpy(dtype=float),
                           minlength=n * k).reshape(n, k)

    cols = {}
    for what in ("count", "minutes", "cost"):
        wide = table(what)
        for j, a in enumerate(ACTIVITIES):
            cols[f"{what}_{slug(a)}"] = wide[:, j]
    out = pd.DataFrame(cols, index=idx)
    out["minutes"] = table("minutes").sum(axis=1)
    out["activity_cost"] = table("cost").sum(axis=1)
    out["freight_cost"] = table("freight").sum(axis=1)
    out["cost_to_serve"] = out["activity_cost"] + out["freight_cost"]
    out.index.name = "customer_id"
    return out


def cost_by_pool(kd, s=None, years=None, *, activity=None) -> pd.DataFrame:
    """Activity cost per customer and resource pool (EUR): a customer × pool table,
    plus ``freight`` (EUR). Index ``customer_id``; every customer of ``kd.customers``.
    ``activity``: see :func:`activities`."""
    long = activities(kd, s, years, activity=activity)
    idx = _customer_index(kd, long["customer_id"].unique())
    c = costing_settings(s)
    wide = long.pivot_table(index="customer_id", columns="pool", values="cost",
                            aggfunc="sum", fill_value=0.0, observed=True)
    wide = wide.reindex(index=idx, columns=[p.name for p in c.pools], fill_value=0.0).fillna(0.0)
    wide["freight"] = long.groupby("customer_id")["freight"].sum().reindex(idx).fillna(0.0)
    wide.columns.name = None
    wide.index.name = "customer_id"
    return wide


def capacity_report(kd, s=None, years=None, *, activity=None) -> pd.DataFrame:
    """Capacity supplied, used and unused per resource pool, over ``years``.

    Index ``pool`` plus a ``total`` row. Columns: ``people`` (FTE),
    ``practical_capacity_minutes`` (per year × number of years), ``used_minutes``
    (all customers' activities), ``unused_minutes`` (capacity − used; negative =
    over capacity), ``utilisation`` (used / capacity), ``capacity_cost`` (EUR),
    ``used_cost`` (EUR, charged to customers), ``unused_cost`` (EUR, *not* charged to
    any customer: the cost of idle capacity, a management decision). ``activity``:
    see :func:`activities`.

    TDABC reports unused capacity instead of spreading it (Kaplan & Anderson 2004):
    total cost of capacity = cost charged to customers + cost of unused capacity.
    """
    c = costing_settings(s)
    ys = resolve_years(kd, s, years)
    n = len(ys)
    pr = pool_rates(c)
    long = activities(kd, c, ys, activity=activity)
    used = long.groupby("pool")["minutes"].sum().reindex(pr.index).fillna(0.0)
    out = pd.DataFrame(index=pr.index)
    out["people"] = pr["people"]
    out["practical_capacity_minutes"] = pr["practical_capacity_minutes"] * n
    out["used_minutes"] = used
    out["unused_minutes"] = out["practical_capacity_minutes"] - out["used_minutes"]
    cap = out["practical_capacity_minutes"].to_numpy()
    out["utilisation"] = np.divide(out["used_minutes"].to_numpy(), cap,
                                   out=np.full(len(out), np.nan), where=cap > 0)
    out["capacity_cost"] = pr["capacity_cost"] * n
    out["used_cost"] = out["used_minutes"] * pr["rate_per_minute"]
    out["unused_cost"] = out["capacity_cost"] - out["used_cost"]
    total = out.sum(numeric_only=True)
    tcap = total["practical_capacity_minutes"]
    total["utilisation"] = total["used_minutes"] / tcap if tcap > 0 else np.nan
    out.loc["total"] = total
    out.index.name = "pool"
    return out


def capacity_warnings(report: pd.DataFrame) -> list[str]:
    """Sentences for the pools of :func:`capacity_report` used above 100 %.

    A pool whose activities need more minutes than its people supply means the
    assumed minutes (``unit_minutes``) or the pool sizes (``pools``) of
    ``selection.cost_to_serve`` do not fit the data: they are the sample company's
    assumptions until calibrated, and the cost to serve built on them is too high.
    """
    over = report.drop(index="total", errors="ignore")
    over = over.loc[over["utilisation"] > 1.0]
    return [
        f"Assumption check: the pool '{pool}' is used at {row['utilisation']:.0%} of its "
        "capacity. The minutes per activity and the pool sizes "
        "(selection.cost_to_serve) are assumptions: set them for your company."
        for pool, row in over.iterrows()
    ]
