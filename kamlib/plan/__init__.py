"""The key account plan as data: forecast, strategy, objectives, actions,
opportunities and status marks - one object, apart from its rendering.

    from kamlib import plan
    P = plan.build(kd, s, tables, as_of=as_of)     # all key accounts at once
    P.objectives, P.actions                          # long tables for the whole batch
    ap = P.for_customer("C0028")                     # one account's plan
    ap.sentence, ap.objectives, ap.actions, ap.status["decision makers"]

``tables`` are the portfolio results the plan builds on (as the reports compute them):
``key`` (:func:`kamlib.selection.key_accounts`), ``segments``
(:func:`kamlib.segmentation.segments`), ``relationship``, ``packages``,
``visit_plan``, ``objectives``, ``supply`` (:mod:`kamlib.service`) and, when available,
``review`` (:func:`kamlib.review.account_review`). The HTML plan, the PDF,
``actions.csv`` and ``objectives.csv`` are views of the same :class:`Plan`.

Parts: :mod:`~kamlib.plan.forecast` (one forecast for the plan year),
:mod:`~kamlib.plan.strategy`, :mod:`~kamlib.plan.objectives`,
:mod:`~kamlib.plan.actions`, :mod:`~kamlib.plan.opportunities`,
:mod:`~kamlib.plan.status`; settings :class:`~kamlib.plan.config.PlanSettings`
(``[plan]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kamlib import measures
from kamlib.plan import actions as _actions
from kamlib.plan import forecast as _forecast
from kamlib.plan import objectives as _objectives
from kamlib.plan import opportunities as _opps
from kamlib.plan import status as _status
from kamlib.plan import strategy as _strategy
from kamlib.plan.config import OWNER_ROLES, STRATEGIES, PlanSettings, plan_settings

__all__ = ["Plan", "AccountPlan", "PlanSettings", "build", "OWNER_ROLES", "STRATEGIES",
           "ACTIONS_CSV_COLUMNS", "OBJECTIVES_CSV_COLUMNS"]

ACTIONS_CSV_COLUMNS = ["customer_id", "action", "owner", "due", "measure", "objective",
                       "owner_role", "resources", "priority"]
"""``actions.csv``: one row per action (``owner``: name and role, ``due``: ISO date)."""
OBJECTIVES_CSV_COLUMNS = ["customer_id", "metric", "current", "target", "unit", "why",
                          "kind"]
"""``objectives.csv``: one row per objective."""


@dataclass
class AccountPlan:
    """One account's plan (slices of :class:`Plan`; nothing of any other account)."""

    customer_id: str
    plan_year: int
    strategy: str
    why: str
    sentence: str
    forecast: dict
    objectives: pd.DataFrame
    actions: pd.DataFrame
    status: dict
    rebate: dict | None
    rebate_history: pd.DataFrame
    supply: dict
    whitespace: pd.DataFrame
    product_mix: pd.DataFrame
    competitor: dict
    swot: pd.DataFrame
    goals: str
    owners: dict
    sponsored: bool
    review: dict | None
    rules: dict

    def objective(self, metric: str) -> dict | None:
        """The row of one objective as a dict (None when the plan has none)."""
        m = self.objectives.loc[self.objectives["metric"] == metric]
        return None if m.empty else m.iloc[0].to_dict()


