"""Serving key customers: relationship levels, service packages, visit plans,
complaints, supply priority and the objectives of the key account plan.

Choosing key customers (``kamlib.selection``) and knowing what drives them
(``kamlib.segmentation``) only pays when the account manager *serves* them
differently. This module turns the rules of the primer (§4-5) into a plan an account
manager can follow:

- :func:`relationship_levels` - Kotler's five levels (basic, reactive, accountable,
  proactive, partnership): the level each key account *should* get from the number of
  customers like it and its margin, the level it *gets* (from the interactions of the
  year), and the gap; plus the relationship stage (McDonald, Millman & Rogers).
- :func:`service_packages` / :func:`service_menu` - which proactive, value-added and
  technical services each account gets by segment and class, and what the package
  costs in staff time against the margin it protects.
- :func:`visit_frequencies` and :func:`visit_plan` - how often each account is visited
  (monthly, quarterly, ...), executive visits for the top accounts, and a 12-month
  calendar per account manager within a weekly capacity, grouping visits by region.
  ``kamlib.calendar_export`` writes it as iCalendar (.ics) files.
- :func:`complaint_metrics`, :func:`complaint_volume_link` and ``COMPLAINT_WORKFLOW`` -
  the complaint workflow with its roles, and complaint analytics by customer, product
  and account manager.
- :func:`supply_priority` - each key customer's expected monthly need before and during
  the peak season, to agree stock levels in advance.
- :func:`objectives` - the yearly targets of the key account plan (volume, revenue,
  price, share of wallet, visit cycles, training dates, services), proposed from
  history and potential, editable through the settings file.

``accounts`` everywhere is the key-account table: one row per key customer, indexed by
``customer_id``, with at least ``account_manager`` and ``abc_class``; ``segment``
(price / service / technology / mixed / unclear), ``region``, ``pyramid_tier``,
``score``, ``gross_margin``, ``profit`` are used when present. :func:`key_account_table`
builds it from ``kamlib.selection`` and ``kamlib.segmentation``.

Functions take the whole ``kamlib.settings.Settings`` (they use ``s.period`` and
``s.service``); a bare :class:`ServiceSettings` is accepted where no period is needed.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kamlib import formatting, measures
from kamlib.errors import SettingsError

# --------------------------------------------------------------------------- constants

LEVELS = ("basic", "reactive", "accountable", "proactive", "partnership")
"""Kotler's relationship levels, from the least to the most investment per customer."""

LEVEL_MEANING = {
    "basic": "we sell the product and do not follow up",
    "reactive": "we sell and ask the customer to call us with questions or problems",
    "accountable": "we call or visit after the sale to check that all is well",
    "proactive": "we come regularly with suggestions: improved use, new products, trials",
    "partnership": "we work continuously with the customer to find savings and new value",
}
"""What each level means in practice (Kotler, *Marketing Management*)."""

STAGES = (
    "exploratory",
    "basic",
    "cooperative",
    "interdependent",
    "integrated",
    "disintegrating",
)
"""Relationship stages (McDonald, Millman & Rogers, *Key account management: theory,
practice and challenges*, 1997). Disintegrating can happen at any stage."""

STAGE_MEANING = {
    "exploratory": "new or prospective: both sides test each other, few orders",
    "basic": "transactional: price-driven, one contact on each side (the bow tie)",
    "cooperative": "several contacts on both sides, we are one supplier among others",
    "interdependent": "we are the main supplier; both sides depend on each other",
    "integrated": "one team: joint plans, joint development, shared information",
    "disintegrating": "the relationship decays: volume and share fall, contacts lapse",
}

VISIT_CYCLES = {
    0: "none",
    1: "annual",
    2: "half-yearly",
    3: "every four months",
    4: "quarterly",
    6: "every two months",
    12: "monthly",
}
"""Allowed visit frequencies (visits a year) and their names: one visit per period."""

EIGHT_STEPS = (
    ("1. Prepare",
     "Read the account plan, last orders, open complaints, targets; set the visit's goal.",
     "Expected peak-season need, rebate progress, the complaint from May still open."),
    ("2. Inspect and tidy outside",
     "Look at the site before going in: goods receipt, our packs in the yard or store.",
     "Big bags stored outside in the rain? Damaged pallets at goods receipt?"),
    ("3. Greet",
     "Meet the people of the buying centre, not only the buyer; ask about their news.",
     "Say hello to production and quality, not only to purchasing."),
    ("4. Tidy inside",
     "Check how our product is stored and used at the point of use; correct misuse.",
     "Niacin kept dry and first-in-first-out; labels and certificates in place."),
    ("5. Check stock",
     "Count the customer's stock of our products and estimate weeks of cover.",
     "3 t left at 1.5 t a week: two weeks of cover before the peak season."),
    ("6. Recommend an order",
     "Propose quantity and timing from stock, usage and the season, with a reason.",
     "Order 12 t now on the off-season price to cover September."),
    ("7. Take the order",
     "Confirm quantity, product, price, delivery date; record it the same day.",
     "Order entered, delivery promised for week 36, confirmation sent."),
    ("8. Say goodbye",
     "Thank, summarise what was agreed and the next step; book the next visit.",
     "Next visit in week 40; send the trial protocol by Friday."),
)
"""The eight steps of a visit (primer §4), with what to do and a niacin example.
The primer's wording lists *inspect* and *tidy outside* separately: they are one stop
at the door, so the routine has eight steps."""

COMPLAINT_WORKFLOW = (
    # (step, role, action)
    (1, "Customer service", "Receive and log the complaint; acknowledge within 24 hours"),
    (2, "Sales administration", "Check the order, delivery note and invoice"),
    (3, "Production", "Investigate quality or packaging; find the root cause"),
    (4, "Key account manager", "Decide on returned goods, replacement or credit"),
    (5, "Area manager", "Approve credits above the limit; escalate repeated cases"),
    (6, "Sales VP", "Decide escalated cases; review the complaint rate monthly"),
    (7, "Customer service", "Answer the customer, close the case, record days to resolve"),
)
"""The complaint workflow of the primer (§4): customer service owns every complaint;
the key account manager decides on returned goods; sales administration, the area
manager, production and the sales VP each have one step. Steps 5-6 apply to escalated
cases only. The process follows ISO 10002:2018 (receipt, tracking, acknowledgement,
assessment, investigation, response, closure)."""

_KINDS = ("supply", "commercial", "proactive", "value-added", "technical", "relationship")
_SEGMENTS = ("price", "service", "technology", "mixed", "unclear")


# --------------------------------------------------------------------------- settings




@dataclass(frozen=True)
class ServiceItem:
    """One service of the menu.

    ``segments``: the segments it is offered to (``"all"`` for every segment);
    ``classes``: the ABC classes it is offered to; ``kind``: supply, commercial,
    proactive, value-added, technical or relationship; ``minutes_per_year``: our staff
    time it takes per account and year (all people together); ``owner``: who delivers it;
    ``pool``: the resource pool of ``kamlib.costing`` whose time it uses (its capacity
    cost rate prices the minutes).
    """

    name: str
    kind: str
    segments: tuple[str, ...] = ("all",)
    classes: tuple[str, ...] = ("A", "B", "C")
    minutes_per_year: float = 60.0
    owner: str = "key account manager"
    pool: str = "sales"

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise SettingsError("service.packages.menu: every service needs a name")
        if self.kind not in _KINDS:
            raise SettingsError(
                f"service.packages.menu '{self.name}': kind '{self.kind}' is not one of "
                + ", ".join(_KINDS)
            )
        bad = [g for g in self.segments if g not in _SEGMENTS + ("all",)]
        if bad:
            raise SettingsError(
                f"service.packages.menu '{self.name}': unknown segment(s) {bad}; use "
                + ", ".join(_SEGMENTS + ("all",))
            )
        if self.minutes_per_year < 0:
            raise SettingsError(f"service.packages.menu '{self.name}': minutes_per_year must be ≥ 0")


DEFAULT_MENU = (
    ServiceItem("Supply priority: agree peak-season needs and stock", "supply",
                ("all",), ("A", "B", "C"), 60, "key account manager + supply chain",
                "sales"),
    ServiceItem("Key account plan with quarterly review", "commercial",
                ("all",), ("A", "B"), 240, "key account manager", "sales"),
    ServiceItem("Annual key-customer conference with our executives", "relationship",
                ("all",), ("A",), 240, "executives", "executives"),
    ServiceItem("Cumulative-volume rebate: quarterly progress report", "commercial",
                ("price", "mixed"), ("A", "B", "C"), 120, "sales administration",
                "customer service"),
    ServiceItem("Off-season stocking offer (June-August)", "commercial",
                ("price",), ("A", "B", "C"), 60, "key account manager", "sales"),
    ServiceItem("Big-pack and economy-grade proposal", "commercial",
                ("price",), ("A", "B"), 60, "key account manager", "sales"),
    ServiceItem("Show the value of our service (lead towards service)", "proactive",
                ("price",), ("A", "B"), 90, "key account manager", "sales"),
    ServiceItem("Reminder of the services the customer is entitled to", "proactive",
                ("service", "mixed"), ("A", "B", "C"), 60, "customer service",
                "customer service"),
    ServiceItem("Storage and handling check on site (prevent misuse)", "proactive",
                ("service",), ("A", "B"), 180, "technical service", "technical service"),
    ServiceItem("After-sales technical advisor assigned", "value-added",
                ("service",), ("A",), 960, "technical service", "technical service"),
    ServiceItem("Monthly industry technical news", "value-added",
                ("service", "technology", "mixed"), ("A", "B", "C"), 60,
                "technical service", "technical service"),
    ServiceItem("Custom grade development", "technical",
                ("technology",), ("A",), 1440, "R&D with technical service",
                "technical service"),
    ServiceItem("Free application trial on site", "technical",
                ("technology",), ("A", "B"), 960, "technical service", "technical service"),
    ServiceItem("Product and technique training", "technical",
                ("technology", "service"), ("A", "B"), 480, "technical service",
                "technical service"),
    ServiceItem("Share R&D results: joint development, seminars", "technical",
                ("technology",), ("A",), 960, "R&D with technical service",
                "technical service"),
    ServiceItem("Buying-centre interview: find what drives the account", "commercial",
                ("unclear", "mixed"), ("A", "B", "C"), 120, "key account manager", "sales"),
)
"""The default service menu, from the primer (§2 strategies per segment, §4 service)."""


@dataclass(frozen=True)
class VisitSettings:
    """How often key accounts are visited, and how much an account manager can do.

    ``per_year_by_class``: visits a year for each ABC class (0, 1, 2, 3, 4, 6 or 12:
    one visit per period); ``per_year_by_class_segment``: overrides for a class and
    segment, keyed ``"B:technology"``; ``executive_per_year``: executive visits a year
    for the top accounts, the ``executive_top_n`` key accounts with the highest
    ``score`` (or gross margin when there is no score); ``capacity_per_week``: visits one
    account manager can make in a week (executive visits included: the account manager
    goes along); ``capacity_by_manager``: exceptions by name; ``blocked_weeks``: ISO
    weeks without visits (holidays, trade fairs); ``working_days``: visit days a week
    (Monday first); ``route_by``: what
    a route is when the scheduler groups a week's visits to shorten travel, the
    customer's ``"country"`` (default: in many companies the region *is* the account
    manager's territory) or its ``"region"``.
    """

    per_year_by_class: dict[str, int] = field(
        default_factory=lambda: {"A": 12, "B": 4, "C": 1}
    )
    per_year_by_class_segment: dict[str, int] = field(
        default_factory=lambda: {"B:service": 6, "B:technology": 6, "C:service": 2}
    )
    executive_per_year: int = 1
    executive_top_n: int = 10
    capacity_per_week: int = 8
    capacity_by_manager: dict[str, int] = field(default_factory=dict)
    blocked_weeks: tuple[int, ...] = (1, 32, 33, 52, 53)
    working_days: int = 5
    route_by: str = "country"

    def __post_init__(self) -> None:
        if self.route_by not in ("region", "country"):
            raise SettingsError("service.visits.route_by must be 'region' or 'country'")
        allowed = sorted(VISIT_CYCLES)
        for key, n in {**self.per_year_by_class, **self.per_year_by_class_segment}.items():
            if n not in VISIT_CYCLES:
                raise SettingsError(
                    f"service.visits: {key} = {n} visits a year is not possible; use one of "
                    f"{allowed} (one visit per year, half-year, four months, quarter, two "
                    "months or month)"
                )
        for key in self.per_year_by_class_segment:
            cls, sep, seg = key.partition(":")
            if not sep or not cls or seg not in _SEGMENTS:
                raise SettingsError(
                    f"service.visits.per_year_by_class_segment: key '{key}' must look "
                    f"like 'B:technology' (class:segment, segment one of {_SEGMENTS})"
                )
        if self.executive_per_year not in VISIT_CYCLES:
            raise SettingsError(
                f"service.visits.executive_per_year must be one of {allowed}, got "
                f"{self.executive_per_year}"
            )
        if self.executive_top_n < 0:
            raise SettingsError("service.visits.executive_top_n must be ≥ 0")
        if self.capacity_per_week < 1:
            raise SettingsError("service.visits.capacity_per_week must be at least 1 visit a week")
        for who, c in self.capacity_by_manager.items():
            if c < 0:
                raise SettingsError(f"service.visits.capacity_by_manager['{who}'] must be ≥ 0")
        bad = [w for w in self.blocked_weeks if not 1 <= w <= 53]
        if bad:
            raise SettingsError(f"service.visits.blocked_weeks: {bad} are not ISO weeks (1-53)")
        if not 1 <= self.working_days <= 7:
            raise SettingsError("service.visits.working_days must be between 1 and 7")


