"""The settings of the periodic review (``[review]`` in the settings file).

Every weight, scale, evidence minimum and threshold of :mod:`kamlib.review` is a
decision, kept here with its default. ``kamlib.settings`` composes this section into
the one settings file; this module imports nothing from the layers above.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from kamlib.errors import SettingsError

COMPONENTS = ("volume", "share_of_wallet", "margin", "complaints", "resolution",
              "contacts", "delivery", "service_gap")
"""The health components, in the order they are shown."""

COMPONENT_NEEDS = {
    "share_of_wallet": "assessments", "margin": "costs", "complaints": "interactions",
    "resolution": "interactions", "contacts": "contacts", "delivery": "deliveries",
    "service_gap": "interactions",
}
"""The data capability (:data:`kamlib.schema.CAPABILITIES`) each component reads; on an
export without it the component has no evidence (its score is NaN, it leaves the
coverage), never a score computed from nothing (no costs is not a 100 % margin, no
interactions is not a complaint-free account)."""

COMPONENT_LABELS = {
    "volume": "volume trend",
    "share_of_wallet": "share-of-wallet trend",
    "margin": "margin trend",
    "complaints": "complaint rate",
    "resolution": "complaint resolution time",
    "contacts": "decision makers' last contact",
    "delivery": "delivery performance (on time in full)",
    "service_gap": "service-level gap",
}

COMPONENT_KINDS = {
    "volume": "pct", "share_of_wallet": "pct", "margin": "pct", "complaints": "number:1",
    "resolution": "days", "contacts": "days", "delivery": "pct", "service_gap": "count",
}
"""How each component's measure reads in a table (:func:`kamlib.tables.table` kinds):
changes and rates as percentages, days and levels as whole numbers."""


@dataclass(frozen=True)
class HealthWeights:
    """Weight of each health component (≥ 0; only their ratios matter). A component
    without enough evidence for a customer is left out and the others' weights are
    rescaled to sum 1 for that customer."""

    volume: float = 2.0
    share_of_wallet: float = 2.0
    margin: float = 1.0
    complaints: float = 1.0
    resolution: float = 0.5
    contacts: float = 2.0
    delivery: float = 1.0
    service_gap: float = 1.0

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if v < 0:
                raise SettingsError(f"review.weights.{f.name} must be ≥ 0, got {v}")
        if sum(getattr(self, f.name) for f in fields(self)) <= 0:
            raise SettingsError("review.weights: at least one weight must be > 0")

    def as_dict(self) -> dict[str, float]:
        return {c: float(getattr(self, c)) for c in COMPONENTS}


@dataclass(frozen=True)
class HealthScales:
    """Where each component scores 0 (``*_bad``) and 100 (``*_good``); linear between,
    capped at 0 and 100. Units: yearly change as a fraction (volume), points of share
    of wallet and of gross margin over two years (fractions: -0.10 = -10 points),
    the customer's complaint rate as a multiple of the portfolio's, median days to
    resolve a complaint, days since the decision maker seen longest ago, the on-time-
    in-full rate, and the service gap in relationship levels (recommended - observed).
    """

    volume_change_bad: float = -0.25
    volume_change_good: float = 0.0
    share_change_bad: float = -0.15
    share_change_good: float = 0.0
    margin_change_bad: float = -0.06
    margin_change_good: float = 0.0
    complaint_ratio_bad: float = 3.0
    complaint_ratio_good: float = 1.0
    resolution_days_bad: float = 20.0
    resolution_days_good: float = 5.0
    contact_days_bad: float = 300.0
    contact_days_good: float = 90.0
    otif_bad: float = 0.70
    otif_good: float = 0.95
    gap_bad: float = 3.0
    gap_good: float = 0.0

    def __post_init__(self) -> None:
        names = {f.name for f in fields(self)}
        for stem in sorted({n.rsplit("_", 1)[0] for n in names}):
            bad, good = getattr(self, f"{stem}_bad"), getattr(self, f"{stem}_good")
            if bad == good:
                raise SettingsError(f"review.scales.{stem}_bad and {stem}_good must differ "
                                    f"(both {bad})")


@dataclass(frozen=True)
class EvidenceSettings:
    """How much evidence a signal needs to count (one complaint is not a trend).

    ``min_orders``: orders in each 12-month window compared (volume, margin) and in the
    last 12 months (complaint rate); ``min_complaints``: complaints received in the last
    12 months before the complaint rate and the resolution time can lower the health
    (fewer: no signal, scored 100); ``min_deliveries``: delivered order lines in the
    last 12 months for the on-time-in-full rate; ``min_coverage``: share of the weights
    with evidence below which no health is given (too little is known).
    """

    min_orders: int = 3
    min_complaints: int = 3
    min_deliveries: int = 6
    min_coverage: float = 0.5

    def __post_init__(self) -> None:
        for name in ("min_orders", "min_complaints", "min_deliveries"):
            if getattr(self, name) < 1:
                raise SettingsError(f"review.evidence.{name} must be at least 1")
        if not 0 < self.min_coverage <= 1:
            raise SettingsError("review.evidence.min_coverage must be in (0, 1]")


@dataclass(frozen=True)
class ReviewSettings:
    """Settings of the periodic review (section ``[review]``).

    ``health_threshold``: below it (and with at least ``decay_min_signals`` components
    under ``signal_below``) an account is *decaying*; chosen on companies generated
    with other seeds, not on the bundled sample (see :mod:`kamlib.review.validation`).
    ``develop_min_health``: a key account this healthy, with room to grow, is to be
    *developed*. ``develop_min_headroom``: the room to grow that counts - the kg the
    customer buys elsewhere as a share of its total use. ``trend_quarters``: quarter
    ends at which the health is also computed, to show its trend.
    """

    health_threshold: float = 50.0
    decay_min_signals: int = 2
    signal_below: float = 50.0
    develop_min_health: float = 80.0
    develop_min_headroom: float = 0.5
    trend_quarters: int = 4
    weights: HealthWeights = field(default_factory=HealthWeights)
    scales: HealthScales = field(default_factory=HealthScales)
    evidence: EvidenceSettings = field(default_factory=EvidenceSettings)

    def __post_init__(self) -> None:
        for name in ("health_threshold", "signal_below", "develop_min_health"):
            v = getattr(self, name)
            if not 0 <= v <= 100:
                raise SettingsError(f"review.{name} is a health 0-100, got {v}")
        if self.decay_min_signals < 0:
            raise SettingsError("review.decay_min_signals must be ≥ 0")
        if not 0 <= self.develop_min_headroom <= 1:
            raise SettingsError("review.develop_min_headroom is a share 0-1")
        if not 0 <= self.trend_quarters <= 12:
            raise SettingsError("review.trend_quarters must be 0-12")