@dataclass
class Plan:
    """The plans of all key accounts (tables indexed or keyed by ``customer_id``)."""

    year: int
    plan_year: int
    forecast: pd.DataFrame
    strategy: pd.DataFrame
    objectives: pd.DataFrame
    actions: pd.DataFrame
    status: dict
    rebate_plan: pd.DataFrame
    rebate_history: pd.DataFrame
    supply: pd.DataFrame
    whitespace: pd.DataFrame
    product_mix: pd.DataFrame
    competitors: pd.DataFrame
    swot: pd.DataFrame
    goals: pd.Series
    owners: pd.DataFrame
    sponsored: pd.Series
    review: pd.DataFrame | None
    rules: dict = field(default_factory=dict)

    @property
    def customer_ids(self) -> list[str]:
        return [str(i) for i in self.forecast.index]

    def status_table(self) -> pd.DataFrame:
        """Every rule's result, one row per (account, rule)."""
        return _status.all_rules(self.status)

    def for_customer(self, customer_id: str) -> AccountPlan | None:
        """One account's plan, or None when it is not a planned (key) account."""
        cid = str(customer_id)
        if cid not in self.forecast.index:
            return None

        def rows(df):
            return df.loc[df["customer_id"].astype(str) == cid].reset_index(drop=True)

        def row(df):
            if df is None or cid not in df.index:
                return None
            return df.loc[cid].to_dict()

        st = self.strategy.loc[cid]
        return AccountPlan(
            customer_id=cid, plan_year=self.plan_year, strategy=str(st["strategy"]),
            why=str(st["why"]), sentence=str(st["sentence"]),
            forecast=self.forecast.loc[cid].to_dict(), objectives=rows(self.objectives),
            actions=rows(self.actions),
            status={k: v.loc[cid].to_dict() for k, v in self.status.items()},
            rebate=row(self.rebate_plan), rebate_history=rows(self.rebate_history),
            supply=self.supply.loc[cid].to_dict(), whitespace=rows(self.whitespace),
            product_mix=rows(self.product_mix), competitor=self.competitors.loc[cid].to_dict(),
            swot=rows(self.swot), goals=str(self.goals.get(cid, "") or ""),
            owners=self.owners.loc[cid].to_dict(), sponsored=bool(self.sponsored.get(cid)),
            review=row(self.review), rules=dict(self.rules))

    def actions_csv(self) -> pd.DataFrame:
        """``actions.csv`` (:data:`ACTIONS_CSV_COLUMNS`): ready to import as CRM tasks."""
        a = self.actions
        owner = np.where(a["owner"].astype(str) != "",
                         a["owner"].astype(str) + " (" + a["owner_role"].astype(str) + ")",
                         a["owner_role"].astype(str))
        out = a.assign(owner=owner, due=pd.to_datetime(a["due"]).dt.strftime("%Y-%m-%d"))
        return out[ACTIONS_CSV_COLUMNS]

    def objectives_csv(self) -> pd.DataFrame:
        """``objectives.csv`` (:data:`OBJECTIVES_CSV_COLUMNS`); shares as fractions."""
        o = self.objectives.copy()

        def clean(v):
            if isinstance(v, (float, np.floating)):
                return "" if not np.isfinite(v) else round(float(v), 6)
            return v

        o["current"] = o["current"].map(clean)
        o["target"] = o["target"].map(clean)
        return o[OBJECTIVES_CSV_COLUMNS]


def _table(tables: dict, name: str):
    t = tables.get(name)
    if isinstance(t, pd.DataFrame):
        t = t.copy()
        if t.index.name != "customer_id" and "customer_id" in t.columns:
            t = t.set_index("customer_id")
        t.index = t.index.astype(str)
    return t