@dataclass(frozen=True)
class RelationshipSettings:
    """Rules for the recommended and the observed relationship level, and the stage.

    Recommended (Kotler's grid): the account's revenue rank among the active customers
    of the year says how many customers are like it: in the top ``few_share`` → *few*,
    in the top ``medium_share`` → *medium*, else *many*. Its margin (``margin_basis``:
    ``"gross"`` = gross margin / revenue from the orders, ``"net"`` = ``profit`` /
    revenue from the key-account table, after rebates and cost to serve) is *low* below
    ``margin_low``, *high* from ``margin_high``. Level = customers step (many 0,
    medium 1, few 2) + margin step (low 0, medium 1, high 2). Kotler's grid looks at
    today's size and margin only; accounts chosen for their growth (ABC class in
    ``growth_classes``, default B) are recommended one level more, as an investment
    (capped at partnership), so the plan never advises cutting service to them.

    Observed (from the interactions of the analysis year): *reactive* with any contact;
    *accountable* from ``accountable_min_visits`` visits; *proactive* from
    ``proactive_min_visits`` visits and ``proactive_min_joint`` joint activities
    (trials, trainings); *partnership* from ``partnership_min_visits`` visits,
    ``partnership_min_executive`` executive visits and ``partnership_min_joint`` joint
    activities.

    Stage: *exploratory* when the first order is less than ``exploratory_years`` old;
    *disintegrating* when volume fell more than ``decline_threshold`` in each of the
    last two years; else by share of wallet: *cooperative* from
    ``cooperative_share``, *interdependent* from ``interdependent_share``, *integrated*
    when also at partnership level; *basic* below.
    """

    few_share: float = 0.05
    medium_share: float = 0.20
    margin_basis: str = "gross"
    growth_classes: tuple[str, ...] = ("B",)
    margin_low: float = 0.15
    margin_high: float = 0.25
    accountable_min_visits: int = 2
    proactive_min_visits: int = 4
    proactive_min_joint: int = 1
    partnership_min_visits: int = 8
    partnership_min_executive: int = 1
    partnership_min_joint: int = 2
    exploratory_years: int = 2
    decline_threshold: float = 0.05
    cooperative_share: float = 0.30
    interdependent_share: float = 0.60

    def __post_init__(self) -> None:
        if not 0 < self.few_share <= self.medium_share <= 1:
            raise SettingsError(
                "service.relationship: need 0 < few_share ≤ medium_share ≤ 1, got "
                f"{self.few_share} and {self.medium_share}"
            )
        if self.margin_basis not in ("gross", "net"):
            raise SettingsError("service.relationship.margin_basis must be 'gross' or 'net'")
        if not self.margin_low <= self.margin_high:
            raise SettingsError("service.relationship: margin_low must be ≤ margin_high")
        if not (self.accountable_min_visits <= self.proactive_min_visits
                <= self.partnership_min_visits):
            raise SettingsError(
                "service.relationship: the visits needed must rise with the level "
                "(accountable ≤ proactive ≤ partnership)"
            )
        if not 0 <= self.cooperative_share <= self.interdependent_share <= 1:
            raise SettingsError(
                "service.relationship: need 0 ≤ cooperative_share ≤ interdependent_share ≤ 1"
            )


@dataclass(frozen=True)
class PackageSettings:
    """The service menu and how its cost is judged.

    ``menu``: the services (see :class:`ServiceItem`); ``max_share_of_margin``: the
    package should cost at most this share of the gross margin it protects. Minutes are
    priced with the capacity cost rates and visit costs of ``kamlib.costing``
    (settings ``selection.cost_to_serve``), so the budget and the cost to serve of the
    selection chapter use the same price list.
    """

    menu: tuple[ServiceItem, ...] = DEFAULT_MENU
    max_share_of_margin: float = 0.15

    def __post_init__(self) -> None:
        if not 0 < self.max_share_of_margin <= 1:
            raise SettingsError("service.packages.max_share_of_margin must be in (0, 1]")
        names = [i.name for i in self.menu]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise SettingsError(f"service.packages.menu: services listed twice: {dup}")


@dataclass(frozen=True)
class SupplySettings:
    """Supply priority before the peak season.

    ``peak_months``: the peak season (1-12); ``lead_months``: months before the peak
    for which needs are agreed too (stock is built then); ``history_years``: years of
    history for the monthly profile; ``trend_min``/``trend_max``: bounds on the level
    adjustment; ``safety_share``: stock reserved on top of the expected need.
    """

    peak_months: tuple[int, ...] = (9, 10, 11)
    lead_months: int = 2
    history_years: int = 3
    trend_min: float = 0.5
    trend_max: float = 1.5
    safety_share: float = 0.10

    def __post_init__(self) -> None:
        if not self.peak_months or any(not 1 <= m <= 12 for m in self.peak_months):
            raise SettingsError("service.supply.peak_months must list months 1-12")
        if not 0 <= self.lead_months <= 11 - len(self.peak_months) + 1:
            raise SettingsError("service.supply.lead_months must be between 0 and 11")
        if self.history_years < 1:
            raise SettingsError("service.supply.history_years must be at least 1")
        if not 0 < self.trend_min <= 1 <= self.trend_max:
            raise SettingsError("service.supply: need 0 < trend_min ≤ 1 ≤ trend_max")
        if self.safety_share < 0:
            raise SettingsError("service.supply.safety_share must be ≥ 0")


@dataclass(frozen=True)
class ComplaintSettings:
    """``target_days``: a complaint should be closed within this many days.
    ``rising_points`` / ``rising_min_complaints``: complaints are *rising* when the
    rate per 100 orders grew by at least these points over two years, with at least
    this many complaints in the analysis year (see :func:`complaint_trend`)."""

    target_days: float = 5.0
    rising_points: float = 5.0
    rising_min_complaints: int = 2

    def __post_init__(self) -> None:
        if self.target_days <= 0:
            raise SettingsError("service.complaints.target_days must be > 0")
        if self.rising_points < 0 or self.rising_min_complaints < 0:
            raise SettingsError("service.complaints: rising_points and rising_min_complaints "
                       "must be ≥ 0")


EDITABLE_TARGETS = (
    "target_volume_kg",
    "target_net_price",
    "target_revenue",
    "target_share_of_wallet",
)
"""Numeric targets that can be overridden from the settings file or a CSV."""


@dataclass(frozen=True)
class ObjectiveSettings:
    """How next year's targets are proposed, and the account manager's edits.

    ``volume_growth_by_class``: volume growth proposed per ABC class (a fraction);
    ``trend_weight``: how much the account's own growth of the last two years moves the
    proposal away from its class's growth (0 = class only, 1 = own trend only);
    ``growth_min`` / ``growth_max``: bounds on the proposed growth;
    ``max_share_of_wallet``: the volume target is capped at this share of the
    customer's estimated use (the potential); ``price_change_by_segment``: net price
    change proposed per segment; ``trainings_by_segment``: training sessions a year per
    segment (held during planned visits); ``overrides``: edited targets, keyed
    ``"C0042.target_volume_kg"`` (see ``EDITABLE_TARGETS``); ``overrides_file``: a CSV
    with a ``customer_id`` column and any of the target columns (and ``services``,
    ``training_dates``), relative to the working directory; empty for none.
    """

    volume_growth_by_class: dict[str, float] = field(
        default_factory=lambda: {"A": 0.03, "B": 0.10, "C": 0.02}
    )
    trend_weight: float = 0.5
    growth_min: float = -0.10
    growth_max: float = 0.25
    max_share_of_wallet: float = 0.90
    price_change_by_segment: dict[str, float] = field(
        default_factory=lambda: {
            "price": 0.0, "service": 0.015, "technology": 0.02, "mixed": 0.01,
            "unclear": 0.01,
        }
    )
    trainings_by_segment: dict[str, int] = field(
        default_factory=lambda: {"technology": 2, "service": 1}
    )
    overrides: dict[str, float] = field(default_factory=dict)
    overrides_file: str = ""

    def __post_init__(self) -> None:
        for k, g in self.volume_growth_by_class.items():
            if not -1 < g < 5:
                raise SettingsError(f"service.objectives.volume_growth_by_class.{k} = {g}: use a "
                           "fraction, e.g. 0.05 for +5%")
        for k, g in self.price_change_by_segment.items():
            if not -1 < g < 1:
                raise SettingsError(f"service.objectives.price_change_by_segment.{k} = {g}: use a "
                           "fraction, e.g. 0.02 for +2%")
        if not 0 < self.max_share_of_wallet <= 1:
            raise SettingsError("service.objectives.max_share_of_wallet must be in (0, 1]")
        if not 0 <= self.trend_weight <= 1:
            raise SettingsError("service.objectives.trend_weight must be between 0 and 1")
        if not -1 < self.growth_min <= self.growth_max:
            raise SettingsError("service.objectives: need -1 < growth_min ≤ growth_max")
        for k, n in self.trainings_by_segment.items():
            if not 0 <= n <= 12:
                raise SettingsError(f"service.objectives.trainings_by_segment.{k} must be 0-12")
        for key in self.overrides:
            cid, sep, col = key.rpartition(".")
            if not sep or not cid or col not in EDITABLE_TARGETS:
                raise SettingsError(
                    f"service.objectives.overrides: key '{key}' must look like "
                    f"'C0042.target_volume_kg' with a target among {EDITABLE_TARGETS}"
                )


@dataclass(frozen=True)
class ServiceSettings:
    """Settings of the service chapter (``[service]`` in the settings file).

    Sections: ``visits`` (:class:`VisitSettings`), ``relationship``
    (:class:`RelationshipSettings`), ``packages`` (:class:`PackageSettings`),
    ``supply`` (:class:`SupplySettings`), ``complaints`` (:class:`ComplaintSettings`),
    ``objectives`` (:class:`ObjectiveSettings`).
    """

    visits: VisitSettings = field(default_factory=VisitSettings)
    relationship: RelationshipSettings = field(default_factory=RelationshipSettings)
    packages: PackageSettings = field(default_factory=PackageSettings)
    supply: SupplySettings = field(default_factory=SupplySettings)
    complaints: ComplaintSettings = field(default_factory=ComplaintSettings)
    objectives: ObjectiveSettings = field(default_factory=ObjectiveSettings)


# --------------------------------------------------------------------------- helpers


def _service(s) -> ServiceSettings:
    if isinstance(s, ServiceSettings):
        return s
    sv = getattr(s, "service", None)
    if isinstance(sv, ServiceSettings):
        return sv
    raise TypeError(
        "expected the playbook settings (kamlib.settings.Settings) or its service "
        f"section (ServiceSettings), got {type(s).__name__}"
    )


def _analysis_year(s, kd=None) -> int:
    period = getattr(s, "period", None)
    if period is not None and period.analysis_year:
        return int(period.analysis_year)
    if period is not None and (kd is None or not len(kd.orders)):
        raise ValueError("period.analysis_year is 0 (the latest complete year in the data): "
                         "resolve it with kamlib.settings.for_data(s, kd) first")
    if kd is not None and len(kd.orders):
        if period is not None:
            return measures.analysis_year(0, kd.orders)
        return int(kd.orders["year"].max())
    raise ValueError("pass the playbook settings (with period.analysis_year), not only "
                     "the service section")


def _require(df: pd.DataFrame, columns, what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"{what} lacks the column(s) {missing}; it has {list(df.columns)}. "
            "Build it with kamlib.service.key_account_table(kd, s), or add the columns."
        )


