"""Choosing key customers: every method side by side, explained and tunable.

The first question of key account management is *who* our key customers are, and
*why*. The answer follows the company's current goals (primer §1: the golden-key
programme chose modest wholesalers with good execution over the biggest ones), so the
choice is a set of methods whose every number is a setting:

1. **Concentration** - Pareto table, Lorenz curve, Gini coefficient, "the top x % of
   customers give y %" (:func:`gini`, :func:`lorenz_curve`, :func:`top_share`,
   :func:`pareto_table`, :func:`concentration`).
2. **Customer pyramid** (Curry) - tiers top / big / medium / small / inactive,
   migration between years, the "what if 2 % move up a tier" simulation
   (:func:`assign_tiers`, :func:`pyramid_summary`, :func:`migration_matrix`,
   :func:`simulate_moving_up`).
3. **ABC classes** - A = top 20 % by annual sales, B = growing ≥ 10 % in each of the last
   two years with high cooperation, C = the rest (:func:`abc_classes`).
4. **Weighted scorecard** over three families of indicators (attractiveness, potential,
   relationship), with goal presets and a per-criterion breakdown
   (:data:`CRITERIA`, :data:`GOAL_PRESETS`, :func:`normalise`, :func:`scorecard`).
5. **Fuzzy comprehensive evaluation** as an alternative scoring
   (:func:`fuzzy_membership`, :func:`fuzzy_evaluation`).
6. **Profitability** - profit after discounts, rebates and cost to serve
   (:mod:`kamlib.costing`), the whale curve, the Shapiro matrix, the now-vs-future
   matrix (:func:`profitability`, :func:`whale_curve`, :func:`shapiro_quadrants`,
   :func:`now_future_quadrants`).
7. **Lifetime value** with retention, discount rate and the timing convention stated
   (:func:`lifetime_value`).
8. **Portfolio matrix** (Fiocca; Millman & Wilson) - attractiveness × relationship
   strength → an action (:func:`portfolio_actions`).
9. **The key-account list** - :func:`key_accounts` combines them into one decision
   table with reasons in words; :func:`disagreements` shows where methods differ.

The small functions take plain Series/DataFrames (so that tests can pin them to
hand-computed answers); the ``kd``-level functions (:func:`customer_facts`,
:func:`key_accounts`, ...) take a :class:`kamlib.data.KamData` and the whole
:class:`kamlib.settings.Settings` (they use ``s.period.analysis_year`` and
``s.selection``).

**The boundary rule** (ABC class A and pyramid tiers). Customers are ranked by the
measure, largest first; a customer (or a block of tied customers) occupies a stretch of
the cumulative share, from *start* (share of the customers - or of the value - strictly
ahead of it) to *end* (including it). With ``boundary = "include"`` (default) a customer
whose stretch *crosses* a cut belongs to the upper class: it is in the class when its
start is below the cut. With ``"exclude"`` only customers entirely inside the cut are:
its end must be at or below the cut. Tied customers always share one class. Customers
with zero or negative value in the year are *inactive*: no tier above ``inactive``,
class C.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kamlib import costing, measures
from kamlib.costing import CostingSettings
from kamlib.errors import SettingsError
from kamlib.formatting import texts as _texts
from kamlib.memo import TableMemo

EPS = 1e-9
"""Tolerance for comparing shares with cuts (0.1 + 0.2 is not 0.3 in floating point)."""

TIERS = ("top", "big", "medium", "small")
"""Pyramid tiers of active customers, from the top (Curry's gold/silver/iron/lead)."""
TIER_ORDER = TIERS + ("inactive",)
CLASSES = ("A", "B", "C")
FAMILIES = ("attractiveness", "potential", "relationship")

PROFITABILITY_QUADRANTS = ("best", "invest", "keep", "worst")
"""Now × future profitability: best (high/high), invest (low now, high future), keep
(high now, low future), worst (low/low)."""

SHAPIRO_QUADRANTS = ("carriage trade", "passive", "bargain basement", "aggressive")
"""Shapiro et al. (1987): high price/high cost, high price/low cost, low price/low
cost, low price/high cost."""

PORTFOLIO_ACTIONS = ("invest for growth", "invest selectively", "maintain",
                     "manage for cash", "withdraw")

# ----------------------------------------------------------------------------- criteria


@dataclass(frozen=True)
class Criterion:
    """One criterion of the scorecard.

    ``family``: attractiveness, potential or relationship (primer §1); ``direction``:
    +1 more is better, -1 less is better; ``kind``: ``"data"`` (a measured quantity,
    normalised by rank or min-max), ``"score"`` (an assessment 1-5, mapped to
    (x - 1) / 4), ``"share"`` (already 0-1, used as is); ``unit`` and ``meaning`` say
    what the raw value is.
    """

    family: str
    label: str
    direction: int
    kind: str
    unit: str
    meaning: str


CRITERIA: dict[str, Criterion] = {
    # attractiveness: value and price compared with other customers, purchasing rules,
    # preferences, closeness to the players of the market we aim at
    "discount_depth": Criterion(
        "attractiveness", "discount depth", -1, "data", "share of list revenue",
        "(on-invoice discounts + rebates) / list revenue: how much of the list price "
        "the customer gives up; less is better"),
    "profit_margin": Criterion(
        "attractiveness", "profit margin", +1, "data", "share of revenue",
        "profit after discounts, rebates and cost to serve / revenue"),
    "cost_to_serve_ratio": Criterion(
        "attractiveness", "cost to serve ratio", -1, "data", "share of revenue",
        "cost to serve / revenue (how it buys: many small orders, complaints, visits); "
        "less is better"),
    "strategic_fit": Criterion(
        "attractiveness", "strategic fit", +1, "score", "assessment 1-5",
        "the account manager's assessment of fit with our strategy and products"),
    "target_industry": Criterion(
        "attractiveness", "target industry", +1, "share", "yes = 1 / no = 0",
        "the customer's industry is one we aim at (scorecard.target_industries)"),
    # potential: sales, profit
    "revenue": Criterion(
        "potential", "revenue", +1, "data", "EUR", "revenue of the analysis year"),
    "profit": Criterion(
        "potential", "profit", +1, "data", "EUR",
        "profit after discounts, rebates and cost to serve, analysis year"),
    "growth": Criterion(
        "potential", "growth", +1, "data", "per year",
        "average yearly growth over the last years (abc.growth_measure, "
        "scorecard.growth_years): (v_Y / v_(Y-n))^(1/n) - 1"),
    "wallet_headroom": Criterion(
        "potential", "wallet headroom", +1, "data", "kg",
        "the customer's estimated use minus what it buys from us (kg we could win)"),
    "growth_potential": Criterion(
        "potential", "growth potential", +1, "score", "assessment 1-5",
        "the account manager's assessment of room for the customer's business to grow"),
    # relationship: its present state and potential
    "share_of_wallet": Criterion(
        "relationship", "share of wallet", +1, "share", "0-1",
        "our kg / the customer's estimated total use (analysis year)"),
    "cooperation": Criterion(
        "relationship", "cooperation", +1, "score", "assessment 1-5",
        "cooperation and loyalty as assessed by the account manager"),
    "information_sharing": Criterion(
        "relationship", "information sharing", +1, "score", "assessment 1-5",
        "shares forecasts, stocks and plans with us"),
    "on_time_in_full": Criterion(
        "relationship", "on time in full", +1, "share", "0-1",
        "share of our delivered order lines that arrived on time and in full"),
    "tenure": Criterion(
        "relationship", "tenure", +1, "data", "years",
        "years since the first order (end of the analysis year - first_order_date)"),
}
"""The scorecard's criteria, by name. Each is computed from the data or taken from the
account manager's assessment (table ``assessments``)."""

GOAL_PRESETS: dict[str, dict[str, float]] = {
    "balanced": {
        "revenue": 3, "profit": 3, "profit_margin": 2, "growth": 2, "wallet_headroom": 1,
        "growth_potential": 1, "discount_depth": 1, "cost_to_serve_ratio": 1,
        "strategic_fit": 1, "share_of_wallet": 1, "cooperation": 2,
        "information_sharing": 1,
    },
    "grow profit": {
        "profit": 4, "profit_margin": 3, "discount_depth": 2, "cost_to_serve_ratio": 2,
        "revenue": 1, "growth": 1, "share_of_wallet": 1, "cooperation": 1,
    },
    "grow volume": {
        "revenue": 3, "growth": 3, "wallet_headroom": 3, "growth_potential": 2,
        "share_of_wallet": 1, "cooperation": 1,
    },
    "build a distribution network": {
        "target_industry": 3, "information_sharing": 3, "cooperation": 3,
        "on_time_in_full": 1, "growth": 2, "strategic_fit": 2, "growth_potential": 1,
        "cost_to_serve_ratio": 1,
    },
}
"""Weight sets for the company's current goal (normalised to sum 1 when used).
Criteria not named weigh 0. "build a distribution network" is the golden-key case of
the primer: execution, information sharing, cooperation and reach, not size."""

GOAL_MEANING = {
    "balanced": "size, profit, growth and relationship all count",
    "grow profit": "profitable customers: margin after cost to serve, price discipline",
    "grow volume": "sales and room to grow: revenue, growth, kg still to win",
    "build a distribution network": "the golden-key case: partners that cooperate, "
    "share information and reach the market, whatever their size",
}




def _one_of(where: str, value: str, allowed) -> None:
    if value not in allowed:
        close = difflib.get_close_matches(str(value), list(allowed), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise SettingsError(f"{where} must be one of {', '.join(map(repr, allowed))}; got "
                   f"{value!r}.{hint}")


def _share(where: str, value: float, *, low_open: bool = False) -> None:
    ok = (0 < value <= 1) if low_open else (0 <= value <= 1)
    if not ok:
        rng = "(0, 1]" if low_open else "[0, 1]"
        raise SettingsError(f"{where} must be a share in {rng} (e.g. 0.2 for 20 %), got {value}")


# ----------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class PyramidSettings:
    """The customer pyramid (Curry): shares of *active* customers per tier.

    ``top_share`` / ``big_share`` / ``medium_share`` / ``small_share``: shares of the
    number of active customers, top first (default 1 / 4 / 15 / 80 %, the sources'
    gold / silver / iron / lead); they must sum to 1 (leave ``small_share`` out and
    small gets the rest). ``measure``: what ranks
    customers (``revenue``, ``gross_margin``, ``volume_kg``, ``profit``); ``boundary``:
    the boundary rule (module docstring); ``move_share``: the share of customers of each
    tier below the top that moves one tier up in :func:`simulate_moving_up` (primer:
    "moving 2 % of customers one level up"); ``move_to``: what a mover becomes, the
    ``mean`` or ``median`` customer of the tier above.
    """

    top_share: float = 0.01
    big_share: float = 0.04
    medium_share: float = 0.15
    small_share: float | None = None
    measure: str = "revenue"
    boundary: str = "include"
    move_share: float = 0.02
    move_to: str = "mean"

    def __post_init__(self) -> None:
        w = "selection.pyramid"
        for name in ("top_share", "big_share", "medium_share"):
            _share(f"{w}.{name}", getattr(self, name))
        upper = self.top_share + self.big_share + self.medium_share
        if self.small_share is None:
            if upper > 1 + 1e-9:
                raise SettingsError(f"{w}: top {self.top_share} + big {self.big_share} + medium "
                           f"{self.medium_share} = {upper:.4g} leaves nothing for small; "
                           "the shares of the tiers must sum to 1")
        else:
            _share(f"{w}.small_share", self.small_share)
            total = upper + self.small_share
            if abs(total - 1.0) > 1e-6:
                raise SettingsError(f"{w}: the tier shares must sum to 1 (100 % of active "
                           f"customers); top {self.top_share} + big {self.big_share} + "
                           f"medium {self.medium_share} + small {self.small_share} = "
                           f"{total:.4g}. Leave small_share out to give small the rest.")
        _one_of(f"{w}.measure", self.measure, ("revenue", "gross_margin", "volume_kg", "profit"))
        _one_of(f"{w}.boundary", self.boundary, ("include", "exclude"))
        _share(f"{w}.move_share", self.move_share)
        _one_of(f"{w}.move_to", self.move_to, ("mean", "median"))

    @property
    def shares(self) -> tuple[float, float, float, float]:
        """Shares of top, big, medium, small (small = the rest when not set)."""
        small = (max(0.0, 1.0 - self.top_share - self.big_share - self.medium_share)
                 if self.small_share is None else self.small_share)
        return (self.top_share, self.big_share, self.medium_share, small)

    @property
    def cuts(self) -> np.ndarray:
        """Cumulative shares at the bottom of each tier (last = 1)."""
        c = np.cumsum(self.shares)
        c[-1] = 1.0
        return c


@dataclass(frozen=True)
class AbcSettings:
    """ABC classes (one of the primer's sources).

    A: ``top_share`` of active customers by annual sales (``measure`` of the analysis
    year; ``basis = "customers"``: the top 20 % *of the customers*; ``"value"``: the
    customers that together make the first 20 % *of the sales*), with the boundary rule
    ``boundary``. B: not A, and ``growth_measure`` (``volume_kg`` or ``revenue``) grew
    by at least ``growth_min`` in *each* of the last ``growth_years`` years, and the
    ``loyalty_criterion`` assessment of the analysis year (else the year before) is at
    least ``loyalty_min``. C: the rest. A customer with fewer than ``growth_years`` + 1
    years of purchases, or without an assessment, cannot be B.
    """

    top_share: float = 0.20
    basis: str = "customers"
    boundary: str = "include"
    measure: str = "revenue"
    growth_min: float = 0.10
    growth_years: int = 2
    growth_measure: str = "volume_kg"
    loyalty_criterion: str = "cooperation"
    loyalty_min: float = 4.0

    def __post_init__(self) -> None:
        w = "selection.abc"
        _share(f"{w}.top_share", self.top_share)
        _one_of(f"{w}.basis", self.basis, ("customers", "value"))
        _one_of(f"{w}.boundary", self.boundary, ("include", "exclude"))
        _one_of(f"{w}.measure", self.measure, ("revenue", "gross_margin", "volume_kg"))
        if not -1 < self.growth_min < 10:
            raise SettingsError(f"{w}.growth_min is a yearly growth rate (0.10 = +10 %), got "
                       f"{self.growth_min}")
        if not 1 <= self.growth_years <= 10:
            raise SettingsError(f"{w}.growth_years must be between 1 and 10, got {self.growth_years}")
        _one_of(f"{w}.growth_measure", self.growth_measure, ("volume_kg", "revenue"))
        _one_of(f"{w}.loyalty_criterion", self.loyalty_criterion,
                ("cooperation", "information_sharing", "strategic_fit", "growth_potential"))
        if not 1 <= self.loyalty_min <= 5:
            raise SettingsError(f"{w}.loyalty_min is an assessment score 1-5, got {self.loyalty_min}")


@dataclass(frozen=True)
class ScorecardSettings:
    """The weighted scorecard.

    ``goal``: a preset of :data:`GOAL_PRESETS` or ``"custom"``; ``weights``: the
    weight of each criterion of :data:`CRITERIA` when ``goal = "custom"`` (left out =
    0; weights ≥ 0, normalised to sum 1 when used). ``normalisation`` of measured
    criteria: ``"rank"`` (percentile rank among active customers: (rank - 1) /
    (n - 1), ties share their average rank; robust to a few giants) or ``"minmax"``
    ((x - min) / (max - min)); assessments 1-5 map to (x - 1) / 4, shares stay as
    they are. ``missing_value``: the normalised value of a criterion the customer has no
    data for (0 = "no evidence, no points"); ``target_industries``: industries scored 1
    by ``target_industry``; ``growth_years``: years of the ``growth`` criterion.
    """

    goal: str = "balanced"
    weights: dict[str, float] = field(default_factory=dict)
    normalisation: str = "rank"
    missing_value: float = 0.0
    target_industries: tuple[str, ...] = ("distributor",)
    growth_years: int = 2

    def __post_init__(self) -> None:
        w = "selection.scorecard"
        _one_of(f"{w}.goal", self.goal, tuple(GOAL_PRESETS) + ("custom",))
        for k, v in self.weights.items():
            if k not in CRITERIA:
                close = difflib.get_close_matches(k, list(CRITERIA), n=1)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                raise SettingsError(f"{w}.weights: unknown criterion '{k}'.{hint} Criteria: "
                           f"{', '.join(CRITERIA)}.")
            if not v >= 0:
                raise SettingsError(f"{w}.weights['{k}'] must be ≥ 0, got {v}")
        if self.goal == "custom":
            if sum(self.weights.values()) <= 0:
                raise SettingsError(f"{w}: goal = 'custom' needs weights, at least one > 0 (e.g. "
                           "weights = {profit = 2, growth = 1})")
        elif self.weights:
            raise SettingsError(f"{w}: weights are given but goal = '{self.goal}' uses its preset. "
                       "Set goal = 'custom' to use your own weights, or remove them.")
        _one_of(f"{w}.normalisation", self.normalisation, ("rank", "minmax"))
        _share(f"{w}.missing_value", self.missing_value)
        if not 1 <= self.growth_years <= 10:
            raise SettingsError(f"{w}.growth_years must be between 1 and 10")

    @property
    def effective_weights(self) -> dict[str, float]:
        """Weights of every criterion, normalised to sum 1 (0 for those not used)."""
        raw = self.weights if self.goal == "custom" else GOAL_PRESETS[self.goal]
        total = float(sum(raw.values()))
        return {c: float(raw.get(c, 0.0)) / total for c in CRITERIA}


@dataclass(frozen=True)
class FuzzySettings:
    """Fuzzy comprehensive evaluation.

    ``grades``: the evaluation grades, worst first; ``centres``: where each grade is
    fully true on the normalised 0-1 scale of a criterion (increasing; triangular
    membership between neighbouring centres, flat beyond the ends); ``values``: the
    points of each grade (0-100) for the fuzzy score; ``operator``:
    ``"weighted_average"`` (M(·, ⊕): b_k = Σ_i w_i r_ik, every criterion counts) or
    ``"max_min"`` (Zadeh's M(∧, ∨): b_k = max_i min(w_i, r_ik), the dominant criteria
    decide); ``key_grades``: grades that make a customer key in the fuzzy view.
    """

    grades: tuple[str, ...] = ("poor", "fair", "good", "excellent")
    centres: tuple[float, ...] = (0.125, 0.375, 0.625, 0.875)
    values: tuple[float, ...] = (25.0, 50.0, 75.0, 100.0)
    operator: str = "weighted_average"
    key_grades: tuple[str, ...] = ("excellent",)

    def __post_init__(self) -> None:
        w = "selection.fuzzy"
        k = len(self.grades)
        if k < 2 or len(set(self.grades)) != k:
            raise SettingsError(f"{w}.grades: give at least two different grades, worst first")
        if len(self.centres) != k or len(self.values) != k:
            raise SettingsError(f"{w}: grades, centres and values must have the same length "
                       f"({k} grades, {len(self.centres)} centres, {len(self.values)} values)")
        c = np.asarray(self.centres, dtype=float)
        if np.any(np.diff(c) <= 0) or c[0] < 0 or c[-1] > 1:
            raise SettingsError(f"{w}.centres must increase strictly within [0, 1], got {self.centres}")
        _one_of(f"{w}.operator", self.operator, ("weighted_average", "max_min"))
        for g in self.key_grades:
            _one_of(f"{w}.key_grades", g, self.grades)


@dataclass(frozen=True)
class ProfitabilitySettings:
    """Profitability views.

    Now vs future: a customer's profitability is *high now* when its profit is at least
    ``now_threshold`` (EUR; ``None`` = the median profit of active customers). Its
    expected profit in ``horizon_years`` is profit × (1 + trend)^horizon_years +
    headroom_capture × wallet headroom (kg) × gross margin per kg, with trend = the
    yearly revenue growth over ``trend_years``, clipped to ± ``trend_cap``. Its future is
    *high* when that expected profit is at least ``future_threshold`` (``None`` = the
    same bar as now) and - with ``future_must_grow`` - not below today's profit.

    Shapiro matrix: ``price_threshold`` (price realisation = (revenue - rebates) / list
    revenue) and ``cost_threshold`` (cost to serve / revenue) split high from low;
    ``None`` = the median of the customer's ``peer_group``: ``"tier"`` (customers of
    the same pyramid tier: like is compared with like, a big customer with big ones) or
    ``"all"`` active customers.

    ``loss_threshold``: profit (EUR) below which a customer is a loss maker.
    """

    now_threshold: float | None = None
    future_threshold: float | None = None
    future_must_grow: bool = True
    trend_years: int = 2
    trend_cap: float = 0.5
    horizon_years: int = 3
    headroom_capture: float = 0.1
    price_threshold: float | None = None
    cost_threshold: float | None = None
    peer_group: str = "tier"
    loss_threshold: float = 0.0

    def __post_init__(self) -> None:
        w = "selection.profitability"
        if not 1 <= self.trend_years <= 10:
            raise SettingsError(f"{w}.trend_years must be between 1 and 10")
        if not 0 <= self.trend_cap <= 5:
            raise SettingsError(f"{w}.trend_cap must be between 0 and 5 (0.5 = ±50 % a year)")
        if not 0 <= self.horizon_years <= 20:
            raise SettingsError(f"{w}.horizon_years must be between 0 and 20")
        _share(f"{w}.headroom_capture", self.headroom_capture)
        if self.cost_threshold is not None and self.cost_threshold < 0:
            raise SettingsError(f"{w}.cost_threshold is a share of revenue ≥ 0")
        _one_of(f"{w}.peer_group", self.peer_group, ("tier", "all"))


@dataclass(frozen=True)
class LifetimeValueSettings:
    """Customer lifetime value (Gupta & Lehmann).

    ``retention``: probability a customer stays another year; ``discount_rate``: yearly
    cost of capital; ``convention``: ``"end"`` - first margin one year from now, CLV =
    m·r / (1 + d - r) (Gupta & Lehmann's margin multiple) - or ``"start"`` - first
    margin now, CLV = m·(1 + d) / (1 + d - r); ``horizon_years``: ``None`` for the
    infinite-horizon closed form, else the sum over that many years; ``margin``: the
    yearly margin m, ``profit`` (after discounts, rebates and cost to serve) or
    ``gross_margin``. All per year: never mix periods.
    """

    retention: float = 0.90
    discount_rate: float = 0.10
    convention: str = "end"
    horizon_years: int | None = None
    margin: str = "profit"

    def __post_init__(self) -> None:
        w = "selection.lifetime_value"
        if not 0 <= self.retention < 1:
            raise SettingsError(f"{w}.retention must be in [0, 1) (0.9 = 90 % stay each year), "
                       f"got {self.retention}")
        if not 0 <= self.discount_rate < 1:
            raise SettingsError(f"{w}.discount_rate must be in [0, 1) (0.1 = 10 % a year)")
        _one_of(f"{w}.convention", self.convention, ("end", "start"))
        if self.horizon_years is not None and not 1 <= self.horizon_years <= 100:
            raise SettingsError(f"{w}.horizon_years must be between 1 and 100, or left out")
        _one_of(f"{w}.margin", self.margin, ("profit", "gross_margin"))


DEFAULT_PORTFOLIO_GRID: dict[str, str] = {
    # "<attractiveness>-<relationship>": action
    "high-high": "invest for growth",
    "high-medium": "invest for growth",
    "high-low": "invest selectively",
    "medium-high": "maintain",
    "medium-medium": "invest selectively",
    "medium-low": "manage for cash",
    "low-high": "manage for cash",
    "low-medium": "manage for cash",
    "low-low": "withdraw",
}


@dataclass(frozen=True)
class PortfolioSettings:
    """Portfolio matrix (Fiocca 1982; Millman & Wilson).

    Customer attractiveness (score of the attractiveness and potential criteria) ×
    relationship strength (score of the relationship criteria), both 0-100, cut into
    low / medium / high at ``low_cut`` and ``high_cut``; ``grid`` maps
    ``"<attractiveness>-<relationship>"`` to an action of :data:`PORTFOLIO_ACTIONS`.
    """

    low_cut: float = 100 / 3
    high_cut: float = 200 / 3
    grid: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PORTFOLIO_GRID))

    def __post_init__(self) -> None:
        w = "selection.portfolio"
        if not 0 <= self.low_cut < self.high_cut <= 100:
            raise SettingsError(f"{w}: need 0 ≤ low_cut < high_cut ≤ 100, got {self.low_cut}, "
                       f"{self.high_cut}")
        for k, v in self.grid.items():
            _one_of(f"{w}.grid key", k, tuple(DEFAULT_PORTFOLIO_GRID))
            _one_of(f"{w}.grid['{k}']", v, PORTFOLIO_ACTIONS)

    @property
    def full_grid(self) -> dict[str, str]:
        return {**DEFAULT_PORTFOLIO_GRID, **self.grid}


