"""What a workshop agreed, as a small TOML file the reports (and ``kam analyse``) read.

The workshop app (``notebooks/workshop.ipynb``, :mod:`kamlib.workshop.app`) saves the
room's decisions - the scorecard goal and weights, the key-account thresholds, the list
overrides with their reasons, the rebate schedule - to a *decisions file*. It holds only
what the room decided; everything else stays in the settings file. A decisions file
looks like this::

    [workshop]                      # for the reader: when, on which data
    saved = "2026-12-01 15:40"
    data = "exports/acme_2025.xlsx"

    [scorecard]
    goal = "custom"                 # or a preset: balanced, grow profit, ...
    weights = { profit = 4.0, growth = 2.0, cooperation = 1.0 }

    [key_accounts]                  # selection.key_accounts and selection.abc
    rule = "abc_and_score"
    min_score = 55.0
    abc_top_share = 0.2

    [segmentation]                  # the segmentation rule's thresholds (chapter 02)
    stand_out = 0.5
    mixed_rule = "margin"

    [[overrides]]                   # the list decided against the rule, with reasons
    customer_id = "C0042"
    customer_name = "Nordfeed Premix GmbH"   # for the reader only
    key = true
    reason = "strategic partner for the new feed plant"

    [rebate_schedule]               # the schedule agreed, for the price-sensitive segment
    name = "workshop 2026"
    method = "retroactive"
    basis = "kg"
    tiers = [{ threshold = 40000, rate = 0.01 }, { threshold = 90000, rate = 0.025 }]
    for_segment = "price"

Use::

    from kamlib import decisions, settings
    d = decisions.load_decisions("decisions.toml")
    s = decisions.apply_decisions(settings.load("kam_settings.toml"), d)

``apply_decisions`` returns ordinary :class:`kamlib.settings.Settings`: the overrides
become ``selection.key_accounts.overrides`` (applied by
:func:`kamlib.selection.decide`, so every consumer sees the same list, the reasons led
by the room's), the schedule is added to ``rebates.schedules`` and named for its
segment. :func:`settings_with_decisions` writes the combined settings file a batch
(``kam reports --decisions FILE``) runs on, beside the decisions file.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
from dataclasses import dataclass, field
from pathlib import Path

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from kamlib import settings as settings_mod
from kamlib.errors import SettingsError
from kamlib.rebates import RebateSchedule
from kamlib.selection import GOAL_PRESETS, KeyOverride

KEY_ACCOUNT_KEYS = {  # decisions file key -> settings key
    "rule": "selection.key_accounts.rule",
    "min_score": "selection.key_accounts.min_score",
    "top_n": "selection.key_accounts.top_n",
    "loss_makers": "selection.key_accounts.loss_makers",
    "key_classes": "selection.key_accounts.key_classes",
    "confirm_classes": "selection.key_accounts.confirm_classes",
    "abc_top_share": "selection.abc.top_share",
    "abc_growth_min": "selection.abc.growth_min",
    "abc_loyalty_min": "selection.abc.loyalty_min",
}
"""The key-account thresholds a workshop may decide, and where they go in the settings."""

SEGMENTATION_KEYS = {  # decisions file key -> settings key
    "stand_out": "segmentation.stand_out",
    "mixed_rule": "segmentation.mixed_rule",
    "mixed_margin": "segmentation.mixed_margin",
    "min_coverage": "segmentation.min_coverage",
}
"""The thresholds of the segmentation rule a workshop may decide
(:class:`kamlib.segmentation.SegmentationSettings`: when a buying driver stands out,
when a customer is mixed, how much data a verdict needs). They change which segment a
key account is in, not the indicators measured."""

SECTIONS = ("workshop", "scorecard", "key_accounts", "segmentation", "overrides",
            "rebate_schedule")
SCHEDULE_KEYS = ("name", "basis", "method", "tiers", "baseline_years", "baseline_uplift",
                 "interim_months", "interim_share", "description", "for_segment")


@dataclass(frozen=True)
class Override:
    """One list decision: ``customer_id`` is key (``key=True``) or not, and why.
    ``customer_name`` is written for the reader of the file and not used."""

    customer_id: str
    key: bool
    reason: str
    customer_name: str = ""

    def __post_init__(self) -> None:
        if not str(self.customer_id).strip():
            raise SettingsError("an override needs a customer_id")
        KeyOverride(self.key, self.reason)  # same rules: key true/false, a reason


@dataclass(frozen=True)
class Decisions:
    """The decisions of one workshop (all optional; what is left out is not decided).

    ``goal`` and ``weights``: the scorecard (``weights`` only with ``goal="custom"``);
    ``key_accounts``: {key of :data:`KEY_ACCOUNT_KEYS`: value}; ``segmentation``: {key
    of :data:`SEGMENTATION_KEYS`: value}; ``overrides``:
    :class:`Override` s; ``schedule``: the agreed :class:`kamlib.rebates.RebateSchedule`
    and ``schedule_segment`` the segment it is for; ``workshop``: free notes (when, the
    data) kept for the reader.
    """

    goal: str | None = None
    weights: dict[str, float] = field(default_factory=dict)
    key_accounts: dict[str, object] = field(default_factory=dict)
    segmentation: dict[str, object] = field(default_factory=dict)
    overrides: tuple[Override, ...] = ()
    schedule: RebateSchedule | None = None
    schedule_segment: str = "price"
    workshop: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", tuple(self.overrides))
        for k in self.key_accounts:
            if k not in KEY_ACCOUNT_KEYS:
                raise SettingsError(_unknown("key_accounts", k, KEY_ACCOUNT_KEYS))
        for k in self.segmentation:
            if k not in SEGMENTATION_KEYS:
                raise SettingsError(_unknown("segmentation", k, SEGMENTATION_KEYS))
        ids = [o.customer_id for o in self.overrides]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise SettingsError(f"overrides: customer {dup[0]} is decided twice; keep one "
                                "decision per customer")
        if self.weights and self.goal != "custom":
            raise SettingsError("scorecard: weights are given, so goal must be 'custom' "
                                f"(got {self.goal!r})")

    @property
    def override_map(self) -> dict[str, KeyOverride]:
        return {o.customer_id: KeyOverride(o.key, o.reason) for o in self.overrides}


def _unknown(section: str, key: str, valid) -> str:
    valid = list(valid)
    close = difflib.get_close_matches(key, valid, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return f"[{section}] unknown key '{key}'.{hint} Valid keys: {', '.join(valid)}."


def from_dict(raw: dict) -> Decisions:
    """Build :class:`Decisions` from the parsed TOML (see the module docstring)."""
    for k in raw:
        if k not in SECTIONS:
            raise SettingsError(_unknown("top level", k, SECTIONS))
    sc = dict(raw.get("scorecard", {}))
    for k in sc:
        if k not in ("goal", "weights"):
            raise SettingsError(_unknown("scorecard", k, ("goal", "weights")))
    goal = sc.get("goal")
    if goal is not None and goal not in tuple(GOAL_PRESETS) + ("custom",):
        raise SettingsError(_unknown("scorecard", str(goal), tuple(GOAL_PRESETS) + ("custom",))
                            .replace("unknown key", "unknown goal"))
    weights = {str(k): float(v) for k, v in dict(sc.get("weights", {})).items()}
    ovs = []
    raw_ovs = raw.get("overrides", [])
    if not isinstance(raw_ovs, list):
        raise SettingsError("overrides must be a list of [[overrides]] tables")
    for i, o in enumerate(raw_ovs, start=1):
        bad = [k for k in o if k not in ("customer_id", "customer_name", "key", "reason")]
        if bad:
            raise SettingsError(_unknown(f"overrides #{i}", bad[0],
                                         ("customer_id", "customer_name", "key", "reason")))
        try:
            ovs.append(Override(str(o.get("customer_id", "")), o.get("key"),
                                o.get("reason", ""), str(o.get("customer_name", ""))))
        except SettingsError as exc:
            raise SettingsError(f"overrides #{i} ({o.get('customer_id', '?')}): {exc}") from None
    schedule, segment = None, "price"
    if "rebate_schedule" in raw:
        rs = dict(raw["rebate_schedule"])
        for k in rs:
            if k not in SCHEDULE_KEYS:
                raise SettingsError(_unknown("rebate_schedule", k, SCHEDULE_KEYS))
        segment = str(rs.pop("for_segment", "price"))
        try:
            schedule = settings_mod._convert(RebateSchedule, rs, "rebate_schedule",
                                             "decisions")
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"[rebate_schedule] {exc}") from None
    return Decisions(goal=goal, weights=weights, key_accounts=dict(raw.get("key_accounts", {})),
                     segmentation=dict(raw.get("segmentation", {})), overrides=tuple(ovs),
                     schedule=schedule, schedule_segment=segment,
                     workshop={str(k): str(v) for k, v in raw.get("workshop", {}).items()})


def to_dict(d: Decisions) -> dict:
    """The TOML-ready dict of ``d`` (inverse of :func:`from_dict`)."""
    out: dict = {}
    if d.workshop:
        out["workshop"] = dict(d.workshop)
    if d.goal is not None:
        out["scorecard"] = {"goal": d.goal}
        if d.goal == "custom":
            out["scorecard"]["weights"] = {k: float(v) for k, v in d.weights.items()}
    if d.key_accounts:
        out["key_accounts"] = {k: (list(v) if isinstance(v, tuple) else v)
                               for k, v in d.key_accounts.items()}
    if d.segmentation:
        out["segmentation"] = dict(d.segmentation)
    if d.overrides:
        out["overrides"] = [{"customer_id": o.customer_id, "customer_name": o.customer_name,
                             "key": o.key, "reason": o.reason} for o in d.overrides]
    if d.schedule is not None:
        sc = settings_mod.to_dict(d.schedule)
        out["rebate_schedule"] = {**sc, "for_segment": d.schedule_segment}
    return out


def summary_lines(d: Decisions) -> list[str]:
    """The decisions in plain sentences, for the room to read before saving."""
    from kamlib.selection import CRITERIA

    lines = []
    if d.goal == "custom":
        w = sorted(d.weights.items(), key=lambda kv: (-kv[1], kv[0]))
        lines.append("Scorecard: the room's own weights - " + ", ".join(
            f"{CRITERIA[c].label} {v:g}" for c, v in w) + " (the rest count 0).")
    elif d.goal is not None:
        lines.append(f"Scorecard: the '{d.goal}' goal's preset weights.")
    for k, v in d.key_accounts.items():
        lines.append(f"Threshold changed: {k.replace('_', ' ')} = {v}.")
    for k, v in d.segmentation.items():
        lines.append(f"Segmentation rule changed: {k.replace('_', ' ')} = {v}.")
    for o in d.overrides:
        lines.append(f"{o.customer_name or o.customer_id} ({o.customer_id}) "
                     f"{'is key' if o.key else 'is not key'}: {o.reason}.")
    if d.schedule is not None:
        lines.append(f"Rebate schedule for the {d.schedule_segment}-sensitive accounts: "
                     + d.schedule.describe())
    return lines


def dumps(d: Decisions) -> str:
    import tomli_w

    return ("# KAM Playbook: decisions agreed in a workshop (kamlib.decisions).\n"
            "# Read by `kam reports --decisions FILE`; keys left out were not decided.\n\n"
            + tomli_w.dumps(to_dict(d)))


def save_decisions(d: Decisions, path: str | Path) -> Path:
    """Write the decisions file whole (via a temporary file). Returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_text(dumps(d), encoding="utf-8")
    tmp.replace(path)
    return path


