"""The decisions of the account plan (``[plan]`` in the settings file)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kamlib.errors import SettingsError

OWNER_ROLES = ("account manager", "customer service", "logistics", "technical service",
               "sales management", "executive sponsor")
"""Who can own an action of the plan."""

STRATEGIES = ("growth", "win-back", "hold", "harvest", "recovery")
"""The strategies a plan can follow (one per account and plan year)."""


@dataclass(frozen=True)
class PlanSettings:
    """How the account plan sets its targets and actions.

    Targets by strategy: ``growth_min`` - a growth plan aims at least this much more
    volume than last year (fraction); ``win_back_points`` - a win-back plan aims at
    least this many points (fraction) more share of wallet than now;
    ``share_drop_points`` - a fall of share of wallet of at least this many points over
    two years calls for a win-back; ``volume_drop`` - a fall of volume larger than this
    in each of the last two years calls for a win-back too; ``harvest_price_change`` -
    net price change a harvest or recovery plan asks for (fraction).

    Service targets: ``otif_target`` - on time in full to aim for; ``complaint_cut`` -
    share of last year's complaints to remove (0.5 = halve them), for accounts with at
    least ``complaint_min`` complaints a year (fewer are kept, not cut).

    Status rules: ``decision_maker_min_strength`` - a decision maker's relationship
    strength (1-5) below this is weak; ``decision_maker_influence`` - influence (1-5)
    from which a weak relationship is an alert (below it, a point to watch);
    ``contact_days`` - a decision maker not contacted for this many days is due a
    meeting; ``cliff_share`` - a rebate threshold within this share of the plan volume
    (above or below) is warned; ``rebate_history_tolerance`` - paid and schedule rates
    closer than this (fraction of revenue) match.

    Opportunities: ``whitespace_min_share`` - a product is whitespace when at least
    this share of comparable customers (same industry and size band) buy it and this
    one does not; ``min_group_size`` - comparable groups smaller than this are not used
    (privacy: no other customer's figures can be read from a median).

    Executive sponsorship (rule): an account gets an executive sponsor when its class
    is in ``sponsor_classes`` and its tier in ``sponsor_tiers``, or when its service
    package promises executive visits.

    ``paid_rebate_schedule``: the schedule in force for customers that are paid rebates
    but are not price-sensitive (the company's current programme); ``owners``: names
    per owner role for roles the data does not name (``{"logistics" = "Jan Novak"}``);
    ``customer_goals``: the customer's own goals per customer id, as the account
    manager recorded them (``{"C0028" = "..."}``).
    """

    growth_min: float = 0.03
    win_back_points: float = 0.05
    share_drop_points: float = 0.05
    volume_drop: float = 0.05
    harvest_price_change: float = 0.03
    otif_target: float = 0.95
    complaint_cut: float = 0.5
    complaint_min: int = 3
    decision_maker_min_strength: int = 3
    decision_maker_influence: int = 4
    contact_days: int = 90
    cliff_share: float = 0.10
    rebate_history_tolerance: float = 0.005
    whitespace_min_share: float = 0.5
    min_group_size: int = 5
    sponsor_classes: tuple[str, ...] = ("A",)
    sponsor_tiers: tuple[str, ...] = ("top", "big")
    paid_rebate_schedule: str = "current programme"
    owners: dict[str, str] = field(default_factory=dict)
    customer_goals: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("growth_min", "win_back_points", "share_drop_points", "volume_drop",
                     "harvest_price_change", "otif_target", "complaint_cut", "cliff_share",
                     "whitespace_min_share"):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                raise SettingsError(f"plan.{name} = {v}: use a fraction between 0 and 1 "
                                    "(e.g. 0.05 for 5%)")
        for name in ("decision_maker_min_strength", "decision_maker_influence"):
            v = getattr(self, name)
            if not 1 <= v <= 5:
                raise SettingsError(f"plan.{name} = {v}: a score on the 1-5 scale")
        if self.complaint_min < 1:
            raise SettingsError("plan.complaint_min must be at least 1")
        if self.contact_days < 1:
            raise SettingsError("plan.contact_days must be at least 1")
        if self.min_group_size < 3:
            raise SettingsError("plan.min_group_size must be at least 3 (privacy: a median "
                                "of two customers reveals the other's figure)")
        object.__setattr__(self, "sponsor_classes", tuple(self.sponsor_classes))
        object.__setattr__(self, "sponsor_tiers", tuple(self.sponsor_tiers))
        for role in self.owners:
            if role not in OWNER_ROLES:
                raise SettingsError(f"plan.owners: unknown role '{role}'; roles are "
                                    + ", ".join(OWNER_ROLES))


def plan_settings(s) -> PlanSettings:
    """The ``plan`` section of the settings (defaults when it has none)."""
    p = getattr(s, "plan", None)
    return p if isinstance(p, PlanSettings) else PlanSettings()