KEY_RULES = ("abc", "abc_and_score", "score_min", "score_top_n")


@dataclass(frozen=True)
class KeyOverride:
    """A decision taken by people over the rule for one customer (a workshop's list
    override): ``key`` - the customer is key (True) or not (False) whatever the rule
    says; ``reason`` - why, in the room's words (required: a list a sales team must
    defend cannot hold unexplained exceptions)."""

    key: bool
    reason: str

    def __post_init__(self) -> None:
        if not isinstance(self.key, bool):
            raise SettingsError(f"a key-account override needs key = true or false, got "
                                f"{self.key!r}")
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise SettingsError("a key-account override needs a reason (why the room "
                                "decided against the rule), e.g. reason = \"strategic "
                                "partner for the new feed plant\"")


@dataclass(frozen=True)
class KeyAccountSettings:
    """Which customers are key.

    ``rule``:

    - ``"abc_and_score"`` (default): class in ``key_classes``, and for the classes in
      ``confirm_classes`` also score ≥ ``min_score``. By default class B (growing,
      cooperative: the future) is key by its class, while class A (size) must be
      confirmed by the goal-driven score: the biggest customer is not automatically key;
    - ``"abc"``: class in ``key_classes``;
    - ``"score_min"``: score ≥ ``min_score``;
    - ``"score_top_n"``: the ``top_n`` best scores.

    ``loss_makers``: customers with profit below ``profitability.loss_threshold`` are
    ``"exclude"``-d (not key, with the reason), ``"flag"``-ged (key if the rule says
    so, the reason warns) or ``"include"``-d silently.

    ``overrides``: {customer id: :class:`KeyOverride`} - the list decisions people took
    over the rule (a workshop's decisions file, :mod:`kamlib.decisions`); they win over
    the rule and the loss-maker policy, and the reason leads the customer's reasons.
    """

    rule: str = "abc_and_score"
    key_classes: tuple[str, ...] = ("A", "B")
    confirm_classes: tuple[str, ...] = ("A",)
    min_score: float = 60.0
    top_n: int = 40
    loss_makers: str = "exclude"
    overrides: dict[str, KeyOverride] = field(default_factory=dict)

    def __post_init__(self) -> None:
        w = "selection.key_accounts"
        _one_of(f"{w}.rule", self.rule, KEY_RULES)
        for c in self.key_classes:
            _one_of(f"{w}.key_classes", c, CLASSES)
        for c in self.confirm_classes:
            _one_of(f"{w}.confirm_classes", c, CLASSES)
        if not 0 <= self.min_score <= 100:
            raise SettingsError(f"{w}.min_score is a score 0-100, got {self.min_score}")
        if self.top_n < 0:
            raise SettingsError(f"{w}.top_n must be ≥ 0")
        _one_of(f"{w}.loss_makers", self.loss_makers, ("exclude", "flag", "include"))
        for cid, o in self.overrides.items():
            if not isinstance(o, KeyOverride):
                raise SettingsError(f"{w}.overrides.{cid} must be a table with key and "
                                    f"reason, got {o!r}")


@dataclass(frozen=True)
class SelectionSettings:
    """All settings of key-customer selection (section ``[selection]``)."""

    pyramid: PyramidSettings = field(default_factory=PyramidSettings)
    abc: AbcSettings = field(default_factory=AbcSettings)
    scorecard: ScorecardSettings = field(default_factory=ScorecardSettings)
    fuzzy: FuzzySettings = field(default_factory=FuzzySettings)
    cost_to_serve: CostingSettings = field(default_factory=CostingSettings)
    profitability: ProfitabilitySettings = field(default_factory=ProfitabilitySettings)
    lifetime_value: LifetimeValueSettings = field(default_factory=LifetimeValueSettings)
    portfolio: PortfolioSettings = field(default_factory=PortfolioSettings)
    key_accounts: KeyAccountSettings = field(default_factory=KeyAccountSettings)