def load_decisions(path: str | Path) -> Decisions:
    """Read a decisions file. Raises ``SettingsError`` naming the file and the key for
    anything it cannot use (unknown keys with the closest valid one, a schedule the
    rules refuse, an override without a reason); ``FileNotFoundError`` when missing."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no decisions file at {path}: save one from the workshop "
                                "app (button 'Save the decisions').")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: not a valid decisions file ({exc}).") from None
    try:
        d = from_dict(raw)
        apply_decisions(settings_mod.Settings(), d)  # refuse values the settings refuse
    except SettingsError as exc:
        raise SettingsError(f"{path}: {exc}") from None
    return d


def apply_decisions(s, d: Decisions):
    """Settings ``s`` with the decisions ``d`` in force (a new object; ``s`` unchanged).

    Scorecard goal/weights, key-account and segmentation thresholds, overrides (into
    ``selection.key_accounts.overrides``, replacing any there) and the schedule
    (added to ``rebates.schedules``, replacing one of the same name, and named in
    ``rebates.schedule_by_segment`` for ``schedule_segment``). Each value is validated
    like one read from the settings file."""
    from kamlib import selection

    if d.goal is not None:
        # with_goal builds a new ScorecardSettings, which validates goal and weights
        s = selection.with_goal(s, d.goal, d.weights if d.goal == "custom" else None)
    for k, v in d.key_accounts.items():
        s = settings_mod.replace(s, KEY_ACCOUNT_KEYS[k], v)
    for k, v in d.segmentation.items():
        s = settings_mod.replace(s, SEGMENTATION_KEYS[k], v)
    if d.overrides:
        ka = dataclasses.replace(s.selection.key_accounts, overrides=d.override_map)
        s = settings_mod.replace(s, "selection.key_accounts", ka)
    if d.schedule is not None:
        rb = s.rebates.with_schedule(d.schedule)
        rb = dataclasses.replace(rb, schedule_by_segment={**rb.schedule_by_segment,
                                                          d.schedule_segment: d.schedule.name})
        s = settings_mod.replace(s, "rebates", rb)
    return s


def check_against_data(d: Decisions, kd) -> None:
    """Refuse overrides naming customers the data ``kd`` does not have (a decisions
    file from another export), with the ids and how to fix it."""
    known = set(kd.customers["customer_id"].astype(str))
    missing = [o.customer_id for o in d.overrides if o.customer_id not in known]
    if missing:
        raise SettingsError(
            f"the decisions name {len(missing)} customer(s) not in the data "
            f"({', '.join(missing[:5])}): was the file saved on another export? Remove "
            "those overrides or use the data the workshop used.")


def settings_in_force(decisions_file: str | Path, settings_file: str | Path | None,
                      kd=None):
    """The settings of ``settings_file`` (or the defaults when None or missing) with the
    decisions of ``decisions_file`` applied - what ``kam analyse --decisions`` runs on.
    ``kd``: the data, to check the overrides' customer ids against. Raises
    ``SettingsError`` / ``FileNotFoundError`` with the file and the fix."""
    d = load_decisions(decisions_file)
    if kd is not None:
        check_against_data(d, kd)
    return apply_decisions(settings_mod.load(settings_file), d)


def settings_with_decisions(decisions_file: str | Path, settings_file: str | Path | None,
                            kd=None) -> Path:
    """Write the settings in force (``settings_file``, or the defaults) with the
    decisions of ``decisions_file`` applied, beside the decisions file as
    ``<name>.settings.toml`` (``decisions.toml`` -> ``decisions.settings.toml``), and
    return its path - the settings file a batch (``kam reports --decisions``) runs on,
    kept so a plan can be traced to its decisions. ``kd``: the data, to check the
    overrides' customer ids against."""
    s = settings_in_force(decisions_file, settings_file, kd)
    src = Path(decisions_file)
    return settings_mod.save(s, src.with_name(src.stem + ".settings.toml"))


