"""The plan's objectives: quantitative and qualitative, each with its current value,
target, unit and why.

Quantitative (from the one forecast, :mod:`kamlib.plan.forecast`): ``volume``,
``share_of_wallet``, ``net_price``, ``revenue`` and, for accounts with a rebate
schedule, ``rebate_tier`` (the tier the plan volume reaches - the rebate projection's
tier by construction).

Qualitative (service and relationship): ``on_time_in_full`` (target: the plan's
``otif_target``, or the current rate when already above), ``complaints`` (target:
last year's count × (1 − ``complaint_cut``), rounded down, from ``complaint_min``
complaints a year; fewer are kept, not cut), ``relationship_level``
(target: the recommended level, or the current one when above), ``decision_makers``
(target: the weakest decision maker's relationship at least
``decision_maker_min_strength``/5), ``contact_coverage`` (roles of the buying centre
with a known contact; target all), ``executive_visits`` (for sponsored accounts: at
least one), ``joint_activities`` (trials and trainings; target at least one and the
trainings the plan holds).

The three objectives of the plan's first page follow the strategy
(:data:`HEADLINE_BY_STRATEGY`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamlib import formatting as fmt

HEADLINE_BY_STRATEGY = {
    "growth": ("volume", "share_of_wallet", "relationship_level", "rebate_tier",
               "joint_activities"),
    "win-back": ("share_of_wallet", "volume", "decision_makers", "relationship_level"),
    "hold": ("volume", "on_time_in_full", "complaints", "relationship_level"),
    "harvest": ("net_price", "revenue", "on_time_in_full", "complaints"),
    "recovery": ("net_price", "complaints", "decision_makers", "volume"),
    "recovery of the relationship": ("volume", "share_of_wallet", "decision_makers",
                                     "relationship_level", "complaints"),
}
"""The objectives shown first for each strategy, in order (those without a target, or
with a target equal to the current value, are skipped; other objectives that move fill
the three places)."""

LABELS = {
    "volume": "Volume", "share_of_wallet": "Share of wallet", "net_price": "Net price",
    "revenue": "Revenue", "rebate_tier": "Rebate tier", "on_time_in_full": "On time in full",
    "complaints": "Complaints", "relationship_level": "Relationship level",
    "decision_makers": "Weakest decision-maker relationship",
    "contact_coverage": "Buying-centre roles with a contact",
    "executive_visits": "Executive visits", "joint_activities": "Trials and trainings",
}
"""How each metric reads in the plan."""

QUANTITATIVE = ("volume", "share_of_wallet", "net_price", "revenue", "rebate_tier")


def units() -> dict[str, str]:
    """The unit of each metric: the current company's quantity unit and currency
    (:func:`kamlib.formatting.current_company`; "quantity" / "money" when not set)."""
    co = fmt.current_company()
    q = co.quantity_unit or "quantity"
    c = co.currency or "money"
    return {"volume": q, "share_of_wallet": "share", "net_price": f"{c}/{q}",
            "revenue": c, "rebate_tier": "tier", "on_time_in_full": "share",
            "complaints": "count", "relationship_level": "level",
            "decision_makers": "score 1-5", "contact_coverage": "roles",
            "executive_visits": "count", "joint_activities": "count"}


def _rows(ids, metric, current, target, why) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": np.asarray(ids, dtype=object), "metric": metric,
                         "current": np.asarray(current, dtype=object),
                         "target": np.asarray(target, dtype=object),
                         "why": np.asarray(why, dtype=object)})


def objectives(fc: pd.DataFrame, strat: pd.DataFrame, rebate_plan: pd.DataFrame,
               current_tier: pd.Series, qual: pd.DataFrame, ps, available=None
               ) -> pd.DataFrame:
    """Every objective of every account, one row each.

    ``fc``: the forecast (:func:`kamlib.plan.forecast.plan_year`); ``strat``:
    :func:`kamlib.plan.strategy.choose`; ``rebate_plan``:
    :func:`kamlib.plan.forecast.rebate_at_plan`; ``current_tier``: the tier last
    year's volume reaches on the same schedule; ``qual``: per account ``otif``,
    ``complaints``, ``observed_level``, ``recommended_level``, ``weakest_dm``,
    ``roles_known``, ``roles_total``, ``executive_visits``, ``executive_target``,
    ``joint_activities``, ``trainings_planned``. Columns: ``customer_id``, ``metric``,
    ``label``, ``kind`` (quantitative / qualitative), ``current``, ``target``, ``unit``,
    ``why``, ``headline`` (1-3 for the first page's three, else 0).

    ``available``: what the data allows (``KamData.available``; ``None`` = everything).
    No objective is set on a figure the data cannot give (:mod:`kamlib.unknowns`: on
    time in full without delivery dates, complaints and the relationship level without
    interactions, the buying centre without contacts), nor a relationship level whose
    recommended or current level is unknown (no margin, no interactions).
    """
    from kamlib.plan.status import LEVELS

    ids = fc.index
    st = strat["strategy"].reindex(ids).astype(str)
    loss = strat["loss"].reindex(ids).fillna(False).astype(bool) if "loss" in strat else \
        pd.Series(True, index=ids)
    why_s = st + " - " + strat["why"].reindex(ids).astype(str)
    base = fc["baseline_kg"].map(fmt.kg)
    parts = [
        _rows(ids, "volume", fc["volume_kg"], fc["plan_volume_kg"],
              (why_s + "; the trend alone gives " + base).to_numpy(object)),
        _rows(ids, "share_of_wallet", fc["share_of_wallet"], fc["plan_share_of_wallet"],
              np.where(np.isfinite(fc["share_of_wallet"].to_numpy(float)),
                       "the plan volume against the customer's estimated total use",
                       "total use unknown: ask for it at the first visit")),
        _rows(ids, "net_price", fc["net_price"], fc["plan_net_price"],
              np.select([(st.eq("harvest") | (st.eq("recovery") & loss)).to_numpy(),
                         (st.eq("win-back") | st.eq("recovery")).to_numpy()],
                        ["protect the margin: " + st.to_numpy(object),
                         "held while winning back volume: " + st.to_numpy(object)],
                        "the price change proposed for its buying driver")),
        _rows(ids, "revenue", fc["revenue"], fc["plan_revenue"],
              "plan volume × plan net price"),
    ]
    if len(rebate_plan):
        r = rebate_plan
        parts.append(_rows(r.index, "rebate_tier", current_tier.reindex(r.index).fillna(0)
                           .astype(int), r["tier"].astype(int),
                           "the tier of the " + r["schedule"].astype(str)
                           + " schedule the plan volume reaches"))
    q = qual.reindex(ids)
    otif = q["otif"].to_numpy(float)
    parts.append(_rows(ids, "on_time_in_full", otif,
                       np.where(np.isfinite(otif), np.maximum(otif, ps.otif_target),
                                ps.otif_target),
                       np.where(np.nan_to_num(otif, nan=0) >= ps.otif_target,
                                "already at target: keep it", "delivery reliability "
                                f"target {fmt.pct(ps.otif_target)}")))
    comp = q["complaints"].fillna(0).to_numpy(float)
    many = comp >= ps.complaint_min
    parts.append(_rows(ids, "complaints", comp.astype(int),
                       np.where(many, np.floor(comp * (1 - ps.complaint_cut)), comp
                                ).astype(int),
                       np.where(many, "cut last year's complaints by "
                                f"{fmt.pct(ps.complaint_cut)}",
                                np.where(comp > 0, "few: keep them at this level or below",
                                         "keep it at none"))))
    rank = {lv: i for i, lv in enumerate(LEVELS)}
    obs = q["observed_level"].astype(object)
    rec = q["recommended_level"].astype(object)
    higher = rec.map(rank).fillna(-1).to_numpy(float) > obs.map(rank).fillna(-1).to_numpy(float)
    parts.append(_rows(ids, "relationship_level", obs.fillna("unknown"),
                       np.where(higher, rec, obs).astype(object),
                       np.where(higher, "the level recommended for its class and margin",
                                "at the recommended level: keep it")))
    weak = q["weakest_dm"].to_numpy(float)
    parts.append(_rows(ids, "decision_makers", weak,
                       np.maximum(np.nan_to_num(weak, nan=0),
                                  ps.decision_maker_min_strength),
                       np.where(np.isfinite(weak), "every decision maker at least "
                                f"{ps.decision_maker_min_strength}/5",
                                "no decision maker known: name and meet one")))
    parts.append(_rows(ids, "contact_coverage", q["roles_known"].fillna(0).astype(int),
                       q["roles_total"].fillna(0).astype(int),
                       "a contact in every role of the buying centre"))
    sponsored = q["executive_target"].fillna(0).to_numpy(float) > 0
    if sponsored.any():
        parts.append(_rows(ids[sponsored], "executive_visits",
                           q["executive_visits"].astype("Int64").astype(object)
                           .where(q["executive_visits"].notna(), np.nan)[sponsored],
                           q["executive_target"].astype(int)[sponsored],
                           "the executive sponsor's visits"))
    ja = q["joint_activities"].fillna(0).to_numpy(float)
    tr = q["trainings_planned"].fillna(0).to_numpy(float)
    parts.append(_rows(ids, "joint_activities", ja.astype(int),
                       np.maximum.reduce([ja, tr, np.ones(len(ids))]).astype(int),
                       "something new every year revives the relationship"))
    out = pd.concat(parts, ignore_index=True)
    if available is not None:
        from kamlib import unknowns

        gone = out["metric"].map(lambda m: unknowns.is_unknown(available, m)).to_numpy(bool).copy()
        lvl_unknown = pd.Series(obs.isna().to_numpy() | rec.isna().to_numpy(), index=ids)
        gone |= (out["metric"].eq("relationship_level").to_numpy()
                 & lvl_unknown.reindex(out["customer_id"]).fillna(True).to_numpy(bool))
        out = out.loc[~gone].reset_index(drop=True)
    out["label"] = out["metric"].map(LABELS)
    out["kind"] = np.where(out["metric"].isin(QUANTITATIVE), "quantitative", "qualitative")
    out["unit"] = out["metric"].map(units())
    out["headline"] = _headline(out, st.where(~(st.eq("recovery") & ~loss),
                                              "recovery of the relationship"))
    order = {m: i for i, m in enumerate(LABELS)}
    out["_o"] = out["metric"].map(order)
    out = out.sort_values(["customer_id", "_o"], kind="stable").drop(columns="_o")
    return out[["customer_id", "metric", "label", "kind", "current", "target", "unit",
                "why", "headline"]].reset_index(drop=True)


def _headline(obj: pd.DataFrame, strategy: pd.Series) -> np.ndarray:
    """1-3 for the first three objectives of each account: the strategy's first (always),
    its others that move, then other objectives that move, then (only to fill the three
    places) the strategy's own that stay where they are."""
    st = strategy.reindex(obj["customer_id"]).to_numpy(object)
    # after the strategy's own, any other objective that moves, in the order of LABELS
    pos = 10 + obj["metric"].map({m: i for i, m in enumerate(LABELS)}).fillna(80).to_numpy(int)
    for name, metrics in HEADLINE_BY_STRATEGY.items():
        m = st == name
        for i, met in enumerate(metrics):
            pos[m & (obj["metric"].to_numpy() == met)] = i
    tgt = pd.to_numeric(obj["target"], errors="coerce")
    cur = pd.to_numeric(obj["current"], errors="coerce")
    same = np.where(tgt.notna() & cur.notna(), np.isclose(tgt.fillna(0), cur.fillna(0)),
                    obj["current"].astype(str).to_numpy() == obj["target"].astype(str).to_numpy())
    has = tgt.notna().to_numpy() | obj["metric"].eq("relationship_level").to_numpy()
    # the strategy's first objective always leads (a "keep" is a target too); other
    # unchanged targets only fill the places left
    pos = np.where(has & (~same | (pos == 0)), pos,
                   np.where(has & (pos < 10), 50 + pos, 99))
    rank = pd.Series(pos).groupby(obj["customer_id"].to_numpy()).rank(method="first")
    return np.where((pos < 99) & (rank.to_numpy() <= 3), rank.to_numpy(), 0).astype(int)