def goal_weights(goal: str | None = None) -> pd.DataFrame:
    """The weight presets as a table: criteria × goals (normalised to sum 1 per goal),
    with the criterion's ``family``. ``goal`` picks one column."""
    cols = {g: ScorecardSettings(goal=g).effective_weights for g in GOAL_PRESETS}
    out = pd.DataFrame(cols)
    out.index.name = "criterion"
    out.insert(0, "family", [CRITERIA[c].family for c in out.index])
    if goal is not None:
        _one_of("goal", goal, tuple(GOAL_PRESETS))
        return out[["family", goal]]
    return out


def with_goal(s, goal: str, weights: dict[str, float] | None = None):
    """A copy of settings ``s`` (Settings or SelectionSettings) with another goal; pass
    ``weights`` for ``goal = "custom"``."""
    import dataclasses

    sel = getattr(s, "selection", s)
    sc = dataclasses.replace(sel.scorecard, goal=goal,
                             weights=dict(weights or {}) if goal == "custom" else {})
    sel = dataclasses.replace(sel, scorecard=sc)
    return dataclasses.replace(s, selection=sel) if hasattr(s, "selection") else sel


# ============================================================================ 1. concentration


def _values(values) -> pd.Series:
    s = pd.Series(values, dtype="float64") if not isinstance(values, pd.Series) else values
    return s.astype("float64")


def gini(values) -> float:
    """Gini coefficient of non-negative values (0 = all equal, → 1 = one has all).

    G = Σ_i (2i - n - 1) x_(i) / (n Σ x), x sorted ascending, i = 1..n (Gini 1912; this
    form e.g. in Damgaard & Weiner, *Ecology* 81, 2000). A single customer gives 0.
    Raises ``ValueError`` for negative values (the Gini of gains and losses is not a
    share); NaN when there are no values or they sum to 0.
    """
    x = np.sort(_values(values).dropna().to_numpy())
    if (x < 0).any():
        raise ValueError("gini: values must be ≥ 0 (use customers with positive revenue or "
                         "margin; losses belong on the whale curve)")
    n = len(x)
    total = x.sum()
    if n == 0 or total <= 0:
        return float("nan")
    i = np.arange(1, n + 1)
    return float(((2 * i - n - 1) * x).sum() / (n * total))


def lorenz_curve(values) -> pd.DataFrame:
    """The Lorenz curve: customers sorted from the smallest, cumulative shares.

    Columns ``customer_share`` (k/n) and ``value_share`` (sum of the k smallest /
    total), starting at (0, 0), ending at (1, 1). The Gini coefficient is twice the
    area between the diagonal and this curve (Lorenz 1905).
    """
    x = np.sort(_values(values).dropna().to_numpy())
    n, total = len(x), x.sum()
    cs = np.concatenate([[0.0], np.cumsum(x)])
    vs = cs / total if total != 0 else np.full(n + 1, np.nan)
    return pd.DataFrame({"customer_share": np.arange(n + 1) / max(n, 1), "value_share": vs})


def concentration_curve(values) -> pd.DataFrame:
    """The Pareto (concentration) curve: customers from the *largest*, cumulative shares.

    Columns ``customer_share`` (k/n) and ``value_share`` (sum of the k largest / total),
    from (0, 0) to (1, 1).
    """
    x = -np.sort(-_values(values).dropna().to_numpy())
    n, total = len(x), x.sum()
    cs = np.concatenate([[0.0], np.cumsum(x)])
    vs = cs / total if total != 0 else np.full(n + 1, np.nan)
    return pd.DataFrame({"customer_share": np.arange(n + 1) / max(n, 1), "value_share": vs})


def top_share(values, top: float) -> float:
    """Share of the total that the top ``top`` (0-1) of customers give.

    Read off the concentration curve, linear between customers: with 4 customers of
    40, 30, 20, 10 the top 25 % give 40 %, the top 30 % give 46 %. Pareto's "80/20".
    """
    if not 0 <= top <= 1:
        raise ValueError(f"top must be a share in [0, 1], got {top}")
    c = concentration_curve(values)
    if len(c) < 2:
        return float("nan")
    return float(np.interp(top, c["customer_share"], c["value_share"]))


def customers_for_share(values, share: float) -> int:
    """How many of the largest customers it takes to reach ``share`` of the total."""
    c = concentration_curve(values)
    hit = np.flatnonzero(c["value_share"].to_numpy() >= share - EPS)
    return int(hit[0]) if len(hit) else len(c) - 1


def pareto_table(values: pd.Series) -> pd.DataFrame:
    """The Pareto table: customers from the largest down.

    Index ``customer_id``; columns ``rank`` (1 = largest; ties get the same, smallest
    rank), ``value``, ``share`` (of the total), ``cumulative_share`` (of the total, down
    to and including this customer), ``customer_share`` (rank / n: the share of
    customers down to this one). Customers with NaN are left out.
    """
    v = _values(values).dropna().sort_values(ascending=False, kind="stable")
    total = v.sum()
    n = len(v)
    out = pd.DataFrame({"rank": v.rank(ascending=False, method="min").astype("int64"),
                        "value": v})
    out["share"] = v / total if total != 0 else np.nan
    out["cumulative_share"] = v.cumsum() / total if total != 0 else np.nan
    out["customer_share"] = np.arange(1, n + 1) / n if n else []
    out.index.name = values.index.name or "customer_id"
    return out


def concentration(per_customer: pd.DataFrame,
                  columns=("volume_kg", "revenue", "gross_margin"),
                  tops=(0.01, 0.05, 0.1, 0.2, 0.5)) -> pd.DataFrame:
    """Concentration of each measure over the customers with a *positive* value.

    Index: the measures. Columns ``customers`` (with value > 0), ``excluded`` (zero or
    negative: inactive customers, losses), ``total`` (of the positive values),
    ``gini``, ``top_<p>pct`` (share the top p % give, see :func:`top_share`),
    ``customers_for_50pct`` and ``customers_for_80pct`` (how many of the largest make
    half / 80 % of the total). A measure the table does not have (``gross_margin``
    of :func:`customer_values` on data without costs) has no row.
    """
    rows = {}
    for col in [c for c in columns if c in per_customer]:
        v = per_customer[col].astype(float)
        pos = v[v > 0]
        row = {"customers": len(pos), "excluded": int((v <= 0).sum() + v.isna().sum()),
               "total": float(pos.sum()), "gini": gini(pos)}
        for t in tops:
            row[f"top_{round(t * 100):g}pct"] = top_share(pos, t) if len(pos) else np.nan
        row["customers_for_50pct"] = customers_for_share(pos, 0.5) if len(pos) else 0
        row["customers_for_80pct"] = customers_for_share(pos, 0.8) if len(pos) else 0
        rows[col] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    for c in ("customers", "excluded", "customers_for_50pct", "customers_for_80pct"):
        out[c] = out[c].astype("int64")
    out.index.name = "measure"
    return out


# ============================================================================ boundary rule


def cumulative_position(values: pd.Series, basis: str = "customers") -> pd.DataFrame:
    """Where each customer sits in the ranking: the stretch of cumulative share it occupies.

    Only positive values are ranked (others get NaN). Columns ``start`` (share of the
    customers - ``basis="customers"`` - or of the total value - ``basis="value"`` -
    strictly ahead of it) and ``end`` (including it and every customer tied with it).
    Tied customers share start and end.
    """
    v = _values(values)
    pos = v[v > 0]
    if basis == "customers":
        block = pos.groupby(pos).size().astype(float)
        total = float(len(pos))
    elif basis == "value":
        block = pos.groupby(pos).sum()
        total = float(pos.sum())
    else:
        raise ValueError(f"basis must be 'customers' or 'value', got {basis!r}")
    block = block.sort_index(ascending=False)
    end = block.cumsum()
    start = end - block
    out = pd.DataFrame(index=v.index)
    out["start"] = np.nan
    out["end"] = np.nan
    if total > 0:
        out.loc[pos.index, "start"] = start.reindex(pos.to_numpy()).to_numpy() / total
        out.loc[pos.index, "end"] = end.reindex(pos.to_numpy()).to_numpy() / total
    return out


def cut_classes(values: pd.Series, cuts, labels, *, basis: str = "customers",
                boundary: str = "include", below: str = "inactive") -> pd.Series:
    """Cut ranked customers into classes at cumulative shares ``cuts`` (increasing,
    last = 1), labelled ``labels`` (top first); zero/negative/NaN values get ``below``.

    The boundary rule (module docstring): ``include`` - a customer whose stretch
    crosses a cut belongs to the class above (start < cut); ``exclude`` - only
    customers entirely within (end ≤ cut). Ties share a class.
    """
    cuts = np.asarray(cuts, dtype=float)
    if len(cuts) != len(labels):
        raise ValueError("cut_classes: one label per cut")
    pos = cumulative_position(values, basis)
    lab = np.asarray(list(labels) + [labels[-1]], dtype=object)
    out = pd.Series(below, index=pos.index, dtype=object)
    ok = pos["start"].notna().to_numpy()
    if boundary == "include":
        k = np.searchsorted(cuts - EPS, pos["start"].to_numpy()[ok], side="right")
    elif boundary == "exclude":
        k = np.searchsorted(cuts + EPS, pos["end"].to_numpy()[ok], side="left")
    else:
        raise ValueError(f"boundary must be 'include' or 'exclude', got {boundary!r}")
    out.iloc[np.flatnonzero(ok)] = lab[np.minimum(k, len(labels) - 1)]
    return out


# ============================================================================ 2. pyramid


def assign_tiers(values: pd.Series, ps: PyramidSettings | None = None) -> pd.Series:
    """Pyramid tier of each customer: top / big / medium / small by its share of the
    *number* of active customers (value > 0), ``inactive`` otherwise. Curry's
    customer pyramid with the shares of ``ps`` and its boundary rule."""
    ps = ps or PyramidSettings()
    return cut_classes(values, ps.cuts, TIERS, basis="customers", boundary=ps.boundary,
                       below="inactive").rename("pyramid_tier")


def pyramid_summary(table: pd.DataFrame, tier: str = "pyramid_tier",
                    columns=("revenue", "profit")) -> pd.DataFrame:
    """Counts and totals per tier. Index the tiers top → inactive; columns
    ``customers``, ``customer_share`` (of active customers; inactive: of all), and for
    each of ``columns``: the total and ``<col>_share`` (of the total over all tiers)."""
    g = table.groupby(tier, observed=True)
    out = pd.DataFrame({"customers": g.size()}).reindex(list(TIER_ORDER)).fillna(0)
    out["customers"] = out["customers"].astype("int64")
    active = out.loc[list(TIERS), "customers"].sum()
    out["customer_share"] = np.divide(out["customers"].to_numpy(float), float(active),
                                      out=np.full(len(out), np.nan), where=active > 0)
    out.loc["inactive", "customer_share"] = (out.loc["inactive", "customers"] / len(table)
                                             if len(table) else np.nan)
    for c in columns:
        if c not in table.columns:
            continue
        tot = g[c].sum().reindex(list(TIER_ORDER)).fillna(0.0)
        out[c] = tot
        s = tot.sum()
        out[f"{c}_share"] = tot / s if s != 0 else np.nan
    out.index.name = "pyramid_tier"
    return out


def migration_matrix(tier_from: pd.Series, tier_to: pd.Series) -> pd.DataFrame:
    """Moves between pyramid tiers: rows = tier in the first year, columns = tier in the
    second, cells = number of customers (all tiers, inactive included, in pyramid
    order). Customers missing from one of the two are counted as inactive there."""
    idx = tier_from.index.union(tier_to.index)
    a = tier_from.reindex(idx).fillna("inactive")
    b = tier_to.reindex(idx).fillna("inactive")
    m = pd.crosstab(pd.Categorical(a, categories=TIER_ORDER),
                    pd.Categorical(b, categories=TIER_ORDER), dropna=False)
    m = m.reindex(index=list(TIER_ORDER), columns=list(TIER_ORDER), fill_value=0)
    m.index.name = "from"
    m.columns.name = "to"
    return m.astype("int64")


def migration_summary(matrix: pd.DataFrame) -> dict[str, int]:
    """Counts of ``up``, ``down``, ``same`` (active in both, same tier), ``new``
    (inactive → active), ``lost`` (active → inactive) from :func:`migration_matrix`."""
    m = matrix.to_numpy()
    k = len(TIERS)
    act = m[:k, :k]
    return {
        "up": int(np.tril(act, -1).sum()),
        "down": int(np.triu(act, 1).sum()),
        "same": int(np.trace(act)),
        "new": int(m[k, :k].sum()),
        "lost": int(m[:k, k].sum()),
    }


def _largest_remainder(quotas: np.ndarray, total: int) -> np.ndarray:
    """Whole numbers summing to ``total`` close to ``quotas`` (Hamilton's method)."""
    base = np.floor(quotas + EPS).astype(int)
    left = int(total - base.sum())
    if left > 0:
        frac = quotas - base
        order = np.argsort(-frac, kind="stable")[:left]
        base[order] += 1
    return base