def from_state(s, base, overrides=(), schedule: RebateSchedule | None = None,
               schedule_segment: str = "price", data: str = "",
               now: _dt.datetime | None = None) -> Decisions:
    """The decisions that turn settings ``base`` into ``s`` (what a workshop changed):
    the scorecard (always written: it is what the room looked at), the key-account
    and segmentation thresholds that differ from ``base``, ``overrides`` and
    ``schedule``. ``data``
    and ``now`` go to the ``[workshop]`` notes."""
    sc = s.selection.scorecard
    changed = _changed(s, base, KEY_ACCOUNT_KEYS)
    now = now or _dt.datetime.now().replace(microsecond=0)
    notes = {"saved": now.isoformat(sep=" ", timespec="minutes")}
    if data:
        notes["data"] = str(data)
    return Decisions(goal=sc.goal, weights=dict(sc.weights) if sc.goal == "custom" else {},
                     key_accounts=changed,
                     segmentation=_changed(s, base, SEGMENTATION_KEYS),
                     overrides=tuple(overrides), schedule=schedule,
                     schedule_segment=schedule_segment, workshop=notes)


def _changed(s, base, keys: dict[str, str]) -> dict[str, object]:
    """{decisions key: value in ``s``} for the ``keys`` whose value differs from ``base``."""
    return {k: _get(s, dotted) for k, dotted in keys.items()
            if _get(s, dotted) != _get(base, dotted)}


def _get(s, dotted: str):
    for part in dotted.split("."):
        s = getattr(s, part)
    return s
