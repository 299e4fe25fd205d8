"""Segmenting key customers by what drives their buying: price, service or technology.

The source company's core move (primer §2) was to split its key customers into
*price-sensitive*, *service-sensitive* and *technology-sensitive* groups and give each
its own strategy. This module makes that split from what each customer **did** (orders,
deals, packs, complaints, requests, trials), so that an account manager can say *why*
a customer is in a group:

1. :func:`indicators` - the behavioural indicators of each customer, grouped in three
   families (``INDICATORS`` lists them with their formula, unit and plain-words label);
   :func:`price_elasticity` is the log-log fit of volume on price behind one of them.
2. :func:`family_scores` - each indicator standardised across a reference group of
   customers (robust z-score: median and MAD), averaged per family.
3. :func:`segments` - the transparent rule (:func:`classify`): which family stands
   out, how clearly, and the evidence in words; *mixed* customers are flagged, not
   forced. :func:`kmeans` / :func:`cluster_segments` - the clustering alternative on
   the same standardised indicators, and :func:`compare` for contingency tables;
   :func:`confusion` / :func:`validate` check either against an answer key.
4. :func:`levers` - the strategy menu of each segment (``LEVERS``) applied to each key
   customer, with the evidence that motivates each lever.
5. :func:`benefit_view` - the customer-benefit view V = U + B + R − C − T with segment
   weights: which levers raise V for which segment (a teaching aid).
6. For the pictures: :func:`profile` (one customer's indicators against the typical
   customer) and :func:`elasticity_points` (the points of its log-log fit).

Standardisation: robust z-scores (median and MAD, :func:`standardise`) against all
customers active in the window, by default - robust because behaviour is skewed and a
few extreme customers must not set the scale; against the whole customer base because
the key accounts alone may be dominated by one type (then that type looks "typical").
Everything is vectorised: customers are coded once and grouped sums are
``np.bincount``; the elasticity fit is a closed form of grouped sums.

Functions take the data (:class:`kamlib.data.KamData`) and the whole playbook
settings (:class:`kamlib.settings.Settings`: ``period`` sets the window of history,
``segmentation`` the decisions). ``customers=None`` means the key accounts of
:func:`kamlib.selection.key_accounts` (rows with ``is_key``); pass a list of customer
ids to segment other customers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kamlib.errors import SettingsError
from kamlib.formatting import texts as _texts
from kamlib.memo import TableMemo

# --------------------------------------------------------------------------- catalogue

FAMILIES = ("price", "service", "technology")
"""The three buying drivers of the primer (§2), in the order used everywhere."""

SEGMENTS = ("price", "service", "technology", "mixed", "unclear")
"""The segments :func:`segments` assigns."""


@dataclass(frozen=True)
class Indicator:
    """One behavioural indicator.

    ``family``: price, service or technology. ``direction``: +1 when a *higher* value
    means *more* sensitive, -1 when a lower value does (elasticity: more negative =
    more price-sensitive). ``label``: plain words for the evidence text; ``unit``: its
    unit; ``kind``: how it is printed (``share``, ``rate``, ``elasticity``, ``change``).
    ``formula``: the definition, in words a trainer can defend.
    """

    name: str
    family: str
    direction: int
    label: str
    unit: str
    kind: str
    formula: str


INDICATORS: tuple[Indicator, ...] = (
    # ---------------------------------------------------------------- price
    Indicator("deal_volume_share", "price", +1, "volume bought on deals",
              "share of kg (0-1)", "share",
              "kg on order lines with a deal (off-season, promotion, bundle) / all kg"),
    Indicator("off_season_volume_share", "price", +1, "volume bought in the off-season",
              "share of kg (0-1)", "share",
              "kg ordered in the off-season months / all kg"),
    Indicator("price_elasticity", "price", -1, "volume response to its price (elasticity)",
              "%ΔQ / %ΔP", "elasticity",
              "slope b of log(quarterly kg) on log(quarterly price index), "
              "quarter-of-year effects removed; NaN when not enough price variation"),
    Indicator("price_negotiations_per_year", "price", +1, "price negotiations a year",
              "per year", "rate",
              "price negotiations / years observed"),
    Indicator("economy_grade_share", "price", +1, "volume in economy grades",
              "share of kg (0-1)", "share",
              "kg of economy (lower-purity) grades / all kg"),
    Indicator("big_pack_share", "price", +1, "volume in big packs",
              "share of kg (0-1)", "share",
              "kg in packs of at least big_pack_min_kg (big bags) / all kg"),
    Indicator("discount_depth", "price", +1, "average on-invoice discount",
              "share of list price (0-1)", "share",
              "(list revenue - revenue) / list revenue, all lines"),
    # ---------------------------------------------------------------- service
    Indicator("complaints_per_order", "service", +1, "complaints per order",
              "per order", "rate", "complaints / orders"),
    Indicator("complaints_per_tonne", "service", +1, "complaints per tonne",
              "per 1,000 kg", "rate", "complaints / (delivered kg / 1,000)"),
    Indicator("complaints_after_bad_delivery", "service", +1,
              "late or short deliveries it complained about", "share (0-1)", "share",
              "complaints about late or short delivery / our late or short deliveries"),
    Indicator("service_requests_per_year", "service", +1,
              "service requests (delivery, stock) a year", "per year", "rate",
              "service requests / years observed"),
    Indicator("volume_change_after_bad_delivery", "service", -1,
              "change in volume ordered after a late or short delivery",
              "relative change (-1 = stops buying)", "change",
              "(kg ordered per day in the window after a late or short delivery) / "
              "(kg ordered per day at other times) - 1"),
    # ---------------------------------------------------------------- technology
    Indicator("technical_requests_per_year", "technology", +1, "technical requests a year",
              "per year", "rate", "technical requests / years observed"),
    Indicator("trials_per_year", "technology", +1, "trials a year", "per year", "rate",
              "trials / years observed"),
    Indicator("trainings_per_year", "technology", +1, "trainings attended a year",
              "per year", "rate", "trainings / years observed"),
    Indicator("custom_grade_share", "technology", +1, "volume in custom grades",
              "share of kg (0-1)", "share", "kg of custom grades / all kg"),
    Indicator("new_product_share", "technology", +1, "volume in new products",
              "share of kg (0-1)", "share",
              "kg of products launched in the last new_product_years years / all kg "
              "bought since the first of those launches"),
)
"""The indicators, by family. Their formulas are repeated in :func:`indicators`."""

INDICATOR = {i.name: i for i in INDICATORS}
INDICATOR_NAMES = tuple(i.name for i in INDICATORS)


@dataclass(frozen=True)
class Lever:
    """One lever of the strategy menu (primer §2; supply priority from §4).

    ``family``: the segment it serves (price, service, technology) or ``diagnose`` for
    customers whose driver is unclear. ``indicators``: the indicators whose values
    motivate it (they become the ``why`` of :func:`levers`). ``effect``: how it moves
    the terms of the customer-benefit view V = U + B + R − C − T, on a -1..+1 scale
    (keys ``utility``, ``brand``, ``relationship``, ``cost``, ``time``; a lever that
    *lowers* the customer's cost has ``cost < 0``). ``rationale``: why it works, in words.
    """

    name: str
    family: str
    indicators: tuple[str, ...]
    effect: dict[str, float]
    rationale: str


LEVERS: tuple[Lever, ...] = (
    # ---------------------------------------------------------------- price (primer §2)
    Lever("Cumulative-volume rebate", "price",
          ("price_elasticity", "discount_depth"),
          {"cost": -1.0},
          "its volume follows its price: a yearly rebate that starts at a threshold and "
          "rises with volume pays for the extra tonnes, not for the tonnes it buys anyway"),
    Lever("Off-season special prices", "price",
          ("off_season_volume_share", "deal_volume_share"),
          {"cost": -0.8, "time": 0.1},
          "it buys when prices are special: a June-August price list lets it stock up "
          "in our slack season and frees capacity for the peak"),
    Lever("Bundle pricing (second product at a special price)", "price",
          ("deal_volume_share",),
          {"cost": -0.6, "time": -0.2},
          "it takes deals: a bundle moves a second product at a special price instead "
          "of cutting the price of the first"),
    Lever("Bigger packs (500 kg big bags, cheaper packaging)", "price",
          ("big_pack_share",),
          {"cost": -0.5, "time": -0.3},
          "packaging is a cost it sees: big bags cut the packaging cost per kg and "
          "the handling of many small packs"),
    Lever("Economy grades (lower purity, lower price)", "price",
          ("economy_grade_share",),
          {"cost": -0.8, "utility": -0.2},
          "it trades purity for price where its process allows: a cheaper substitute "
          "grade keeps the volume without discounting the standard grade"),
    Lever("Lead it towards valuing service", "price",
          ("complaints_after_bad_delivery", "service_requests_per_year"),
          {"relationship": 0.4, "utility": 0.2},
          "a relationship on price alone is lost to the next cheaper offer: show, over "
          "time, what reliable supply and advice are worth"),
    # ---------------------------------------------------------------- service (primer §2, §4)
    Lever("Proactive service (remind its entitlements, prevent misuse)", "service",
          ("complaints_per_order", "complaints_after_bad_delivery"),
          {"relationship": 0.8, "time": -0.5},
          "it reacts to every problem: reach out before it does - remind it of the "
          "services it is entitled to, check storage and use, warn of delays early"),
    Lever("Value-added service: a technical consultant in after-sales", "service",
          ("service_requests_per_year",),
          {"utility": 0.5, "relationship": 0.7, "time": -0.3},
          "it asks for help often: after-sales staff who know our product and its "
          "production, advice on use, regular industry technical news"),
    Lever("Supply priority and agreed stock before the peak", "service",
          ("volume_change_after_bad_delivery", "complaints_after_bad_delivery"),
          {"time": -0.8, "relationship": 0.3},
          "a late or short delivery costs us orders: agree its peak-season needs and a "
          "safety stock in advance, and serve it first"),
    # ---------------------------------------------------------------- technology (primer §2)
    Lever("Custom products, developed and made fast", "technology",
          ("custom_grade_share",),
          {"utility": 1.0},
          "it buys to its own specification: faster development and production of "
          "custom grades is what keeps it"),
    Lever("Introduce new products first", "technology",
          ("new_product_share",),
          {"utility": 0.7, "brand": 0.3},
          "it adopts new products early: present launches to it first"),
    Lever("Free application trials on site", "technology",
          ("trials_per_year",),
          {"utility": 0.6, "time": -0.3},
          "it tests before it buys: help it trial and apply specific products on site"),
    Lever("Training and expert seminars", "technology",
          ("trainings_per_year",),
          {"utility": 0.5, "relationship": 0.4},
          "its people come to learn: teach the latest techniques, product training, "
          "expert seminars"),
    Lever("Joint development (share R&D, with universities and institutes)", "technology",
          ("technical_requests_per_year",),
          {"utility": 0.7, "relationship": 0.5, "brand": 0.3},
          "it brings us technical questions: help develop its own new downstream "
          "products, share our R&D results, develop jointly"),
    # ---------------------------------------------------------------- unclear
    Lever("Find out what drives its buying", "diagnose",
          (),
          {"relationship": 0.2},
          "no driver stands out in what it did: ask at the next visit what would make "
          "it buy more - a better price, more reliable service or technical support - "
          "and watch how it reacts to the next offer"),
)
"""The strategy menu of each segment, as data (used by :func:`levers` and
:func:`benefit_view`)."""

BENEFIT_TERMS = ("utility", "brand", "relationship", "cost", "time")
"""The terms of V = U + B + R − C − T (the sources' customer-benefit model)."""

_SIGN = {"utility": 1.0, "brand": 1.0, "relationship": 1.0, "cost": -1.0, "time": -1.0}


# --------------------------------------------------------------------------- settings




@dataclass(frozen=True)
class BenefitWeights:
    """How much each term of V = U + B + R − C − T weighs for one segment.

    ``utility`` (U, what the product and service do for it), ``brand`` (B),
    ``relationship`` (R), ``cost`` (C, what it pays), ``time`` (T, the time and effort
    it spends). Non-negative; they need not sum to 1 (they are normalised).
    """

    utility: float = 0.2
    brand: float = 0.1
    relationship: float = 0.2
    cost: float = 0.3
    time: float = 0.2

    def __post_init__(self) -> None:
        for name in BENEFIT_TERMS:
            if getattr(self, name) < 0:
                raise SettingsError(f"segmentation.benefit weights: '{name}' must be ≥ 0, got "
                           f"{getattr(self, name)}")
        if sum(getattr(self, n) for n in BENEFIT_TERMS) <= 0:
            raise SettingsError("segmentation.benefit weights: at least one weight must be > 0")

    def normalised(self) -> dict[str, float]:
        total = sum(getattr(self, n) for n in BENEFIT_TERMS)
        return {n: getattr(self, n) / total for n in BENEFIT_TERMS}


def _default_weights() -> dict[str, float]:
    w = {name: 1.0 for name in INDICATOR_NAMES}
    # Two views of one behaviour (complaining): together they count as one indicator.
    w["complaints_per_order"] = 0.5
    w["complaints_per_tonne"] = 0.5
    return w


@dataclass(frozen=True)
class SegmentationSettings:
    """Settings of the segmentation chapter (``[segmentation]`` in the settings file).

    What counts as what:

    - ``off_season_months``: months of the slack season (1-12).
    - ``deal_types``: the ``deal_type`` values that count as "bought on a deal".
    - ``big_pack_min_kg``: a pack of at least this net content is a "big pack".
    - ``new_product_years``: products launched in the last N years (up to the end of the
      analysis year) are "new".
    - ``elasticity_min_points``: quarters with sales needed to fit an elasticity;
      ``elasticity_min_price_variation``: the least standard deviation of the
      season-adjusted log price index (0.01 ≈ 1 %) - below it, "not enough price
      variation" and no elasticity.
    - ``bad_delivery_window_days``: how long after a late or short delivery a reaction
      is looked for; ``bad_delivery_min_days``: the least number of days inside *and*
      outside those windows to measure it.

    How the rule decides (:func:`segments`):

    - ``reference``: the customers each indicator is standardised against -
      ``"active"`` (every customer with sales in the window: a key account is compared
      with the customer base) or ``"classified"`` (only the customers being segmented).
    - ``standardisation``: ``"robust"`` (median and MAD, see :func:`standardise`) or
      ``"zscore"`` (mean and standard deviation). ``z_clip`` caps each standardised
      indicator (one extreme value cannot decide alone).
    - ``indicator_weights``: weight of each indicator inside its family (0 = not used).
    - ``stand_out``: the family score a family needs to count as a driver (0.4: the
      family's indicators are on average 0.4 robust standard deviations above the
      typical customer's; chosen on two synthetic companies generated with other seeds,
      then checked - not tuned - on the bundled data).
    - ``mixed_rule``: ``"stand_out"`` - every family that reaches ``stand_out`` is a
      driver (two drivers = *mixed*); ``"margin"`` - a family must also be within
      ``mixed_margin`` of the customer's top family (a very strong first driver then
      hides a weaker second one).
    - ``min_coverage``: below this share of indicator weight with data, the customer is
      ``unclear`` (not enough data to say).
    - ``confidence_scale``: how fast confidence rises with the distance to the rule's
      boundaries (standardised units).
    - ``evidence_min_z``/``evidence_items``: which indicators are quoted as evidence
      (standardised value at least this; at most this many per family).

    Clustering (:func:`cluster_segments`): ``clusters`` (k), ``cluster_seed``,
    ``cluster_restarts``.

    Customer-benefit view (:func:`benefit_view`): ``benefit_price``,
    ``benefit_service``, ``benefit_technology`` - the weights of V = U + B + R − C − T
    per segment (in B2B, U, C and T weigh most).
    """

    off_season_months: tuple[int, ...] = (6, 7, 8)
    deal_types: tuple[str, ...] = ("off-season", "promotion", "bundle")
    big_pack_min_kg: float = 500.0
    new_product_years: int = 3
    elasticity_min_points: int = 8
    elasticity_min_price_variation: float = 0.01
    bad_delivery_window_days: int = 90
    bad_delivery_min_days: int = 30
    reference: str = "active"
    standardisation: str = "robust"
    z_clip: float = 3.0
    indicator_weights: dict[str, float] = field(default_factory=_default_weights)
    stand_out: float = 0.4
    mixed_rule: str = "stand_out"
    mixed_margin: float = 1.0
    min_coverage: float = 0.5
    confidence_scale: float = 0.5
    evidence_min_z: float = 1.0
    evidence_items: int = 3
    clusters: int = 4
    cluster_seed: int = 7
    cluster_restarts: int = 10
    benefit_price: BenefitWeights = field(default_factory=lambda: BenefitWeights(
        utility=0.15, brand=0.05, relationship=0.05, cost=0.55, time=0.20))
    benefit_service: BenefitWeights = field(default_factory=lambda: BenefitWeights(
        utility=0.20, brand=0.05, relationship=0.30, cost=0.15, time=0.30))
    benefit_technology: BenefitWeights = field(default_factory=lambda: BenefitWeights(
        utility=0.50, brand=0.10, relationship=0.15, cost=0.10, time=0.15))

    def __post_init__(self) -> None:
        w = "segmentation"
        bad = [m for m in self.off_season_months if not 1 <= int(m) <= 12]
        if bad:
            raise SettingsError(f"{w}.off_season_months: months are 1-12, got {bad}")
        if self.big_pack_min_kg <= 0:
            raise SettingsError(f"{w}.big_pack_min_kg must be > 0 (kg), got {self.big_pack_min_kg}")
        if self.new_product_years < 1:
            raise SettingsError(f"{w}.new_product_years must be at least 1")
        if self.elasticity_min_points < 6:
            raise SettingsError(f"{w}.elasticity_min_points must be at least 6 quarters (the fit "
                       "removes 4 quarter-of-year means and the slope), got "
                       f"{self.elasticity_min_points}")
        if self.elasticity_min_price_variation < 0:
            raise SettingsError(f"{w}.elasticity_min_price_variation must be ≥ 0")
        if self.bad_delivery_window_days < 1 or self.bad_delivery_min_days < 1:
            raise SettingsError(f"{w}.bad_delivery_window_days and bad_delivery_min_days must be "
                       "at least 1 day")
        if self.reference not in ("active", "classified"):
            raise SettingsError(f"{w}.reference must be 'active' or 'classified', got "
                       f"'{self.reference}'")
        if self.standardisation not in ("robust", "zscore"):
            raise SettingsError(f"{w}.standardisation must be 'robust' or 'zscore', got "
                       f"'{self.standardisation}'")
        if self.z_clip <= 0:
            raise SettingsError(f"{w}.z_clip must be > 0")
        unknown = sorted(set(self.indicator_weights) - set(INDICATOR_NAMES))
        if unknown:
            import difflib

            hints = []
            for u in unknown:
                close = difflib.get_close_matches(u, INDICATOR_NAMES, n=1)
                hints.append(f"'{u}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
            raise SettingsError(f"{w}.indicator_weights: unknown indicator(s) {', '.join(hints)}. "
                       f"Indicators: {', '.join(INDICATOR_NAMES)}.")
        neg = [k for k, v in self.indicator_weights.items() if v < 0]
        if neg:
            raise SettingsError(f"{w}.indicator_weights must be ≥ 0; negative for {neg}")
        for fam in FAMILIES:
            names = [i.name for i in INDICATORS if i.family == fam]
            if sum(self.weight(n) for n in names) <= 0:
                raise SettingsError(f"{w}.indicator_weights: the {fam} family needs at least one "
                           f"indicator with a weight > 0 (its indicators: {names})")
        if self.mixed_rule not in ("stand_out", "margin"):
            raise SettingsError(f"{w}.mixed_rule must be 'stand_out' (every family that stands out "
                       f"is a driver) or 'margin', got '{self.mixed_rule}'")
        if self.mixed_margin < 0:
            raise SettingsError(f"{w}.mixed_margin must be ≥ 0")
        if not 0 <= self.min_coverage <= 1:
            raise SettingsError(f"{w}.min_coverage is a share (0-1), got {self.min_coverage}")
        if self.confidence_scale <= 0:
            raise SettingsError(f"{w}.confidence_scale must be > 0")
        if self.evidence_items < 1:
            raise SettingsError(f"{w}.evidence_items must be at least 1")
        if not 2 <= self.clusters <= 12:
            raise SettingsError(f"{w}.clusters must be between 2 and 12, got {self.clusters}")
        if self.cluster_restarts < 1:
            raise SettingsError(f"{w}.cluster_restarts must be at least 1")

    def weight(self, indicator: str) -> float:
        """The weight of an indicator (missing from ``indicator_weights`` = 1)."""
        return float(self.indicator_weights.get(indicator, 1.0))

    def benefit(self, segment: str) -> BenefitWeights:
        """The V = U + B + R − C − T weights of a segment (price/service/technology)."""
        return getattr(self, f"benefit_{segment}")


# --------------------------------------------------------------------------- helpers


def _sections(s, kd=None) -> tuple[SegmentationSettings, list[int]]:
    """(segmentation settings, years of the window) from Settings or the section."""
    if isinstance(s, SegmentationSettings):
        if kd is None or not len(kd.orders):
            raise ValueError("pass the playbook settings (kamlib.settings.Settings), not "
                             "only the segmentation section: the window of history "
                             "comes from period.analysis_year")
        return s, sorted(int(y) for y in kd.orders["year"].unique())
    seg = getattr(s, "segmentation", None)
    period = getattr(s, "period", None)
    if not isinstance(seg, SegmentationSettings) or period is None:
        raise TypeError("expected the playbook settings (kamlib.settings.Settings) or "
                        f"its segmentation section, got {type(s).__name__}")
    if not period.analysis_year:  # 0 = the latest complete year in the data
        if kd is None or not len(kd.orders):
            return seg, []  # the callers without data need only the section
        from kamlib import measures

        y = measures.analysis_year(0, kd.orders)
        return seg, list(range(y - period.history_years + 1, y + 1))
    return seg, list(period.years)


def _window(years: list[int]) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(f"{min(years)}-01-01"), pd.Timestamp(f"{max(years)}-12-31")


def _frac(num, den) -> np.ndarray:
    """num / den, NaN where den is 0 or missing (no warning)."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    ok = np.isfinite(den) & (den != 0) & np.isfinite(num)
    return np.divide(num, den, out=np.full(np.broadcast(num, den).shape, np.nan), where=ok)


def key_account_ids(kd, s) -> list[str]:
    """The key accounts of :func:`kamlib.selection.key_accounts` (rows with ``is_key``)."""
    from kamlib import selection

    if not hasattr(selection, "key_accounts"):
        raise ValueError("kamlib.selection.key_accounts is not available: pass the "
                         "customers to segment explicitly, e.g. customers=['C0042', ...]")
    ka = selection.key_accounts(kd, s)
    if "customer_id" in ka.columns and ka.index.name != "customer_id":
        ka = ka.set_index("customer_id")
    return [str(c) for c in ka.index[ka["is_key"].astype(bool).to_numpy()]]


def _customer_ids(kd, s, customers) -> list[str]:
    if customers is None:
        return key_account_ids(kd, s)
    if isinstance(customers, (str, bytes)):
        customers = [customers]
    ids = pd.Index([str(c) for c in customers]).unique()
    unknown = ids[~ids.isin(kd.customers["customer_id"].astype(str))]
    if len(unknown):  # not in the customers table: maybe only in orders
        unknown = unknown[~unknown.isin(kd.orders["customer_id"].unique().astype(str))]
    unknown = list(unknown)
    if unknown:
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise ValueError(f"unknown customer id(s) {unknown[:5]}{more}: not in customers "
                         "or orders. Check the ids (they are text, e.g. 'C0042').")
    return list(ids)


def _products(kd) -> pd.DataFrame:
    p = kd.products
    if p is None or not len(p):
        return pd.DataFrame(index=pd.Index([], name="product_id", dtype=object))
    p = p.drop_duplicates("product_id")
    return p.set_index(p["product_id"].astype(str))


def _sum_by(codes: np.ndarray, n: int, values) -> np.ndarray:
    """Σ values per code (0..n-1): a grouped sum as one ``np.bincount``."""
    return np.bincount(codes, weights=np.asarray(values, dtype=float), minlength=n)[:n]


# --------------------------------------------------------------------------- indicators


def _quarterly(orders: pd.DataFrame, products: pd.DataFrame | None) -> pd.DataFrame:
    """Quarterly volume and price index per customer, season-adjusted (see
    :func:`price_elasticity`): the sums of :data:`kamlib.engine.SEGMENT_QUARTER_SQL`
    (delivered lines with a quantity) made points by
    :func:`kamlib.features.quarterly_points`. Columns customer_id, c (customer code), t
    (year·4 + quarter), season (0-3), kg, rev, ref, x (log price, adjusted), y (log
    volume, adjusted). ``products``: indexed by ``product_id``."""
    from kamlib import engine, features

    need = ["customer_id", "product_id", "order_date", "volume_kg", "revenue",
            "list_revenue"]
    missing = [c for c in need if c not in orders.columns]
    if missing:
        raise ValueError(f"orders lacks {missing}: load it with kamlib.data.load (which "
                         "adds volume_kg, revenue and list_revenue)")
    cids = np.sort(orders["customer_id"].astype(str).unique().astype(object))
    n = 0 if products is None else len(products)
    flags = pd.DataFrame({
        "product_id": (np.asarray(products.index.astype(str), dtype=object) if n
                       else np.array([], dtype=object)),
        "economy": False, "big": False, "custom": False, "is_new": False,
        "list_price": (pd.to_numeric(products["list_price_per_kg"], errors="coerce")
                       .to_numpy(dtype=float) if n and "list_price_per_kg" in products.columns
                       else np.full(n, np.nan))})
    if not len(orders):
        q = pd.DataFrame({"customer_id": [], "t": [], "kg": [], "rev": [], "ref": []})
    else:
        q = engine.segment_sums(orders, flags, orders["order_date"].min(),
                                orders["order_date"].max(), parts=("quarters",)).quarters
    return features.quarterly_points(q, cids)


def price_elasticity(orders: pd.DataFrame, products: pd.DataFrame | None = None, *,
                     min_points: int = 8, min_price_variation: float = 0.01) -> pd.DataFrame:
    """Volume response of each customer to its own net price: a log-log fit.

    Per customer and calendar quarter t: Q_t = kg delivered, P_t = price index =
    revenue / Σ(kg × the product's current list price) - the net price relative to
    today's list price, so that a change of product mix is not read as a price change
    (the line's own list price is used for products without one). ``products`` is
    indexed by ``product_id``. The quarter-of-year pattern (season, deal months) is
    removed by subtracting, per customer, the mean of log Q and log P of each quarter
    of the year (fixed effects). With x = log P and y = log Q after that, the OLS slope
    and its standard error are closed forms of grouped sums (no loop over customers):

        b = Σxy / Σxx,    se(b) = sqrt( (Σyy - b·Σxy) / (n - k - 1) / Σxx )

    with n quarters and k quarters-of-year seen. b is the price elasticity %ΔQ/%ΔP
    (Nagle & Müller, *The Strategy and Tactics of Pricing*, ch. 6: elasticity as the
    slope of a log-log demand fit). It is NaN with ``elasticity_note`` = "not enough
    price variation" when the season-adjusted log price varies by less than
    ``min_price_variation`` (standard deviation; 0.01 ≈ 1 %), and "not enough history"
    when fewer than ``min_points`` quarters have sales.

    Index ``customer_id``. Columns ``price_elasticity`` (%ΔQ/%ΔP),
    ``price_elasticity_se``, ``elasticity_points`` (quarters used),
    ``price_variation`` (standard deviation of the season-adjusted log price),
    ``elasticity_note`` ("" when estimated).
    """
    return _elasticity_fit(_quarterly(orders, products), min_points, min_price_variation)


def _elasticity_fit(g: pd.DataFrame, min_points: int, min_price_variation: float):
    """The closed-form fit of :func:`price_elasticity` on the table of ``_quarterly``."""
    cids = g.attrs["customers"]
    ccode = g["c"].to_numpy()
    nc = len(cids)
    x = g["x"].to_numpy()
    y = g["y"].to_numpy()
    sxx, sxy, syy = _sum_by(ccode, nc, x * x), _sum_by(ccode, nc, x * y), _sum_by(ccode, nc, y * y)
    n = np.bincount(ccode, minlength=nc).astype(float)
    seasons = pd.factorize(ccode.astype(np.int64) * 4 + g["season"].to_numpy())[1] // 4
    k = np.bincount(seasons.astype(np.int64), minlength=nc).astype(float)
    dof = n - k - 1
    variation = np.sqrt(_frac(sxx, np.maximum(n - k, 0)))
    enough_points = (n >= min_points) & (dof >= 1)
    enough_var = np.nan_to_num(variation, nan=0.0) >= max(min_price_variation, 1e-12)
    ok = enough_points & enough_var
    b = np.where(ok, _frac(sxy, sxx), np.nan)
    rss = np.clip(syy - np.nan_to_num(b) * sxy, 0.0, None)
    se = np.where(ok, np.sqrt(_frac(_frac(rss, dof), sxx)), np.nan)
    note = np.where(~enough_points, "not enough history",
                    np.where(~enough_var, "not enough price variation", ""))
    return pd.DataFrame({"price_elasticity": b, "price_elasticity_se": se,
                         "elasticity_points": n.astype(np.int64),
                         "price_variation": variation,
                         "elasticity_note": note.astype(object)},
                        index=pd.Index(np.asarray(cids, dtype=object), name="customer_id"))


_NOT_FOR_INDICATORS = frozenset({
    "reference", "standardisation", "z_clip", "indicator_weights", "stand_out",
    "mixed_rule", "mixed_margin", "min_coverage", "confidence_scale", "evidence_min_z",
    "evidence_items", "clusters", "cluster_seed", "cluster_restarts", "benefit_price",
    "benefit_service", "benefit_technology"})
"""Settings of the rule, the clustering and the benefit view: they do not change the
indicators, so changing them reuses the indicators already computed (any other field,
also one added later, is part of the key: a change computes them again)."""

_INDICATOR_MEMO = TableMemo(2, copy=pd.DataFrame.copy)  # a chapter's data and its checks' copy


def _memo_key(kd, seg, years: list[int]) -> tuple:
    import dataclasses

    from kamlib import formatting
    from kamlib.data import lazy

    tables = tuple(lazy.signature(t) for t in (kd.orders, kd.interactions, kd.products))
    fields = tuple((f.name, repr(getattr(seg, f.name))) for f in dataclasses.fields(seg)
                   if f.name not in _NOT_FOR_INDICATORS)
    return (tables, fields, tuple(int(y) for y in years), formatting.tonne_divisor())


def _all_indicators(kd, seg: SegmentationSettings, years: list[int]) -> pd.DataFrame:
    """The indicators of every customer with orders in the window (index customer_id):
    :func:`kamlib.features.window_indicators`, from SQL aggregates of the order lines
    (over the export's file for a large export, over the loaded lines otherwise).

    Computed once per loaded data and indicator settings: the chapters ask for them
    ten times (segments, profiles, clusters, levers, the rule under other settings),
    and on a large export each pass over the order lines takes seconds. The memo holds
    the last two, keyed on the very table objects (weak references: never kept alive
    for the memo, never matched by another object), their shapes and columns, the
    settings the indicators read, the window and the weight unit; a copy is returned.
    (Values edited in place inside a loaded table would not be seen: kamlib and the
    chapters never do that.)"""
    from kamlib import features

    from kamlib.data import cache

    key = _memo_key(kd, seg, years)
    tables = (kd.orders, kd.interactions, kd.products)
    hit = _INDICATOR_MEMO.get(tables, key)
    if hit is not None:
        return hit
    hit = cache.shared_result("indicators", tables, key[1:])  # from another chapter
    if hit is not None:
        _INDICATOR_MEMO.put(tables, key, hit)
        return hit.copy()
    out = features.window_indicators(kd, seg, years, fit=_elasticity_fit)
    for name in INDICATOR_NAMES:
        out[name] = out[name].astype(float)
    _INDICATOR_MEMO.put(tables, key, out)  # a table without weak references: no memo
    cache.share_result("indicators", tables, key[1:], out)  # for the next chapters
    return out


CONTEXT_COLUMNS = ("orders", "volume_kg", "years_observed", "price_elasticity_se",
                   "elasticity_points", "elasticity_note", "complaints", "bad_deliveries")


def indicators(kd, s, customers=None) -> pd.DataFrame:
    """The behavioural indicators of each customer, over the window of history.

    ``kd``: :class:`kamlib.data.KamData`; ``s``: :class:`kamlib.settings.Settings`
    (window = ``period.years``, definitions in ``segmentation``); ``customers``: ids
    to return (``None`` = the key accounts, :func:`key_account_ids`).

    Index ``customer_id``. One column per indicator (``INDICATORS``), NaN where the data
    cannot tell (no products table, no late delivery, ...). Years observed = from the
    customer's first order in the window (or the window's start) to its end.

    Price family:

    - ``deal_volume_share`` (0-1) = kg on lines with a deal (``deal_types``) / all kg;
    - ``off_season_volume_share`` (0-1) = kg ordered in ``off_season_months`` / all kg;
    - ``price_elasticity`` (%ΔQ/%ΔP) = slope of the log-log fit of quarterly volume on
      the quarterly price index (:func:`price_elasticity`; Nagle). NaN when not
      enough price variation or history (see ``elasticity_note``);
    - ``price_negotiations_per_year`` = price negotiations / years observed;
    - ``economy_grade_share`` (0-1) = kg of economy grades / all kg;
    - ``big_pack_share`` (0-1) = kg in packs ≥ ``big_pack_min_kg`` (or big bags) / all kg;
    - ``discount_depth`` (0-1) = (list revenue − revenue) / list revenue (on-invoice).

    These are Nagle's observable signs of price sensitivity (Nagle & Müller, *The
    Strategy and Tactics of Pricing*: deal proneness, price response, negotiation,
    choice of economy grades and packs).

    Service family:

    - ``complaints_per_order`` = complaints / orders;
    - ``complaints_per_tonne`` = complaints / (delivered kg / 1,000) (data in tonnes,
      i.e. the current company's unit is "t": not divided,
      :func:`kamlib.formatting.tonne_divisor`);
    - ``complaints_after_bad_delivery`` (0-1) = complaints about late or short delivery
      / our late or short deliveries (how often it complains when we fail);
    - ``service_requests_per_year`` = service requests / years observed (delivery and
      stock-support requests are recorded as service requests);
    - ``volume_change_after_bad_delivery`` (relative; −0.3 = 30 % less) = (kg ordered per
      day in the ``bad_delivery_window_days`` after a late or short delivery) / (kg
      ordered per day at other times) − 1; NaN when either period is shorter than
      ``bad_delivery_min_days`` days.

    Technology family:

    - ``technical_requests_per_year``, ``trials_per_year``, ``trainings_per_year`` =
      count / years observed;
    - ``custom_grade_share`` (0-1) = kg of custom grades / all kg;
    - ``new_product_share`` (0-1) = kg of products launched in the last
      ``new_product_years`` years / all kg bought since the first such launch.

    Context columns: ``orders``, ``volume_kg`` (kg), ``years_observed``,
    ``price_elasticity_se``, ``elasticity_points`` (quarters), ``elasticity_note``,
    ``complaints``, ``bad_deliveries`` (late or short delivered lines).
    """
    seg, years = _sections(s, kd)
    ids = _customer_ids(kd, s, customers)
    allind = _all_indicators(kd, seg, years)
    out = allind.reindex(pd.Index(ids, name="customer_id"))
    out["elasticity_note"] = out["elasticity_note"].fillna("no orders in the window")
    out["orders"] = out["orders"].fillna(0).astype(np.int64)
    out["elasticity_points"] = out["elasticity_points"].fillna(0).astype(np.int64)
    return out[list(INDICATOR_NAMES) + list(CONTEXT_COLUMNS)]


# --------------------------------------------------------------------------- scoring


def standardise(values: pd.DataFrame, reference: pd.DataFrame | None = None, *,
                method: str = "robust", clip: float = 3.0) -> pd.DataFrame:
    """Standardise each column of ``values`` against the customers of ``reference``.

    ``robust`` (default): z = (x − median) / (1.4826 · MAD), the *modified z-score*
    (Iglewicz & Hoaglin, *How to Detect and Handle Outliers*, 1993); 1.4826 · MAD equals
    the standard deviation for normal data, but one extreme customer (a loss-making
    whale with three times everyone's requests) moves neither the centre nor the scale.
    When more than half of the reference customers share one value (MAD = 0: most
    customers buy no custom grade), the scale falls back to 1.2533 × the mean absolute
    deviation from the median (same convention). ``zscore``: (x − mean) / standard
    deviation. A column with no spread at all gives 0. Values are then capped at
    ±``clip``. NaN stays NaN (the indicator is not available for that customer).
    """
    ref = values if reference is None else reference
    x = values.to_numpy(dtype=float)
    r = ref[values.columns].to_numpy(dtype=float)
    valid = np.isfinite(r)
    cnt = valid.sum(axis=0)
    with np.errstate(all="ignore"):
        if method == "robust":
            centre = _nanmedian(r)
            dev = np.abs(r - centre)
            scale = 1.4826 * _nanmedian(dev)
            mean_ad = 1.2533 * _nanmean(dev)
            scale = np.where(scale > 1e-12, scale, mean_ad)
        elif method == "zscore":
            centre = _nanmean(r)
            sq = np.where(valid, (r - centre) ** 2, 0.0)
            scale = np.sqrt(_frac(sq.sum(axis=0), cnt - 1))
        else:
            raise ValueError(f"standardisation method must be 'robust' or 'zscore', got "
                             f"'{method}'")
    scale = np.where(np.isfinite(scale) & (scale > 1e-12), scale, np.nan)
    z = (x - centre) / np.where(np.isfinite(scale), scale, 1.0)
    z = np.where(np.isfinite(scale), z, np.where(np.isfinite(x), 0.0, np.nan))
    z = np.clip(z, -clip, clip)
    return pd.DataFrame(z, index=values.index, columns=values.columns)


def _nanmedian(a: np.ndarray) -> np.ndarray:
    """Column medians ignoring NaN, NaN for an all-NaN column (without a warning)."""
    out = np.full(a.shape[1], np.nan)
    ok = np.isfinite(a).any(axis=0)
    if ok.any():
        out[ok] = np.nanmedian(a[:, ok], axis=0)
    return out


def _nanmean(a: np.ndarray) -> np.ndarray:
    valid = np.isfinite(a)
    return _frac(np.where(valid, a, 0.0).sum(axis=0), valid.sum(axis=0))


def _reference_ids(allind: pd.DataFrame, ids: list[str], seg: SegmentationSettings):
    if seg.reference == "classified":
        return pd.Index(ids).intersection(allind.index)
    return allind.index[allind["volume_kg"].to_numpy(dtype=float) > 0]


def _zscores(allind: pd.DataFrame, ids: list[str], seg: SegmentationSettings) -> pd.DataFrame:
    """Signed standardised indicators (+ = more sensitive), index ``ids``."""
    names = list(INDICATOR_NAMES)
    ref = allind.loc[_reference_ids(allind, ids, seg), names]
    vals = allind.reindex(pd.Index(ids, name="customer_id"))[names]
    z = standardise(vals, ref, method=seg.standardisation, clip=seg.z_clip)
    sign = np.array([INDICATOR[n].direction for n in names], dtype=float)
    return z * sign


def _family_matrix(z: pd.DataFrame, seg: SegmentationSettings):
    """(family scores n×3, coverage n×3) as arrays."""
    zv = z.to_numpy(dtype=float)
    w = np.array([seg.weight(n) for n in z.columns])
    fam = np.array([INDICATOR[n].family for n in z.columns])
    scores = np.full((len(z), len(FAMILIES)), np.nan)
    cover = np.zeros((len(z), len(FAMILIES)))
    for j, f in enumerate(FAMILIES):  # three families
        m = fam == f
        wf = np.where(np.isfinite(zv[:, m]), w[m], 0.0)
        tot = w[m].sum()
        num = np.where(np.isfinite(zv[:, m]), zv[:, m], 0.0) * wf
        scores[:, j] = _frac(num.sum(axis=1), wf.sum(axis=1))
        cover[:, j] = wf.sum(axis=1) / tot if tot > 0 else 0.0
    return scores, cover


def family_scores(kd, s, customers=None) -> pd.DataFrame:
    """Standardised family scores of each customer.

    Each indicator is standardised against the reference customers
    (``segmentation.reference``; :func:`standardise`) and signed so that + means more
    sensitive; a family score is the weighted mean of its indicators
    (``indicator_weights``), over the indicators available for that customer:

        F_family = Σ w_i · z_i / Σ w_i        (i in the family, z_i not missing)

    0 = a typical customer of the reference group; +1 = about one (robust) standard
    deviation more sensitive than typical.

    Index ``customer_id``. Columns ``price_score``, ``service_score``,
    ``technology_score``; ``price_coverage``, ``service_coverage``,
    ``technology_coverage`` (share of the family's weight available, 0-1); then the
    signed standardised indicators, one column per indicator, prefixed ``z_``.
    """
    seg, years = _sections(s, kd)
    ids = _customer_ids(kd, s, customers)
    allind = _all_indicators(kd, seg, years)
    return _scores_from(allind, ids, seg)


def _scores_from(allind: pd.DataFrame, ids: list[str], seg: SegmentationSettings):
    z = _zscores(allind, ids, seg)
    scores, cover = _family_matrix(z, seg)
    out = pd.DataFrame(index=z.index)
    for j, f in enumerate(FAMILIES):
        out[f"{f}_score"] = scores[:, j]
    for j, f in enumerate(FAMILIES):
        out[f"{f}_coverage"] = cover[:, j]
    zz = z.add_prefix("z_")
    return pd.concat([out, zz], axis=1)


# --------------------------------------------------------------------------- the rule


def classify(scores: np.ndarray, stand_out: float, mixed_margin: float | None = None,
             confidence_scale: float = 0.5):
    """The transparent rule, on family scores (n × 3 array, order of ``FAMILIES``).

    A family is a **driver** when its score F reaches ``stand_out``: the customer's
    behaviour in that family is clearly above that of a typical customer.

        driver(f) ⇔ F_f ≥ stand_out

    No driver → ``unclear``; one driver → that segment; two or more → ``mixed``, the
    drivers named in ``mixed_types`` (e.g. ``price+service``). Missing scores count as
    not standing out. With ``mixed_margin`` (the *margin* variant), a family must also
    be within ``mixed_margin`` of the top family to count (F_f ≥ F_top − mixed_margin):
    a very strong first driver then hides a weaker second one.

    Confidence: how far the customer is from changing segment. Each family's distance
    to its driver boundary is d_f = F_f − stand_out (margin variant: the smaller of that
    and F_f − (F_top − mixed_margin)); slack = min_f |d_f|, and

        confidence = 1 − ½ · exp(−slack / confidence_scale)

    0.5 on a boundary (a coin toss), towards 1 far from every boundary.

    Returns (segment, mixed_types, drivers (n × 3 bool), confidence) as arrays.
    """
    F = np.asarray(scores, dtype=float)
    Fv = np.where(np.isfinite(F), F, -np.inf)
    d = Fv - stand_out
    if mixed_margin is not None:
        top = Fv.max(axis=1, keepdims=True)
        d = np.minimum(d, Fv - (top - mixed_margin))
    drivers = d >= 0
    n_drv = drivers.sum(axis=1)
    fams = np.array(FAMILIES, dtype=object)
    single = fams[np.argmax(Fv, axis=1)]
    names = np.full(len(F), "", dtype=object)
    for j, f in enumerate(FAMILIES):  # three families
        names = np.where(drivers[:, j], np.where(names == "", f, names + "+" + f), names)
    segment = np.where(n_drv == 0, "unclear",
                       np.where(n_drv == 1, single, "mixed")).astype(object)
    mixed_types = np.where(n_drv >= 2, names, "").astype(object)
    dd = np.where(np.isfinite(d), np.abs(d), np.inf)
    slack = dd.min(axis=1)
    slack = np.where(np.isfinite(slack), slack, 0.0)
    conf = 1.0 - 0.5 * np.exp(-slack / confidence_scale)
    return segment, mixed_types, drivers, conf


def _fmt(kind: str, v: np.ndarray) -> np.ndarray:
    """Vectorised text of indicator values."""
    v = np.asarray(v, dtype=float)
    if kind == "share":
        txt = _texts("%.0f%%", 100 * np.nan_to_num(v))
    elif kind == "change":
        txt = _texts("%+.0f%%", 100 * np.nan_to_num(v))
    elif kind == "elasticity":
        txt = _texts("%.1f", np.nan_to_num(v))
    else:
        a = np.nan_to_num(v)
        txt = np.where(np.abs(a) < 1, _texts("%.2f", a), _texts("%.1f", a))
    return np.where(np.isfinite(v), txt, "n/a").astype(object)


def _indicator_texts(vals: pd.DataFrame, typical: pd.Series,
                     se: pd.Series | None = None) -> pd.DataFrame:
    """'label value (typical t)' per customer and indicator (same shape as ``vals``)."""
    out = {}
    for n in vals.columns:
        ind = INDICATOR[n]
        v = _fmt(ind.kind, vals[n].to_numpy())
        t = _fmt(ind.kind, np.array([typical.get(n, np.nan)]))[0]
        if n == "price_elasticity" and se is not None:
            sev = se.reindex(vals.index).to_numpy(dtype=float)
            v = np.where(np.isfinite(sev), v + " ± " + _fmt("elasticity", sev), v)
        out[n] = ind.label + " " + v + " (typical " + t + ")"
    return pd.DataFrame(out, index=vals.index)


def _evidence(z: pd.DataFrame, texts: pd.DataFrame, scores: np.ndarray,
              segment: np.ndarray, mixed_types: np.ndarray, drivers: np.ndarray,
              seg: SegmentationSettings, notes: pd.Series,
              coverage: np.ndarray | None = None) -> np.ndarray:
    """The evidence sentence of each customer (vectorised over customers: loops run
    over the three families and the few quoted indicators only)."""
    n = len(z)
    names = list(z.columns)
    # Quote the drivers; for an unclear customer, its closest family.
    show = drivers.copy()
    none = ~drivers.any(axis=1)
    top = np.argmax(np.where(np.isfinite(scores), scores, -np.inf), axis=1)
    show[np.flatnonzero(none), top[none]] = True
    rows = np.arange(n)
    detail = np.full(n, "", dtype=object)
    for j, f in enumerate(FAMILIES):  # three families
        cols = [c for c in names if INDICATOR[c].family == f and seg.weight(c) > 0]
        if not cols:
            continue
        zf = z[cols].to_numpy(dtype=float)
        tf = texts[cols].to_numpy(dtype=object)
        order = np.argsort(-np.where(np.isfinite(zf), zf, -np.inf), axis=1, kind="stable")
        acc = np.full(n, "", dtype=object)
        for k in range(min(seg.evidence_items, len(cols))):  # a few quoted indicators
            pick = order[:, k]
            zk = zf[rows, pick]
            ok = np.isfinite(zk) & ((zk >= seg.evidence_min_z) | ((k == 0) & (zk > 0)))
            tk = tf[rows, pick]
            acc = np.where(ok, np.where(acc == "", tk, acc + "; " + tk), acc)
        label = np.where(none, "closest is " + f, f).astype(object)
        part = np.where(show[:, j] & (acc != ""), label + ": " + acc, "").astype(object)
        detail = np.where(part == "", detail,
                          np.where(detail == "", part, detail + " | " + part)).astype(object)

    sc = np.where(np.isfinite(scores), scores, np.nan)
    score_txt = ("scores: price " + _fmt("rate", sc[:, 0]).astype(object) + ", service "
                 + _fmt("rate", sc[:, 1]).astype(object) + ", technology "
                 + _fmt("rate", sc[:, 2]).astype(object))
    head = np.where(segment == "mixed", "mixed (" + mixed_types.astype(str) + ")",
                    np.where(segment == "unclear", "unclear",
                             segment.astype(str) + "-sensitive")).astype(object)
    n_drv = drivers.sum(axis=1)
    mixed_rule = (f"two families reach {seg.stand_out:g}" if seg.mixed_rule == "stand_out"
                  else f"two families reach {seg.stand_out:g} within {seg.mixed_margin:g} "
                  "of each other")
    rule = np.where(
        segment == "unclear", f"no family reaches {seg.stand_out:g}",
        np.where(segment == "mixed", np.where(n_drv > 2, f"all three families reach "
                                              f"{seg.stand_out:g}", mixed_rule),
                 f"only this family reaches {seg.stand_out:g}")).astype(object)
    if coverage is not None:
        thin = coverage < seg.min_coverage
        need = f"{100 * seg.min_coverage:.0f}%% needed"
        rule = np.where(thin, _texts(
            "too little data to judge (%.0f%% of the indicator weight has data, " + need + ")",
            100 * coverage).astype(object), rule)
    text = head + " - " + rule + " (" + score_txt + ")"
    text = np.where(detail != "", text + ". Evidence - " + detail, text)
    note = notes.reindex(z.index).fillna("").astype(str).to_numpy(dtype=object)
    text = np.where(note != "", text + ". Price response: " + note, text)
    return text.astype(object)


def segments(kd, s, customers=None) -> pd.DataFrame:
    """Each customer's buying driver - price, service, technology, mixed or unclear -
    with the evidence that decided it and a confidence.

    ``kd``: :class:`kamlib.data.KamData`; ``s``: :class:`kamlib.settings.Settings`;
    ``customers``: ids (``None`` = the key accounts).

    The rule (transparent, :func:`classify`): indicators standardised against the
    reference customers (robust z-scores, :func:`standardise`), averaged per family
    (:func:`family_scores`); a family is a driver when its score reaches
    ``stand_out`` (with ``mixed_rule = "margin"``, also within ``mixed_margin`` of the
    top family); one driver gives that segment, two or three give ``mixed`` (flagged,
    not forced), none gives ``unclear`` - as does too little data (``min_coverage``).

    Index ``customer_id``. Columns:

    - ``segment`` ∈ {price, service, technology, mixed, unclear};
    - ``mixed_types``: the drivers of a mixed customer, e.g. ``price+service`` ('' else);
    - ``confidence`` (0-1): distance to the rule's boundaries (:func:`classify`) times
      the share of indicator weight with data (a customer with missing data is less
      certain);
    - ``price_score``, ``service_score``, ``technology_score``: standardised family
      scores (0 = typical of the reference group, + = more sensitive);
    - ``evidence``: the decision in words, naming the indicators that decided it with
      their values and the typical value of the reference group;
    - ``price_elasticity``, ``price_elasticity_se`` (%ΔQ/%ΔP; NaN when not enough price
      variation or history), ``elasticity_note``;
    - ``data_coverage`` (0-1): share of all indicator weight with data.
    """
    seg, years = _sections(s, kd)
    ids = _customer_ids(kd, s, customers)
    allind = _all_indicators(kd, seg, years)
    return _segments_from(allind, ids, seg)


def _segments_from(allind: pd.DataFrame, ids: list[str], seg: SegmentationSettings):
    fs = _scores_from(allind, ids, seg)
    score_cols = [f"{f}_score" for f in FAMILIES]
    F = fs[score_cols].to_numpy(dtype=float)
    names = list(INDICATOR_NAMES)
    w = np.array([seg.weight(n) for n in names])
    z = fs[["z_" + n for n in names]]
    z.columns = names
    avail = np.isfinite(z.to_numpy(dtype=float))
    coverage = (avail * w).sum(axis=1) / w.sum()
    # Too little data: every family counts as not standing out (-> unclear).
    F = np.where((coverage >= seg.min_coverage)[:, None], F, np.nan)
    margin = seg.mixed_margin if seg.mixed_rule == "margin" else None
    segment, mixed_types, drivers, conf = classify(F, seg.stand_out, margin,
                                                   seg.confidence_scale)
    ref = allind.loc[_reference_ids(allind, ids, seg), names]
    typical = pd.Series(_nanmedian(ref.to_numpy(dtype=float)), index=names)
    vals = allind.reindex(z.index)[names]
    texts = _indicator_texts(vals, typical, allind["price_elasticity_se"])
    notes = allind["elasticity_note"].reindex(z.index).fillna("no orders in the window")
    evidence = _evidence(z, texts, F, segment, mixed_types, drivers, seg, notes, coverage)
    out = pd.DataFrame({
        "segment": segment.astype(str).astype(object),
        "mixed_types": mixed_types.astype(str).astype(object),
        "confidence": np.round(conf * coverage, 3),
        "price_score": F[:, 0],
        "service_score": F[:, 1],
        "technology_score": F[:, 2],
        "evidence": evidence.astype(str).astype(object),
        "price_elasticity": vals["price_elasticity"].to_numpy(dtype=float),
        "price_elasticity_se": allind["price_elasticity_se"].reindex(z.index).to_numpy(
            dtype=float),
        "elasticity_note": notes.astype(str).to_numpy(dtype=object),
        "data_coverage": coverage,
    }, index=pd.Index(z.index, name="customer_id"))
    return out


# --------------------------------------------------------------------------- clustering


def kmeans(X: np.ndarray, k: int, *, seed: int = 7, restarts: int = 10,
           max_iter: int = 100) -> tuple[np.ndarray, np.ndarray, float]:
    """k-means (Lloyd's algorithm) with k-means++ starts, in numpy, deterministic.

    Minimises the inertia Σ_i ‖x_i − c_(label i)‖² (MacQueen 1967; Lloyd 1982); the
    starting centres are drawn by k-means++ (Arthur & Vassilvitskii 2007: each next
    centre with probability ∝ squared distance to the nearest one already chosen).
    ``restarts`` runs from different starts (one seeded generator), the lowest inertia
    wins. An empty cluster is re-seeded with the point farthest from its centre. Labels
    are renumbered by cluster size (0 = largest), ties by the centre's coordinates, so
    the same data and seed always give the same labels.

    Returns (labels (n,), centres (k × d), inertia).
    """
    X = np.asarray(X, dtype=float)
    n = len(X)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, X.shape[1] if X.ndim == 2 else 0)), 0.0
    k = int(min(k, n))
    rng = np.random.default_rng(seed)
    best = (None, None, np.inf)
    for _ in range(restarts):  # a handful of restarts
        centres = X[[rng.integers(n)]]
        for _j in range(1, k):  # k-means++ seeding, k steps
            d2 = ((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).min(axis=1)
            p = d2 / d2.sum() if d2.sum() > 0 else np.full(n, 1.0 / n)
            centres = np.vstack([centres, X[[rng.choice(n, p=p)]]])
        labels = np.full(n, -1)
        for _it in range(max_iter):  # Lloyd iterations
            d2 = ((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
            new = d2.argmin(axis=1)
            counts = np.bincount(new, minlength=k)
            for j in np.flatnonzero(counts == 0):  # rare: re-seed an empty cluster
                far = int(d2[np.arange(n), new].argmax())
                new[far] = j
                counts = np.bincount(new, minlength=k)
            if np.array_equal(new, labels):
                break
            labels = new
            sums = np.zeros_like(centres)
            np.add.at(sums, labels, X)
            centres = sums / counts[:, None]
        inertia = float(((X - centres[labels]) ** 2).sum())
        if inertia < best[2] - 1e-9:
            best = (labels.copy(), centres.copy(), inertia)
    labels, centres, inertia = best
    sizes = np.bincount(labels, minlength=k)
    order = np.lexsort(tuple(centres[:, ::-1].T) + (-sizes,))
    remap = np.empty(k, dtype=np.int64)
    remap[order] = np.arange(k)
    return remap[labels], centres[order], inertia


def _cluster_from(allind: pd.DataFrame, ids: list[str], seg: SegmentationSettings):
    fs = _scores_from(allind, ids, seg)
    names = [n for n in INDICATOR_NAMES if seg.weight(n) > 0]
    Z = fs[["z_" + n for n in names]].to_numpy(dtype=float)
    Z = np.where(np.isfinite(Z), Z, 0.0)  # missing = typical
    w = np.array([seg.weight(n) for n in names])
    X = Z * np.sqrt(w)
    labels, centres, inertia = kmeans(X, seg.clusters, seed=seg.cluster_seed,
                                      restarts=seg.cluster_restarts)
    # Name each cluster by the rule applied to its centre's family scores.
    cz = centres / np.sqrt(w) if len(centres) else centres
    fam = np.array([INDICATOR[n].family for n in names])
    cf = np.column_stack([
        (cz[:, fam == f] * w[fam == f]).sum(axis=1) / w[fam == f].sum() if (fam == f).any()
        else np.full(len(cz), np.nan) for f in FAMILIES]) if len(cz) else np.zeros((0, 3))
    margin = seg.mixed_margin if seg.mixed_rule == "margin" else None
    c_seg, c_mixed, _, _ = classify(cf, seg.stand_out, margin, seg.confidence_scale)
    d = np.sqrt(((X - centres[labels]) ** 2).sum(axis=1)) if len(X) else np.zeros(0)
    out = pd.DataFrame({
        "cluster": labels.astype(np.int64),
        "cluster_segment": c_seg[labels].astype(str).astype(object),
        "cluster_mixed_types": c_mixed[labels].astype(str).astype(object),
        "distance_to_centre": d,
    }, index=fs.index)
    for j, f in enumerate(FAMILIES):
        out[f"cluster_{f}_score"] = cf[labels, j] if len(cf) else np.zeros(0)
    out.attrs["inertia"] = inertia
    return out


def cluster_segments(kd, s, customers=None) -> pd.DataFrame:
    """The clustering alternative: k-means on the same standardised indicators.

    Features: the signed standardised indicators of :func:`family_scores` (missing =
    0, typical), each multiplied by √weight so that distances respect
    ``indicator_weights``; k = ``clusters``; :func:`kmeans` seeded with
    ``cluster_seed``. Each cluster is *named* by applying the rule (:func:`classify`) to
    its centre's family scores, so that it can be compared with :func:`segments` in a
    contingency table (:func:`compare`).

    Index ``customer_id``. Columns ``cluster`` (0 = largest), ``cluster_segment`` (the
    rule applied to the centre), ``cluster_mixed_types``, ``distance_to_centre``
    (standardised units), ``cluster_price_score``, ``cluster_service_score``,
    ``cluster_technology_score`` (the centre's family scores). ``attrs["inertia"]``.
    """
    seg, years = _sections(s, kd)
    ids = _customer_ids(kd, s, customers)
    return _cluster_from(_all_indicators(kd, seg, years), ids, seg)


def compare(a: pd.Series, b: pd.Series, *, names: tuple[str, str] = ("rule", "clusters"),
            categories: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Contingency table of two assignments of the same customers (rows ``a``, columns
    ``b``), every category shown, with totals. Customers missing from either are left
    out."""
    both = pd.concat([a.rename("a"), b.rename("b")], axis=1, join="inner").dropna()
    cats = list(categories) if categories is not None else list(
        dict.fromkeys([c for c in SEGMENTS if c in set(both["a"]) | set(both["b"])]
                      + sorted(set(both["a"]) | set(both["b"]) - set(SEGMENTS))))
    ra = pd.Categorical(both["a"].astype(str), categories=cats)
    rb = pd.Categorical(both["b"].astype(str), categories=cats)
    t = pd.crosstab(pd.Series(ra, name=names[0]), pd.Series(rb, name=names[1]),
                    dropna=False, margins=True, margins_name="total")
    return t


# --------------------------------------------------------------------------- validation


def confusion(seg_table: pd.DataFrame, answer_key: pd.DataFrame) -> pd.DataFrame:
    """Confusion matrix: true sensitivity (rows: price, service, technology, mixed) ×
    assigned segment (columns: price, service, technology, mixed, unclear), counts of
    the customers of ``seg_table`` found in ``answer_key`` (indexed by customer_id or
    with a ``customer_id`` column; column ``sensitivity``). For checking the method on
    generated data only: real data has no answer key."""
    ak = _answer_key(answer_key)
    j = seg_table[["segment"]].join(ak[["sensitivity"]], how="inner")
    rows = pd.Categorical(j["sensitivity"].astype(str),
                          categories=["price", "service", "technology", "mixed"])
    cols = pd.Categorical(j["segment"].astype(str), categories=list(SEGMENTS))
    t = pd.crosstab(pd.Series(rows, name="true type"), pd.Series(cols, name="assigned"),
                    dropna=False)
    return t


def validate(seg_table: pd.DataFrame, answer_key: pd.DataFrame) -> pd.Series:
    """How well the segments recover the answer key.

    - ``clear_customers``, ``clear_correct``, ``clear_accuracy`` (0-1): customers whose
      true type is price, service or technology, and the share assigned exactly it;
    - ``clear_flagged_mixed``, ``clear_unclear``: shares of them flagged mixed /
      unclear (hedged, not wrong);
    - ``mixed_customers``, ``mixed_flagged`` (share assigned ``mixed``),
      ``mixed_types_correct`` (share assigned mixed with the right pair),
      ``mixed_forced`` (share forced into a single type).
    """
    ak = _answer_key(answer_key)
    cols = ["sensitivity"] + (["mixed_types"] if "mixed_types" in ak.columns else [])
    j = seg_table[["segment", "mixed_types"]].join(ak[cols].rename(
        columns={"mixed_types": "true_mixed_types"}), how="inner")
    truth = j["sensitivity"].astype(str)
    segm = j["segment"].astype(str)
    clear = truth.isin(list(FAMILIES))
    mixed = truth == "mixed"
    n_clear = int(clear.sum())
    n_mixed = int(mixed.sum())
    correct = int((clear & (segm == truth)).sum())
    if "true_mixed_types" in j.columns:
        tm = j["true_mixed_types"].astype("string").fillna("").astype(str)
        pair_ok = int((mixed & (segm == "mixed")
                       & (j["mixed_types"].astype(str) == tm)).sum())
    else:
        pair_ok = 0
    return pd.Series({
        "clear_customers": n_clear,
        "clear_correct": correct,
        "clear_accuracy": correct / n_clear if n_clear else np.nan,
        "clear_flagged_mixed": (clear & (segm == "mixed")).sum() / n_clear if n_clear else np.nan,
        "clear_unclear": (clear & (segm == "unclear")).sum() / n_clear if n_clear else np.nan,
        "mixed_customers": n_mixed,
        "mixed_flagged": (mixed & (segm == "mixed")).sum() / n_mixed if n_mixed else np.nan,
        "mixed_types_correct": pair_ok / n_mixed if n_mixed else np.nan,
        "mixed_forced": (mixed & segm.isin(list(FAMILIES))).sum() / n_mixed if n_mixed else np.nan,
    })


def _answer_key(answer_key: pd.DataFrame) -> pd.DataFrame:
    ak = answer_key
    if ak.index.name != "customer_id":
        if "customer_id" not in ak.columns:
            raise ValueError("the answer key needs a customer_id column or index")
        ak = ak.set_index("customer_id")
    if "sensitivity" not in ak.columns:
        raise ValueError("the answer key needs a 'sensitivity' column (price, service, "
                         "technology or mixed)")
    ak = ak.copy()
    ak.index = ak.index.astype(str)
    return ak


# --------------------------------------------------------------------------- levers


def _drivers_of(segment: np.ndarray, mixed_types: np.ndarray) -> dict[str, np.ndarray]:
    seg_s = segment.astype(str)
    mix_s = mixed_types.astype(str)
    out = {}
    for f in FAMILIES:
        out[f] = (seg_s == f) | ((seg_s == "mixed") & (np.char.find(mix_s.astype(str), f) >= 0))
    out["diagnose"] = seg_s == "unclear"
    return out


def _benefit_gain(effect: dict[str, float], weights: dict[str, float]) -> float:
    """ΔV = Σ_t w_t · sign_t · effect_t  (sign −1 for C and T)."""
    return float(sum(weights[t] * _SIGN[t] * effect.get(t, 0.0) for t in BENEFIT_TERMS))


def _benefit_words(effect: dict[str, float]) -> str:
    words = {"utility": "U (utility)", "brand": "B (brand)", "relationship":
             "R (relationship)", "cost": "C (its cost)", "time": "T (its time and effort)"}
    ups = [words[t] for t in BENEFIT_TERMS if _SIGN[t] * effect.get(t, 0.0) > 0]
    downs = [words[t] for t in BENEFIT_TERMS if _SIGN[t] * effect.get(t, 0.0) < 0]
    txt = []
    up_terms = [w for w in ups if w.startswith(("U", "B", "R"))]
    low_terms = [w for w in ups if w.startswith(("C", "T"))]
    if up_terms:
        txt.append("raises " + ", ".join(up_terms))
    if low_terms:
        txt.append("lowers " + ", ".join(low_terms))
    if downs:
        txt.append("at some expense of " + ", ".join(downs))
    return "; ".join(txt)


def levers(kd, s, customers=None, *, menu: tuple[Lever, ...] = LEVERS) -> pd.DataFrame:
    """The recommended levers of each customer, with the evidence that motivates each.

    One call for the chapter and the account-plan reports. Each customer gets the levers
    of its driver(s) from the strategy menu (``LEVERS``, primer §2): a price-sensitive
    customer the price levers, a mixed ``price+service`` customer both sets, an unclear
    customer the diagnosis. Within a customer, levers are ranked by the strength of
    their evidence: the highest standardised value among the lever's motivating
    indicators (``strength``; 1 = one robust standard deviation above typical).

    Long format, one row per customer and lever, sorted by customer and priority.
    Columns: ``customer_id``, ``segment``, ``lever``, ``lever_family`` (price, service,
    technology or diagnose), ``why`` (the lever's rationale and the customer's
    indicator values behind it, against the typical value), ``priority`` (1 = strongest
    evidence), ``strength`` (standardised units), ``benefit`` (which terms of
    V = U + B + R − C − T it moves), ``value_gain`` (ΔV with the segment's weights,
    :func:`benefit_view`; mixed customers: mean over their drivers).
    """
    seg, years = _sections(s, kd)
    ids = _customer_ids(kd, s, customers)
    allind = _all_indicators(kd, seg, years)
    return _levers_from(allind, ids, seg, menu)


def _levers_from(allind, ids, seg: SegmentationSettings, menu) -> pd.DataFrame:
    st = _segments_from(allind, ids, seg)
    fs = _scores_from(allind, ids, seg)
    names = list(INDICATOR_NAMES)
    ref = allind.loc[_reference_ids(allind, ids, seg), names]
    typical = pd.Series(_nanmedian(ref.to_numpy(dtype=float)), index=names)
    vals = allind.reindex(st.index)[names]
    texts = _indicator_texts(vals, typical, allind["price_elasticity_se"])
    segment = st["segment"].astype(str).to_numpy()
    mixed_types = st["mixed_types"].astype(str).to_numpy()
    drv = _drivers_of(segment, mixed_types)
    n = len(st)
    score_txt = ("no family stands out (scores: price " + _fmt("rate", st["price_score"])
                 + ", service " + _fmt("rate", st["service_score"]) + ", technology "
                 + _fmt("rate", st["technology_score"]) + f"; a driver needs {seg.stand_out:g})")
    gains = {f: {lv.name: _benefit_gain(lv.effect, seg.benefit(f).normalised())
                 for lv in menu} for f in FAMILIES}
    frames = []
    for pos, lv in enumerate(menu):  # the menu: a handful of levers
        if lv.family not in drv:
            raise ValueError(f"lever '{lv.name}': family '{lv.family}' is not one of "
                             f"{FAMILIES + ('diagnose',)}")
        mask = drv[lv.family]
        if not mask.any():
            continue
        if lv.indicators:
            zc = np.column_stack([fs["z_" + i].to_numpy(dtype=float) for i in lv.indicators])
            strength = np.where(np.isfinite(zc).any(axis=1),
                                np.nanmax(np.where(np.isfinite(zc), zc, -np.inf), axis=1),
                                np.nan)
            ev = texts[list(lv.indicators)].to_numpy(dtype=object)
            ev_txt = ev[:, 0]
            for c in range(1, ev.shape[1]):
                ev_txt = ev_txt + "; " + ev[:, c]
        else:
            strength = np.zeros(n)
            ev_txt = np.asarray(score_txt, dtype=object)
        why = lv.rationale + ". Evidence: " + ev_txt
        # ΔV with the weights of the customer's driver(s); mean over them when mixed
        g = np.zeros(n)
        cnt = np.zeros(n)
        for f in FAMILIES:  # three families
            g += np.where(drv[f], gains[f][lv.name], 0.0)
            cnt += drv[f]
        value_gain = np.where(cnt > 0, g / np.maximum(cnt, 1),
                              np.mean([gains[f][lv.name] for f in FAMILIES]))
        frames.append(pd.DataFrame({
            "customer_id": st.index[mask].astype(str),
            "segment": segment[mask],
            "lever": lv.name,
            "lever_family": lv.family,
            "why": why[mask],
            "strength": strength[mask],
            "benefit": _benefit_words(lv.effect),
            "value_gain": value_gain[mask],
            "_menu": pos,
        }))
    cols = ["customer_id", "segment", "lever", "lever_family", "why", "priority",
            "strength", "benefit", "value_gain"]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("strength", "value_gain")
                                          else ("int64" if c == "priority" else object))
                             for c in cols})
    out = pd.concat(frames, ignore_index=True)
    order = {c: i for i, c in enumerate(st.index.astype(str))}
    out["_cust"] = out["customer_id"].map(order)
    out["_s"] = out["strength"].fillna(-np.inf)
    out = out.sort_values(["_cust", "_s", "_menu"], ascending=[True, False, True],
                          kind="stable")
    out["priority"] = out.groupby("_cust").cumcount() + 1
    out = out[cols].reset_index(drop=True)
    out["strength"] = out["strength"].astype(float).round(2)
    out["value_gain"] = out["value_gain"].astype(float).round(3)
    return out


# --------------------------------------------------------------------------- benefit view


def benefit_weights(s) -> pd.DataFrame:
    """The weights of V = U + B + R − C − T per segment (normalised to sum 1).

    Index segment (price, service, technology); columns ``utility``, ``brand``,
    ``relationship``, ``cost``, ``time``. ``s``: Settings or SegmentationSettings.
    """
    seg = s if isinstance(s, SegmentationSettings) else _sections(s)[0]
    return pd.DataFrame([seg.benefit(f).normalised() for f in FAMILIES],
                        index=pd.Index(list(FAMILIES), name="segment"))


def benefit_view(s, menu: tuple[Lever, ...] = LEVERS) -> pd.DataFrame:
    """Which levers raise the customer's benefit V for which segment (teaching aid).

    The sources model what a customer gets as V = U + B + R − C − T (utility, brand,
    relationship, minus its cost and its time). Each lever moves some terms
    (``Lever.effect``, −1..+1); each segment weighs the terms differently
    (``benefit_price`` ... in the settings; in B2B U, C and T weigh most). The gain of a
    lever for a segment is

        ΔV_segment = w_U·ΔU + w_B·ΔB + w_R·ΔR − w_C·ΔC − w_T·ΔT

    (weights normalised to sum 1; a rebate has ΔC = −1, so it adds w_C).

    Index ``lever``. Columns ``lever_family``, ``price``, ``service``, ``technology``
    (ΔV per segment), ``best_for`` (the segment it helps most), ``benefit`` (the terms
    it moves, in words).
    """
    seg = s if isinstance(s, SegmentationSettings) else _sections(s)[0]
    rows = []
    for lv in menu:  # a handful of levers
        row = {"lever": lv.name, "lever_family": lv.family}
        for f in FAMILIES:
            row[f] = _benefit_gain(lv.effect, seg.benefit(f).normalised())
        rows.append(row)
    out = pd.DataFrame(rows).set_index("lever")
    vals = out[list(FAMILIES)].to_numpy(dtype=float)
    out["best_for"] = np.array(FAMILIES, dtype=object)[vals.argmax(axis=1)]
    out["benefit"] = [_benefit_words(lv.effect) for lv in menu]
    out[list(FAMILIES)] = out[list(FAMILIES)].round(3)
    return out


# --------------------------------------------------------------------------- teaching


def profile(kd, s, customer_id: str) -> pd.DataFrame:
    """One customer's indicator profile: value, typical value, standardised value.

    Index ``indicator``. Columns ``family``, ``label``, ``value``, ``typical`` (median
    of the reference customers), ``z`` (signed standardised value: + = more sensitive),
    ``weight``, ``unit``.
    """
    seg, years = _sections(s, kd)
    ids = _customer_ids(kd, s, [customer_id])
    allind = _all_indicators(kd, seg, years)
    fs = _scores_from(allind, ids, seg)
    names = list(INDICATOR_NAMES)
    ref = allind.loc[_reference_ids(allind, ids, seg), names]
    typical = _nanmedian(ref.to_numpy(dtype=float))
    vals = allind.reindex(ids)[names].to_numpy(dtype=float)[0]
    return pd.DataFrame({
        "family": [INDICATOR[n].family for n in names],
        "label": [INDICATOR[n].label for n in names],
        "value": vals,
        "typical": typical,
        "z": fs[["z_" + n for n in names]].to_numpy(dtype=float)[0],
        "weight": [seg.weight(n) for n in names],
        "unit": [INDICATOR[n].unit for n in names],
    }, index=pd.Index(names, name="indicator"))


def elasticity_points(kd, s, customer_id: str) -> pd.DataFrame:
    """The quarterly points behind one customer's elasticity fit (for the picture).

    Columns ``quarter`` (e.g. '2024Q3'), ``volume_kg``, ``price_index`` (revenue /
    kg at current list prices), ``log_price``, ``log_volume`` (season-adjusted: the
    customer's mean of that quarter of the year removed). The slope of ``log_volume`` on
    ``log_price`` is the ``price_elasticity`` of :func:`price_elasticity`.
    """
    seg, years = _sections(s, kd)
    start_w, end_w = _window(years)
    o = kd.orders
    o = o.loc[(o["customer_id"].astype(str) == str(customer_id))
              & (o["order_date"] >= start_w) & (o["order_date"] <= end_w)
              & o["is_delivered"].to_numpy()]
    g = _quarterly(o, _products(kd))
    return pd.DataFrame({
        "quarter": (g["t"] // 4).astype(str) + "Q" + (g["t"] % 4 + 1).astype(str),
        "volume_kg": g["kg"].to_numpy(),
        "price_index": g["rev"].to_numpy() / g["ref"].to_numpy(),
        "log_price": g["x"].to_numpy(),
        "log_volume": g["y"].to_numpy(),
    })