def simulate_moving_up(table: pd.DataFrame, ps: PyramidSettings | None = None,
                       *, tier: str = "pyramid_tier", value: str = "revenue",
                       profit: str = "profit") -> pd.DataFrame:
    """What if ``ps.move_share`` of the customers below the top move one tier up?

    Movers: round(move_share × active customers below the top), spread over the tiers
    in proportion to their size (largest remainder), taking in each tier the customers
    with the largest ``value`` (the nearest to the tier above). A mover's revenue
    becomes the ``move_to`` (mean or median) revenue of the tier above, its profit that
    revenue × the tier above's profit margin (its total profit / total revenue).
    Primer: "moving 2 % of customers one level up can mean +10 % revenue and +50 %
    profit" (Curry).

    Index: the tiers top → small and ``total``. Columns ``customers``, ``movers`` (out
    of the tier), ``revenue_before``, ``revenue_after``, ``profit_before``,
    ``profit_after`` (EUR; movers counted in the tier they reach; NaN when the data has
    no profit, e.g. an export without costs).
    """
    ps = ps or PyramidSettings()
    t = table.loc[table[tier].isin(TIERS), [tier, value, profit]].copy()
    counts = t[tier].value_counts().reindex(list(TIERS), fill_value=0)
    below = list(TIERS[1:])
    quotas = ps.move_share * counts[below].to_numpy(float)
    n_move = int(np.floor(ps.move_share * counts[below].sum() + 0.5))
    movers_per = pd.Series(_largest_remainder(quotas, n_move), index=below)
    agg = "mean" if ps.move_to == "mean" else "median"
    typical = t.groupby(tier)[value].agg(agg).reindex(list(TIERS))
    sums = t.groupby(tier)[[value, profit]].sum().reindex(list(TIERS)).fillna(0.0)
    margin = np.divide(sums[profit].to_numpy(), sums[value].to_numpy(),
                       out=np.zeros(len(sums)), where=sums[value].to_numpy() != 0)
    margin = pd.Series(margin, index=list(TIERS))
    t["_rank"] = t.groupby(tier)[value].rank(ascending=False, method="first")
    t["_moves"] = t["_rank"] <= t[tier].map(movers_per).fillna(0).to_numpy()
    up = dict(zip(TIERS[1:], TIERS[:-1]))
    t["_to"] = np.where(t["_moves"], t[tier].map(up).fillna(t[tier]), t[tier])
    new_val = t["_to"].map(typical).astype(float)
    new_prof = new_val * t["_to"].map(margin).astype(float)
    t["_value_after"] = np.where(t["_moves"], new_val, t[value])
    t["_profit_after"] = np.where(t["_moves"], new_prof, t[profit])
    out = pd.DataFrame(index=pd.Index(list(TIERS), name=tier))
    out["customers"] = counts
    out["movers"] = movers_per.reindex(list(TIERS), fill_value=0)
    out["revenue_before"] = sums[value]
    out["revenue_after"] = t.groupby("_to")["_value_after"].sum().reindex(list(TIERS)).fillna(0.0)
    out["profit_before"] = sums[profit]
    out["profit_after"] = t.groupby("_to")["_profit_after"].sum().reindex(list(TIERS)).fillna(0.0)
    out.loc["total"] = out.sum()
    out[["customers", "movers"]] = out[["customers", "movers"]].astype("int64")
    if len(t) and t[profit].isna().all():  # no cost data: the profit is unknown, not 0
        out[["profit_before", "profit_after"]] = np.nan
    return out


# ============================================================================ 3. ABC


def growth_rates(yearly: pd.DataFrame, year: int, n_years: int) -> pd.DataFrame:
    """Year-over-year growth for the ``n_years`` years ending with ``year``.

    ``yearly``: customers × calendar years (0 where nothing was bought). Columns
    ``growth_<y>`` = v_y / v_(y-1) - 1 for y = year - n_years + 1 .. year; NaN where
    v_(y-1) ≤ 0 (growth from nothing is not a rate).
    """
    cols = {}
    for y in range(year - n_years + 1, year + 1):
        cur = yearly[y] if y in yearly.columns else pd.Series(0.0, index=yearly.index)
        prev = yearly[y - 1] if (y - 1) in yearly.columns else pd.Series(0.0, index=yearly.index)
        p = prev.to_numpy(float)
        cols[f"growth_{y}"] = np.divide(cur.to_numpy(float) - p, p,
                                        out=np.full(len(p), np.nan), where=p > 0)
    return pd.DataFrame(cols, index=yearly.index)


def average_growth(yearly: pd.DataFrame, year: int, n_years: int) -> pd.Series:
    """Average yearly growth (v_year / v_(year-n))^(1/n) - 1; NaN where v_(year-n) ≤ 0
    or v_year < 0 (compound annual growth rate)."""
    cur = (yearly[year] if year in yearly.columns else pd.Series(0.0, index=yearly.index))
    base = (yearly[year - n_years] if (year - n_years) in yearly.columns
            else pd.Series(0.0, index=yearly.index))
    c, b = cur.to_numpy(float), base.to_numpy(float)
    ok = (b > 0) & (c >= 0)
    ratio = np.divide(c, b, out=np.full(len(b), np.nan), where=ok)
    with np.errstate(invalid="ignore"):
        out = np.where(ok, np.power(ratio, 1.0 / n_years, where=ok, out=np.ones_like(ratio)) - 1,
                       np.nan)
    return pd.Series(out, index=yearly.index, name="growth")


def abc_classes(sales: pd.Series, growth: pd.DataFrame, loyalty: pd.Series,
                abc: AbcSettings | None = None) -> pd.DataFrame:
    """ABC classes (primer §1).

    ``sales``: annual sales per customer (the ``abc.measure`` of the analysis year);
    ``growth``: the yearly growth columns of :func:`growth_rates` (last
    ``abc.growth_years`` years); ``loyalty``: the assessment score (1-5) of
    cooperation/loyalty.

    A = the top ``top_share`` by sales (basis and boundary rule of ``abc``); B = not A,
    active, growth ≥ growth_min in *every* growth column (NaN fails: a customer with one
    year of history is never B) and loyalty ≥ loyalty_min (missing fails); C = the rest.

    Index as ``sales``; columns ``abc_class``, ``is_top`` (bool), ``is_growing`` (bool),
    ``is_loyal`` (bool), ``sales_start`` / ``sales_end`` (the customer's stretch of the
    cumulative share, see :func:`cumulative_position`).
    """
    abc = abc or AbcSettings()
    idx = sales.index
    top = cut_classes(sales, [abc.top_share, 1.0], ["A", "rest"], basis=abc.basis,
                      boundary=abc.boundary, below="inactive")
    is_top = top.eq("A").to_numpy()
    active = (_values(sales) > 0).to_numpy()
    g = growth.reindex(idx)
    if g.shape[1] == 0:
        growing = np.zeros(len(idx), dtype=bool)
    else:
        ga = g.to_numpy(float)
        with np.errstate(invalid="ignore"):
            growing = np.all(np.nan_to_num(ga, nan=-np.inf) >= abc.growth_min - EPS, axis=1)
    loy = loyalty.reindex(idx).to_numpy(float)
    with np.errstate(invalid="ignore"):
        loyal = np.nan_to_num(loy, nan=-np.inf) >= abc.loyalty_min - EPS
    cls = np.where(is_top, "A", np.where(active & growing & loyal, "B", "C"))
    pos = cumulative_position(sales, abc.basis)
    return pd.DataFrame({"abc_class": cls, "is_top": is_top, "is_growing": growing,
                         "is_loyal": loyal, "sales_start": pos["start"].to_numpy(),
                         "sales_end": pos["end"].to_numpy()}, index=idx)


# ============================================================================ 4. scorecard


def normalise(raw: pd.DataFrame, sc: ScorecardSettings | None = None,
              universe: pd.Series | None = None) -> pd.DataFrame:
    """Put every criterion on 0-1 (1 = best), as the scorecard uses it.

    ``raw``: customers × criteria (names of :data:`CRITERIA`), raw values. ``universe``:
    a boolean Series (default: all rows) - the customers the ranks and ranges are taken
    over (the active ones); the others are normalised against them too.

    - ``data`` criteria: ``rank`` → (r - 1) / (n - 1), r the average rank among the
      universe's non-missing values (n = 1 → 0.5; outside the universe: the share of
      the universe at or below the value, interpolated); ``minmax`` → (x - min) /
      (max - min), clipped to [0, 1] (max = min → 0.5);
    - ``score`` criteria (assessments 1-5) → (x - 1) / 4;
    - ``share`` criteria (0-1) → as they are, clipped to [0, 1];
    - then ``direction = -1`` criteria are turned round (1 - x);
    - missing values → ``missing_value``.
    """
    sc = sc or ScorecardSettings()
    uni = (pd.Series(True, index=raw.index) if universe is None
           else universe.reindex(raw.index).fillna(False).astype(bool))
    out = pd.DataFrame(index=raw.index)
    u_mask = uni.to_numpy()
    for name in raw.columns:
        crit = CRITERIA[name]
        x = raw[name].astype(float).to_numpy()
        if crit.kind == "score":
            y = np.clip((x - 1.0) / 4.0, 0.0, 1.0)
        elif crit.kind == "share":
            y = np.clip(x, 0.0, 1.0)
        elif sc.normalisation == "minmax":
            ref = x[u_mask & ~np.isnan(x)]
            if len(ref) == 0:
                y = np.full(len(x), np.nan)
            else:
                lo, hi = ref.min(), ref.max()
                y = (np.full(len(x), 0.5) if hi - lo <= 0
                     else np.clip((x - lo) / (hi - lo), 0.0, 1.0))
                y = np.where(np.isnan(x), np.nan, y)
        else:
            y = _rank_scale(x, u_mask)
        if crit.direction < 0:
            y = 1.0 - y
        out[name] = np.where(np.isnan(y), sc.missing_value, y)
    return out


def _rank_scale(x: np.ndarray, universe: np.ndarray) -> np.ndarray:
    """(average rank - 1) / (n - 1) within the universe; others interpolated."""
    y = np.full(len(x), np.nan)
    inside = universe & ~np.isnan(x)
    ref = x[inside]
    n = len(ref)
    if n == 0:
        return y
    if n == 1:
        y[inside] = 0.5
        rest = ~inside & ~np.isnan(x)
        y[rest] = np.where(x[rest] > ref[0], 1.0, np.where(x[rest] < ref[0], 0.0, 0.5))
        return y
    r = pd.Series(ref).rank(method="average").to_numpy()
    y[inside] = (r - 1) / (n - 1)
    rest = ~inside & ~np.isnan(x)
    if rest.any():
        srt = np.sort(ref)
        lo = np.searchsorted(srt, x[rest], side="left")
        hi = np.searchsorted(srt, x[rest], side="right")
        avg_rank = (lo + hi + 1) / 2.0  # as if inserted among ties
        y[rest] = np.clip((avg_rank - 1) / (n - 1), 0.0, 1.0)
    return y


def scorecard(normalised: pd.DataFrame, weights: dict[str, float]) -> pd.DataFrame:
    """The weighted score and its breakdown.

    score = 100 × Σ_c w_c x_c / Σ_c w_c, x_c the normalised criterion (0-1), w_c ≥ 0 its
    weight (the classic weighted-sum / linear additive model of multi-criteria
    decisions, e.g. Belton & Stewart, *Multiple Criteria Decision Analysis*, 2002).

    Returns: index as ``normalised``; one column per criterion with weight > 0 holding
    its *contribution* in points (100 w_c x_c / Σ w: the contributions add up to the
    score), then ``score`` (0-100).
    """
    w = {c: float(v) for c, v in weights.items() if v > 0}
    total = sum(w.values())
    if total <= 0:
        raise ValueError("scorecard: at least one weight must be > 0")
    missing = [c for c in w if c not in normalised.columns]
    if missing:
        raise ValueError(f"scorecard: no values for criteria {missing}")
    cols = list(w)
    contrib = normalised[cols].to_numpy(float) * (100.0 * np.array([w[c] for c in cols]) / total)
    out = pd.DataFrame(contrib, index=normalised.index, columns=cols)
    out["score"] = contrib.sum(axis=1)
    return out


def family_scores(normalised: pd.DataFrame, weights: dict[str, float],
                  without=()) -> pd.DataFrame:
    """The score (0-100) within each family of criteria, with the goal's weights
    renormalised inside the family (equal weights when the goal gives the family none).
    ``without``: criteria the data has no value for (no assessments, no delivery dates
    in the export); they leave their family, and a family left with none is NaN
    (unknown), never the missing-value score of criteria nobody has.

    Columns ``attractiveness``, ``potential``, ``relationship``, and
    ``customer_attractiveness`` (attractiveness and potential together, the vertical
    axis of the portfolio matrix).
    """
    out = pd.DataFrame(index=normalised.index)
    groups = {f: [c for c in normalised.columns if CRITERIA[c].family == f
                  and c not in set(without)] for f in FAMILIES}
    groups["customer_attractiveness"] = groups["attractiveness"] + groups["potential"]
    for f, cols in groups.items():
        if not cols:
            out[f] = np.nan
            continue
        w = np.array([weights.get(c, 0.0) for c in cols], dtype=float)
        if w.sum() <= 0:
            w = np.ones(len(cols))
        out[f] = normalised[cols].to_numpy(float) @ (100.0 * w / w.sum())
    return out


# ============================================================================ 5. fuzzy


def fuzzy_membership(x, centres) -> np.ndarray:
    """Membership of each value in each grade: triangular functions peaking at
    ``centres``, flat (= 1) beyond the first and last centre; memberships of a value
    sum to 1 (a fuzzy partition). Shape ``x.shape + (len(centres),)``.

    E.g. centres (0.125, 0.375, 0.625, 0.875): x = 0.5 is half "fair", half "good";
    x = 0.95 is fully "excellent". (Zadeh, "Fuzzy sets", *Information and Control* 8,
    1965.)
    """
    x = np.asarray(x, dtype=float)
    c = np.asarray(centres, dtype=float)
    xc = np.clip(x, c[0], c[-1])
    k = len(c)
    out = np.zeros(x.shape + (k,))
    j = np.clip(np.searchsorted(c, xc, side="right") - 1, 0, k - 2)
    left, right = c[j], c[j + 1]
    t = (xc - left) / (right - left)
    np.put_along_axis(out, j[..., None], (1 - t)[..., None], axis=-1)
    np.put_along_axis(out, (j + 1)[..., None],
                      np.take_along_axis(out, (j + 1)[..., None], axis=-1) + t[..., None],
                      axis=-1)
    return out


def fuzzy_evaluation(normalised: pd.DataFrame, weights: dict[str, float],
                     fz: FuzzySettings | None = None) -> pd.DataFrame:
    """Fuzzy comprehensive evaluation of each customer.

    For each customer, the membership matrix R (criteria × grades) comes from
    :func:`fuzzy_membership` of its normalised criteria; the weight vector W (weights
    normalised to sum 1) combines it into the evaluation vector B = W ∘ R:

    - ``weighted_average`` M(·, ⊕): b_k = Σ_i w_i r_ik;
    - ``max_min`` M(∧, ∨) (Zadeh): b_k = max_i min(w_i, r_ik), then B / Σ B.

    The grade is the one of largest membership (maximum-membership principle; a tie
    goes to the lower grade); the fuzzy score is Σ_k b_k v_k with the grade values v.
    Source: fuzzy comprehensive evaluation (模糊综合评价), Wang Peizhuang, *Fuzzy Sets
    and Their Applications* (1983), after Zadeh (1965).

    Columns: one per grade (membership 0-1), ``fuzzy_grade``, ``fuzzy_score`` (0-100).
    """
    fz = fz or FuzzySettings()
    cols = [c for c, v in weights.items() if v > 0]
    w = np.array([weights[c] for c in cols], dtype=float)
    w = w / w.sum()
    R = fuzzy_membership(normalised[cols].to_numpy(float), fz.centres)  # (n, m, k)
    if fz.operator == "weighted_average":
        B = np.einsum("m,nmk->nk", w, R)
    else:
        B = np.max(np.minimum(w[None, :, None], R), axis=1)
        s = B.sum(axis=1, keepdims=True)
        B = np.divide(B, s, out=np.zeros_like(B), where=s > 0)
    out = pd.DataFrame(B, index=normalised.index, columns=list(fz.grades))
    out["fuzzy_grade"] = np.asarray(fz.grades, dtype=object)[np.argmax(B, axis=1)]
    out["fuzzy_score"] = B @ np.asarray(fz.values, dtype=float)
    return out