def _accounts(accounts: pd.DataFrame, customers: pd.DataFrame | None = None,
              need_manager: bool = False) -> pd.DataFrame:
    """Normalise the key-account table: index customer_id, the columns this module uses."""
    if not isinstance(accounts, pd.DataFrame):
        raise TypeError("accounts must be a DataFrame of key accounts")
    acc = accounts.copy()
    acc.attrs = {}  # metadata of the source table is not carried into our outputs
    if acc.index.name != "customer_id":
        if "customer_id" in acc.columns:
            acc = acc.set_index("customer_id")
        else:
            raise ValueError(
                "accounts needs customer ids: index it by customer_id or give a "
                "customer_id column"
            )
    acc.index = acc.index.astype("string")
    if acc.index.has_duplicates:
        dup = acc.index[acc.index.duplicated()].unique().tolist()[:5]
        raise ValueError(f"accounts lists customers more than once: {dup}")
    _require(acc, ["abc_class"], "accounts (the key-account table)")
    acc["abc_class"] = acc["abc_class"].astype("string").fillna("C")
    if customers is not None and len(customers):
        c = customers.set_index("customer_id")
        for col in ("account_manager", "region", "country", "customer_name"):
            if col not in acc.columns and col in c.columns:
                acc[col] = c[col].reindex(acc.index)
    if "segment" not in acc.columns:
        acc["segment"] = "unclear"
    acc["segment"] = acc["segment"].astype("string").fillna("unclear")
    if "region" not in acc.columns:
        acc["region"] = "(no region)"
    acc["region"] = acc["region"].astype("string").fillna("(no region)")
    if "country" not in acc.columns:
        acc["country"] = acc["region"]
    acc["country"] = acc["country"].astype("string").fillna(acc["region"])
    if "account_manager" not in acc.columns:
        if need_manager:
            raise ValueError("accounts lacks account_manager; pass customers= to take it "
                             "from the customers table")
        acc["account_manager"] = pd.NA
    acc["account_manager"] = acc["account_manager"].astype("string")
    return acc


def _fraction(num, den) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.full(num.shape, np.nan), where=den != 0)


# ------------------------------------------------------------------- key-account table


def key_account_table(kd, s, *, key_accounts: pd.DataFrame | None = None,
                      segments: pd.DataFrame | None = None) -> pd.DataFrame:
    """The key accounts with their segment and region: the ``accounts`` of this module.

    Uses ``kamlib.selection.key_accounts(kd, s)`` (rows with ``is_key``) joined with
    ``kamlib.segmentation.segments(kd, s)`` (column ``segment``) when those exist.
    Otherwise a clearly labelled *stand-in*, the primer's ABC rule alone: class A = the
    top 20% of customers by revenue of the analysis year, class B = the others whose
    volume grew at least 10% in each of the last two years; segment ``unclear`` when
    the segmentation is missing. ``attrs["stand_in"]`` is True when any part is a
    stand-in; ``attrs["source"]`` says in words where the table came from. (The source
    table's own ``attrs`` are dropped: pandas compares attrs when concatenating.)

    Index ``customer_id``; columns include ``customer_name``, ``account_manager``,
    ``region``, ``country``, ``abc_class``, ``segment`` (and ``mixed_types`` when the
    segmentation gives it), ``revenue``, ``gross_margin`` (EUR, analysis year) and
    whatever the selection adds (``pyramid_tier``, ``score``, ``profit``, ...).

    ``key_accounts`` (the table of ``selection.key_accounts``) and ``segments`` (of the
    key accounts, ``segmentation.segments``): results already computed, used instead of
    computing them again (``kamlib.analysis`` passes them).
    """
    from kamlib import segmentation, selection

    year = _analysis_year(s, kd)
    if key_accounts is not None or hasattr(selection, "key_accounts"):
        acc = selection.key_accounts(kd, s) if key_accounts is None else key_accounts.copy()
        if "customer_id" in acc.columns and acc.index.name != "customer_id":
            acc = acc.set_index("customer_id")
        if "is_key" in acc.columns:
            acc = acc.loc[acc["is_key"].astype(bool)].copy()
        sources = ["key accounts from kamlib.selection"]
    else:
        acc = _stand_in_accounts(kd, year)
        sources = ["key accounts: STAND-IN (class A = top 20% by revenue, B = growers)"]
    if "segment" not in acc.columns:
        if segments is not None or hasattr(segmentation, "segments"):
            # the key accounts are known here: don't let segments() compute them again
            seg = (segmentation.segments(kd, s, customers=list(acc.index))
                   if segments is None else segments)
            if "customer_id" in seg.columns and seg.index.name != "customer_id":
                seg = seg.set_index("customer_id")
            keep = [c for c in ("segment", "mixed_types") if c in seg.columns]
            acc = acc.join(seg[keep], how="left")
            sources.append("segments from kamlib.segmentation")
        else:
            acc["segment"] = "unclear"
            sources.append("segments: STAND-IN (all 'unclear')")
    cust = kd.customers.set_index("customer_id")
    for col in ("customer_name", "account_manager", "region", "country"):
        if col not in acc.columns and col in cust.columns:
            acc[col] = cust[col].reindex(acc.index)
    if "revenue" not in acc.columns or "gross_margin" not in acc.columns:
        tot = measures.customer_totals(kd.orders, [year])
        for col in ("revenue", "gross_margin"):
            if col not in acc.columns:
                acc[col] = tot[col].reindex(acc.index).fillna(0.0)
    acc.index.name = "customer_id"
    acc.attrs = {}  # (pandas compares attrs in concat: keep only plain values here)
    acc.attrs["analysis_year"] = year
    acc.attrs["stand_in"] = any("STAND-IN" in x for x in sources)
    acc.attrs["source"] = "; ".join(sources)
    return acc


def _stand_in_accounts(kd, year: int) -> pd.DataFrame:
    """Primer ABC rule only (see key_account_table)."""
    tot = measures.customer_totals(kd.orders, [year])
    tot = tot.loc[tot["revenue"] > 0].sort_values("revenue", ascending=False)
    n_a = max(1, int(np.ceil(0.2 * len(tot))))
    vol = measures.yearly_pivot(kd.orders, "volume_kg").reindex(
        index=tot.index, columns=[year - 2, year - 1, year], fill_value=0.0)
    g1 = _fraction(vol[year - 1] - vol[year - 2], vol[year - 2])
    g2 = _fraction(vol[year] - vol[year - 1], vol[year - 1])
    growing = (np.nan_to_num(g1, nan=0.0) >= 0.10) & (np.nan_to_num(g2, nan=0.0) >= 0.10)
    cls = np.where(np.arange(len(tot)) < n_a, "A", np.where(growing, "B", "C"))
    acc = tot[["revenue", "gross_margin"]].copy()
    acc["abc_class"] = cls
    acc["score"] = acc["gross_margin"]
    return acc.loc[acc["abc_class"] != "C"]


# ------------------------------------------------------------------- relationship levels


def _interaction_counts(interactions: pd.DataFrame, years, index) -> pd.DataFrame:
    from kamlib import schema

    it = interactions.loc[interactions["date"].dt.year.isin(list(years))]
    counts = (
        it.groupby(["customer_id", "type"], observed=True).size().unstack(fill_value=0)
    )
    counts = counts.reindex(columns=list(schema.INTERACTION_TYPES), fill_value=0)
    counts.index = counts.index.astype("string")
    return counts.reindex(index, fill_value=0).astype("int64")


def _activity_counts(kd, year: int, index) -> pd.DataFrame:
    """:func:`_interaction_counts` of ``year`` from the activity aggregates
    (kamlib.activity_facts: one pass over the interactions, remembered and shared by the
    chapters), for loaded data; the interactions themselves otherwise."""
    from kamlib import activity_facts

    if not hasattr(kd, "orders"):
        return _interaction_counts(kd.interactions, [year], index)
    c = activity_facts.activity_facts(kd, [year]).interaction_counts(index, [year])
    c.index = pd.Index(index)
    c.columns.name = "type"
    return c


def _has(kd, capability: str) -> bool:
    """``kd.has(capability)`` (True for data objects without capabilities)."""
    has = getattr(kd, "has", None)
    return True if has is None else bool(has(capability))


def relationship_levels(kd, s, accounts: pd.DataFrame) -> pd.DataFrame:
    """The relationship level each key account should get, the one it gets, the gap.

    *Recommended* (Kotler, *Marketing Management*, "levels of relationship"): many
    customers with low margins call for a basic or reactive relationship, few customers
    with high margins for a partnership. Coded as
    ``level = customers step + margin step`` with customers many 0 / medium 1 / few 2
    and margin low 0 / medium 1 / high 2 - exactly Kotler's 3×3 table (many & low →
    basic, few & high → partnership). "Number of customers" for one account = how many
    customers are as large: its revenue rank among the active customers of the analysis
    year (top ``few_share`` → few). Margin = gross margin / revenue (or profit / revenue,
    ``margin_basis="net"``). Thresholds: ``s.service.relationship``.

    *Observed*: from the interactions of the analysis year (see
    :class:`RelationshipSettings`): visits (incl. executive visits), executive visits,
    joint activities (trials + trainings), reactive contacts (calls, complaints,
    service and technical requests).

    *Stage* (McDonald, Millman & Rogers 1997), an indicative rule from the customer's
    age, volume trend and share of wallet (see :class:`RelationshipSettings`).

    Index ``customer_id``. Columns: ``account_manager``, ``abc_class``, ``segment``,
    ``revenue`` (EUR), ``revenue_rank`` (1 = largest), ``customers_band``
    (few/medium/many), ``margin_pct`` (fraction), ``margin_band`` (low/medium/high),
    ``recommended_level``, ``visits``, ``executive_visits``, ``joint_activities``,
    ``reactive_contacts`` (counts in the year), ``observed_level``, ``gap`` (steps,
    recommended − observed; > 0 under-served, < 0 more service than the margin pays
    for), ``action`` (text), ``share_of_wallet`` (fraction, NaN if unknown),
    ``stage``.
    """
    rs = _service(s).relationship
    year = _analysis_year(s, kd)
    acc = _accounts(accounts, kd.customers)
    tot = measures.customer_totals(kd.orders, [year])
    tot.index = tot.index.astype("string")
    active = tot.loc[tot["revenue"] > 0, "revenue"]
    rank = active.rank(ascending=False, method="first")
    n_active = max(len(active), 1)
    out = pd.DataFrame(index=acc.index)
    out["account_manager"] = acc["account_manager"]
    out["abc_class"] = acc["abc_class"]
    out["segment"] = acc["segment"]
    out["revenue"] = tot["revenue"].reindex(acc.index).fillna(0.0)
    r = rank.reindex(acc.index).to_numpy()
    out["revenue_rank"] = pd.array(r, dtype="Float64").astype("Int64")
    rel = r / n_active
    cust_step = np.select([rel <= rs.few_share, rel <= rs.medium_share], [2, 1], 0)
    cust_step = np.where(np.isnan(r), 0, cust_step)
    out["customers_band"] = np.array(["many", "medium", "few"])[cust_step]
    if rs.margin_basis == "net":
        _require(acc, ["profit"], "accounts (margin_basis='net' needs profit)")
        margin = _fraction(acc["profit"].to_numpy(dtype=float), out["revenue"].to_numpy())
    else:
        gm = tot["gross_margin"].reindex(acc.index).fillna(0.0).to_numpy()
        margin = _fraction(gm, out["revenue"].to_numpy())
    no_margin = not _has(kd, "costs")  # no cost in the data: the margin is unknown, not 0
    if no_margin:
        margin = np.full(len(out), np.nan)
    out["margin_pct"] = margin
    m = np.nan_to_num(margin, nan=-np.inf)
    margin_step = np.select([m >= rs.margin_high, m >= rs.margin_low], [2, 1], 0)
    out["margin_band"] = np.where(no_margin, "unknown",
                                  np.array(["low", "medium", "high"])[margin_step])
    growth = acc["abc_class"].astype(str).isin(rs.growth_classes).to_numpy()
    rec = np.minimum(cust_step + margin_step + growth, len(LEVELS) - 1)
    out["recommended_level"] = np.array(LEVELS)[rec]

    counts = _activity_counts(kd, year, acc.index)
    visits = (counts["visit"] + counts["executive visit"]).to_numpy()
    execs = counts["executive visit"].to_numpy()
    joint = (counts["trial"] + counts["training"]).to_numpy()
    reactive = (counts["call"] + counts["complaint"] + counts["service request"]
                + counts["technical request"]).to_numpy()
    any_contact = counts.sum(axis=1).to_numpy() > 0
    obs = np.select(
        [
            (visits >= rs.partnership_min_visits) & (execs >= rs.partnership_min_executive)
            & (joint >= rs.partnership_min_joint),
            (visits >= rs.proactive_min_visits) & (joint >= rs.proactive_min_joint),
            visits >= rs.accountable_min_visits,
            any_contact,
        ],
        [4, 3, 2, 1],
        0,
    )
    out["visits"] = visits
    out["executive_visits"] = execs
    out["joint_activities"] = joint
    out["reactive_contacts"] = reactive
    out["observed_level"] = np.array(LEVELS)[obs]
    gap = rec - obs
    out["gap"] = gap
    out["action"] = np.select(
        [gap > 0, gap < 0],
        [
            np.char.add("raise by ", np.char.add(np.abs(gap).astype(str), " level(s)")),
            np.char.add("more than the margin pays for: lower by ",
                        np.char.add(np.abs(gap).astype(str), " level(s) or raise the margin")),
        ],
        "right level",
    )
    out["share_of_wallet"], out["stage"] = _stages(kd, rs, year, acc.index, obs)
    # A level the data cannot give is unknown (None), never "basic" for want of records:
    # no interactions -> the level we work at; no costs -> the recommended level.
    no_contact = not _has(kd, "interactions")
    if no_margin or no_contact:
        if no_contact:
            out["observed_level"] = None
            out["stage"] = None
            for c in ("visits", "executive_visits", "joint_activities", "reactive_contacts"):
                out[c] = np.nan
        if no_margin:
            out["recommended_level"] = None
        out["gap"] = np.nan
        out["action"] = ("level unknown: " + "; ".join(
            w for w, miss in (("no cost of goods in the data (the margin sets the "
                               "recommended level)", no_margin),
                              ("no interactions in the data (they show the level we work "
                               "at)", no_contact)) if miss))
    return out


