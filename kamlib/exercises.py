"""Exercise checks: tell a learner right or wrong without giving the answer away.

    from kamlib import exercises
    exercises.check("01.3", 44)                    # on the bundled data and settings
    exercises.check("00.2", ["Czechia", "Greece", "Finland", "Spain", "United Kingdom"])
    exercises.check("00.1", 28, data_source=data_source, settings_file=settings_file,
                    analysis_year=analysis_year)   # the learner's copy's own parameters
    exercises.available()                          # the ids that have a check, and what

Every expected answer is **computed from the data at run time** with ``kamlib`` (the
same calls as the chapter's model answer), never written down: on another company's
export, or after a change to the sample, the check follows the data. The reply says
*right* or *not yet*, with a hint that points at the method, never at the value; a
:class:`Result` also says ``ok`` for code that wants it.

What can be checked: a number (with a tolerance: an amount to the euro, a share to
0.001; a percentage written as 20 for 0.20 is accepted and said so), a whole count, a
word (a segment, a class, an industry: case and spaces aside), a customer or product id,
a group of ids or names (order does not matter), or several named parts (a ``dict``;
a ``tuple`` / ``list`` in the order the exercise names them). Exercises whose answer is
an argument ("what would you do?") have model answers in prose in the chapter instead.

Results are cached per data source, settings file and analysis year, so a second check
in the same session costs nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Exercise:
    """One checkable exercise: ``id`` ("01.3"), ``question`` (what is asked, short),
    ``expected(ctx)`` (computes the answer from a :class:`Context`), ``kind`` (how to
    compare: ``number``, ``count``, ``word``, ``id``, ``group``, ``parts``, ``yes_no``),
    ``tolerance`` (absolute, for numbers), ``parts`` (the names of the parts, in order,
    for ``parts``), ``part_kinds`` and ``part_tolerances`` (per part), ``hint`` (where
    to look, without the value)."""

    id: str
    question: str
    expected: Callable[["Context"], Any]
    kind: str
    hint: str
    tolerance: float = 0.0
    parts: tuple[str, ...] = ()
    part_kinds: tuple[str, ...] = ()
    part_tolerances: tuple[float, ...] = ()


@dataclass(frozen=True)
class Result:
    """``ok``: the answer is right; ``message``: what to tell the learner."""

    ok: bool
    message: str

    def _repr_markdown_(self) -> str:
        return ("✅ " if self.ok else "❌ ") + self.message

    def __repr__(self) -> str:
        return ("RIGHT: " if self.ok else "NOT YET: ") + self.message

    def __bool__(self) -> bool:
        return self.ok


class Context:
    """What the expected answers are computed from: the data, the settings (with the
    analysis year), and the tables several exercises share, each computed once."""

    def __init__(self, kd, s, analysis_year: int):
        self.kd = kd
        self.s = s
        self.year = int(analysis_year)
        self._cache: dict[str, Any] = {}

    def get(self, name, make: Callable[[], Any]) -> Any:
        if name not in self._cache:
            self._cache[name] = make()
        return self._cache[name]

    # the tables the chapters compute once at their top
    @property
    def orders(self) -> pd.DataFrame:
        return self.kd.orders

    def key_accounts(self) -> pd.DataFrame:
        from kamlib import selection

        return self.get("ka", lambda: selection.key_accounts(self.kd, self.s))

    def segments(self) -> pd.DataFrame:
        from kamlib import segmentation

        return self.get("segments", lambda: segmentation.segments(
            self.kd, self.s, segmentation.key_account_ids(self.kd, self.s)))

    def accounts(self) -> pd.DataFrame:
        from kamlib import service

        return self.get("accounts", lambda: service.key_account_table(self.kd, self.s))


# ------------------------------------------------------------- the expected answers


def _year_orders(c: Context) -> pd.DataFrame:
    return c.orders.loc[c.orders["year"] == c.year]


def _new_customers(c: Context) -> int:
    first = set(c.orders.loc[c.orders["year"] == c.kd.years[0], "customer_id"])
    now = set(_year_orders(c)["customer_id"])
    return len(now - first)


def _top_countries(c: Context) -> list[str]:
    country = c.kd.customers.set_index("customer_id")["country"]
    yo = _year_orders(c)
    by = yo.groupby(yo["customer_id"].map(country))["revenue"].sum()
    return list(by.nlargest(5).index)


def _off_season_industry(c: Context) -> str:
    industry = c.kd.customers.set_index("customer_id")["industry"]
    yo = _year_orders(c)
    by = yo["customer_id"].map(industry)
    off = yo["volume_kg"].where(yo["deal_type"] == "off-season", 0.0)
    share = off.groupby(by).sum() / yo["volume_kg"].groupby(by).sum()
    return str(share.idxmax())


def _new_product_buyers(c: Context) -> dict[int, int]:
    launched = pd.to_datetime(c.kd.products["launch_date"], errors="coerce")
    new = c.kd.products.loc[launched >= pd.Timestamp("2023-01-01"), "product_id"]
    lines = c.orders.loc[c.orders["product_id"].isin(new)]
    return {int(y): int(n) for y, n in lines.groupby("year")["customer_id"].nunique().items()}


def _gini_by_hand(c: Context) -> float:
    from kamlib import selection

    return float(selection.gini([1, 2, 3, 4]))


def _loss_makers_longer_visits(c: Context) -> int:
    from kamlib import selection, settings

    minutes = {**c.s.selection.cost_to_serve.unit_minutes, "visit": 360.0}
    s3 = settings.replace(c.s, "selection.cost_to_serve.unit_minutes", minutes)
    ka3 = selection.key_accounts(c.kd, s3)
    return int((ka3["is_loss_maker"] & ka3["is_active"]).sum())


def _custom_goal(c: Context) -> dict[str, int]:
    from kamlib import selection, settings

    s4 = selection.with_goal(c.s, "custom", {"target_industry": 3, "information_sharing": 3,
                                             "profit_margin": 2, "growth": 2})
    s4 = settings.replace(s4, "selection.scorecard.target_industries", ["pharma", "cosmetics"])
    k4 = selection.key_accounts(c.kd, s4)
    k4 = k4.loc[k4["is_key"]]
    return {"key accounts": len(k4),
            "pharma or cosmetics": int(k4["industry"].isin(["pharma", "cosmetics"]).sum())}


def _lifetime_values(c: Context) -> dict[str, float]:
    from kamlib import selection

    m, r, d = 50_000, 0.85, 0.08
    return {"first margin in a year": m * selection.margin_multiple(r, d, "end"),
            "first margin now": m * selection.margin_multiple(r, d, "start")}


def _steeper_pyramid(c: Context) -> dict[str, float]:
    from kamlib import selection, settings

    s7 = settings.replace(c.s, "selection.pyramid.move_share", 0.05)
    s7 = settings.replace(s7, "selection.pyramid.move_to", "median")
    t = selection.simulate_moving_up(c.key_accounts(), s7.selection.pyramid).loc["total"]
    return {"movers": int(t["movers"]),
            "revenue change": float(t["revenue_after"] / t["revenue_before"] - 1),
            "profit change": float(t["profit_after"] / t["profit_before"] - 1)}


def _lowest_confidence(c: Context) -> str:
    return str(c.segments()["confidence"].idxmin())


def _technology_vs_key_accounts(c: Context) -> int:
    from kamlib import segmentation, settings

    alt = segmentation.segments(c.kd, settings.replace(c.s, "segmentation.reference",
                                                      "classified"),
                                segmentation.key_account_ids(c.kd, c.s))
    return int((alt["segment"] == "technology").sum())


def _unsure_accounts(c: Context) -> list[str]:
    t = c.segments()
    return sorted(map(str, t.index[t["confidence"] < 0.6]))


def _rebate_by_hand(c: Context) -> dict[str, float]:
    from kamlib import rebates

    case = pd.DataFrame({"volume_kg": [118_000.0], "revenue": [118_000 * 8.5]})
    return {name: float(rebates.apply_schedule(case, c.s.rebates.schedule(name))
                        .iloc[0]["rebate"])
            for name in ("cumulative volume", "stepped volume")}


def _break_even(c: Context) -> dict[str, float]:
    from kamlib import rebates

    return {"break-even volume change": float(rebates.break_even_volume_change(-0.03, 0.18)),
            "break-even elasticity": float(rebates.break_even_elasticity(-0.03, 0.18))}


def _short_at_four_visits(c: Context) -> dict[str, int]:
    from kamlib import service, settings

    four = settings.replace(c.s, "service.visits.capacity_per_week", 4)
    p4 = service.visit_plan(c.accounts(), four, c.year + 1, customers=c.kd.customers)
    u = p4.unplanned
    return {"accounts short": int(u["customer_id"].nunique()) if len(u) else 0,
            "visits missing": int((u["visits_required"] - u["visits_planned"]).sum())
            if len(u) else 0}


def _over_served_rising(c: Context) -> list[str]:
    from kamlib import service

    accounts = c.accounts()
    levels = service.relationship_levels(c.kd, c.s, accounts)
    trend = service.complaint_trend(c.kd, c.s, accounts.index)
    both = levels.loc[levels["gap"] < 0].join(trend[["rising"]])
    return sorted(map(str, both.index[both["rising"].fillna(False).astype(bool)]))


def _complaints_per_tonne(c: Context) -> str:
    from kamlib import service

    by_product = service.complaint_metrics(c.kd, "product_id", years=c.year, s=c.s)
    return str(by_product["complaints_per_tonne"].idxmax())


def _best_history(c: Context) -> int:
    from kamlib import service, settings

    accounts = c.accounts()
    actual = service.monthly_volume(c.kd, accounts.index, [c.year])[c.year]
    peak = service.supply_window(c.s)[1]
    errors = {}
    for years in (1, 2, 3):
        sy = settings.replace(c.s, "service.supply.history_years", years)
        f = service.seasonal_need(c.kd, sy, accounts.index, plan_year=c.year)[peak].sum().sum()
        errors[years] = abs(f - actual[peak].sum())
    return int(min(errors, key=errors.get))


EXERCISES: dict[str, Exercise] = {e.id: e for e in (
    Exercise("00.1", "customers who bought in the analysis year but not in the first year",
             _new_customers, "count",
             "Compare the sets of customer ids of the two years (set difference)."),
    Exercise("00.2", "the five countries with the most revenue in the analysis year",
             _top_countries, "group",
             "Map each order line's customer_id to its country, sum revenue by country, "
             "take the five largest."),
    Exercise("00.3", "the industry that buys the largest share of its volume on "
             "off-season deals", _off_season_industry, "word",
             "Divide each industry's off-season kg by all its kg; compare shares, not kg."),
    Exercise("00.4", "customers who bought the new products, per year ({year: customers})",
             _new_product_buyers, "parts",
             "Products launched from 2023 on; count distinct customer ids per year."),
    Exercise("01.1", "the Gini coefficient of 1, 2, 3 and 4 tonnes", _gini_by_hand,
             "number", "Sort ascending; the weights are 2i − n − 1 for i = 1..n.",
             tolerance=0.0005),
    Exercise("01.3", "active loss makers when a visit takes 360 minutes",
             _loss_makers_longer_visits, "count",
             "Change unit_minutes['visit'] in a copy of the settings (settings.replace) "
             "and recompute the key-account table; count active customers only."),
    Exercise("01.4", "key accounts under the custom goal, and how many are in pharma or "
             "cosmetics", _custom_goal, "parts",
             "selection.with_goal, then set target_industries; the facts must be recomputed "
             "(selection.key_accounts, not decide).",
             parts=("key accounts", "pharma or cosmetics"), part_kinds=("count", "count")),
    Exercise("01.5", "the lifetime value with the first margin in a year, and with the "
             "first margin now (EUR)", _lifetime_values, "parts",
             "m·r/(1+d−r) and m·(1+d)/(1+d−r); they differ by exactly one margin.",
             tolerance=1.0, parts=("first margin in a year", "first margin now"),
             part_kinds=("number", "number")),
    Exercise("01.7", "movers, revenue change and profit change with 5% movers to the median",
             _steeper_pyramid, "parts",
             "Set selection.pyramid.move_share and move_to, then simulate_moving_up; "
             "changes as fractions (0.05 for +5%).", tolerance=0.001,
             parts=("movers", "revenue change", "profit change"),
             part_kinds=("count", "number", "number")),
    Exercise("02.1", "the key account with the lowest confidence", _lowest_confidence,
             "id", "Look at the confidence column of the segments table (idxmin)."),
    Exercise("02.3", "technology-driven key accounts when the reference is the key "
             "accounts only", _technology_vs_key_accounts, "count",
             "settings.replace(s, 'segmentation.reference', 'classified'), then segments."),
    Exercise("02.6", "the key accounts whose confidence is below 0.6", _unsure_accounts,
             "group", "Filter the segments table on confidence < 0.6; give the customer ids."),
    Exercise("03.1", "the rebate of 118 t at EUR 8.50/kg under cumulative volume and under "
             "stepped volume (EUR)", _rebate_by_hand, "parts",
             "Retroactive: the highest rate reached on all kg; marginal: each rate on its band.",
             tolerance=1.0, parts=("cumulative volume", "stepped volume"),
             part_kinds=("number", "number")),
    Exercise("03.3", "the break-even volume change and the break-even elasticity of a 3% "
             "rebate at an 18% margin", _break_even, "parts",
             "%ΔV = −ΔP / (CM + ΔP), with ΔP = −0.03 and CM = 0.18.",
             parts=("break-even volume change", "break-even elasticity"),
             part_kinds=("number", "number"), part_tolerances=(0.001, 0.05)),
    Exercise("04.1", "accounts that can no longer get their frequency at 4 visits a week, "
             "and the visits missing", _short_at_four_visits, "parts",
             "Set service.visits.capacity_per_week and look at the plan's unplanned table.",
             parts=("accounts short", "visits missing"), part_kinds=("count", "count")),
    Exercise("04.3", "key accounts served beyond their margin with rising complaints",
             _over_served_rising, "group",
             "Join the relationship levels (gap < 0) with the complaint trend (rising)."),
    Exercise("04.4", "the product with the most complaints per tonne in the analysis year",
             _complaints_per_tonne, "id",
             "service.complaint_metrics by product_id for the analysis year."),
    Exercise("04.5", "the years of history (1, 2 or 3) that forecast the analysis year's "
             "peak best", _best_history, "count",
             "Back-test service.seasonal_need with history_years 1, 2 and 3 against the "
             "actual peak; compare the size of the errors."),
)}


# ------------------------------------------ chapters 03 and 04: more checks (courseB)
# Each computes what the chapter's model answer computes, with the same kamlib calls.


def _price_targets(c: Context):
    from kamlib import rebates, segmentation

    return c.get("price targets", lambda: rebates.price_sensitive(segmentation.segments(c.kd, c.s)))


def _proposal(c: Context):
    return c.s.rebates.segment_schedule("price")


def _moved_thresholds(c: Context) -> dict[str, float]:
    from kamlib import rebates

    moved = rebates.RebateSchedule("moved", "kg", "retroactive",
                                   [(50_000, 0.01), (100_000, 0.02), (150_000, 0.03)])
    total = rebates.simulation_summary(rebates.simulate(c.kd, c.s, moved, customers=_price_targets(c)))
    return {"cost": float(total["rebate"]), "just below a threshold": int(total["near_threshold"])}


def _owed_back(c: Context) -> dict[str, float]:
    from kamlib import rebates, settings

    p = _proposal(c)
    run_rate = settings.replace(c.s, "rebates.forecast", "run_rate")
    out = {}
    for share in (1.0, 0.8):
        sc = rebates.RebateSchedule(p.name, p.basis, p.method, p.tiers, interim_share=share)
        st = rebates.settlement(rebates.accrual(c.kd, run_rate, sc, customers=_price_targets(c)))
        out[f"owed back at {share:.0%}"] = float(-st.loc[st["final_settlement"] < 0,
                                                          "final_settlement"].sum())
    return out


def _pull_forward_not_safe(c: Context) -> list[str]:
    from kamlib import rebates

    off = rebates.deal_effect(c.kd, c.s, "off-season", customers=_price_targets(c))
    off = off.loc[off["deal_kg"] > 0]
    unsafe = (1 - off["break_even_new_share"]) < c.s.rebates.pull_forward_share
    return sorted(map(str, off.index[unsafe]))


def _trade_fair(c: Context) -> dict:
    from kamlib import service, settings

    blocked = list(c.s.service.visits.blocked_weeks) + [10, 11]
    fair = settings.replace(c.s, "service.visits.blocked_weeks", blocked)
    plan = service.visit_plan(c.accounts(), fair, c.year + 1, customers=c.kd.customers)
    weeks = sorted(int(w) for w in plan.visits.loc[plan.visits["month"] == 3, "week"].unique())
    return {"every account gets its visits": bool(plan.is_complete),
            "weeks of the March visits": weeks}


def _raised_target_revenue(c: Context) -> float:
    from kamlib import service, settings

    accounts = c.accounts()
    plan = service.visit_plan(accounts, c.s, c.year + 1, customers=c.kd.customers)
    obj = service.objectives(c.kd, c.s, accounts, plan=plan)
    big = obj.loc[obj["abc_class"] == "A", "volume_kg"].idxmax()
    new = round(obj.loc[big, "target_volume_kg"] * 1.08)
    s6 = settings.replace(c.s, "service.objectives.overrides", {f"{big}.target_volume_kg": new})
    return float(service.objectives(c.kd, s6, accounts, plan=plan).loc[big, "target_revenue"])


EXERCISES.update({e.id: e for e in (
    Exercise("03.2", "the cost of cumulative volume with thresholds at 50, 100 and 150 t, and "
             "the customers just below a threshold", _moved_thresholds, "parts",
             "Build a RebateSchedule with the new tiers, rebates.simulate it on the "
             "price-sensitive key accounts, then rebates.simulation_summary.",
             parts=("cost", "just below a threshold"), part_kinds=("number", "count"),
             part_tolerances=(1.0, 0.0)),
    Exercise("03.4", "what the customers owe back at settlement with interims of 100% and 80% "
             "(run-rate forecast, EUR)", _owed_back, "parts",
             "Set rebates.forecast to 'run_rate', give the schedule interim_share 1.0 and 0.8, "
             "then rebates.accrual and rebates.settlement; sum the negative final settlements.",
             parts=("owed back at 100%", "owed back at 80%"), part_kinds=("number", "number"),
             tolerance=1.0),
    Exercise("03.5", "the price-sensitive key accounts whose off-season deal stops paying before "
             "the pulled-forward share of the settings", _pull_forward_not_safe, "group",
             "rebates.deal_effect(kd, s, 'off-season', customers=...): the deal pays while the "
             "pulled-forward share is below 1 − break_even_new_share."),
    Exercise("04.2", "with weeks 10 and 11 blocked: does every account still get its visits, and "
             "in which weeks do the March visits fall", _trade_fair, "parts",
             "Add 10 and 11 to service.visits.blocked_weeks, make the visit plan, look at "
             "is_complete and at the weeks of the visits whose month is 3.",
             parts=("every account gets its visits", "weeks of the March visits"),
             part_kinds=("yes_no", "group")),
    Exercise("04.6", "the target revenue of the largest class-A account with its volume target "
             "8% above the proposal (EUR)", _raised_target_revenue, "number",
             "Override '<id>.target_volume_kg' in service.objectives.overrides with the proposal "
             "× 1.08 (rounded to a kg), then service.objectives again.", tolerance=50.0),
)})
EXERCISES = dict(sorted(EXERCISES.items()))


def available() -> pd.DataFrame:
    """The exercises that have a check: id and what is asked."""
    return pd.DataFrame({"exercise": list(EXERCISES),
                         "asks for": [e.question for e in EXERCISES.values()]})


# ------------------------------------------------------------------- comparing


def _is_number(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


def _words(x) -> str:
    return " ".join(str(x).strip().lower().replace("_", " ").split())


def _compare(kind: str, expected, answer, tolerance: float) -> tuple[bool, str]:
    """(right, note). The note never contains the expected value."""
    if kind in ("count", "number"):
        if isinstance(answer, (pd.Series, pd.DataFrame, list, tuple, dict, set)):
            return False, "give one number here, not a table or a list."
        if isinstance(answer, str):
            try:
                answer = float(answer.replace(",", "").replace("%", "").strip())
            except ValueError:
                return False, "give a number."
        if not _is_number(answer) or (isinstance(answer, float) and math.isnan(answer)):
            return False, "give a number."
        tol = max(tolerance, 0.5 if kind == "count" else 1e-9)
        if abs(float(answer) - float(expected)) <= tol:
            return True, ""
        if kind == "number" and abs(float(answer) / 100 - float(expected)) <= tol:
            return True, "(read as a percentage: the playbook writes shares as fractions)"
        return False, ""
    if kind == "yes_no":
        value = {"yes": True, "no": False, "true": True, "false": False}.get(_words(answer),
                                                                          answer)
        return (isinstance(value, (bool, np.bool_)) and bool(value) == bool(expected)), ""
    if kind in ("word", "id"):
        if not isinstance(answer, str):
            return False, "give the answer as text, e.g. \"pharma\" or \"C0001\"."
        return _words(answer) == _words(expected), ""
    if kind == "group":
        if isinstance(answer, str):
            answer = [answer]
        if isinstance(answer, (pd.Index, pd.Series, np.ndarray)):
            answer = list(answer)
        if not isinstance(answer, (list, tuple, set, frozenset)):
            return False, "give a list of ids or names."
        got, want = {_words(a) for a in answer}, {_words(e) for e in expected}
        if got == want:
            return True, ""
        if got < want:
            return False, f"some are missing ({len(got)} given)."
        if got > want:
            return False, f"there are too many ({len(got)} given)."
        return False, f"not the right ones ({len(got & want)} of your {len(got)} are right)."
    raise ValueError(f"unknown exercise kind {kind!r}")


def _compare_parts(ex: Exercise, expected: dict, answer) -> tuple[bool, str]:
    names = list(ex.parts or expected)
    if isinstance(answer, pd.Series):
        answer = answer.to_dict()
    if isinstance(answer, (list, tuple)) and ex.parts:
        if len(answer) != len(names):
            return False, f"give {len(names)} values, in this order: {', '.join(names)}."
        answer = dict(zip(names, answer))
    if not isinstance(answer, dict):
        return False, ("give a dict {" + ", ".join(repr(n) for n in names) + ": ...}"
                       if ex.parts else "give a dict (or a Series) of the values by key.")
    by_key = {_words(k): v for k, v in answer.items()}
    if not ex.parts:  # keys come from the data (e.g. years): all must be there, no more
        if {_words(k) for k in expected} != set(by_key):
            return False, f"give one value for each of {len(expected)} keys (e.g. the years)."
    wrong = []
    notes = []
    for i, name in enumerate(names):
        kind = ex.part_kinds[i] if ex.part_kinds else "count"
        if _words(name) not in by_key:
            return False, f"the part {name!r} is missing."
        tol = ex.part_tolerances[i] if ex.part_tolerances else ex.tolerance
        ok, note = _compare(kind, expected[name], by_key[_words(name)], tol)
        if not ok:
            wrong.append(str(name))
        elif note:
            notes.append(note)
    if wrong:
        return False, "not yet right: " + ", ".join(wrong) + "."
    return True, " ".join(dict.fromkeys(notes))


# ------------------------------------------------------------------- the check

_CONTEXTS: dict[tuple, tuple] = {}


def _context(data_source, settings_file, analysis_year) -> Context:
    from kamlib import data, settings

    if isinstance(data_source, (str, bytes)) or hasattr(data_source, "__fspath__"):
        data_key = ("source", str(data_source))
        kd = None
    else:
        data_key = ("object", id(data_source))
        kd = data_source
    if isinstance(settings_file, settings.Settings if hasattr(settings, "Settings") else ()):
        s_key = ("object", id(settings_file))
        s = settings_file
    else:
        path = settings_file if settings_file is not None else settings.DEFAULT_SETTINGS_FILE
        s_key = ("file", str(path))
        s = None
    key = (data_key, s_key, analysis_year)
    cached = _CONTEXTS.get(key)
    # an id is only unique while its object lives: the entry keeps the objects it was
    # made from, and is used only for those very objects
    def same(a, b, by_value: bool) -> bool:
        return a == b if by_value else a is b

    if cached is None or not (same(cached[0], data_source, data_key[0] == "source")
                              and same(cached[1], settings_file, s_key[0] == "file")):
        kd = kd if kd is not None else data.load(data_source)
        s = s if s is not None else settings.load(path)
        year = analysis_year if analysis_year is not None else s.period.analysis_year
        if not year or year not in list(kd.years):
            year = int(kd.years[-1])
        s = settings.replace(s, "period.analysis_year", int(year))
        _CONTEXTS[key] = (data_source, settings_file, Context(kd, s, int(year)))
    return _CONTEXTS[key][2]


def check(exercise_id: str, answer, *, data_source="sample", settings_file=None,
          analysis_year: int | None = None) -> Result:
    """Is ``answer`` right for exercise ``exercise_id`` ("01.3")? Returns a
    :class:`Result`, shown in a notebook as ✅ / ❌ with a message that never contains
    the expected answer.

    ``data_source``: "sample", a path, or loaded data (``data.load(...)``);
    ``settings_file``: a path or loaded settings (default: the project's settings file);
    ``analysis_year``: as in the chapter (default: the settings', or the data's last year).
    An ``answer`` of ``None`` (or ``...``), as the learner's copy has it before the
    learner writes one, is *not answered yet*: said so, with nothing computed.
    Raises ``KeyError`` listing the checkable ids for an unknown id.
    """
    ex = EXERCISES.get(str(exercise_id).strip())
    if ex is None:
        raise KeyError(
            f"no check for exercise {exercise_id!r}. Exercises with a check: "
            f"{', '.join(EXERCISES)} (the others have a model answer in the chapter)."
        )
    if answer is None or answer is Ellipsis:  # the learner's copy before an answer
        return Result(False, f"Exercise {ex.id}: not answered yet. Write your answer in the "
                             "cell above (the variable it names), run it, then run this cell "
                             "again.")
    ctx = _context(data_source, settings_file, analysis_year)
    # keyed by the exercise itself (frozen, hashable), never by id(): an id is reused
    # once its object is gone, and a cached answer of another exercise came back
    expected = ctx.get(("expected", ex), lambda: ex.expected(ctx))
    if ex.kind == "parts":
        ok, note = _compare_parts(ex, expected, answer)
    else:
        ok, note = _compare(ex.kind, expected, answer, ex.tolerance)
    if ok:
        return Result(True, f"Exercise {ex.id}: right. {note}".strip())
    hint = f" Hint: {ex.hint}"
    return Result(False, f"Exercise {ex.id} ({ex.question}): not yet. {note}".replace(" .", ".")
                  .rstrip() + hint)


# ----------------------------------------------------------------- chapters 00-02
# (courseA's block: checks added with the course revision of chapters 00, 01 and 02)


def _decision_role(c: Context) -> str:
    dm = c.kd.contacts.groupby("role")["is_decision_maker"].sum()
    return str(dm.idxmax())


EXERCISES.update({e.id: e for e in (
    Exercise("00.5", "the role that holds the most decision makers", _decision_role, "word",
             "Group the contacts by role and sum is_decision_maker; take the largest."),
)})


def _example_price_account(c: Context):
    """The chapter's automatic example: the most confident price-sensitive key account
    (the most confident key account of any segment when there is none)."""
    t = c.segments()
    price = t.loc[t["segment"] == "price", "confidence"]
    return price.idxmax() if len(price) else (t["confidence"].idxmax() if len(t) else None)


def _example_deal_share(c: Context) -> float:
    from kamlib import segmentation

    ex = _example_price_account(c)
    return float(segmentation.indicators(c.kd, c.s, [ex]).loc[ex, "deal_volume_share"])


def _industry_or_segment(c: Context) -> str:
    from kamlib import segmentation

    t = c.segments()
    ind = segmentation.indicators(c.kd, c.s, list(t.index))["deal_volume_share"]
    industry = c.kd.customers.set_index("customer_id")["industry"].reindex(ind.index)
    by_i = ind.groupby(industry).median()
    by_s = ind.groupby(t["segment"].reindex(ind.index)).median()
    return "segment" if (by_s.max() - by_s.min()) > (by_i.max() - by_i.min()) else "industry"


def _example_elasticity(c: Context) -> float:
    return float(c.segments().loc[_example_price_account(c), "price_elasticity"])


EXERCISES.update({e.id: e for e in (
    Exercise("02.2", "the share of the example's volume bought on deals (a fraction)",
             _example_deal_share, "number",
             "kg of its lines with a deal type other than 'none' / all its kg in the window.",
             tolerance=0.001),
    Exercise("02.4", "what explains the deals better: \"industry\" or \"segment\"",
             _industry_or_segment, "word",
             "Median deal_volume_share by industry and by segment; compare the spreads."),
    Exercise("02.5", "the example's price elasticity, by hand", _example_elasticity, "number",
             "Σxy / Σx² over segmentation.elasticity_points(kd, s, example).", tolerance=0.001),
)})


def _class_a_edges(c: Context) -> dict[str, int]:
    from kamlib import selection

    revenue = c.get("facts", lambda: selection.customer_facts(c.kd, c.s))["revenue"]
    out = {}
    for basis, share in (("customers", 0.25), ("value", 0.80)):
        for boundary in ("include", "exclude"):
            cls = selection.cut_classes(revenue, [share, 1.0], ["A", "rest"], basis=basis,
                                        boundary=boundary)
            out[f"{basis} {boundary}"] = int((cls == "A").sum())
    return out


def _max_min_changes(c: Context) -> int:
    from kamlib import selection, settings

    facts = c.get("facts", lambda: selection.customer_facts(c.kd, c.s))
    ka = c.key_accounts()
    act = ka.index[ka["is_active"]]
    norm = selection.normalised_criteria(facts, c.s)
    w = c.s.selection.scorecard.effective_weights
    fz = selection.fuzzy_evaluation(norm, w, c.s.selection.fuzzy)
    s6 = settings.replace(c.s, "selection.fuzzy.operator", "max_min")
    mm = selection.fuzzy_evaluation(norm, s6.selection.scorecard.effective_weights, s6.selection.fuzzy)
    return int((mm.loc[act, "fuzzy_grade"] != fz.loc[act, "fuzzy_grade"]).sum())


EXERCISES.update({e.id: e for e in (
    Exercise("01.2", "class A customers: top 25% of customers and first 80% of sales, each "
             "with both boundary rules", _class_a_edges, "parts",
             "selection.cut_classes(facts['revenue'], [share, 1.0], ['A', 'rest'], basis=..., "
             "boundary=...); count the A.",
             parts=("customers include", "customers exclude", "value include", "value exclude"),
             part_kinds=("count", "count", "count", "count")),
    Exercise("01.6", "active customers whose fuzzy grade changes under max-min",
             _max_min_changes, "count",
             "settings.replace(s, 'selection.fuzzy.operator', 'max_min'), then "
             "selection.fuzzy_evaluation; compare fuzzy_grade on the active customers."),
)})