# ============================================================================ 6. profitability


def whale_curve(profit: pd.Series) -> pd.DataFrame:
    """The whale curve (Cooper & Kaplan, *The Design of Cost Management Systems*, 1991;
    Kaplan & Narayanan, "Measuring and managing customer profitability", 2001).

    Customers from the most to the least profitable. Index ``customer_id``; columns
    ``rank``, ``profit``, ``cumulative_profit`` (EUR), ``cumulative_share`` (cumulative
    profit / total profit: peaks above 1 when some customers lose money; NaN when the
    total is ≤ 0), ``customer_share`` (rank / n).
    """
    p = _values(profit).dropna().sort_values(ascending=False, kind="stable")
    n = len(p)
    total = p.sum()
    out = pd.DataFrame({"rank": np.arange(1, n + 1), "profit": p})
    out["cumulative_profit"] = p.cumsum()
    out["cumulative_share"] = p.cumsum() / total if total > 0 else np.nan
    out["customer_share"] = np.arange(1, n + 1) / n if n else []
    out.index.name = profit.index.name or "customer_id"
    return out


def whale_summary(profit: pd.Series) -> dict[str, float]:
    """Key numbers of the whale curve: ``total`` profit, ``peak`` (highest cumulative
    profit), ``peak_share`` (peak / total), ``peak_customer_share`` (share of customers
    at the peak = the profitable ones), ``top20_share`` (profit of the top 20 % of
    customers / total, read off the curve), ``losses`` (sum of negative profits),
    ``loss_makers`` (count)."""
    w = whale_curve(profit)
    n = len(w)
    total = float(w["profit"].sum())
    if n == 0:
        return {"total": 0.0, "peak": 0.0, "peak_share": np.nan, "peak_customer_share": np.nan,
                "top20_share": np.nan, "losses": 0.0, "loss_makers": 0}
    cum = np.concatenate([[0.0], w["cumulative_profit"].to_numpy()])
    i = int(np.argmax(cum))
    xs = np.arange(n + 1) / n
    return {
        "total": total,
        "peak": float(cum[i]),
        "peak_share": float(cum[i] / total) if total > 0 else np.nan,
        "peak_customer_share": float(xs[i]),
        "top20_share": float(np.interp(0.2, xs, cum) / total) if total > 0 else np.nan,
        "losses": float(w["profit"].clip(upper=0).sum()),
        "loss_makers": int((w["profit"] < 0).sum()),
    }


def _split(x: pd.Series, threshold, universe: pd.Series) -> tuple[np.ndarray, float]:
    """x ≥ threshold (default: median over the universe)."""
    if threshold is None:
        ref = x[universe.reindex(x.index).fillna(False).astype(bool)].dropna()
        threshold = float(ref.median()) if len(ref) else 0.0
    with np.errstate(invalid="ignore"):
        return (x.to_numpy(float) >= threshold), float(threshold)


def shapiro_quadrants(price: pd.Series, cost: pd.Series, price_threshold,
                      cost_threshold) -> pd.Series:
    """Shapiro, Rangan, Moriarty & Ross, "Manage customers for profits (not just
    sales)", HBR 1987: net price × cost to serve.

    High price (≥ threshold) and high cost: ``carriage trade``; high price, low cost:
    ``passive``; low price, low cost: ``bargain basement``; low price, high cost:
    ``aggressive``. Thresholds are numbers or per-customer Series (peer medians). NaN
    inputs give ``None``.
    """
    p = price.to_numpy(float)
    c = cost.reindex(price.index).to_numpy(float)
    pt = (price_threshold.reindex(price.index).to_numpy(float)
          if isinstance(price_threshold, pd.Series) else float(price_threshold))
    ct = (cost_threshold.reindex(price.index).to_numpy(float)
          if isinstance(cost_threshold, pd.Series) else float(cost_threshold))
    with np.errstate(invalid="ignore"):
        hp, hc = p >= pt, c >= ct
    q = np.where(hp, np.where(hc, "carriage trade", "passive"),
                 np.where(hc, "aggressive", "bargain basement")).astype(object)
    bad = (np.isnan(p) | np.isnan(c) | np.isnan(np.broadcast_to(pt, p.shape))
           | np.isnan(np.broadcast_to(ct, p.shape)))
    q[bad] = None
    return pd.Series(q, index=price.index, name="shapiro_quadrant")


def now_future_quadrants(now: pd.Series, future: pd.Series, now_threshold: float,
                         future_threshold: float, *, must_grow: bool = False) -> pd.Series:
    """Current × future profitability: ``best`` (high now, high future), ``invest``
    (low now, high future), ``keep`` (high now, low future), ``worst`` (low, low).

    High now: now ≥ now_threshold. High future: future ≥ future_threshold and, with
    ``must_grow``, future ≥ now (a customer expected to earn less than today has no
    high future, however big). NaN inputs give ``None``.
    """
    n = now.to_numpy(float)
    f = future.reindex(now.index).to_numpy(float)
    with np.errstate(invalid="ignore"):
        hn = n >= now_threshold
        hf = f >= future_threshold
        if must_grow:
            hf &= f >= n
    q = np.where(hn, np.where(hf, "best", "keep"), np.where(hf, "invest", "worst")).astype(object)
    q[np.isnan(n) | np.isnan(f)] = None
    return pd.Series(q, index=now.index, name="profitability_quadrant")


def future_profit(profit: pd.Series, trend: pd.Series, headroom_kg: pd.Series,
                  margin_per_kg: pd.Series, ps: ProfitabilitySettings | None = None) -> pd.Series:
    """Expected profit in ``horizon_years``: profit × (1 + trend)^h + headroom_capture ×
    wallet headroom (kg) × gross margin per kg. Trend clipped to ± trend_cap; a missing
    trend, headroom or margin per kg counts as 0 (no evidence of change)."""
    ps = ps or ProfitabilitySettings()
    g = np.clip(np.nan_to_num(trend.reindex(profit.index).to_numpy(float), nan=0.0),
                -ps.trend_cap, ps.trend_cap)
    h = np.nan_to_num(headroom_kg.reindex(profit.index).to_numpy(float), nan=0.0)
    m = np.nan_to_num(margin_per_kg.reindex(profit.index).to_numpy(float), nan=0.0)
    out = profit.to_numpy(float) * (1 + g) ** ps.horizon_years + ps.headroom_capture * h * np.maximum(m, 0.0)
    return pd.Series(out, index=profit.index, name="future_profit")


# ============================================================================ 7. lifetime value


def margin_multiple(retention: float, discount_rate: float, convention: str = "end",
                    horizon_years: int | None = None) -> float:
    """The factor CLV / yearly margin.

    ``end`` (first margin in one year): r / (1 + d - r) (Gupta & Lehmann, "Customers as
    assets", *J. Interactive Marketing* 17, 2003; *Managing Customers as Investments*,
    2005); finite horizon T: Σ_{t=1..T} (r / (1 + d))^t.
    ``start`` (first margin now, certain): (1 + d) / (1 + d - r); finite:
    Σ_{t=0..T-1} (r / (1 + d))^t.
    """
    if convention not in ("end", "start"):
        raise ValueError(f"convention must be 'end' or 'start', got {convention!r}")
    r, d = float(retention), float(discount_rate)
    if horizon_years is None:
        return r / (1 + d - r) if convention == "end" else (1 + d) / (1 + d - r)
    q = r / (1 + d)
    t = np.arange(1, horizon_years + 1) if convention == "end" else np.arange(horizon_years)
    return float(np.sum(q ** t))


def lifetime_value(margin: pd.Series, lv: LifetimeValueSettings | None = None) -> pd.Series:
    """Customer lifetime value (EUR) = yearly margin × :func:`margin_multiple` with the
    retention, discount rate, convention and horizon of ``lv``. A negative margin gives
    a negative value: the customer destroys value at today's terms."""
    lv = lv or LifetimeValueSettings()
    k = margin_multiple(lv.retention, lv.discount_rate, lv.convention, lv.horizon_years)
    return (margin.astype(float) * k).rename("lifetime_value")


def observed_retention(kd, year: int) -> float:
    """Share of the customers that bought in ``year - 1`` and bought again in ``year``
    (a simple estimate of the yearly retention rate)."""
    cy = measures.customer_year(kd.orders, [year - 1, year])  # a row per customer-year
    cid = cy.index.get_level_values("customer_id")
    yr = cy.index.get_level_values("year")
    prev, cur = pd.Index(cid[yr == year - 1]), pd.Index(cid[yr == year])
    return len(prev.intersection(cur)) / len(prev) if len(prev) else float("nan")


# ============================================================================ 8. portfolio


def portfolio_actions(attractiveness: pd.Series, relationship: pd.Series,
                      pf: PortfolioSettings | None = None) -> pd.DataFrame:
    """Portfolio matrix (Fiocca, "Account portfolio analysis for strategy development",
    *Industrial Marketing Management* 11, 1982; Millman & Wilson). Each axis 0-100 cut
    into low / medium / high at ``low_cut`` and ``high_cut`` (a value equal to a cut
    goes to the higher band); the grid gives the action.

    Columns ``attractiveness_band``, ``relationship_band``, ``portfolio_action``.
    """
    pf = pf or PortfolioSettings()
    bands = np.array(["low", "medium", "high"], dtype=object)
    cuts = np.array([pf.low_cut, pf.high_cut]) - EPS
    a = bands[np.searchsorted(cuts, np.nan_to_num(attractiveness.to_numpy(float)), side="right")]
    r = bands[np.searchsorted(cuts, np.nan_to_num(
        relationship.reindex(attractiveness.index).to_numpy(float)), side="right")]
    grid = pf.full_grid
    key = pd.Series(a).str.cat(pd.Series(r), sep="-")
    return pd.DataFrame({"attractiveness_band": a, "relationship_band": r,
                         "portfolio_action": key.map(grid).to_numpy()},
                        index=attractiveness.index)


# ============================================================================ data → facts


def _settings_parts(s, kd=None):
    sel = getattr(s, "selection", None)
    period = getattr(s, "period", None)
    if sel is None or period is None:
        raise TypeError("expected the whole kamlib.settings.Settings (with .period and "
                        f".selection), got {type(s).__name__}")
    if not period.analysis_year and kd is None:
        return sel, 0
    return sel, measures.year_of(period, kd)


def _check_year(kd, year: int) -> None:
    years = kd.years if len(kd.orders) else []
    if year not in years:
        covered = f"{years[0]}-{years[-1]}" if years else "no year at all"
        raise ValueError(
            f"there are no orders in {year}, the analysis year: the data covers {covered}. "
            "Set period.analysis_year in the settings file (or analysis_year in the "
            "notebook's parameters) to a year with orders."
        )


def customer_index(kd) -> pd.Index:
    """Every customer of ``kd.customers`` (and any customer id found only in orders)."""
    ids = pd.Index(kd.customers["customer_id"].astype("string"))
    if getattr(kd, "lazy", False):  # lines left in their file: checked against customers
        return pd.Index(ids, name="customer_id", dtype="string")
    extra = pd.Index(kd.orders["customer_id"].astype("string").unique()).difference(ids)
    idx = ids.append(extra) if len(extra) else ids
    return pd.Index(idx, name="customer_id", dtype="string")


def _latest_assessment(assessments: pd.DataFrame, year: int, cols, lookback: int = 1):
    """Each customer's assessment of ``year``, else of the latest year ≥ year - lookback."""
    a = assessments.loc[assessments["year"].between(year - lookback, year)]
    a = a.sort_values(["customer_id", "year"])
    out = {}
    for c in cols:  # a handful of assessment columns
        v = a.dropna(subset=[c]).groupby("customer_id")[c].last()
        v.index = v.index.astype("string")
        out[c] = v
    return pd.DataFrame(out)


def _unknown_values(kd, year: int) -> list[tuple[str, str]]:
    """The facts the year's lines cannot tell: ("cost_of_goods", "gross_margin") when
    every line with a quantity lacks its cost, ("list_revenue", "discount") when every
    one lacks its list price (from the file's summary for lines left in their file)."""
    summary = getattr(kd.orders, "summary", None) if getattr(kd, "lazy", False) else None
    out = []
    if summary is not None:
        if year in summary.unknown_costs_years:
            out.append(("cost_of_goods", "gross_margin"))
        if year in summary.unknown_list_prices_years:
            out.append(("list_revenue", "discount"))
        return out
    o_year = kd.orders.loc[kd.orders["year"] == year,
                           ["volume_kg", "cost_of_goods", "list_revenue"]]
    sold = o_year.loc[o_year["volume_kg"] > 0]
    for col, derived in (("cost_of_goods", ("cost_of_goods", "gross_margin")),
                         ("list_revenue", ("list_revenue", "discount"))):
        if len(sold) and sold[col].isna().all():
            out.append(derived)
    return out


