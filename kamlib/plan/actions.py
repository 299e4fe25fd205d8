"""The action plan: what is done, by whom, by when, with what, measured how, for
which objective.

Each rule below adds one action to the accounts it applies to (all accounts at once).
Every action has an owner role (:data:`kamlib.plan.config.OWNER_ROLES`) and a name
where the data has one (the account manager from ``customers``; customer service,
technical service and executives from who handled the account's complaints,
technical requests and executive visits in ``interactions``; other roles from
``plan.owners`` in the settings), a due date inside the plan year, the resources or
cost, the measure of success and the objective (metric of
:mod:`kamlib.plan.objectives`) it serves.

**Executive sponsorship** (rule): an account gets an executive sponsor when its class
is in ``plan.sponsor_classes`` and its tier in ``plan.sponsor_tiers`` (the largest
accounts), or when its service package promises executive visits. The sponsor's
action is an executive visit: on the date the visit plan holds, else by 30 June.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from kamlib import formatting as fmt
from kamlib.plan.config import OWNER_ROLES, PlanSettings

COLUMNS = ["customer_id", "action", "owner_role", "owner", "due", "resources", "measure",
           "objective", "priority", "rule"]
"""Columns of :func:`actions` (``due`` a date; ``priority`` 1 now, 2 this half-year,
3 this year; ``rule`` the rule that made it)."""

_HANDLER = re.compile(r"^\s*(?P<role>[^()]*?)\s*\((?P<name>[^)]+)\)\s*$")


def owners(kd, ids, ps: PlanSettings) -> pd.DataFrame:
    """The name behind each owner role at each account ('' when unknown).

    Account manager: ``customers.account_manager``. Customer service: who handled most
    of the account's complaints and service requests; technical service: technical
    requests, trials and trainings; executive sponsor: executive visits (at this
    account, else the company's most frequent executive visitor). ``handled_by`` like
    ``"Customer Service (Luca Moretti)"`` gives the name in brackets. Roles the data
    does not name come from ``plan.owners``. Index customer_id; one column per role.
    """
    ids = pd.Index([str(i) for i in ids], name="customer_id")
    out = pd.DataFrame("", index=ids, columns=list(OWNER_ROLES), dtype=object)
    cust = kd.customers.assign(customer_id=kd.customers["customer_id"].astype(str))
    am = cust.set_index("customer_id")["account_manager"].reindex(ids)
    out["account manager"] = am.fillna("").astype(str).to_numpy(object)
    it = kd.interactions
    if it is not None and len(it) and "handled_by" in it.columns:
        it = it.loc[it["handled_by"].notna(), ["customer_id", "type", "handled_by"]]
        it = it.assign(customer_id=it["customer_id"].astype(str),
                       handled_by=it["handled_by"].astype(str))
        names = it["handled_by"].str.extract(_HANDLER)["name"]
        it = it.assign(name=names.fillna(it["handled_by"]).str.strip())
        kinds = {"customer service": ["complaint", "service request"],
                 "technical service": ["technical request", "trial", "training"],
                 "executive sponsor": ["executive visit"]}
        for role, types in kinds.items():
            sub = it.loc[it["type"].isin(types)]
            if sub.empty:
                continue
            top = (sub.groupby(["customer_id", "name"]).size().rename("n").reset_index()
                   .sort_values(["customer_id", "n", "name"], ascending=[True, False, True])
                   .drop_duplicates("customer_id").set_index("customer_id")["name"])
            col = top.reindex(ids).fillna("")
            if role == "executive sponsor":
                overall = sub["name"].value_counts().sort_index().sort_values(
                    ascending=False, kind="stable")
                col = col.replace("", overall.index[0] if len(overall) else "")
            out[role] = col.to_numpy(object)
    for role, name in ps.owners.items():
        out[role] = out[role].replace("", name)
    return out


def sponsored(key: pd.DataFrame | None, packages: pd.DataFrame | None, ids,
              ps: PlanSettings) -> pd.Series:
    """Which accounts get an executive sponsor (the rule in the module's text)."""
    ids = pd.Index([str(i) for i in ids], name="customer_id")
    out = np.zeros(len(ids), dtype=bool)
    if key is not None and len(key):
        k = key.copy()
        k.index = k.index.astype(str)
        k = k.reindex(ids)
        out |= (k["abc_class"].astype(str).isin(ps.sponsor_classes).to_numpy()
                & k["pyramid_tier"].astype(str).isin(ps.sponsor_tiers).to_numpy())
    if packages is not None and len(packages):
        p = packages.copy()
        p.index = p.index.astype(str)
        p = p.reindex(ids)
        out |= p["executive_visits_per_year"].fillna(0).to_numpy(float) > 0
        out |= p["services"].fillna("").astype(str).str.contains(
            "executive", case=False).to_numpy()
    return pd.Series(out, index=ids, name="sponsored")


def _date(year: int, month: int, day: int) -> pd.Timestamp:
    return pd.Timestamp(year=year, month=month, day=day)


def _within(d, year: int) -> np.ndarray:
    """Dates clipped into the plan year (missing -> 31 December)."""
    d = pd.to_datetime(pd.Series(d)).to_numpy("datetime64[ns]")
    lo, hi = np.datetime64(f"{year}-01-01", "ns"), np.datetime64(f"{year}-12-31", "ns")
    d = np.where(np.isnat(d), hi, d)
    return np.clip(d, lo, hi)


def actions(ctx: dict, ps: PlanSettings, plan_year: int) -> pd.DataFrame:
    """The action plan of every account (one row per action; :data:`COLUMNS`), most
    urgent first within each account.

    ``ctx`` holds the plan's parts, all indexed by customer_id over the same accounts:
    ``fc`` (forecast), ``strategy``, ``status`` ({rule: frame}), ``objectives`` (long),
    ``rebate_plan``, ``supply``, ``owners``, ``sponsored``, ``first_visit``,
    ``exec_visit`` (dates), ``competitor``, ``whitespace`` (long), ``segment``,
    ``relationship`` (service's, for its suggested action), ``missing_roles`` (text),
    ``rebate_history`` (status frame), ``available`` (optional: what the data allows;
    actions whose objective the data cannot give are left out, :mod:`kamlib.unknowns`).
    """
    fc = ctx["fc"]
    ids = fc.index
    y = plan_year
    st = ctx["strategy"]["strategy"].reindex(ids).astype(str).to_numpy()
    obj = ctx["objectives"]
    from kamlib.plan.objectives import LABELS

    metrics = list(LABELS)  # every metric a column, also those the data left out
    tgt = obj.pivot(index="customer_id", columns="metric", values="target").reindex(
        index=ids, columns=metrics)
    cur = obj.pivot(index="customer_id", columns="metric", values="current").reindex(
        index=ids, columns=metrics)
    own = ctx["owners"].reindex(ids).fillna("")
    first = _within(ctx["first_visit"].reindex(ids), y)
    first = np.where(pd.isna(ctx["first_visit"].reindex(ids)).to_numpy(),
                     np.datetime64(f"{y}-01-31", "ns"), first)
    seg = ctx["segment"].reindex(ids).fillna("").astype(str).str.split(" ").str[0]
    comp = ctx["competitor"].reindex(ids).fillna("").astype(str).to_numpy(object)
    stat = {k: v.reindex(ids) for k, v in ctx["status"].items()}
    rows = []

    def add(rule, mask, action, role, due, resources, measure, objective, priority):
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        n = len(ids)

        def arr(x):
            return np.broadcast_to(np.asarray(x, dtype=object), (n,))[mask]

        rows.append(pd.DataFrame({
            "customer_id": ids[mask], "action": arr(action), "owner_role": role,
            "owner": own[role].to_numpy(object)[mask],
            "due": _within(np.broadcast_to(np.asarray(due, dtype="datetime64[ns]"),
                                           (n,))[mask], y),
            "resources": arr(resources), "measure": arr(measure), "objective": objective,
            "priority": arr(priority).astype(int), "rule": rule}))

    def kg(col):
        return fc[col].map(fmt.kg).to_numpy(object)

    def d(m, dd):
        return np.datetime64(_date(y, m, dd).to_datetime64(), "ns")

    how = seg.map({"price": "the volume rebate and off-season prices",
                   "service": "proactive service and reliable deliveries",
                   "technology": "trials, technical support and new grades"}).fillna(
        "regular visits and service").to_numpy(object)
    # 1. agree the plan with the customer
    add("agree targets", np.ones(len(ids), bool),
        "Agree the " + str(y) + " plan and targets with the customer: volume " + kg(
            "plan_volume_kg") + " at " + fc["plan_net_price"].map(fmt.price).to_numpy(object),
        "account manager", first, "the first visit of the year",
        "targets signed off by the customer", "volume", 1)
    # 2. the strategy's own action
    add("strategy: growth", st == "growth",
        "Grow volume from " + kg("volume_kg") + " to " + kg("plan_volume_kg") + " with "
        + how, "account manager", d(9, 30), "the visit plan; " + how,
        "volume of " + kg("plan_volume_kg") + " by 31 Dec", "volume", 2)
    sow_t = tgt.get("share_of_wallet", pd.Series(np.nan, index=ids)).map(fmt.pct).to_numpy(object)
    add("strategy: win-back", st == "win-back",
        "Win back share of wallet" + np.where(comp != "", " from " + comp, "") + ": to "
        + sow_t + " (" + kg("plan_volume_kg") + ") with " + how,
        "account manager", d(6, 30), "a targeted offer; " + how,
        "share of wallet of " + sow_t + " by 30 Jun", "share_of_wallet", 1)
    add("strategy: hold", st == "hold",
        "Hold volume at " + kg("plan_volume_kg") + ": review the account each quarter",
        "account manager", d(3, 31), "quarterly reviews",
        "volume of " + kg("plan_volume_kg") + " by 31 Dec", "volume", 3)
    price_t = fc["plan_net_price"].map(fmt.price).to_numpy(object)
    add("strategy: harvest", st == "harvest",
        "Raise the net price to " + price_t + " and hold service to the package budget",
        "sales management", d(3, 31), "price letter; the service package's budget",
        "net price of " + price_t, "net_price", 1)
    loss = ctx["strategy"]["loss"].reindex(ids).fillna(False).to_numpy(bool) \
        if "loss" in ctx["strategy"] else np.ones(len(ids), bool)
    add("strategy: recovery", (st == "recovery") & loss,
        "Return the account to profit: reprice to " + price_t + " and cut cost to serve",
        "sales management", d(3, 31), "price negotiation; fewer, fuller deliveries",
        "profit after cost to serve above zero", "net_price", 1)
    add("strategy: recovery", (st == "recovery") & ~loss,
        "Recovery meeting with the customer's management: what went wrong, and what it "
        "takes to keep " + kg("plan_volume_kg") + " with us",
        "sales management", d(2, 28), "a sales manager's and an executive's day",
        "a recovery plan agreed with the customer", "share_of_wallet", 1)
    # 3. decision makers
    s = stat["decision makers"]
    lv = s["level"].fillna("ok").to_numpy()
    add("decision makers", lv != "ok",
        "Strengthen the decision makers: " + s["text"].fillna("").astype(str).to_numpy(object),
        "account manager", np.where(lv == "alert", d(2, 28), d(4, 30)),
        "a meeting with the decision maker", "every decision maker at least "
        f"{ps.decision_maker_min_strength}/5", "decision_makers", np.where(lv == "alert", 1, 2))
    # 4. delivery reliability: only below target
    ot_c = pd.to_numeric(cur.get("on_time_in_full"), errors="coerce").to_numpy(float)
    ot_t = pd.to_numeric(tgt.get("on_time_in_full"), errors="coerce").to_numpy(float)
    add("delivery reliability", np.isfinite(ot_c) & (ot_c < ot_t),
        "Delivery-reliability plan: on time in full from " + pd.Series(ot_c).map(
            fmt.pct).to_numpy(object) + " to " + pd.Series(ot_t).map(fmt.pct).to_numpy(object),
        "logistics", d(3, 31), "logistics planning; safety stock",
        "on time in full of " + pd.Series(ot_t).map(fmt.pct).to_numpy(object),
        "on_time_in_full", 2)
    # 5. complaints: only when there are more than the target
    cc = pd.to_numeric(cur.get("complaints"), errors="coerce").fillna(0).to_numpy(float)
    ct = pd.to_numeric(tgt.get("complaints"), errors="coerce").fillna(0).to_numpy(float)
    add("complaints", cc > ct,
        "Cut complaints from " + pd.Series(cc).map(lambda x: f"{x:.0f}").to_numpy(object)
        + " to at most " + pd.Series(ct).map(lambda x: f"{x:.0f}").to_numpy(object)
        + ": review each cause with production and quality",
        "customer service", d(4, 30), "complaint reviews with production and quality",
        "complaints in the year at most " + pd.Series(ct).map(lambda x: f"{x:.0f}"
                                                              ).to_numpy(object),
        "complaints", 2)
    # 6. relationship level
    s = stat["relationship level"]
    rel = ctx["relationship"].reindex(ids)
    gap = s["gap"].to_numpy(float)
    add("relationship level", np.nan_to_num(gap) > 0,
        "Move the relationship: " + s["text"].fillna("").astype(str).to_numpy(object)
        + np.where(rel["action"].fillna("").astype(str).to_numpy() != "",
                   " - " + rel["action"].fillna("").astype(str).to_numpy(object), ""),
        "account manager", d(6, 30), "the service package",
        "working at the " + tgt.get("relationship_level", pd.Series("", index=ids)).astype(
            object).fillna("").astype(str).to_numpy(object) + " level", "relationship_level", 2)
    # 7. something new
    ja = pd.to_numeric(cur.get("joint_activities"), errors="coerce").fillna(0).to_numpy(float)
    jt = pd.to_numeric(tgt.get("joint_activities"), errors="coerce").fillna(0).to_numpy(float)
    add("joint activities", ja < jt,
        "Offer a trial or a training on site (" + pd.Series(ja).map(
            lambda x: f"{x:.0f}").to_numpy(object) + " last year)",
        "technical service", d(9, 30), "technical service time; samples",
        pd.Series(jt).map(lambda x: f"{x:.0f}").to_numpy(object) + " trial(s) or "
        "training(s) held", "joint_activities", 3)
    # 8. buying-centre coverage
    miss = ctx["missing_roles"].reindex(ids).fillna("").astype(str).to_numpy(object)
    add("contact coverage", miss != "", "Find a contact in: " + miss,
        "account manager", d(6, 30), "visits; the customer's organisation chart",
        "a known contact in every role", "contact_coverage", 3)
    # 9. rebates
    rp = ctx["rebate_plan"].reindex(ids)
    cs = stat["rebate cliff"]
    above = rp["cliff_above"].fillna(False).astype(bool).to_numpy()
    below = rp["cliff_below"].fillna(False).astype(bool).to_numpy()
    add("rebate cliff above", above,
        "Decide on the next rebate tier before the customer asks: " + cs["text"].fillna(
            "").astype(str).to_numpy(object),
        "sales management", d(2, 28), "break-even check of the higher rate",
        "a decision recorded before the first price talk", "rebate_tier", 1)
    add("rebate cliff below", below,
        "Watch the volume against the rebate threshold each quarter: " + cs["text"].fillna(
            "").astype(str).to_numpy(object),
        "account manager", d(3, 31), "the quarterly review",
        "the plan's tier reached at year end", "rebate_tier", 2)
    rh = stat["rebate history"]
    add("rebate terms", rh["level"].eq("watch").to_numpy(),
        "Confirm the rebate terms in writing: the rebates paid "
        + rh["text"].fillna("").astype(str).str.replace(
            "differs from the programme in force - ", "", regex=False).str.split(
            ". The terms").str[0].to_numpy(object),
        "sales management", d(1, 31), "the contract file",
        "signed rebate terms for the plan year", "rebate_tier", 1)
    # 10. supply priority at the plan volume
    sp = ctx["supply"].reindex(ids)
    res = sp["plan_reserve_kg"].to_numpy(float)
    add("peak stock", np.nan_to_num(res) > 0,
        "Reserve " + pd.Series(res).map(fmt.kg).to_numpy(object) + " of stock for the peak "
        "season (the plan volume's peak need with safety stock)",
        "logistics", sp["agree_by"].to_numpy("datetime64[ns]"), "warehouse space; "
        "production slots", "stock agreed with the customer and reserved", "volume", 2)
    # 11. executive sponsor
    sps = ctx["sponsored"].reindex(ids).fillna(False).to_numpy(bool)
    ex = ctx["exec_visit"].reindex(ids)
    add("executive sponsor", sps,
        "Executive visit: the sponsor meets the customer's management"
        + np.where(ex.notna().to_numpy(), " (in the visit plan)", " (add it to the visit plan)"),
        "executive sponsor", np.where(ex.notna().to_numpy(), ex.to_numpy("datetime64[ns]"),
                                      d(6, 30)),
        "an executive's day; the annual key-customer conference",
        "a meeting with the customer's management held", "executive_visits", 2)
    # 12. share of wallet unknown
    unknown = ~np.isfinite(fc["share_of_wallet"].to_numpy(float))
    add("total use unknown", unknown,
        "Ask the customer for its total annual use (share of wallet unknown)",
        "account manager", first, "the first visit", "estimated total use recorded",
        "share_of_wallet", 2)
    # 13. whitespace: the largest product opportunity
    w = ctx["whitespace"]
    if len(w):
        top = w.drop_duplicates("customer_id").set_index("customer_id").reindex(ids)
        has = top["product_name"].notna().to_numpy()
        add("whitespace", has,
            "Offer " + top["product_name"].fillna("").astype(str).to_numpy(object)
            + " (bought by " + top["buying_share"].map(fmt.pct).to_numpy(object)
            + " of comparable customers; worth " + top["value_at_stake"].map(
                fmt.eur).to_numpy(object) + " a year)",
            "account manager", d(9, 30), "samples; technical service for the trial",
            "a first order of the product", "revenue", 3)
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(rows, ignore_index=True)
    available = ctx.get("available")
    if available is not None:  # no action on a figure the data cannot give
        from kamlib import unknowns

        keep = ~out["objective"].map(lambda m: unknowns.is_unknown(available, m)).astype(bool)
        out = out.loc[keep.to_numpy()]
        if out.empty:
            return pd.DataFrame(columns=COLUMNS)
    out["due"] = pd.to_datetime(out["due"])
    out["_n"] = np.arange(len(out))
    out = out.sort_values(["customer_id", "priority", "due", "_n"], kind="stable")
    return out[COLUMNS].reset_index(drop=True)