def build(kd, s, tables: dict, *, as_of=None) -> Plan:
    """The plans of all key accounts (the accounts of ``tables["objectives"]``).

    ``kd``: :class:`kamlib.data.KamData`; ``s``: the settings (analysis year applied);
    ``tables``: see the module's text; ``as_of``: the date days since last contact are
    counted to (default: 31 December of the analysis year).
    """
    from kamlib import schema
    from kamlib import service as sv

    ps = plan_settings(s)
    year = int(s.period.analysis_year)
    y1 = year + 1
    as_of = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(year=year, month=12,
                                                                         day=31)
    svs = sv._service(s)
    max_sow = svs.objectives.max_share_of_wallet
    so = _table(tables, "objectives")
    if so is None:
        raise ValueError("the plan needs the service objectives (kamlib.service.objectives)"
                         " of the key accounts")
    key = _table(tables, "key")
    seg = _table(tables, "segments")
    rel = _table(tables, "relationship")
    pk = _table(tables, "packages")
    sup = _table(tables, "supply")
    review = _table(tables, "review")
    ids = pd.Index(so.index.astype(str), name="customer_id")

    hist = _forecast.history(kd, year, so)
    strat = _strategy.choose(hist, key, rel, ps, review=review, max_share_of_wallet=max_sow)
    fc = _forecast.plan_year(hist.assign(loss=strat["loss"].to_numpy(bool)),
                             strat["strategy"], ps, max_sow)

    rb = kd.rebates
    paid_ids = (rb.loc[(rb["rebate_paid"] > 0) & (rb["year"] <= year), "customer_id"]
                .astype(str).unique() if rb is not None and len(rb) else [])
    from kamlib import rebates as _rb

    segs = seg.reindex(seg.index.intersection(ids)) if seg is not None else None
    price_ids = (list(_rb.price_sensitive(segs.fillna({"segment": "", "mixed_types": ""})))
                 if segs is not None and len(segs) else [])
    schedules = _forecast.rebate_schedules(s, segs, ids, paid_ids, ps)
    rebate_plan = _forecast.rebate_at_plan(s, fc, schedules, ps)
    now = fc.assign(plan_volume_kg=fc["volume_kg"], plan_revenue=fc["revenue"])
    current_tier = _forecast.rebate_at_plan(s, now, schedules, ps)["tier"]
    rhist = _forecast.rebate_history(kd, s, schedules, ps)
    need = sv.seasonal_need(kd, s, ids, y1) if len(ids) else None
    supply = _forecast.supply_at_plan(fc, sup, need, svs.supply.safety_share)

    status = {
        "decision makers": _status.decision_makers(kd.contacts, ids, as_of, ps),
        "relationship level": _status.relationship_level(rel, ids) if rel is not None
        else _status._frame(ids, ["info"] * len(ids), ["relationship level unknown"]
                            * len(ids)).assign(gap=np.nan),
        "service budget": _status.service_budget(pk, ids) if pk is not None else
        _status._frame(ids, ["info"] * len(ids), ["no service package"] * len(ids)),
        "fuzzy grade": _status.fuzzy_grade(key, ids, s.selection.fuzzy) if key is not None
        else _status._frame(ids, ["info"] * len(ids), ["n/a"] * len(ids)).assign(grade=None),
        "segment and price response": _status.segment_and_price(seg, ids) if seg is not None
        else _status._frame(ids, ["info"] * len(ids), ["not segmented"] * len(ids)),
        "rebate section": _status.rebate_section(paid_ids, price_ids, rebate_plan, ids),
        "rebate history": _status.rebate_history_status(rhist, ids),
        "rebate cliff": _status.rebate_cliff(rebate_plan, ids),
    }

    available = getattr(kd, "available", None)
    if available is not None:  # a figure the data cannot give is unknown, not an alert
        _status.unknown_status(status, ids, available)
    cy = measures.customer_year(kd.orders)
    cy.index = cy.index.set_levels(cy.index.levels[0].astype(str), level=0)
    cyy = cy.xs(year, level="year") if year in cy.index.get_level_values("year") else \
        cy.iloc[0:0].droplevel("year")
    it = kd.interactions
    comp = it.loc[(it["type"] == "complaint") & (it["date"].dt.year == year), "customer_id"]
    comp = comp.astype(str).value_counts()
    c = kd.contacts.assign(customer_id=kd.contacts["customer_id"].astype(str))
    c = c.loc[c["customer_id"].isin(ids)]
    roles = list(schema.CONTACT_ROLES)
    known = c.loc[c["role"].isin(roles)].groupby("customer_id")["role"].nunique()
    have = pd.crosstab(c["customer_id"], c["role"]).reindex(index=ids, columns=roles,
                                                             fill_value=0) > 0
    missing = have.apply(lambda col: np.where(col, "", col.name)).agg(
        lambda r: ", ".join(x for x in r if x), axis=1) if len(ids) else pd.Series(dtype=object)
    sponsored = _actions.sponsored(key, pk, ids, ps)
    relr = rel.reindex(ids) if rel is not None else pd.DataFrame(index=ids)
    pkr = pk.reindex(ids) if pk is not None else pd.DataFrame(index=ids)
    n_train = so["training_dates"].fillna("").astype(str).str.count(r"\d{4}-\d{2}-\d{2}") \
        if "training_dates" in so.columns else pd.Series(0, index=ids)
    qual = pd.DataFrame({
        "otif": cyy["on_time_in_full_rate"].reindex(ids).to_numpy(float),
        "complaints": comp.reindex(ids).fillna(0).to_numpy(float),
        "observed_level": relr.get("observed_level", pd.Series(np.nan, index=ids)).to_numpy(object),
        "recommended_level": relr.get("recommended_level", pd.Series(np.nan, index=ids)
                                      ).to_numpy(object),
        "weakest_dm": status["decision makers"]["weakest"].reindex(ids).to_numpy(float),
        "roles_known": known.reindex(ids).fillna(0).to_numpy(float),
        "roles_total": float(len(roles)),
        "executive_visits": relr.get("executive_visits", pd.Series(0, index=ids)).to_numpy(float),
        "executive_target": np.where(sponsored.to_numpy(), np.maximum(
            pkr.get("executive_visits_per_year", pd.Series(0, index=ids)).fillna(0).to_numpy(
                float), 1), 0),
        "joint_activities": relr.get("joint_activities", pd.Series(0, index=ids)).to_numpy(float),
        "trainings_planned": n_train.reindex(ids).fillna(0).to_numpy(float),
    }, index=ids)
    obj = _objectives.objectives(fc, strat, rebate_plan, current_tier, qual, ps,
                                 available=available)

    competitors = _opps.competitors(kd, fc, year)
    segment = pd.Series("", index=ids, dtype=object)
    if seg is not None and "segment" in seg.columns:
        sg = seg.reindex(ids)
        mixed = sg.get("mixed_types", pd.Series("", index=ids)).fillna("").astype(str)
        segment = sg["segment"].fillna("").astype(str)
        segment = segment.where(~(segment.eq("mixed") & mixed.ne("")),
                                "mixed (" + mixed + ")")
    strat["sentence"] = _strategy.sentences(
        fc, strat, segment, competitors["competitor"], y1,
        margin_known=available is None or "costs" in available)
    white = _opps.whitespace(kd, ids, year, ps)
    mix = _opps.product_mix(kd, ids, year, ps)
    vp = tables.get("visit_plan")
    first_visit = pd.Series(pd.NaT, index=ids)
    exec_visit = pd.Series(pd.NaT, index=ids)
    if vp is not None and hasattr(vp, "visits") and len(vp.visits):
        v = vp.visits.assign(customer_id=vp.visits["customer_id"].astype(str))
        v = v.loc[v["date"].dt.year == y1]
        first_visit = v.loc[v["visit_type"] == "visit"].groupby("customer_id")["date"].min() \
            .reindex(ids)
        exec_visit = v.loc[v["visit_type"] == "executive visit"].groupby("customer_id")[
            "date"].min().reindex(ids)
    own = _actions.owners(kd, ids, ps)
    ctx = {"fc": fc, "strategy": strat, "status": status, "objectives": obj,
           "rebate_plan": rebate_plan, "supply": supply, "owners": own,
           "sponsored": sponsored, "first_visit": first_visit, "exec_visit": exec_visit,
           "competitor": competitors["competitor"], "whitespace": white,
           "segment": segment, "relationship": relr.reindex(columns=["action"]),
           "missing_roles": missing, "available": available}
    acts = _actions.actions(ctx, ps, y1)
    gp = pd.Series(np.nan, index=ids)
    a = kd.assessments
    if a is not None and len(a):
        a = a.assign(customer_id=a["customer_id"].astype(str))
        gp = a.loc[a["year"] == year].set_index("customer_id")["growth_potential"]
    sw = _opps.swot(fc, strat, status, competitors, white, key, qual, rebate_plan, gp, ps)
    fcx = fc.join(supply)
    fcx["segment"] = segment
    return Plan(year=year, plan_year=y1, forecast=fcx, strategy=strat, objectives=obj,
                actions=acts, status=status, rebate_plan=rebate_plan, rebate_history=rhist,
                supply=supply, whitespace=white, product_mix=mix, competitors=competitors,
                swot=sw, goals=_opps.customer_goals(ids, ps), owners=own,
                sponsored=sponsored, review=review, rules=_status.rules_text(ps))