def customer_facts(kd, s, customer_year: pd.DataFrame | None = None, *,
                   activity=None) -> pd.DataFrame:
    """Everything the selection methods need per customer, from the data (no weights, no
    thresholds: those are applied by :func:`decide`). ``s``: the whole Settings.
    ``customer_year``: the per-customer-year facts already computed
    (:func:`kamlib.measures.customer_year` or :func:`kamlib.engine.customer_year`);
    ``None`` = computed here from ``kd.orders``. Same result either way.

    Index ``customer_id`` (every customer). Columns (analysis year Y unless stated;
    EUR, kg):

    - ``customer_name``, ``account_manager``, ``industry``, ``region``, ``country``;
    - ``is_active`` (revenue in Y > 0), ``volume_kg``, ``list_revenue``, ``discount``
      (on-invoice), ``revenue``, ``cost_of_goods``, ``gross_margin``, ``order_count``,
      ``line_count``, ``on_time_in_full_rate``;
    - ``rebate`` (paid for Y), ``cost_to_serve`` (:func:`kamlib.costing.cost_to_serve`),
      ``profit`` = gross_margin - rebate - cost_to_serve, ``profit_margin`` = profit /
      revenue, ``price_realisation`` = (revenue - rebate) / list_revenue,
      ``discount_depth`` = 1 - price_realisation, ``cost_to_serve_ratio`` =
      cost_to_serve / revenue, ``gross_margin_per_kg``;
    - ``revenue_<y>`` and ``volume_kg_<y>`` for the years the growth methods need;
      ``growth_<y>`` (ABC growth measure, year over year), ``growth`` (average yearly
      growth of the scorecard), ``revenue_trend`` (average yearly revenue growth over
      ``profitability.trend_years``);
    - ``share_of_wallet``, ``estimated_annual_use_kg``, ``wallet_headroom_kg``
      (max(use - volume, 0));
    - assessments of Y (else Y - 1): ``information_sharing``, ``cooperation``,
      ``strategic_fit``, ``growth_potential``; ``tenure`` (years since first order);
      ``target_industry`` (1/0).
    """
    sel, year = _settings_parts(s, kd)
    _check_year(kd, year)
    idx = customer_index(kd)
    cust = kd.customers.assign(customer_id=kd.customers["customer_id"].astype("string"))
    cust = cust.set_index("customer_id").reindex(idx)
    out = pd.DataFrame(index=idx)
    for c in ("customer_name", "account_manager", "industry", "region", "country"):
        out[c] = cust[c].astype("string") if c in cust.columns else pd.NA

    # Only the years the methods look at: a 10-million-line export stays fast.
    n_back = max(sel.abc.growth_years, sel.scorecard.growth_years,
                 sel.profitability.trend_years)
    years_needed = list(range(year - n_back, year + 1))
    if customer_year is None:
        cy = measures.customer_year(kd.orders, years_needed)
    else:
        yr = customer_year.index.get_level_values("year")
        cy = customer_year.loc[(yr >= year - n_back) & (yr <= year)]
    tot = cy.xs(year, level="year") if year in cy.index.get_level_values("year") \
        else cy.iloc[:0].droplevel("year")
    tot.index = tot.index.astype("string")
    tot = tot.reindex(idx)
    for c in ("volume_kg", "list_revenue", "discount", "revenue", "cost_of_goods",
              "gross_margin"):
        out[c] = tot[c].fillna(0.0).astype(float)
    # an export without costs (or list prices) leaves them unknown, never 0: a margin of
    # 0 would make every customer a loss maker
    for derived in _unknown_values(kd, year):
        for c in derived:
            out[c] = np.nan
    out.attrs["costs_known"] = not np.isnan(out["gross_margin"].to_numpy(float)).all()
    for c in ("order_count", "line_count"):
        out[c] = tot[c].fillna(0).astype("int64")
    out["on_time_in_full_rate"] = tot["on_time_in_full_rate"].astype(float)
    out["is_active"] = out["revenue"] > 0

    reb = kd.rebates.loc[kd.rebates["year"].astype("Int64") == year]
    reb = reb.groupby(reb["customer_id"].astype("string"))["rebate_paid"].sum()
    out["rebate"] = reb.reindex(idx).fillna(0.0).astype(float)
    # the activity counts when already computed (kamlib.activity_facts, passed on)
    more = {} if activity is None else {"activity": activity}
    cts = costing.cost_to_serve(kd, sel.cost_to_serve, [year], **more)["cost_to_serve"]
    cts.index = cts.index.astype("string")
    out["cost_to_serve"] = cts.reindex(idx).fillna(0.0).astype(float)
    out["profit"] = out["gross_margin"] - out["rebate"] - out["cost_to_serve"]
    rev = out["revenue"].to_numpy()
    lr = out["list_revenue"].to_numpy()
    out["profit_margin"] = np.divide(out["profit"].to_numpy(), rev,
                                     out=np.full(len(out), np.nan), where=rev > 0)
    out["price_realisation"] = np.divide(rev - out["rebate"].to_numpy(), lr,
                                         out=np.full(len(out), np.nan), where=lr > 0)
    out["discount_depth"] = 1.0 - out["price_realisation"]
    out["cost_to_serve_ratio"] = np.divide(out["cost_to_serve"].to_numpy(), rev,
                                           out=np.full(len(out), np.nan), where=rev > 0)
    vol = out["volume_kg"].to_numpy()
    out["gross_margin_per_kg"] = np.divide(out["gross_margin"].to_numpy(), vol,
                                           out=np.full(len(out), np.nan), where=vol > 0)

    # history: the years needed
    yrev = cy["revenue"].unstack("year", fill_value=0.0)
    yvol = cy["volume_kg"].unstack("year", fill_value=0.0)
    for t in (yrev, yvol):
        t.index = t.index.astype("string")
        t.columns = t.columns.astype("int64")
    yrev = yrev.reindex(index=idx, columns=years_needed, fill_value=0.0).fillna(0.0)
    yvol = yvol.reindex(index=idx, columns=years_needed, fill_value=0.0).fillna(0.0)
    for y in years_needed:
        out[f"revenue_{y}"] = yrev[y].to_numpy(float)
        out[f"volume_kg_{y}"] = yvol[y].to_numpy(float)
    growth_src = yvol if sel.abc.growth_measure == "volume_kg" else yrev
    g = growth_rates(growth_src, year, sel.abc.growth_years)
    for c in g.columns:
        out[c] = g[c]
    out["growth"] = average_growth(growth_src, year, sel.scorecard.growth_years)
    out["revenue_trend"] = average_growth(yrev, year, sel.profitability.trend_years)

    # share of wallet
    if len(kd.assessments):
        sow = measures.share_of_wallet_of(tot["volume_kg"], year, kd.assessments)
        sow = sow.loc[sow.index.get_level_values("year") == year].droplevel("year")
        sow.index = sow.index.astype("string")
        sow = sow.reindex(idx)
        out["share_of_wallet"] = sow["share_of_wallet"].astype(float)
        out["estimated_annual_use_kg"] = sow["estimated_annual_use_kg"].astype(float)
    else:
        out["share_of_wallet"] = np.nan
        out["estimated_annual_use_kg"] = np.nan
    use = out["estimated_annual_use_kg"].to_numpy(float)
    out["wallet_headroom_kg"] = np.where(np.isnan(use), np.nan, np.maximum(use - vol, 0.0))

    acols = ["information_sharing", "cooperation", "strategic_fit", "growth_potential"]
    a = _latest_assessment(kd.assessments, year, acols).reindex(idx)
    for c in acols:
        out[c] = a[c].astype(float) if c in a.columns else np.nan

    end = pd.Timestamp(f"{year}-12-31")
    if "first_order_date" in cust.columns:
        first = pd.to_datetime(cust["first_order_date"])
    else:
        first = pd.Series(pd.NaT, index=idx)
    if first.isna().any():  # unknown first order: the first order in the data
        seen = kd.orders.groupby("customer_id", observed=True)["order_date"].min()
        seen.index = seen.index.astype("string")
        first = first.fillna(seen.reindex(idx))
    out["tenure"] = ((end - first).dt.days / 365.25).clip(lower=0).astype(float)
    targets = {t.lower() for t in sel.scorecard.target_industries}
    out["target_industry"] = out["industry"].fillna("").str.lower().isin(targets).astype(float)
    out.attrs["analysis_year"] = year
    return out


def criteria_values(facts: pd.DataFrame) -> pd.DataFrame:
    """The raw value of every criterion of :data:`CRITERIA` per customer (from
    :func:`customer_facts`). ``on_time_in_full`` = ``on_time_in_full_rate``,
    ``wallet_headroom`` = ``wallet_headroom_kg``; the others have the criterion's name."""
    src = {c: c for c in CRITERIA}
    src["on_time_in_full"] = "on_time_in_full_rate"
    src["wallet_headroom"] = "wallet_headroom_kg"
    return pd.DataFrame({c: facts[col].astype(float) for c, col in src.items()},
                        index=facts.index)


# ============================================================================ 9. decision


def decide(facts: pd.DataFrame, s, *, words: bool = True) -> pd.DataFrame:
    """Apply every method and the key-account rule to :func:`customer_facts`.

    Fast (no data access): the workshop widgets call it on every slider move. Returns
    the table of :func:`key_accounts` (``words=False``: ``reasons`` left empty, every
    other column the same).
    """
    sel = getattr(s, "selection", s)
    sc, ab, pyr, prof = sel.scorecard, sel.abc, sel.pyramid, sel.profitability
    year = int(facts.attrs.get("analysis_year", getattr(getattr(s, "period", None),
                                                        "analysis_year", 0)))
    f = facts
    active = f["is_active"].astype(bool)
    out = f[["customer_name", "account_manager", "industry", "region"]].copy()
    for c in ("volume_kg", "revenue", "gross_margin", "rebate", "cost_to_serve", "profit",
              "profit_margin", "share_of_wallet"):
        out[c] = f[c]
    out["is_active"] = active

    # ABC
    gcols = [f"growth_{y}" for y in range(year - ab.growth_years + 1, year + 1)]
    abc = abc_classes(f[ab.measure].where(active, 0.0), f[gcols], f[ab.loyalty_criterion], ab)
    out["abc_class"] = abc["abc_class"]
    out["is_growing"] = abc["is_growing"]
    # Pyramid
    out["pyramid_tier"] = assign_tiers(f[pyr.measure].where(active, 0.0), pyr)
    rk = f["revenue"].where(active).rank(ascending=False, method="min")
    out["revenue_rank"] = rk.astype("Int64")

    # Scorecard and fuzzy
    weights = sc.effective_weights
    raw = criteria_values(f)
    # a criterion the data has no value for (no costs, no assessments in the export)
    # would give everyone missing_value: it leaves the score, the others keep their
    # relative weights (said in attrs["criteria_without_data"] and the warnings)
    empty = [c for c in raw.columns if raw.loc[active, c].isna().all()] if active.any() \
        else []
    if empty and any(weights.get(c, 0) > 0 for c in raw.columns if c not in empty):
        weights = {c: (0.0 if c in empty else v) for c, v in weights.items()}
    norm = normalise(raw, sc, universe=active)
    card = scorecard(norm, weights)
    score = card["score"].where(active, 0.0)
    out["score"] = score
    out["score_rank"] = score.where(active).rank(ascending=False, method="min").astype("Int64")
    fam = family_scores(norm, weights, without=empty)
    out["attractiveness"] = fam["customer_attractiveness"].where(active, 0.0)
    out["relationship"] = fam["relationship"].where(active, 0.0)
    fz = fuzzy_evaluation(norm, weights, sel.fuzzy)
    out["fuzzy_grade"] = fz["fuzzy_grade"].where(active, None)
    out["fuzzy_score"] = fz["fuzzy_score"].where(active, 0.0)

    # Profitability
    served = active | (f["cost_to_serve"] > 0)
    fut = future_profit(f["profit"], f["revenue_trend"], f["wallet_headroom_kg"],
                        f["gross_margin_per_kg"], prof)
    out["future_profit"] = fut
    _, now_cut = _split(f["profit"], prof.now_threshold, active)
    fut_cut = now_cut if prof.future_threshold is None else float(prof.future_threshold)
    out["profitability_quadrant"] = now_future_quadrants(
        f["profit"], fut, now_cut, fut_cut, must_grow=prof.future_must_grow).where(served, None)
    groups = out["pyramid_tier"] if prof.peer_group == "tier" else None
    price_cut = peer_thresholds(f["price_realisation"], prof.price_threshold, active, groups)
    cost_cut = peer_thresholds(f["cost_to_serve_ratio"], prof.cost_threshold, active, groups)
    out["price_realisation"] = f["price_realisation"]
    out["cost_to_serve_ratio"] = f["cost_to_serve_ratio"]
    out["shapiro_quadrant"] = shapiro_quadrants(f["price_realisation"],
                                                f["cost_to_serve_ratio"], price_cut, cost_cut)
    out["is_loss_maker"] = served & (f["profit"] < prof.loss_threshold)

    # Portfolio and lifetime value
    pa = portfolio_actions(out["attractiveness"], out["relationship"], sel.portfolio)
    out["portfolio_action"] = pa["portfolio_action"].where(active, None)
    out["lifetime_value"] = lifetime_value(f[sel.lifetime_value.margin], sel.lifetime_value)

    # Key rule
    ka = sel.key_accounts
    nominated, why_not = key_rule(out["abc_class"], score, out["score_rank"], active, ka)
    loss = out["is_loss_maker"]
    is_key = nominated & ~loss if ka.loss_makers == "exclude" else nominated
    out["is_key"] = is_key.astype(bool)
    out["reasons"] = (_reasons(out, card.drop(columns="score"), nominated, why_not, sel, year)
                      if words else pd.Series("", index=out.index, dtype="string"))
    out = apply_overrides(out, ka.overrides)
    out.attrs["criteria_without_data"] = [c for c in empty if sc.effective_weights.get(c, 0) > 0]
    out.attrs["costs_known"] = bool(f.attrs.get("costs_known", True))
    out.attrs["analysis_year"] = year
    out.attrs["thresholds"] = {
        "profit_now": now_cut, "profit_future": fut_cut,
        "price_realisation": _by_group(price_cut, groups, active),
        "cost_to_serve_ratio": _by_group(cost_cut, groups, active)}
    out.index.name = "customer_id"
    return out