def _stages(kd, rs: RelationshipSettings, year: int, index, observed: np.ndarray):
    """Share of wallet in ``year`` and the relationship stage (see relationship_levels)."""
    if len(kd.assessments):
        sow_t = measures.share_of_wallet(kd.orders, kd.assessments)
        sow_t = sow_t.xs(year, level="year")["share_of_wallet"] if year in set(
            sow_t.index.get_level_values("year")) else pd.Series(dtype=float)
        sow_t.index = sow_t.index.astype("string")
        sow = sow_t.reindex(index).to_numpy(dtype=float)
    else:
        sow = np.full(len(index), np.nan)
    vol = measures.yearly_pivot(kd.orders, "volume_kg")
    vol.index = vol.index.astype("string")
    vol = vol.reindex(index=index, columns=[year - 2, year - 1, year], fill_value=0.0)
    v0, v1, v2 = (vol[c].to_numpy(dtype=float) for c in vol.columns)
    with np.errstate(divide="ignore", invalid="ignore"):
        falling = ((v1 < v0 * (1 - rs.decline_threshold)) & (v2 < v1 * (1 - rs.decline_threshold))
                   & (v0 > 0))
    cust = kd.customers.set_index("customer_id")
    cust.index = cust.index.astype("string")
    if "first_order_date" in cust.columns and cust["first_order_date"].notna().any():
        first = cust["first_order_date"].reindex(index)
    else:
        first = kd.orders.groupby("customer_id")["order_date"].min()
        first.index = first.index.astype("string")
        first = first.reindex(index)
    first_year = first.dt.year.to_numpy(dtype=float)
    new = first_year > year - rs.exploratory_years
    s_ = np.nan_to_num(sow, nan=0.0)
    stage = np.select(
        [new, falling, (observed == 4) & (s_ >= rs.interdependent_share),
         s_ >= rs.interdependent_share, s_ >= rs.cooperative_share],
        ["exploratory", "disintegrating", "integrated", "interdependent", "cooperative"],
        "basic",
    )
    return sow, stage


# ------------------------------------------------------------------- visit frequencies


def _top_accounts(acc: pd.DataFrame, n: int) -> pd.Index:
    if n <= 0 or acc.empty:
        return acc.index[:0]
    for col in ("score", "gross_margin", "revenue"):
        if col in acc.columns:
            key = pd.to_numeric(acc[col], errors="coerce").fillna(-np.inf)
            order = np.lexsort((acc.index.to_numpy(dtype=str), -key.to_numpy()))
            return acc.index[order[:n]]
    return acc.index[:n]


def visit_frequencies(accounts: pd.DataFrame, s, customers: pd.DataFrame | None = None
                      ) -> pd.DataFrame:
    """How often each key account is visited.

    visits_per_year = ``s.service.visits.per_year_by_class_segment["<class>:<segment>"]``
    if set, else ``per_year_by_class[<class>]`` (0 for a class not listed). The top
    ``executive_top_n`` accounts by ``score`` (else gross margin, else revenue) also get
    ``executive_per_year`` executive visits (primer §4: planned annual, quarterly and
    monthly visits; executive visits to key customers).

    Index ``customer_id``. Columns: ``account_manager``, ``region``, ``country``,
    ``abc_class``, ``segment``, ``visits_per_year``, ``visit_cycle`` (monthly, quarterly, ...),
    ``is_top_account`` (bool), ``executive_visits_per_year``.
    """
    vs = _service(s).visits
    acc = _accounts(accounts, customers)
    key = acc["abc_class"].astype(str) + ":" + acc["segment"].astype(str)
    by_cls = acc["abc_class"].astype(str).map(vs.per_year_by_class)
    by_seg = key.map(vs.per_year_by_class_segment)
    n = by_seg.fillna(by_cls).fillna(0).astype("int64")
    out = acc[["account_manager", "region", "country", "abc_class", "segment"]].copy()
    out["visits_per_year"] = n
    out["visit_cycle"] = n.map(VISIT_CYCLES)
    top = _top_accounts(acc, vs.executive_top_n)
    out["is_top_account"] = out.index.isin(top)
    out["executive_visits_per_year"] = np.where(out["is_top_account"],
                                                vs.executive_per_year, 0)
    return out


# ------------------------------------------------------------------- visit plan


UNASSIGNED = "unassigned"
"""The owner of the visits of a key account the data names no account manager for: the
visits are planned all the same (the workload is real), under this name, until the
customers table names one (``account_manager``, "Account owner", "Sales rep")."""


def unassigned_note(plan: "VisitPlan") -> str:
    """One sentence when ``plan`` holds accounts without an account manager (else ""):
    how many, under which owner their visits are planned, and how to name one."""
    n = len(plan.unassigned)
    if not n:
        return ""
    whose = "any key account" if n == len(plan.frequencies) else f"{n} key account(s)"
    return (f"The data names no account manager for {whose}: their visits are planned "
            f"under \"{UNASSIGNED}\", with one person's capacity. To plan them per person, "
            "add an account_manager column to the customers table (or 'Account owner' / "
            "'Sales rep' on every order line of a flat export), or set "
            f"service.visits.capacity_by_manager.{UNASSIGNED} for the team that covers them.")


@dataclass(frozen=True)
class VisitPlan:
    """A year of planned visits.

    ``visits``: one row per planned visit - ``account_manager``, ``customer_id``,
    ``customer_name``, ``region``, ``country``, ``date`` (datetime64), ``week`` (ISO week),
    ``month``, ``visit_type`` (``"visit"`` / ``"executive visit"``), ``purpose``,
    ``visit_number`` (1 = first of the year for that account and type), sorted by
    manager, date, region.
    ``unplanned``: accounts whose frequency could not be met - ``account_manager``,
    ``customer_id``, ``visit_type``, ``visits_required``, ``visits_planned``, ``reason``.
    ``frequencies``: :func:`visit_frequencies` with ``visits_planned`` and
    ``executive_visits_planned``. ``weeks``: the ISO weeks of the year - ``week``,
    ``monday``, ``month``, ``is_blocked``. ``year``: the plan year. ``capacity``:
    visits a week per account manager. ``unassigned``: the accounts the data names no
    account manager for, planned under the owner :data:`UNASSIGNED` (one person's
    capacity, ``capacity_by_manager["unassigned"]`` to change it).
    """

    visits: pd.DataFrame
    unplanned: pd.DataFrame
    frequencies: pd.DataFrame
    weeks: pd.DataFrame
    year: int
    capacity: dict
    unassigned: tuple = ()

    @property
    def is_complete(self) -> bool:
        """True when every account got its frequency."""
        return self.unplanned.empty

    def for_manager(self, account_manager: str) -> pd.DataFrame:
        """The visits of one account manager."""
        return self.visits.loc[self.visits["account_manager"] == account_manager]

    def for_customer(self, customer_id: str) -> pd.DataFrame:
        """The visits planned at one customer."""
        return self.visits.loc[self.visits["customer_id"] == customer_id]

    def load(self) -> pd.DataFrame:
        """Visits per account manager (rows) and ISO week (columns), 0 where none."""
        t = self.visits.groupby(["account_manager", "week"]).size().unstack(fill_value=0)
        return t.reindex(columns=self.weeks["week"].tolist(), fill_value=0)


def iso_weeks(year: int, blocked=(), start_date=None) -> pd.DataFrame:
    """The ISO weeks of ``year``: ``week``, ``monday`` (date), ``month`` (the month of
    its Thursday, the ISO 8601 rule that puts each week in one year), ``is_blocked``
    (listed in ``blocked`` or ending before ``start_date``)."""
    n_weeks = _dt.date(year, 12, 28).isocalendar()[1]
    weeks = np.arange(1, n_weeks + 1)
    monday = pd.to_datetime([_dt.date.fromisocalendar(year, int(w), 1) for w in weeks])
    thursday = monday + pd.Timedelta(days=3)
    blocked_mask = np.isin(weeks, list(blocked))
    if start_date is not None:
        start = pd.Timestamp(start_date)
        blocked_mask |= (monday + pd.Timedelta(days=6)) < start
    return pd.DataFrame({"week": weeks, "monday": monday, "month": thursday.month,
                         "is_blocked": blocked_mask})


def _windows(f: int, weeks: pd.DataFrame, start_month: int) -> list[tuple[int, int, str]]:
    """For ``f`` visits a year: the window of each visit as (first, last) index into the
    *working* weeks, and a label. Period k covers months 12/f·k+1 … 12/f·(k+1).
    Periods before ``start_month`` are dropped; a period with no working week is merged
    into the next one (or the previous one at the end of the year)."""
    work = weeks.loc[~weeks["is_blocked"]].reset_index(drop=True)
    span = 12 // f
    out = []
    for k in range(f):
        m0, m1 = span * k + 1, span * (k + 1)
        if m1 < start_month:
            continue
        idx = np.flatnonzero((work["month"] >= m0).to_numpy() & (work["month"] <= m1).to_numpy())
        label = _period_label(f, k)
        out.append([idx.min() if len(idx) else None, idx.max() if len(idx) else None, label])
    # merge empty windows into a neighbour (the visit still happens, later or earlier)
    for i, w in enumerate(out):
        if w[0] is None:
            nxt = next((o for o in out[i + 1:] if o[0] is not None), None)
            prv = next((o for o in reversed(out[:i]) if o[0] is not None), None)
            src = nxt or prv
            if src is not None:
                w[0], w[1] = src[0], src[1]
                w[2] = f"{w[2]} (moved: no working week)"
    return [tuple(w) for w in out]


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
           "Dec")


def _period_label(f: int, k: int) -> str:
    span = 12 // f
    if f == 1:
        return "the year"
    if f == 12:
        return _MONTHS[k]
    if f == 4:
        return f"Q{k + 1}"
    if f == 2:
        return f"H{k + 1}"
    return f"{_MONTHS[span * k]}-{_MONTHS[span * k + span - 1]}"


def _purposes(v: pd.DataFrame, sv: ServiceSettings) -> np.ndarray:
    """Purpose of each visit from its place in the year, the season and the segment.

    In order: executive visit; the first visit of the year agrees the account plan;
    the last visit in the three months before stock building starts agrees the
    peak-season needs (supply priority); visits in the lead months check the stock
    build-up; visits in the peak season check stock and deliveries; the last visit of
    the year reviews results; other visits follow the segment's strategy."""
    lead, peak = supply_window(sv)
    start = lead[0] if lead else peak[0]
    agree_months = [((start - 1 - k - 1) % 12) + 1 for k in range(3)]
    m = v["month"].to_numpy()
    seg = v["segment"].astype(str).to_numpy()
    first = (v["visit_number"] == 1).to_numpy()
    last = ((v["visit_number"] == v["visits_of_type"]) & (v["visits_of_type"] > 1)).to_numpy()
    is_exec = (v["visit_type"] == "executive visit").to_numpy()
    in_agree = np.isin(m, agree_months) & ~is_exec
    last_in_agree = in_agree & (
        v["visit_number"].where(in_agree).groupby(v["customer_id"]).transform("max")
        == v["visit_number"]).to_numpy()
    return np.select(
        [
            is_exec,
            first,
            last_in_agree,
            np.isin(m, lead),
            np.isin(m, peak),
            last,
            seg == "technology",
            seg == "service",
            seg == "price",
        ],
        [
            "Executive visit: review the partnership and next year's direction",
            "Agree this year's key account plan and targets",
            "Agree peak-season needs and stock levels (supply priority)",
            "Stock build-up before the peak: check stock, off-season offer",
            "Peak season: check stock and deliveries, take orders",
            "Annual review: results against targets, next year's plan",
            "Technical follow-up: trials, applications, training",
            "Service check: storage and use, services due",
            "Commercial review: volume, rebate progress, off-season offers",
        ],
        "Eight-step visit: check stock, recommend and take the order",
    )