def apply_overrides(ka: pd.DataFrame, overrides: dict[str, KeyOverride]) -> pd.DataFrame:
    """The key-account table ``ka`` (of :func:`decide`) with people's decisions over the
    rule applied: ``is_key`` set as decided, ``override_reason`` (text, empty where
    the rule stands) added, and the reasons led by the decision, e.g. ``"KEY by
    decision: strategic partner (the rule said: not key: score below 60)"``.

    A customer id not in the table is refused (a decision about a customer the data
    does not have is a mistake to fix, not to ignore).
    """
    out = ka.copy()
    out["override_reason"] = pd.Series("", index=out.index, dtype="string")
    if not overrides:
        return out
    ids = pd.Index([str(c) for c in overrides])
    missing = ids.difference(out.index.astype(str))
    if len(missing):
        raise SettingsError(
            "selection.key_accounts.overrides: "
            + ", ".join(sorted(missing)[:5])
            + (" is not a customer" if len(missing) == 1 else " are not customers")
            + f" in the data ({len(out)} customers). Remove the override or correct "
            "the customer id.")
    key = pd.Series([o.key for o in overrides.values()], index=ids, dtype=bool)
    reason = pd.Series([o.reason.strip().replace(";", ",") for o in overrides.values()],
                       index=ids, dtype="string")
    rule_text = out.loc[ids, "reasons"].astype("string")
    rule_said = rule_text.str.split(";", n=1).str[0]
    rest = rule_text.str.split(";", n=1).str[1].fillna("")
    head = np.where(key.to_numpy(), "KEY by decision: ", "not key by decision: ")
    text = (pd.Series(head, index=ids, dtype="string") + reason + " (the rule said: "
            + rule_said + ")")
    text = text.where(rest == "", text + ";" + rest)
    out.loc[ids, "is_key"] = key.to_numpy()
    out.loc[ids, "override_reason"] = reason.to_numpy()
    out.loc[ids, "reasons"] = text.to_numpy()
    return out


def _by_group(cut, groups, active) -> float | dict[str, float]:
    """A threshold for attrs: the number, or {peer group: number} (plain floats)."""
    if not isinstance(cut, pd.Series):
        return float(cut)
    g = groups[active.astype(bool)]
    return {str(k): float(v) for k, v in cut[g.index].groupby(g).first().items()}


def peer_thresholds(x: pd.Series, threshold: float | None, active: pd.Series,
                    groups: pd.Series | None = None) -> pd.Series | float:
    """The cut for each customer: ``threshold`` when given; else the median of ``x``
    over the active customers of the same group (``groups``, e.g. the pyramid tier), or
    over all active customers when ``groups`` is None (a float then)."""
    if threshold is not None:
        return float(threshold)
    act = active.reindex(x.index).fillna(False).astype(bool)
    if groups is None:
        ref = x[act].dropna()
        return float(ref.median()) if len(ref) else 0.0
    med = x[act].groupby(groups[act]).median()
    return groups.map(med).astype(float).reindex(x.index)


def key_rule(abc_class: pd.Series, score: pd.Series, score_rank: pd.Series,
             active: pd.Series, ka: KeyAccountSettings | None = None):
    """Which customers the rule of ``ka`` nominates (before the loss-maker policy).

    Returns (``nominated`` bool Series, ``why_not`` text Series: why a customer is not
    nominated, empty when it is). Inactive customers are never nominated.
    """
    ka = ka or KeyAccountSettings()
    act = active.astype(bool).to_numpy()
    cls = abc_class.to_numpy(dtype=object)
    sc = score.to_numpy(float)
    in_class = np.isin(cls, list(ka.key_classes))
    high = sc >= ka.min_score - EPS
    classes = "/".join(ka.key_classes)
    if ka.rule == "abc":
        nom = in_class
        why = np.where(in_class, "", f"not class {classes}")
    elif ka.rule == "abc_and_score":
        needs = np.isin(cls, list(ka.confirm_classes))
        nom = in_class & (~needs | high)
        why = np.where(~in_class, f"not class {classes}",
                       np.where(needs & ~high, f"score below {ka.min_score:g}", ""))
    elif ka.rule == "score_min":
        nom = high
        why = np.where(high, "", f"score below {ka.min_score:g}")
    else:
        r = score_rank.to_numpy(dtype=float, na_value=np.nan)
        nom = np.nan_to_num(r, nan=np.inf) <= ka.top_n
        why = np.where(nom, "", f"not among the {ka.top_n} best scores")
    nom = nom & act
    why = np.where(act, why, "no sales this year").astype(object)
    return (pd.Series(nom, index=abc_class.index, name="nominated"),
            pd.Series(why, index=abc_class.index, name="why_not"))


def key_accounts(kd, s, *, customer_year: pd.DataFrame | None = None,
                 activity=None, words: bool = True) -> pd.DataFrame:
    """The key-account list: every method combined into one decision table.

    ``kd``: :class:`kamlib.data.KamData`; ``s``: the whole
    :class:`kamlib.settings.Settings` (``period.analysis_year`` and ``selection``).
    One call gives the chapter, the later chapters and the account-plan reports the
    same list.

    Index ``customer_id``, one row per customer (key or not). Columns (analysis year;
    EUR unless stated):

    - ``customer_name``, ``account_manager``, ``industry``, ``region``;
    - ``volume_kg`` (kg), ``revenue`` (net of on-invoice discounts), ``gross_margin``
      (revenue - cost of goods), ``rebate`` (paid for the year), ``cost_to_serve``
      (TDABC, :mod:`kamlib.costing`), ``profit`` (= gross_margin - rebate -
      cost_to_serve), ``profit_margin`` (profit / revenue), ``share_of_wallet`` (0-1);
    - ``is_active`` (revenue > 0), ``abc_class`` (A / B / C), ``is_growing`` (the ABC
      growth test), ``pyramid_tier`` (top / big / medium / small / inactive),
      ``revenue_rank`` (1 = largest; empty when inactive);
    - ``score`` (0-100, weighted scorecard of the goal; 0 when inactive), ``score_rank``,
      ``attractiveness`` and ``relationship`` (0-100, the portfolio axes),
      ``fuzzy_grade`` and ``fuzzy_score`` (0-100, fuzzy comprehensive evaluation);
    - ``future_profit`` (EUR in ``profitability.horizon_years``),
      ``profitability_quadrant`` (best / invest / keep / worst), ``price_realisation``
      ((revenue - rebate) / list revenue), ``cost_to_serve_ratio`` (cost to serve /
      revenue), ``shapiro_quadrant`` (carriage trade / passive / bargain basement /
      aggressive), ``is_loss_maker`` (profit < ``profitability.loss_threshold``);
    - ``portfolio_action`` (invest for growth / invest selectively / maintain / manage
      for cash / withdraw), ``lifetime_value`` (EUR, :func:`lifetime_value`);
    - ``is_key`` (bool: ``key_accounts.rule``, loss makers per
      ``key_accounts.loss_makers``, then people's ``key_accounts.overrides``),
      ``reasons`` (the decision in words), ``override_reason`` (why people decided
      against the rule; empty where the rule stands).

    ``attrs``: ``analysis_year``, the ``thresholds`` used (medians when not set) and
    ``warnings`` (:func:`warnings_about`: an empty list explained, assumptions that
    dominate the result).

    ``customer_year``: the per-customer-year facts when already computed (see
    :func:`customer_facts`), so a pipeline computes them once; ``activity``: the
    activity counts of ``kamlib.activity_facts`` when already computed (passed on to
    :func:`kamlib.costing.cost_to_serve`). ``words=False`` may leave ``reasons`` empty
    (every other column the same; a list already computed with its words is returned
    as it is): the periodic review's comparison with last year's list reads the
    decisions only, and on 50,000 customers the words take seconds.
    """
    memo = customer_year is None and activity is None
    if memo:
        hit = _memo_get(kd, s)  # with its words: also serves a call without them
        if hit is not None:
            return hit
    facts = (_facts_of(kd, s) if memo else
             customer_facts(kd, s, customer_year=customer_year, activity=activity))
    out = decide(facts, s, words=words)
    out.attrs["warnings"] = warnings_about(out, s)
    if memo and words:
        _memo_put(kd, s, out)
    return out


def _copy(t: pd.DataFrame) -> pd.DataFrame:
    import copy

    out = t.copy()
    out.attrs = copy.deepcopy(t.attrs)
    return out


# The key-account list computed once per loaded data and settings: every chapter, its
# exercise checks and segmentation.key_account_ids ask for it again, and on a large
# export each call is seconds of work (kamlib.memo: keyed on the very table objects,
# the whole settings and the company of the text; a copy is returned).
_KA_MEMO = TableMemo(2, copy=_copy)
_KA_TABLES = ("customers", "products", "orders", "interactions", "contacts",
              "assessments", "rebates")


def _memo_key(kd, s) -> tuple:
    from kamlib import formatting
    from kamlib.data import lazy

    tables = tuple(lazy.signature(t) for t in (getattr(kd, n, None) for n in _KA_TABLES))
    return (tables, repr(s), tuple(sorted(getattr(kd, "available", ()) or ())),
            repr(formatting.current_company()))  # the reasons' words name its currency


# The facts do not depend on the goal's weights (customer_facts reads the scorecard's
# growth years and target industries only): a list under another goal, as the workshop's
# sliders and the chapters' "under the goal ..." cells ask for, decides again on the
# facts already computed (seconds of work per call on a large export).
_FACTS_MEMO = TableMemo(4, copy=_copy)


def _facts_of(kd, s) -> pd.DataFrame:
    """:func:`customer_facts` remembered per loaded data and settings, whatever the goal
    and its weights."""
    import dataclasses

    try:
        sel = s.selection
        neutral = dataclasses.replace(s, selection=dataclasses.replace(
            sel, scorecard=dataclasses.replace(sel.scorecard, goal="balanced", weights={})))
        key = _memo_key(kd, neutral)[:3]
        tables = tuple(getattr(kd, n) for n in _KA_TABLES)
    except Exception:  # noqa: BLE001 - data or settings it cannot describe: no memo
        return customer_facts(kd, s)
    hit = _FACTS_MEMO.get(tables, key)
    if hit is None:
        hit = customer_facts(kd, s)
        _FACTS_MEMO.put(tables, key, hit)
    return hit


def _memo_get(kd, s):
    try:
        key = _memo_key(kd, s)
    except Exception:  # noqa: BLE001 - no memo for data it cannot describe
        return None
    tables = tuple(getattr(kd, n, None) for n in _KA_TABLES)
    hit = _KA_MEMO.get(tables, key)
    if hit is None:  # another chapter of this run may have made it (kamlib.data.cache)
        from kamlib.data import cache

        hit = cache.shared_result("key_accounts", tables, key[1:])
        if hit is not None:
            _KA_MEMO.put(tables, key, hit)
            hit = _copy(hit)
    return hit


def _memo_put(kd, s, table: pd.DataFrame) -> None:
    try:
        tables = tuple(getattr(kd, n) for n in _KA_TABLES)
        key = _memo_key(kd, s)
    except Exception:  # noqa: BLE001 - data it cannot describe: no memo
        return
    _KA_MEMO.put(tables, key, table)
    from kamlib.data import cache

    cache.share_result("key_accounts", tables, key[1:], table)  # for the next chapters


LOSS_MAKERS_DOMINATE = 0.5
"""Warn when more than this share of the active customers lose money from cost to serve
alone (profitable before it, loss-making after it)."""


def warnings_about(ka: pd.DataFrame, s) -> list[str]:
    """Sentences on a key-account table that the reader must not miss.

    - No key account at all: why (how many active customers, how many loss makers the
      rule excludes, how many reach the classes and the score) and which settings to
      change. The rule never returns nobody silently.
    - The cost-to-serve assumptions dominate: more than :data:`LOSS_MAKERS_DOMINATE` of
      the active customers are profitable before cost to serve and loss-making after it.
      The minutes, pools and freight of ``selection.cost_to_serve`` are the sample
      company's unless calibrated: an assumption, not a finding.
    """
    sel = getattr(s, "selection", s)
    out: list[str] = []
    if not ka.attrs.get("costs_known", True):
        out.append("The data has no cost of goods: margins and profits are unknown, so no "
                   "customer is called a loss maker and the profit criteria leave the "
                   "score. Add the cost or the margin of each line to unlock them.")
    gone = ka.attrs.get("criteria_without_data") or []
    if gone:
        out.append(f"The score leaves out {', '.join(gone)}: the data has no value for "
                   "them; the other criteria keep their relative weights.")
    active = ka["is_active"].astype(bool) if "is_active" in ka.columns else \
        pd.Series(True, index=ka.index)
    n_active = int(active.sum())
    if n_active and {"profit", "cost_to_serve"} <= set(ka.columns):
        a = ka.loc[active]
        loss = a["profit"] < sel.profitability.loss_threshold
        by_cts = loss & (a["profit"] + a["cost_to_serve"] >= sel.profitability.loss_threshold)
        if by_cts.sum() > LOSS_MAKERS_DOMINATE * n_active:
            cts = sel.cost_to_serve
            out.append(
                f"Assumption check: {int(by_cts.sum())} of {n_active} active customers "
                f"({by_cts.mean():.0%}) lose money only because of the cost to serve. Its "
                f"minutes, resource pools and freight ({cts.freight_per_delivery:g} per "
                "delivery) are assumptions of the settings file "
                "(selection.cost_to_serve), calibrated on the sample company: measure "
                "yours before reading the loss makers as a finding.")
    if "is_key" in ka.columns and not ka["is_key"].astype(bool).any():
        kr = sel.key_accounts
        if not n_active:
            why = "no customer bought in the analysis year"
        else:
            parts = [f"{n_active} customers bought in the analysis year"]
            if "abc_class" in ka.columns:
                in_class = ka.loc[active, "abc_class"].isin(kr.key_classes)
                parts.append(f"{int(in_class.sum())} of them are in the classes "
                             f"{'/'.join(kr.key_classes)}")
            if "is_loss_maker" in ka.columns and kr.loss_makers == "exclude":
                parts.append(f"{int(ka.loc[active, 'is_loss_maker'].sum())} lose money and "
                             "are excluded (selection.key_accounts.loss_makers = "
                             "\"exclude\")")
            if "score" in ka.columns and "score" in kr.rule:
                parts.append(f"{int((ka.loc[active, 'score'] >= kr.min_score).sum())} reach "
                             f"the score {kr.min_score:g}")
            why = "; ".join(parts)
        out.append(
            f"No key account: the rule '{kr.rule}' selects nobody ({why}). Change "
            "selection.key_accounts (rule, key_classes, min_score, loss_makers) or the "
            "assumptions that drive it (selection.cost_to_serve) in the settings file.")
    return out


# ----------------------------------------------------------------------------- reasons