def visit_plan(accounts: pd.DataFrame, s, year: int | None = None, *,
               customers: pd.DataFrame | None = None, start_date=None) -> VisitPlan:
    """Plan a year of visits per account manager, within a weekly capacity.

    ``accounts``: the key accounts (``account_manager``, ``abc_class``; ``segment``,
    ``region``, ``score`` used when present, else taken from ``customers``).
    ``year``: the plan year (default: the year after ``s.period.analysis_year``).
    ``start_date``: plan only from that date (periods already over are dropped).

    Rules (settings ``s.service.visits``):

    1. Each account gets :func:`visit_frequencies` visits; visit *k* of *f* falls in
       period *k* of the year (monthly → one per calendar month, quarterly → one per
       quarter...). A week belongs to the month of its Thursday (ISO 8601). Blocked
       weeks get no visit; a period without a working week is merged into the next.
    2. At most ``capacity_per_week`` visits per account manager and week (executive
       visits included), and at most one visit per account and week.
    3. Week by week, the scheduler plans the visits that are due (the period ends this
       week), then as many as keep pace with what is due later (the smallest even rate
       that meets every deadline: max over later deadlines d of
       ``remaining due by d / weeks left to d``), choosing visits in the regions already
       on this week's route first (shorter travel), most urgent first; then it fills
       the route's remaining capacity with visits of the same regions that are at least
       half a period after the account's previous visit (earliest-deadline-first, a
       standard greedy for unit tasks with deadlines, with a route preference). A route
       is a country or a region (``route_by``). Within a period, accounts of the same
       frequency get evenly spaced ideal weeks, in route order, so that load is level
       and neighbours fall in neighbouring weeks; a top-up comes at most a quarter
       period before its ideal week.
    4. A visit that cannot be placed in its period is *not* moved: the account appears
       in ``unplanned`` with the reason (capacity, no working week left).
    5. An account the data names no account manager for is planned under the owner
       :data:`UNASSIGNED` ("unassigned"), with one manager's capacity
       (``VisitPlan.unassigned`` lists them; :func:`unassigned_note` says it).

    Visits of a week are given days in route order (route, then customer), filling
    ``ceil(capacity / working_days)`` visits a day from Monday.

    Returns a :class:`VisitPlan` (``.visits``, ``.unplanned``, ``.frequencies``).
    """
    sv = _service(s)
    vs = sv.visits
    if year is None:  # the year after the analysis year (of s, else of the accounts)
        fixed = getattr(getattr(s, "period", None), "analysis_year", 0) or \
            accounts.attrs.get("analysis_year")
        year = (int(fixed) if fixed else _analysis_year(s)) + 1
    weeks = iso_weeks(year, vs.blocked_weeks, start_date)
    if len(accounts) == 0:  # no key accounts: an empty plan, said by the caller
        return VisitPlan(visits=_empty(VISIT_COLUMNS, index=False),
                         unplanned=_empty(UNPLANNED_COLUMNS, index=False),
                         frequencies=_empty(FREQUENCY_COLUMNS), weeks=weeks, year=int(year),
                         capacity={})
    freq = visit_frequencies(accounts, s, customers)
    am = freq["account_manager"].astype("string").str.strip()
    no_manager = am.isna() | (am == "")
    if no_manager.any():  # planned all the same, under one owner to be named
        freq = freq.copy()
        freq["account_manager"] = am.mask(no_manager, UNASSIGNED)
    unassigned = tuple(freq.index[no_manager.to_numpy()].astype(str))
    acc = _accounts(accounts, customers)
    names = acc["customer_name"] if "customer_name" in acc.columns else pd.Series(
        acc.index.to_numpy(), index=acc.index)
    weeks = iso_weeks(year, vs.blocked_weeks, start_date)
    work = weeks.loc[~weeks["is_blocked"]].reset_index(drop=True)
    start_month = int(pd.Timestamp(start_date).month) if start_date is not None and \
        pd.Timestamp(start_date).year == year else 1

    # ---- slots: one row per required visit, with its window of working weeks
    parts = []
    for vtype, col in (("visit", "visits_per_year"),
                       ("executive visit", "executive_visits_per_year")):
        for f in sorted(set(freq[col].tolist()) - {0}):
            wins = _windows(f, weeks, start_month)
            ids = freq.index[freq[col] == f]
            if not wins or len(ids) == 0:
                continue
            w = pd.DataFrame(wins, columns=["release", "deadline", "period"])
            w["period_no"] = np.arange(len(w))
            sl = pd.DataFrame({"customer_id": ids}).merge(w, how="cross")
            sl["visit_type"] = vtype
            sl["frequency"] = f
            parts.append(sl)
    slot_cols = ["customer_id", "release", "deadline", "period", "period_no", "visit_type",
                 "frequency"]
    slots = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=slot_cols)
    slots["customer_id"] = slots["customer_id"].astype("string")
    slots["account_manager"] = freq["account_manager"].reindex(slots["customer_id"]).to_numpy()
    slots["region"] = freq["region"].reindex(slots["customer_id"]).to_numpy()
    slots["country"] = freq["country"].reindex(slots["customer_id"]).to_numpy()
    slots["route"] = freq[vs.route_by].reindex(slots["customer_id"]).to_numpy()
    slots["week_idx"] = -1
    slots["reason"] = ""
    no_weeks = slots["release"].isna()
    slots.loc[no_weeks, "reason"] = "no working week left in the plan year"
    am_text = slots["account_manager"].astype(str).str.strip()
    no_am = slots["account_manager"].isna() | (am_text == "")
    slots.loc[no_am & ~no_weeks, "reason"] = "no account manager assigned"

    capacity = {}
    week_idx = slots["week_idx"].to_numpy().copy()
    reasons = slots["reason"].to_numpy(dtype=object).copy()
    ok = (~no_weeks & ~no_am).to_numpy()
    for am in sorted(slots.loc[ok, "account_manager"].astype(str).unique()):
        cap = int(vs.capacity_by_manager.get(am, vs.capacity_per_week))
        capacity[am] = cap
        rows = np.flatnonzero(ok & (slots["account_manager"].astype(str) == am).to_numpy())
        sub = slots.iloc[rows]
        # spread accounts of the same frequency evenly over each period, in route order
        # (region, customer), so that neighbours get neighbouring weeks
        key = (sub["visit_type"].astype(str) + "|" + sub["frequency"].astype(str) + "|"
               + sub["period_no"].astype(str))
        rank = sub.assign(_k=key.to_numpy()).sort_values(
            ["_k", "route", "customer_id"]).groupby("_k").cumcount()
        rank = rank.reindex(sub.index).to_numpy()
        size = key.map(key.value_counts()).to_numpy()
        rel, dl = sub["release"].to_numpy(dtype=float), sub["deadline"].to_numpy(dtype=float)
        ideal = rel + (rank + 0.5) / size * (dl - rel + 1) - 0.5
        placed, why = _schedule(
            release=sub["release"].to_numpy(dtype=int),
            deadline=sub["deadline"].to_numpy(dtype=int),
            customer=sub["customer_id"].astype(str).to_numpy(),
            region=sub["route"].astype(str).to_numpy(),
            frequency=sub["frequency"].to_numpy(dtype=int),
            ideal=ideal,
            n_weeks=len(work),
            capacity=cap,
        )
        week_idx[rows] = placed
        missed = placed < 0
        wk = work["week"].to_numpy()
        if missed.any():  # the reason of each visit not placed, in words
            j = np.flatnonzero(missed)
            r = sub["release"].to_numpy(dtype=int)[j]
            d = sub["deadline"].to_numpy(dtype=int)[j]
            period = sub["period"].to_numpy(dtype=object)[j].astype(str).astype(object)
            weeks_txt = wk[r].astype(str).astype(object) + "-" + wk[d].astype(str).astype(object)
            same = why[j] == "same account"
            reasons[rows[j]] = np.where(
                same,
                period + " has too few working weeks (weeks " + weeks_txt + ") for two "
                "visits to this account; unblock a week or lower the frequency",
                f"capacity: {am} can make {cap} visits a week and weeks " + weeks_txt
                + " (" + period + ") are full; raise the capacity, lower a frequency or "
                "move accounts to another manager")
    slots["week_idx"] = week_idx
    slots["reason"] = reasons

    # ---- planned visits
    done = slots.loc[slots["week_idx"] >= 0].copy()
    done["week"] = work["week"].to_numpy()[done["week_idx"].to_numpy()]
    done["monday"] = work["monday"].to_numpy()[done["week_idx"].to_numpy()]
    done["month"] = work["month"].to_numpy()[done["week_idx"].to_numpy()]
    done = done.sort_values(["account_manager", "week", "route", "customer_id",
                             "visit_type"], kind="stable")
    pos = done.groupby(["account_manager", "week"]).cumcount().to_numpy()
    per_day = {am: max(1, -(-c // vs.working_days)) for am, c in capacity.items()}
    pdv = done["account_manager"].astype(str).map(per_day).to_numpy(dtype=int)
    # visit days: the working days of the week that lie in the week's month (so the
    # "April" visit is not dated 30 March, and week 1 stays in the plan year)
    monday = done["monday"].to_numpy().astype("datetime64[D]")
    offsets = np.arange(vs.working_days)
    in_month = (pd.DatetimeIndex((monday[:, None] + offsets[None, :]).ravel()).month
                .to_numpy().reshape(len(done), len(offsets)) == done["month"].to_numpy()[:, None])
    any_in = in_month.any(axis=1)
    first_ok = np.where(any_in, in_month.argmax(axis=1), 0)
    last_ok = np.where(any_in, vs.working_days - 1 - in_month[:, ::-1].argmax(axis=1),
                       vs.working_days - 1)
    day = np.clip(first_ok + pos // pdv, first_ok, last_ok)
    done["date"] = pd.to_datetime(monday + day.astype("timedelta64[D]"))
    done = done.sort_values(["account_manager", "date", "route", "customer_id"],
                            kind="stable")
    done["visit_number"] = done.groupby(["customer_id", "visit_type"]).cumcount() + 1
    done["visits_of_type"] = done.groupby(["customer_id", "visit_type"])[
        "customer_id"].transform("size")
    done["segment"] = freq["segment"].reindex(done["customer_id"]).to_numpy()
    done["purpose"] = _purposes(done, sv)
    done["customer_name"] = names.reindex(done["customer_id"]).astype("string").to_numpy()
    visits = done[["account_manager", "customer_id", "customer_name", "region", "country",
                   "date", "week", "month", "visit_type", "purpose",
                   "visit_number"]].reset_index(
        drop=True)
    visits["week"] = visits["week"].astype("int64")
    visits["month"] = visits["month"].astype("int64")

    # ---- unplanned and the frequency table
    keys = ["customer_id", "visit_type"]
    g = slots.assign(_planned=(slots["week_idx"] >= 0).astype("int64")).groupby(
        keys, sort=True)
    why_not = slots.loc[slots["reason"] != ""].groupby(keys, sort=True)["reason"].first()
    summary = pd.DataFrame({
        "visits_required": g.size(),
        "visits_planned": g["_planned"].sum(),
    })
    summary["reason"] = why_not.reindex(summary.index).fillna("").astype(object)
    summary = summary.reset_index()
    summary["account_manager"] = freq["account_manager"].reindex(
        summary["customer_id"]).to_numpy()
    unplanned = summary.loc[summary["visits_planned"] < summary["visits_required"],
                            ["account_manager", "customer_id", "visit_type",
                             "visits_required", "visits_planned", "reason"]].reset_index(
        drop=True)
    counts = visits.groupby(["customer_id", "visit_type"]).size().unstack(fill_value=0)
    freq = freq.copy()
    freq["visits_planned"] = (counts["visit"] if "visit" in counts else pd.Series(
        dtype="int64")).reindex(freq.index, fill_value=0).astype("int64")
    freq["executive_visits_planned"] = (
        counts["executive visit"] if "executive visit" in counts else pd.Series(
            dtype="int64")).reindex(freq.index, fill_value=0).astype("int64")
    return VisitPlan(visits=visits, unplanned=unplanned, frequencies=freq,
                     weeks=weeks, year=int(year), capacity=capacity, unassigned=unassigned)


def _first_per_customer(pos: np.ndarray, cust: np.ndarray, k: int) -> np.ndarray:
    """The first ``k`` of the positions ``pos`` (in order) whose customer has not come
    earlier in ``pos``: what a loop taking one visit per account would pick."""
    if k <= 0 or not len(pos):
        return pos[:0]
    _, first = np.unique(cust[pos], return_index=True)
    return pos[np.sort(first)][:k]


def _schedule(release, deadline, customer, region, frequency, ideal, n_weeks, capacity):
    """Place unit visits in weeks 0..n_weeks-1 (see :func:`visit_plan`, rule 3).

    Week by week (a handful of dozen weeks): every choice among the open visits is an
    array operation; only the pace step takes its few visits (at most the weekly
    capacity) one at a time, since each one adds its route.

    Returns (week index per slot, -1 when not placed; a note per slot)."""
    n = len(release)
    placed = np.full(n, -1)
    note = np.full(n, "", dtype=object)
    cust, _ = pd.factorize(pd.Series(customer, dtype=object), sort=True)
    reg, _ = pd.factorize(pd.Series(region, dtype=object), sort=True)
    n_cust, n_reg = int(cust.max()) + 1 if n else 0, int(reg.max()) + 1 if n else 0
    last_visit = np.full(n_cust, -10 ** 6)  # customer -> last week index
    # half a period, in working weeks, between two visits of the same account (top-ups)
    min_gap = np.maximum(1, np.floor(n_weeks / np.maximum(frequency, 1) / 2)).astype(int)
    # a top-up may come at most a quarter of the window before the visit's ideal week
    early = ideal - np.maximum(1.0, (deadline - release + 1) / 4.0)
    for w in range(n_weeks):
        open_ = placed < 0
        avail = open_ & (release <= w) & (deadline >= w)
        if not avail.any():
            continue
        # pace: the smallest even rate that meets every later deadline
        dl = np.sort(deadline[open_ & (deadline >= w)])
        uniq, last_pos = np.unique(dl, return_index=False, return_counts=True)
        cum = np.cumsum(last_pos)
        pace = int(np.ceil(np.max(cum / (uniq - w + 1)))) if len(uniq) else 0
        target = min(capacity, pace)
        cand = np.flatnonzero(avail)
        lv = last_visit[cust[cand]]
        # due first, then by ideal week, deadline, the account not seen for longest, id
        order = cand[np.lexsort((cust[cand], lv, deadline[cand], ideal[cand],
                                 deadline[cand] != w))]
        chosen = np.zeros(n, dtype=bool)
        used = np.zeros(n_cust, dtype=bool)
        route = np.zeros(n_reg, dtype=bool)
        n_chosen = 0

        def take(idx):
            nonlocal n_chosen
            chosen[idx] = True
            used[cust[idx]] = True
            route[reg[idx]] = True
            n_chosen += len(np.atleast_1d(idx))

        # 1. due this week
        take(_first_per_customer(order[deadline[order] == w], cust, capacity))
        # 2. keep pace, preferring the regions already on the route
        while n_chosen < target:
            rest = order[~chosen[order] & ~used[cust[order]]]
            if not len(rest):
                break
            same = rest[route[reg[rest]]]
            take(same[0] if len(same) else rest[0])
        # 3. fill the route with visits of the same regions, if far enough from the last
        if route.any() and n_chosen < capacity:
            ok = (~chosen[order] & ~used[cust[order]] & route[reg[order]]
                  & (w >= early[order]) & (w - last_visit[cust[order]] >= min_gap[order]))
            take(_first_per_customer(order[ok], cust, capacity - n_chosen))
        idx = np.flatnonzero(chosen)
        placed[idx] = w
        last_visit[cust[idx]] = w
        # slots whose deadline passes now are lost: say why
        lost = (placed < 0) & (deadline == w)
        note[lost] = "capacity" if n_chosen >= capacity else "same account"
    return placed, note


# ------------------------------------------------------------------- service packages


def service_menu(accounts: pd.DataFrame, s) -> pd.DataFrame:
    """The services each key account gets: one row per account and service.

    An account gets every item of ``s.service.packages.menu`` whose ``segments``
    contain its segment (or ``"all"``) and whose ``classes`` contain its ABC class. A
    *mixed* account with a ``mixed_types`` column (e.g. ``"price+service"``) also gets
    the items of both of its drivers. The menu follows the primer: price-sensitive
    accounts get rebates, off-season offers and bigger packs; service-sensitive ones
    proactive and value-added service; technology-sensitive ones custom grades,
    trials, training and joint development (§2); every key account supply priority
    (§4).

    Columns: ``customer_id``, ``account_manager``, ``abc_class``, ``segment``,
    ``service``, ``kind``, ``owner``, ``pool`` (resource pool of ``kamlib.costing``),
    ``minutes_per_year`` (staff minutes).
    """
    sv = _service(s)
    acc = _accounts(accounts)
    items = pd.DataFrame(
        [(i.name, i.kind, i.owner, i.pool, float(i.minutes_per_year), list(i.segments),
          list(i.classes), n) for n, i in enumerate(sv.packages.menu)],
        columns=["service", "kind", "owner", "pool", "minutes_per_year", "segments",
                 "classes", "menu_order"],
    ).explode("segments").explode("classes").rename(
        columns={"segments": "seg", "classes": "abc_class"})
    base = acc[["account_manager", "abc_class", "segment"]].reset_index()
    drivers = base[["customer_id", "abc_class", "segment"]].assign(seg=base["segment"])
    if "mixed_types" in acc.columns:
        mt = acc["mixed_types"].astype("string").fillna("")
        extra = (mt.loc[acc["segment"] == "mixed"].str.split("+").explode().str.strip())
        extra = extra.loc[extra.isin(_SEGMENTS)]
        if len(extra):
            ex = pd.DataFrame({"customer_id": extra.index, "seg": extra.to_numpy()})
            ex = ex.merge(base[["customer_id", "abc_class", "segment"]], on="customer_id")
            drivers = pd.concat([drivers, ex], ignore_index=True)
    drivers = pd.concat([drivers, drivers.assign(seg="all")], ignore_index=True)
    drivers["seg"] = drivers["seg"].astype(str)
    drivers["abc_class"] = drivers["abc_class"].astype(str)
    items["seg"] = items["seg"].astype(str)
    items["abc_class"] = items["abc_class"].astype(str)
    m = drivers.merge(items, on=["seg", "abc_class"], how="inner")
    m = m.drop_duplicates(["customer_id", "service"]).sort_values(
        ["customer_id", "menu_order"])
    m["account_manager"] = acc["account_manager"].reindex(m["customer_id"]).to_numpy()
    m["customer_id"] = m["customer_id"].astype("string")
    return m[["customer_id", "account_manager", "abc_class", "segment", "service", "kind",
              "owner", "pool", "minutes_per_year"]].reset_index(drop=True)


SERVICE_ACTIVITIES = ("visit", "executive visit", "call", "service request",
                      "technical request", "trial", "training")
"""The activities of ``kamlib.costing`` that a service package plans (not order handling
or freight): last year's cost of these is the account's current service cost."""


VISIT_COLUMNS = ["account_manager", "customer_id", "customer_name", "region", "country",
                 "date", "week", "month", "visit_type", "purpose", "visit_number"]
UNPLANNED_COLUMNS = ["account_manager", "customer_id", "visit_type", "visits_required",
                     "visits_planned", "reason"]
FREQUENCY_COLUMNS = ["account_manager", "region", "country", "abc_class", "segment",
                     "visits_per_year", "visit_cycle", "is_top_account",
                     "executive_visits_per_year", "visits_planned", "executive_visits_planned"]
PACKAGE_COLUMNS = ["account_manager", "abc_class", "segment", "services", "n_services",
                   "service_minutes", "service_cost", "visits_per_year",
                   "executive_visits_per_year", "visit_cost", "cost_to_serve_budget",
                   "current_service_cost", "current_cost_to_serve", "gross_margin",
                   "budget_share_of_margin", "within_budget"]
OBJECTIVE_COLUMNS = ["account_manager", "abc_class", "segment", "volume_kg",
                     "target_volume_kg", "volume_growth", "net_price", "target_net_price",
                     "revenue", "target_revenue", "share_of_wallet", "target_share_of_wallet",
                     "visits_per_year", "visit_cycle", "executive_visits_per_year",
                     "training_dates", "services", "edited"]
NO_KEY_ACCOUNTS = (
    "There are no key accounts, so there is nothing to plan. The key-account rule "
    "(selection.key_accounts in the settings file) found none: see chapter 01, or change "
    "selection.key_accounts.rule, min_score, loss_makers or the cost-to-serve assumptions "
    "(selection.cost_to_serve) that make customers loss-making.")
"""Said wherever an empty key-account list leaves a plan empty."""


def _empty(columns: list[str], index: bool = True) -> pd.DataFrame:
    """An empty result with the documented columns (indexed by ``customer_id``)."""
    out = pd.DataFrame(columns=columns)
    if index:
        out.index = pd.Index([], dtype="object", name="customer_id")
    return out


def service_packages(kd, s, accounts: pd.DataFrame) -> pd.DataFrame:
    """Each key account's service package and its cost-to-serve budget.

    Budget, priced like the cost to serve of the selection chapter (time-driven
    activity-based costing, Kaplan & Anderson, "Time-driven activity-based costing",
    HBR 2004; ``kamlib.costing.activity_rates``)::

        budget = planned visits × cost of a visit
               + planned executive visits × cost of an executive visit
               + Σ services: minutes a year × capacity cost rate of the service's pool

    with the visits of :func:`visit_frequencies` and the services of
    :func:`service_menu`. The budget is set against the gross margin of the analysis
    year it protects: ``budget_share_of_margin = cost_to_serve_budget / gross_margin``
    (∞ when the margin is ≤ 0); within budget when at most ``max_share_of_margin``.
    For comparison, ``current_service_cost`` is what the same kinds of activity
    (``SERVICE_ACTIVITIES``) cost last year and ``current_cost_to_serve`` the whole
    cost to serve (with order handling and freight), both from
    ``kamlib.costing.cost_to_serve``.

    Index ``customer_id``. Columns: ``account_manager``, ``abc_class``, ``segment``,
    ``services`` (names, "; "-separated), ``n_services``, ``service_minutes``,
    ``service_cost`` (EUR), ``visits_per_year``, ``executive_visits_per_year``,
    ``visit_cost`` (EUR), ``cost_to_serve_budget`` (EUR/year), ``current_service_cost``,
    ``current_cost_to_serve`` (EUR, analysis year), ``gross_margin`` (EUR, analysis
    year), ``budget_share_of_margin`` (fraction), ``within_budget`` (bool). Without cost
    of goods in the data the margin is unknown: ``gross_margin`` and
    ``budget_share_of_margin`` are NaN and ``within_budget`` is True (nothing to hold
    the budget against; ``kd.missing_text("costs")`` says what to add).
    """
    if len(accounts) == 0:  # no key accounts: nothing to package (NO_KEY_ACCOUNTS)
        return _empty(PACKAGE_COLUMNS)
    from kamlib import costing

    sv = _service(s)
    year = _analysis_year(s, kd)
    acc = _accounts(accounts, kd.customers)
    menu = service_menu(acc, s)
    freq = visit_frequencies(acc, s, kd.customers)
    try:
        cs = costing.costing_settings(s)
    except TypeError:  # a bare ServiceSettings, or a selection section without costing
        cs = costing.CostingSettings()
    rates = costing.activity_rates(cs)
    pool_rate = rates.groupby("pool")["rate_per_minute"].first()
    unknown = sorted(set(menu["pool"]) - set(pool_rate.index))
    if unknown:
        raise ValueError(
            f"service.packages.menu uses resource pool(s) {unknown} that "
            f"selection.cost_to_serve does not have ({', '.join(pool_rate.index)}). "
            "Give each service one of those pools."
        )
    menu["cost"] = menu["minutes_per_year"] * menu["pool"].map(pool_rate).to_numpy()
    g = menu.groupby("customer_id")
    out = acc[["account_manager", "abc_class", "segment"]].copy()
    out["services"] = g["service"].agg("; ".join).reindex(out.index).fillna("")
    out["n_services"] = g.size().reindex(out.index, fill_value=0).astype("int64")
    out["service_minutes"] = g["minutes_per_year"].sum().reindex(out.index, fill_value=0.0)
    out["service_cost"] = g["cost"].sum().reindex(out.index, fill_value=0.0)
    out["visits_per_year"] = freq["visits_per_year"]
    out["executive_visits_per_year"] = freq["executive_visits_per_year"]
    out["visit_cost"] = (freq["visits_per_year"] * rates.loc["visit", "cost_per_unit"]
                         + freq["executive_visits_per_year"]
                         * rates.loc["executive visit", "cost_per_unit"])
    out["cost_to_serve_budget"] = out["service_cost"] + out["visit_cost"]
    cts = costing.cost_to_serve(kd, cs, years=[year])
    cts.index = cts.index.astype("string")
    cols = [f"cost_{costing.slug(a)}" for a in SERVICE_ACTIVITIES]
    out["current_service_cost"] = cts[cols].sum(axis=1).reindex(out.index).fillna(0.0)
    out["current_cost_to_serve"] = cts["cost_to_serve"].reindex(out.index).fillna(0.0)
    tot = measures.customer_totals(kd.orders, [year])
    tot.index = tot.index.astype("string")
    out["gross_margin"] = tot["gross_margin"].reindex(out.index).fillna(0.0)
    gm = out["gross_margin"].to_numpy()
    share = np.divide(out["cost_to_serve_budget"].to_numpy(), gm,
                      out=np.full(len(out), np.inf), where=gm > 0)
    out["budget_share_of_margin"] = share
    out["within_budget"] = share <= sv.packages.max_share_of_margin
    if not _has(kd, "costs"):  # no cost in the data: the margin is unknown, not 0
        out["gross_margin"] = np.nan
        out["budget_share_of_margin"] = np.nan
        out["within_budget"] = pd.array([pd.NA] * len(out), dtype="boolean")
    if not _has(kd, "interactions"):  # what last year's activities cost is unknown
        out["current_service_cost"] = np.nan
    return out


# ------------------------------------------------------------------- complaints

COMPLAINT_GROUPS = ("customer_id", "product_id", "account_manager")


def _years(years, kd, s=None) -> list[int]:
    if years is None:
        if s is not None and getattr(s, "period", None) is not None:
            return [_analysis_year(s, kd)]
        return kd.years
    if isinstance(years, (int, np.integer)):
        return [int(years)]
    return [int(y) for y in years]


def complaint_metrics(kd, by: str = "customer_id", years=None, s=None) -> pd.DataFrame:
    """Complaint analytics by customer, product or account manager.

    ``years``: a year or a list (default: the analysis year of ``s``; all years when
    neither is given). A complaint counts in the year it was received; it is *open*
    while ``days_to_resolve`` is empty. Products: the complaint's ``product_id``
    ("(not given)" when empty); account managers: the customer's account manager.

    Formulas (the usual complaint KPIs, e.g. ISO 10002:2018 Annex on monitoring):
    ``complaints_per_100_orders`` = 100 × complaints / orders (distinct orders in the
    period; by product, orders with a line of that product);
    ``complaints_per_tonne`` = complaints / (delivered kg / 1000) (the quantity over
    :func:`kamlib.formatting.tonne_divisor`: data already in tonnes is not divided);
    ``resolved_within_target`` = closed complaints with days_to_resolve ≤
    ``s.service.complaints.target_days`` (5 by default) / closed complaints.

    Index ``by``. Columns: ``complaints``, ``open_complaints``, ``orders``,
    ``volume_t`` (tonnes delivered), ``complaints_per_100_orders``,
    ``complaints_per_tonne``, ``mean_days_to_resolve``, ``median_days_to_resolve``
    (days, closed complaints), ``resolved_within_target`` (fraction), ``main_reason``,
    ``on_time_in_full_rate`` (fraction of delivered lines); by customer also
    ``account_manager``. Sorted by complaints, most first.
    """
    if by not in COMPLAINT_GROUPS:
        raise ValueError(f"complaint_metrics: by must be one of {COMPLAINT_GROUPS}, "
                         f"got {by!r}")
    target = _service(s).complaints.target_days if s is not None else \
        ComplaintSettings().target_days
    yrs = _years(years, kd, s)
    it = kd.interactions
    comp = it.loc[(it["type"] == "complaint") & it["date"].dt.year.isin(yrs)].copy()
    used = [c for c in dict.fromkeys(["customer_id", "product_id", "order_id", "volume_kg",
                                      "is_delivered", "on_time_in_full", by])
            if c in kd.orders.columns]  # the columns used, not all of millions of lines
    orders = kd.orders.loc[kd.orders["year"].isin(yrs), used].copy()
    am = kd.customers.set_index("customer_id")["account_manager"]
    comp["account_manager"] = comp["customer_id"].map(am)
    orders["account_manager"] = orders["customer_id"].map(am)
    comp["product_id"] = comp["product_id"].astype("string").fillna("(not given)")
    comp["is_open"] = comp["days_to_resolve"].isna()
    comp["in_target"] = comp["days_to_resolve"] <= target
    comp["complaint_reason"] = comp["complaint_reason"].astype("string").fillna("(none)")
    g = comp.groupby(by, observed=True)
    out = pd.DataFrame({
        "complaints": g.size(),
        "open_complaints": g["is_open"].sum(),
        "mean_days_to_resolve": g["days_to_resolve"].mean(),
        "median_days_to_resolve": g["days_to_resolve"].median(),
        "_closed": g["days_to_resolve"].count(),
        "_in_target": g["in_target"].sum(),
    })
    reasons = (comp.groupby([by, "complaint_reason"], observed=True).size()
               .rename("n").reset_index()
               .sort_values([by, "n", "complaint_reason"], ascending=[True, False, True])
               .drop_duplicates(by).set_index(by)["complaint_reason"])
    og = orders.groupby(by, observed=True)
    ord_ = pd.DataFrame({
        "orders": og["order_id"].nunique(),
        "volume_t": og["volume_kg"].sum() / formatting.tonne_divisor(settings=s),
    })
    d = orders.loc[orders["is_delivered"]].groupby(by, observed=True)["on_time_in_full"]
    ord_["on_time_in_full_rate"] = d.mean()
    out.index = out.index.astype("string")
    ord_.index = ord_.index.astype("string")
    reasons.index = reasons.index.astype("string")
    res = ord_.join(out, how="outer")
    for col in ("complaints", "open_complaints", "_closed", "_in_target"):
        res[col] = res[col].fillna(0).astype("int64")
    res["orders"] = res["orders"].fillna(0).astype("int64")
    res["volume_t"] = res["volume_t"].fillna(0.0)
    res["complaints_per_100_orders"] = 100 * _fraction(res["complaints"], res["orders"])
    res["complaints_per_tonne"] = _fraction(res["complaints"], res["volume_t"])
    res["resolved_within_target"] = _fraction(res["_in_target"], res["_closed"])
    res["main_reason"] = reasons.reindex(res.index).fillna("")
    cols = ["complaints", "open_complaints", "orders", "volume_t",
            "complaints_per_100_orders", "complaints_per_tonne", "mean_days_to_resolve",
            "median_days_to_resolve", "resolved_within_target", "main_reason",
            "on_time_in_full_rate"]
    res = res[cols]
    if by == "customer_id":
        am.index = am.index.astype("string")
        res.insert(0, "account_manager", am.reindex(res.index))
    res.index.name = by
    return res.sort_values(["complaints", "complaints_per_100_orders"],
                           ascending=[False, False], kind="stable")


def complaint_trend(kd, s, customer_ids=None) -> pd.DataFrame:
    """Complaints per 100 orders per year, and whether they are rising.

    Rising complaints are a sign that satisfaction falls and the relationship decays
    (primer §5, Levitt). ``rising`` = the rate of the analysis year exceeds the rate
    two years earlier by at least ``s.service.complaints.rising_points`` (per 100
    orders) and the account had at least ``rising_min_complaints`` complaints in the
    analysis year.

    Index ``customer_id``. Columns: one per year (complaints per 100 orders; NaN without
    orders), ``change`` (points, analysis year − two years earlier), ``complaints``
    (analysis year), ``rising`` (bool).
    """
    cs = _service(s).complaints
    year = _analysis_year(s, kd)
    yrs = [year - 2, year - 1, year]
    it = kd.interactions
    comp = it.loc[(it["type"] == "complaint") & it["date"].dt.year.isin(yrs)]
    cc = comp.groupby([comp["customer_id"], comp["date"].dt.year.rename("year")]).size()
    cc = cc.unstack(fill_value=0).reindex(columns=yrs, fill_value=0)
    # distinct orders per customer and year: the yearly sums' order_count (shared)
    oc = measures.customer_year(kd.orders, yrs)["order_count"].unstack(fill_value=0)
    oc = oc.reindex(columns=yrs, fill_value=0)
    oc.columns.name = "year"
    cc.index = cc.index.astype("string")
    oc.index = oc.index.astype("string")
    idx = oc.index.union(cc.index) if customer_ids is None else pd.Index(
        customer_ids, dtype="string", name="customer_id")
    cc = cc.reindex(idx, fill_value=0)
    oc = oc.reindex(idx, fill_value=0)
    out = pd.DataFrame(100 * _fraction(cc.to_numpy(), oc.to_numpy()), index=idx,
                       columns=yrs)
    out["change"] = out[year] - out[year - 2]
    out["complaints"] = cc[year].astype("int64")
    out["rising"] = (out["change"].fillna(0) >= cs.rising_points) & (
        out["complaints"] >= cs.rising_min_complaints)
    out.index.name = "customer_id"
    return out


# ------------------------------------------------------------------- supply priority


def _first_peak_month(peak) -> int:
    peak = set(peak)
    for m in sorted(peak):
        if ((m - 2) % 12) + 1 not in peak:
            return m
    return min(peak)


def supply_window(s) -> tuple[list[int], list[int]]:
    """(lead months, peak months) in calendar order, e.g. ([7, 8], [9, 10, 11])."""
    sup = _service(s).supply
    first = _first_peak_month(sup.peak_months)
    lead = [((first - 1 - k - 1) % 12) + 1 for k in range(sup.lead_months)][::-1]
    peak = [((first - 1 + k) % 12) + 1 for k in range(12) if
            ((first - 1 + k) % 12) + 1 in set(sup.peak_months)]
    return lead, peak


def seasonal_need(kd, s, customer_ids=None, plan_year: int | None = None) -> pd.DataFrame:
    """Expected kg per customer and month of ``plan_year``, from history.

    Seasonal average with a level adjustment (the "average" and "seasonal naïve"
    methods of Hyndman & Athanasopoulos, *Forecasting: principles and practice*, §5.2,
    combined):
    ``expected(m) = mean over the last N years of kg in month m × trend``, with
    ``trend = kg of the last year / mean yearly kg of the N years``, bounded by
    ``trend_min``/``trend_max``; N = ``s.service.supply.history_years`` years before
    ``plan_year`` (default: the year after the analysis year). The need is the
    *ordered* kg (``quantity_kg``, by order date): it includes what we failed to
    deliver and orders not delivered yet. Years before a customer's first order are
    left out of its averages.

    Index ``customer_id``; columns 1-12 (expected kg per month), ``trend``.
    """
    sup = _service(s).supply
    if plan_year is None:
        plan_year = _analysis_year(s, kd) + 1
    hist = list(range(plan_year - sup.history_years, plan_year))
    if customer_ids is not None:
        ids = pd.Index(customer_ids, dtype="string", name="customer_id")
    if measures.large(kd.orders):  # a slice of the remembered customer x month sums
        m = measures.customer_month(kd.orders, hist)["quantity_kg"]
        if customer_ids is not None:
            m = m.loc[m.index.get_level_values(0).isin(ids.astype(object))]
    else:
        o = kd.orders.loc[kd.orders["year"].isin(hist), ["customer_id", "year", "month",
                                                           "quantity_kg"]]
        if customer_ids is not None:
            o = o.loc[o["customer_id"].isin(ids)]
        m = o.groupby(["customer_id", "year", "month"])["quantity_kg"].sum()
    m.index = m.index.set_levels(m.index.levels[0].astype("string"), level=0)
    ids = ids if customer_ids is not None else m.index.get_level_values(0).unique()
    full = pd.MultiIndex.from_product([ids, hist, range(1, 13)],
                                      names=["customer_id", "year", "month"])
    m = m.reindex(full, fill_value=0.0)
    annual = m.groupby(level=["customer_id", "year"]).sum().unstack("year")
    # years before the first order with us do not count (a new customer is not 0 kg)
    first = measures.first_year(kd.orders)
    fy = first.reindex(ids).to_numpy(dtype=float)
    active = np.asarray(hist)[None, :] >= np.nan_to_num(fy, nan=np.inf)[:, None]
    n_active = active.sum(axis=1)
    cube = m.to_numpy().reshape(len(ids), len(hist), 12)
    profile = np.divide((cube * active[:, :, None]).sum(axis=1), n_active[:, None],
                        out=np.zeros((len(ids), 12)), where=n_active[:, None] > 0)
    mean_annual = np.divide((annual.to_numpy() * active).sum(axis=1), n_active,
                            out=np.zeros(len(ids)), where=n_active > 0)
    last = annual.to_numpy()[:, -1]
    trend = np.divide(last, mean_annual, out=np.ones(len(ids)), where=mean_annual > 0)
    trend = np.clip(trend, sup.trend_min, sup.trend_max)
    out = pd.DataFrame(profile * trend[:, None], index=ids, columns=list(range(1, 13)))
    out["trend"] = trend
    out.index.name = "customer_id"
    return out


def monthly_volume(kd, customer_ids=None, years=None, value: str = "quantity_kg"
                   ) -> pd.DataFrame:
    """kg per calendar month (rows 1-12) and year (columns), summed over
    ``customer_ids`` (all customers when ``None``) and ``years`` (all when ``None``).
    ``value``: ``"quantity_kg"`` (ordered, the need; default) or ``"volume_kg"``
    (delivered)."""
    if measures.large(kd.orders) and value in measures.MONTH_COLUMNS:
        m = measures.customer_month(kd.orders, years)[value]  # remembered sums
        if customer_ids is not None:
            m = m.loc[m.index.get_level_values(0).isin(
                pd.Index(customer_ids, dtype="string").astype(object))]
        t = m.groupby(level=["month", "year"]).sum().unstack("year", fill_value=0.0)
        return t.reindex(range(1, 13), fill_value=0.0)
    o = kd.orders[["customer_id", "month", "year", value]]  # the columns used only
    if years is not None:
        o = o.loc[o["year"].isin(list(years))]
    if customer_ids is not None:
        o = o.loc[o["customer_id"].isin(pd.Index(customer_ids, dtype="string"))]
    t = o.groupby(["month", "year"])[value].sum().unstack("year", fill_value=0.0)
    return t.reindex(range(1, 13), fill_value=0.0)


def supply_priority(kd, s, accounts: pd.DataFrame, plan_year: int | None = None
                    ) -> pd.DataFrame:
    """Each key customer's expected need before and during the peak season.

    Key customers get product first, especially before the peak season; their needs
    and stock levels are agreed in advance (primer §4). Expected kg per month from
    :func:`seasonal_need`; ``reserve_kg`` = expected kg over the peak months × (1 +
    ``safety_share``); ``agree_by`` = the first day of the first lead month (the peak
    start minus ``lead_months``), when stock building starts.

    Index ``customer_id``. Columns: ``account_manager``, one column per lead and peak
    month named by the month (``"Jul"``, ``"Aug"``, ... in kg), ``peak_kg``,
    ``reserve_kg``, ``trend``, ``agree_by`` (date), ``share_of_peak`` (the account's
    share of all key accounts' peak kg). Sorted by ``peak_kg``, largest first.
    """
    if len(accounts) == 0:  # no key accounts: no supply to agree (NO_KEY_ACCOUNTS)
        lead, peak = supply_window(s)
        return _empty(["account_manager"] + [_MONTHS[m - 1] for m in lead + peak]
                      + ["peak_kg", "reserve_kg", "trend", "agree_by", "share_of_peak"])
    sup = _service(s).supply
    if plan_year is None:
        plan_year = _analysis_year(s, kd) + 1
    acc = _accounts(accounts, kd.customers)
    need = seasonal_need(kd, s, acc.index, plan_year)
    lead, peak = supply_window(s)
    out = pd.DataFrame(index=acc.index)
    out["account_manager"] = acc["account_manager"]
    for mth in lead + peak:
        out[_MONTHS[mth - 1]] = need[mth].reindex(out.index).fillna(0.0)
    out["peak_kg"] = need[peak].sum(axis=1).reindex(out.index).fillna(0.0)
    out["reserve_kg"] = out["peak_kg"] * (1 + sup.safety_share)
    out["trend"] = need["trend"].reindex(out.index).fillna(1.0)
    start = lead[0] if lead else peak[0]
    agree_year = plan_year if start <= peak[0] else plan_year - 1
    out["agree_by"] = pd.Timestamp(year=agree_year, month=start, day=1)
    total = out["peak_kg"].sum()
    out["share_of_peak"] = out["peak_kg"] / total if total > 0 else 0.0
    return out.sort_values("peak_kg", ascending=False, kind="stable")


# ------------------------------------------------------------------- objectives


def objectives(kd, s, accounts: pd.DataFrame, plan: VisitPlan | None = None,
               overrides: pd.DataFrame | None = None) -> pd.DataFrame:
    """The targets of the key account plan for the plan year, proposed and editable.

    Proposed from history and potential (primer §5: quantitative targets - products,
    price, volume, revenue, visit cycles, training dates - and qualitative ones, the
    services to provide), with ``s.service.objectives``:

    - ``target_volume_kg`` = volume of the analysis year × (1 + g), with
      ``g = class growth + trend_weight × (own growth − class growth)``, own growth =
      the compound yearly growth of the last two years (``√(V_y / V_{y−2}) − 1``; the
      class growth alone without that history), g bounded by ``growth_min`` /
      ``growth_max``; an increase is capped at ``max_share_of_wallet`` × the customer's
      estimated annual use (its potential), but the cap never takes the target below
      last year's volume;
    - ``target_net_price`` = net price per kg of the analysis year × (1 + price change
      of its segment);
    - ``target_revenue`` = target volume × target price;
    - ``target_share_of_wallet`` = target volume / estimated annual use (NaN unknown);
    - ``visits_per_year``, ``visit_cycle``, ``executive_visits_per_year`` from
      :func:`visit_frequencies`;
    - ``training_dates``: ``trainings_by_segment`` sessions, held during the planned
      visits (the first visit of each half-year or period) of ``plan``
      (:func:`visit_plan`, computed when not given);
    - ``services``: the package of :func:`service_menu`.

    Edits win over proposals: ``s.service.objectives.overrides`` (keys
    ``"C0042.target_volume_kg"``), then the CSV ``overrides_file``, then the
    ``overrides`` DataFrame argument (``customer_id`` + target columns). Editing volume
    or price recomputes revenue and share of wallet unless those are edited too.
    ``edited`` lists the edited columns of each account.

    Index ``customer_id``. Columns: ``account_manager``, ``abc_class``, ``segment``,
    ``volume_kg`` (analysis year), ``target_volume_kg``, ``volume_growth`` (fraction),
    ``net_price`` (EUR/kg), ``target_net_price``, ``revenue`` (EUR),
    ``target_revenue``, ``share_of_wallet``, ``target_share_of_wallet`` (fractions),
    ``visits_per_year``, ``visit_cycle``, ``executive_visits_per_year``,
    ``training_dates`` (text, ISO dates), ``services`` (text), ``edited`` (text).
    """
    if len(accounts) == 0:  # no key accounts: no targets (NO_KEY_ACCOUNTS)
        out = _empty(OBJECTIVE_COLUMNS)
        out.attrs["plan_year"] = (plan.year if plan is not None
                                  else _analysis_year(s, kd) + 1)
        return out
    sv = _service(s)
    obj = sv.objectives
    year = _analysis_year(s, kd)
    acc = _accounts(accounts, kd.customers)
    tot = measures.customer_totals(kd.orders, [year])
    tot.index = tot.index.astype("string")
    out = acc[["account_manager", "abc_class", "segment"]].copy()
    out["volume_kg"] = tot["volume_kg"].reindex(out.index).fillna(0.0)
    out["revenue"] = tot["revenue"].reindex(out.index).fillna(0.0)
    out["net_price"] = _fraction(out["revenue"], out["volume_kg"])
    use = _estimated_use(kd, year, out.index)
    out["share_of_wallet"] = np.minimum(_fraction(out["volume_kg"], use), 1.0)
    class_growth = out["abc_class"].astype(str).map(obj.volume_growth_by_class).fillna(0.0)
    vol = measures.yearly_pivot(kd.orders, "volume_kg")
    vol.index = vol.index.astype("string")
    vol = vol.reindex(index=out.index, columns=[year - 2, year], fill_value=0.0)
    v0, v2 = vol[year - 2].to_numpy(dtype=float), vol[year].to_numpy(dtype=float)
    own = np.sqrt(np.divide(v2, v0, out=np.full(len(out), np.nan), where=v0 > 0)) - 1
    growth = class_growth.to_numpy() + np.where(
        np.isnan(own), 0.0, obj.trend_weight * (own - class_growth.to_numpy()))
    growth = np.clip(growth, obj.growth_min, obj.growth_max)
    last = out["volume_kg"].to_numpy()
    proposed = last * (1 + growth)
    cap = obj.max_share_of_wallet * use
    cap = np.where(np.isnan(cap), np.inf, np.maximum(cap, last))  # the cap never cuts
    out["target_volume_kg"] = np.where(proposed > last, np.minimum(proposed, cap), proposed)
    pc = out["segment"].astype(str).map(obj.price_change_by_segment).fillna(0.0)
    out["target_net_price"] = out["net_price"] * (1 + pc.to_numpy())

    freq = visit_frequencies(acc, s, kd.customers)
    out["visits_per_year"] = freq["visits_per_year"]
    out["visit_cycle"] = freq["visit_cycle"]
    out["executive_visits_per_year"] = freq["executive_visits_per_year"]
    if plan is None:
        plan = visit_plan(acc, s, year + 1, customers=kd.customers)
    out["training_dates"] = _training_dates(plan, out, obj)
    menu = service_menu(acc, s)
    out["services"] = menu.groupby("customer_id")["service"].agg("; ".join).reindex(
        out.index).fillna("")
    out["edited"] = ""
    out["_use"] = use

    edits = _collect_overrides(obj, overrides)
    out = _apply_overrides(out, edits)
    out["target_revenue"] = np.where(
        out["edited"].str.contains("target_revenue", regex=False),
        out.get("target_revenue", np.nan),
        out["target_volume_kg"] * out["target_net_price"])
    sow_t = np.minimum(_fraction(out["target_volume_kg"], out["_use"]), 1.0)
    if "target_share_of_wallet" in out.columns:
        out["target_share_of_wallet"] = np.where(
            out["edited"].str.contains("target_share_of_wallet", regex=False),
            out["target_share_of_wallet"], sow_t)
    else:
        out["target_share_of_wallet"] = sow_t
    out["volume_growth"] = _fraction(out["target_volume_kg"] - out["volume_kg"],
                                     out["volume_kg"])
    cols = ["account_manager", "abc_class", "segment", "volume_kg", "target_volume_kg",
            "volume_growth", "net_price", "target_net_price", "revenue", "target_revenue",
            "share_of_wallet", "target_share_of_wallet", "visits_per_year", "visit_cycle",
            "executive_visits_per_year", "training_dates", "services", "edited"]
    out = out[cols]
    out.attrs["plan_year"] = year + 1
    return out


def _estimated_use(kd, year: int, index) -> np.ndarray:
    a = kd.assessments
    if a is None or a.empty:
        return np.full(len(index), np.nan)
    a = a.loc[a["year"].astype("int64") == year].set_index("customer_id")
    a.index = a.index.astype("string")
    return a["estimated_annual_use_kg"].reindex(index).to_numpy(dtype=float)


def _training_dates(plan: VisitPlan, out: pd.DataFrame, obj: ObjectiveSettings) -> pd.Series:
    n = out["segment"].astype(str).map(obj.trainings_by_segment).fillna(0).astype(int)
    v = plan.visits.loc[plan.visits["visit_type"] == "visit",
                        ["customer_id", "date", "month"]].copy()
    v["n"] = n.reindex(v["customer_id"]).fillna(0).to_numpy(dtype=int)
    v = v.loc[v["n"] > 0]
    # period of each visit for n trainings a year; the first visit of each period hosts one
    v["period"] = (v["month"] - 1) * v["n"] // 12
    first = v.sort_values("date").drop_duplicates(["customer_id", "period"])
    first = first.assign(day=first["date"].dt.strftime("%Y-%m-%d").astype(str))
    dates = first.sort_values("day").groupby("customer_id")["day"].agg(", ".join)
    dates = pd.Series(dates.to_numpy(dtype=object), index=dates.index.astype("string"),
                      dtype=object)
    return dates.reindex(out.index).fillna("").astype("string")


def _collect_overrides(obj: ObjectiveSettings, extra: pd.DataFrame | None) -> pd.DataFrame:
    """All edits as a long table customer_id, column, value (later rows win)."""
    rows = []
    for key, value in obj.overrides.items():
        cid, _, col = key.rpartition(".")
        rows.append((cid, col, value))
    frames = [pd.DataFrame(rows, columns=["customer_id", "column", "value"])]
    if obj.overrides_file:
        path = Path(obj.overrides_file)
        if not path.exists():
            raise FileNotFoundError(
                f"service.objectives.overrides_file: {path} does not exist (relative "
                f"to {Path.cwd()}). Write it with objectives(...).to_csv(path) and edit "
                "it, or set overrides_file = \"\" in the settings file."
            )
        frames.append(_long_edits(pd.read_csv(path, dtype={"customer_id": str}), str(path)))
    if extra is not None:
        frames.append(_long_edits(extra, "overrides"))
    return pd.concat([f for f in frames if len(f)], ignore_index=True) if any(
        len(f) for f in frames) else frames[0]


_TEXT_EDITS = ("services", "training_dates")


def _long_edits(df: pd.DataFrame, where: str) -> pd.DataFrame:
    df = df.reset_index() if df.index.name == "customer_id" else df
    if "customer_id" not in df.columns:
        raise ValueError(f"{where}: needs a customer_id column")
    cols = [c for c in df.columns if c in EDITABLE_TARGETS + _TEXT_EDITS]
    if not cols:
        raise ValueError(f"{where}: no editable column; use any of "
                         f"{EDITABLE_TARGETS + _TEXT_EDITS}")
    long = df.melt(id_vars="customer_id", value_vars=cols, var_name="column",
                   value_name="value")
    long = long.loc[long["value"].notna() & (long["value"].astype(str).str.strip() != "")]
    return long[["customer_id", "column", "value"]]


def _apply_overrides(out: pd.DataFrame, edits: pd.DataFrame) -> pd.DataFrame:
    if edits.empty:
        return out
    edits = edits.drop_duplicates(["customer_id", "column"], keep="last")
    unknown = sorted(set(edits["customer_id"].astype(str)) - set(out.index.astype(str)))
    if unknown:
        raise ValueError(
            f"objective overrides name customers that are not key accounts: {unknown[:5]}"
            ". Remove them, or check the customer ids."
        )
    out = out.copy()
    for col in edits["column"].unique():
        e = edits.loc[edits["column"] == col].set_index("customer_id")["value"]
        e.index = e.index.astype("string")
        if col in _TEXT_EDITS:
            out.loc[e.index, col] = e.astype(str).to_numpy()
        else:
            vals = pd.to_numeric(e, errors="coerce")
            if vals.isna().any():
                bad = vals.index[vals.isna()].tolist()[:5]
                raise ValueError(f"objective overrides: {col} must be a number for {bad}")
            if col not in out.columns:
                out[col] = np.nan
            out.loc[vals.index, col] = vals.to_numpy()
        out.loc[e.index, "edited"] = (out.loc[e.index, "edited"] + " " + col).str.strip()
    out["edited"] = out["edited"].str.replace(" ", ", ", regex=False)
    return out