def _money(x: np.ndarray) -> np.ndarray:
    """Vectorised 'EUR 1.27 m' / 'EUR 95 k' / 'EUR 850' texts (in the current company's
    currency, :func:`kamlib.formatting.current_company`; no sign when it has none)."""
    from kamlib import formatting

    cur = formatting.current_company().currency.replace("%", "%%")
    pre = f"{cur} " if cur else ""
    x = np.asarray(x, dtype=float)
    a = np.abs(np.nan_to_num(x))
    m = _texts(pre + "%.2f m", a / 1e6)
    k = _texts(pre + "%.0f k", a / 1e3)
    u = _texts(pre + "%.0f", a)
    return np.where(a >= 1e6, m, np.where(a >= 1e4, k, u)).astype(object)


def _reasons(out: pd.DataFrame, contrib: pd.DataFrame, nominated: pd.Series,
             why_not: pd.Series, sel, year: int) -> pd.Series:
    """The decision of each customer in words (vectorised string building)."""
    n = len(out)
    ab, ka = sel.abc, sel.key_accounts
    active = out["is_active"].to_numpy()
    n_active = int(active.sum())
    rank = out["revenue_rank"].to_numpy(dtype=float, na_value=np.nan)
    rank_txt = _texts("%d", np.nan_to_num(rank).astype(int)).astype(object)
    cls = out["abc_class"].to_numpy()
    basis = "of customers" if ab.basis == "customers" else "of sales"
    what = {"revenue": "revenue", "gross_margin": "gross margin",
            "volume_kg": "volume"}[ab.measure]
    a_txt = (f"class A (top {ab.top_share:.0%} {basis} by {what}, rank ") + rank_txt \
        + f" of {n_active})"
    grew = "volume" if ab.growth_measure == "volume_kg" else "revenue"
    b_txt = np.full(n, f"class B ({grew} grew ≥ {ab.growth_min:.0%} in each of the last "
                    f"{ab.growth_years} years, {ab.loyalty_criterion.replace('_', ' ')} "
                    f"≥ {ab.loyalty_min:g}/5)", dtype=object)
    c_txt = np.where(active, "class C", "inactive in " + str(year)).astype(object)
    class_txt = np.where(cls == "A", a_txt, np.where(cls == "B", b_txt, c_txt))

    # strongest criteria
    names = np.array([CRITERIA[c].label for c in contrib.columns], dtype=object)
    cv = contrib.to_numpy(float)
    if cv.shape[1] >= 2:
        top2 = np.argsort(-cv, axis=1, kind="stable")[:, :2]
        strong = names[top2[:, 0]] + " and " + names[top2[:, 1]]
    elif cv.shape[1] == 1:
        strong = np.full(n, names[0], dtype=object)
    else:
        strong = np.full(n, "", dtype=object)
    score = out["score"].to_numpy(float)
    srank = out["score_rank"].to_numpy(dtype=float, na_value=np.nan)
    score_txt = (_texts("score %.0f/100", score).astype(object) + " (rank "
                 + _texts("%d", np.nan_to_num(srank).astype(int)).astype(object)
                 + f", goal '{sel.scorecard.goal}'; strongest: " + strong + ")")

    profit = out["profit"].to_numpy(float)
    prof_txt = np.where(
        ~np.isfinite(profit),  # no cost of goods in the data: profit unknown, not a loss
        "profit unknown (no cost of goods in the data)",
        np.where(
            profit >= 0,
            "profit " + _money(profit) + " after discounts, rebates and cost to serve",
            "loses " + _money(profit) + " after rebates (" + _money(out["rebate"].to_numpy())
            + ") and cost to serve (" + _money(out["cost_to_serve"].to_numpy()) + ")"),
    ).astype(object)
    quad = out["profitability_quadrant"].fillna("").to_numpy(dtype=object)
    quad_txt = np.where(quad != "", quad + " (profit now × future)", "")
    shap = out["shapiro_quadrant"].fillna("").to_numpy(dtype=object)
    shap_txt = np.where(shap != "", shap + " (price × cost to serve)", "")
    act = out["portfolio_action"].fillna("").to_numpy(dtype=object)
    act_txt = np.where(act != "", "portfolio: " + act, "")

    is_key = out["is_key"].to_numpy()
    loss = out["is_loss_maker"].to_numpy()
    why = why_not.to_numpy(dtype=object)
    loss_why = np.where(loss & (ka.loss_makers == "exclude"), "loses money", "")
    both = np.where((loss_why != "") & (why != ""), loss_why + " and " + why,
                    np.where(loss_why != "", loss_why, why))
    decision = np.where(
        is_key & loss, "KEY, but LOSES MONEY: fix price and cost to serve",
        np.where(is_key, "KEY", "not key: " + both))
    decision = np.asarray(decision, dtype=object)
    parts = [decision, class_txt, np.where(active, score_txt, ""), prof_txt, quad_txt,
             shap_txt, act_txt]
    text = parts[0].copy()
    for p in parts[1:]:
        p = np.asarray(p, dtype=object)
        text = np.where(p != "", text + "; " + p, text)
    return pd.Series(text, index=out.index, name="reasons").astype("string")


# ============================================================================ comparisons


def disagreements(ka: pd.DataFrame, top: int | None = None) -> pd.DataFrame:
    """Where the methods disagree, one row per (customer, finding).

    Findings: big customers (class A or top/big tier) that are not key - because they
    lose money, or because their goal-driven score is too low; key customers outside
    class A (the modest ones: growth, cooperation); class C customers the scorecard
    ranks among the best N (N = number of key accounts) that the ABC rule leaves out;
    customers the fuzzy evaluation grades excellent outside the scorecard's best N, and
    the reverse (best N, graded poor or fair); class A customers in the worst quadrant.
    ``top`` limits the rows.

    Columns ``customer_id``, ``customer_name``, ``finding``, ``revenue_rank``, ``score``,
    ``score_rank``, ``fuzzy_grade``, ``abc_class``, ``pyramid_tier``, ``profit``,
    ``is_key``.
    """
    act = ka.loc[ka["is_active"]]
    n_key = int(act["is_key"].sum())
    best_n = act["score_rank"].fillna(10**9).astype("int64") <= n_key
    big = act["abc_class"].eq("A") | act["pyramid_tier"].isin(["top", "big"])
    rules = [
        (big & ~act["is_key"] & act["is_loss_maker"],
         "big customer, not key: it loses money after discounts, rebates and cost to serve"),
        (big & ~act["is_key"] & ~act["is_loss_maker"],
         "big customer, not key: its goal-driven score is too low"),
        (act["is_key"] & act["abc_class"].ne("A"),
         "key although not among the biggest: growing and cooperative (class B)"),
        (best_n & act["abc_class"].eq("C") & ~act["is_key"],
         f"among the {n_key} best scores, but class C: the ABC rule leaves it out"),
        (~best_n & act["fuzzy_grade"].eq("excellent"),
         f"graded excellent by the fuzzy evaluation, outside the {n_key} best scores"),
        (best_n & act["fuzzy_grade"].isin(["poor", "fair"]),
         f"among the {n_key} best scores, graded only poor or fair by the fuzzy evaluation"),
        (act["abc_class"].eq("A") & act["profitability_quadrant"].eq("worst"),
         "class A, but worst quadrant: low profit now and in the future"),
    ]
    frames = []
    for mask, text in rules:  # a handful of rules
        sub = act.loc[mask.fillna(False).astype(bool)]
        if len(sub):
            frames.append(sub.assign(finding=text))
    cols = ["customer_name", "finding", "revenue_rank", "score", "score_rank",
            "fuzzy_grade", "abc_class", "pyramid_tier", "profit", "is_key"]
    if not frames:
        return pd.DataFrame(columns=["customer_id"] + cols)
    for fr in frames:
        fr.attrs = {}
    out = pd.concat(frames)[cols].reset_index()
    order = {text: i for i, (_, text) in enumerate(rules)}
    out["_o"] = out["finding"].map(order)
    out = out.sort_values(["_o", "revenue_rank"], kind="stable").drop(columns="_o")
    out = out.reset_index(drop=True)
    return out.head(top) if top else out


def method_agreement(ka: pd.DataFrame) -> pd.DataFrame:
    """For each method's own view of "key", how many active customers it picks and how
    many of them the key-account list keeps.

    Rows: ``class A``, ``class B``, ``top or big tier``, ``score top-N`` (N = number of
    key accounts), ``fuzzy excellent``, ``best quadrant``, ``invest for growth``,
    ``key-account list``. Columns ``customers``, ``also_key``, ``share_key``.
    """
    act = ka.loc[ka["is_active"]]
    n_key = int(act["is_key"].sum())
    views = {
        "class A": act["abc_class"].eq("A"),
        "class B": act["abc_class"].eq("B"),
        "top or big tier": act["pyramid_tier"].isin(["top", "big"]),
        f"score top {n_key}": act["score_rank"].fillna(10**9).astype("int64") <= n_key,
        "fuzzy excellent": act["fuzzy_grade"].eq("excellent"),
        "best quadrant": act["profitability_quadrant"].eq("best"),
        "invest for growth": act["portfolio_action"].eq("invest for growth"),
        "key-account list": act["is_key"],
    }
    rows = {}
    for name, m in views.items():
        m = m.fillna(False).astype(bool)
        k = int(m.sum())
        both = int((m & act["is_key"]).sum())
        rows[name] = {"customers": k, "also_key": both,
                      "share_key": both / k if k else np.nan}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "method"
    return out


def goal_comparison(facts: pd.DataFrame, s, goals=None) -> pd.DataFrame:
    """Who is key under each goal preset (same data, same rule, other weights).

    Index ``customer_id`` (customers key under at least one goal); one bool column per
    goal, plus ``customer_name``, ``revenue_rank``, ``abc_class`` and ``key_under``
    (how many goals make it key).
    """
    goals = list(goals or GOAL_PRESETS)
    cols = {}
    base = None
    for g in goals:  # a handful of goals; the reasons' words are not shown here
        t = decide(facts, with_goal(s, g), words=False)
        cols[g] = t["is_key"]
        base = t if base is None else base
    out = pd.DataFrame(cols)
    out = out.loc[out.any(axis=1)]
    info = base.loc[out.index, ["customer_name", "revenue_rank", "abc_class"]]
    out = info.join(out)
    out["key_under"] = out[goals].sum(axis=1)
    return out.sort_values(["key_under", "revenue_rank"], ascending=[False, True])


def score_breakdown(facts: pd.DataFrame, s, customers=None) -> pd.DataFrame:
    """Each customer's score broken down by criterion (points; they add up to the
    score), for ``customers`` (ids; default all active). Columns: the criteria with
    weight > 0, then ``score``. Explains a choice in a meeting."""
    sel = getattr(s, "selection", s)
    active = facts["is_active"].astype(bool)
    norm = normalise(criteria_values(facts), sel.scorecard, universe=active)
    card = scorecard(norm, sel.scorecard.effective_weights)
    card = card.loc[active] if customers is None else card.loc[list(customers)]
    return card


def score_points(facts: pd.DataFrame, s, customer) -> pd.DataFrame:
    """One customer's score as a table a sales person reads: one row per criterion with
    weight > 0, named in words (:data:`CRITERIA` labels: ``discount depth``, not
    ``discount_depth``), its ``family`` (attractiveness, potential, relationship) and
    its ``points``, then a last row ``total score`` (the points add up to it). Index
    ``criterion``. Same numbers as :func:`score_breakdown`."""
    row = score_breakdown(facts, s, [customer]).iloc[0]
    crit = [c for c in row.index if c != "score"]
    out = pd.DataFrame({
        "family": [CRITERIA[c].family if c in CRITERIA else "" for c in crit] + [""],
        "points": [float(row[c]) for c in crit] + [float(row["score"])],
    }, index=pd.Index([CRITERIA[c].label if c in CRITERIA else c.replace("_", " ")
                       for c in crit] + ["total score"], name="criterion"))
    return out


def normalised_criteria(facts: pd.DataFrame, s) -> pd.DataFrame:
    """The 0-1 values of every criterion (see :func:`normalise`), over active customers."""
    sel = getattr(s, "selection", s)
    active = facts["is_active"].astype(bool)
    return normalise(criteria_values(facts), sel.scorecard, universe=active)


def profitability(kd, s) -> pd.DataFrame:
    """Customer profitability for the analysis year: the waterfall from list price to
    profit, per customer.

    Index ``customer_id`` (customers with revenue or cost to serve). Columns (EUR):
    ``list_revenue``, ``discount`` (on-invoice), ``revenue``, ``cost_of_goods``,
    ``gross_margin``, ``rebate``, ``cost_to_serve``, ``profit``; ratios
    ``profit_margin``, ``price_realisation``, ``cost_to_serve_ratio``. Profit after
    discounts, rebates and cost to serve (Kaplan & Narayanan 2001; TDABC cost to serve).
    """
    f = customer_facts(kd, s)
    f = f.loc[f["is_active"] | (f["cost_to_serve"] > 0)]
    return f[["customer_name", "list_revenue", "discount", "revenue", "cost_of_goods",
              "gross_margin", "rebate", "cost_to_serve", "profit", "profit_margin",
              "price_realisation", "cost_to_serve_ratio"]].copy()


def pyramid_by_year(kd, s, year: int) -> pd.Series:
    """The pyramid tier of every customer in ``year`` (same settings; ranked by the
    pyramid measure of that year; ``profit`` as measure is not available per past year
    and falls back to gross margin)."""
    sel, _ = _settings_parts(s)
    ps = sel.pyramid
    col = "gross_margin" if ps.measure == "profit" else ps.measure
    idx = customer_index(kd)
    t = measures.customer_totals(kd.orders, [year])
    t.index = t.index.astype("string")
    v = t[col].reindex(idx).fillna(0.0)
    return assign_tiers(v, ps)


def customer_values(kd, years) -> pd.DataFrame:
    """Volume, revenue and gross margin per customer over ``years`` (a year or a list):
    the input of :func:`concentration`. Index ``customer_id`` (every customer). Without
    cost of goods in the data (``kd.has("costs")`` false) there is no gross margin
    column: a margin of 0 everywhere would read as a concentration of nothing."""
    ys = [int(years)] if np.isscalar(years) else [int(y) for y in years]
    idx = customer_index(kd)
    cols = ["volume_kg", "revenue", "gross_margin"]
    # the sums of the years from the per-customer-year sums (computed once per loaded
    # data, kamlib.measures), not another pass over the order lines
    t = measures.customer_year(kd.orders, ys)[cols].groupby(level="customer_id").sum()
    t.index = t.index.astype("string")
    if hasattr(kd, "has") and not kd.has("costs"):
        cols.remove("gross_margin")
    return t[cols].reindex(idx).fillna(0.0)
