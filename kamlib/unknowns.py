"""Figures the data cannot give: one rule for every plan, report and summary.

A partial export (no costs, no delivery dates, no interactions, contacts or
assessments: ``KamData.available``) leaves some figures **unknown**. An unknown figure
must never be shown as a real one: a margin of 0%, an on-time-in-full of 0% or 100%,
"0 complaints", a relationship "basic" because no visit is recorded, a buying centre
"with no decision maker". This module says, for each measure, which capability of
:data:`kamlib.schema.CAPABILITIES` it needs (:data:`NEEDS`), and gives the words for
an unknown (:func:`text`, :func:`cell`, :func:`note`) and the mask that turns the
columns of a table the data cannot fill into NaN (:func:`mask`).

Used by :mod:`kamlib.plan` (no objective, action or status built on an unknown),
:mod:`kamlib.report_sections` (figures, tables, signals, charts) and
:mod:`kamlib.report_index`. It imports only :mod:`kamlib.schema`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NEEDS: dict[str, str] = {
    # cost of goods -> margin, profit and everything built on them
    "gross_margin": "costs", "gross_margin_pct": "costs", "cost_of_goods": "costs",
    "profit": "costs", "profit_margin": "costs", "future_profit": "costs",
    "lifetime_value": "costs", "profitability_quadrant": "costs",
    "is_loss_maker": "costs", "margin_share_of_budget": "costs",
    # promised and actual delivery dates -> service reliability
    "on_time_in_full_rate": "deliveries", "on_time_rate": "deliveries",
    "in_full_rate": "deliveries", "days_late": "deliveries", "otif": "deliveries",
    "on_time_in_full": "deliveries",
    # interactions -> complaints, visits, the relationship we work at
    "complaints": "interactions", "complaints_per_100_orders": "interactions",
    "observed_level": "interactions", "relationship_level": "interactions",
    "joint_activities": "interactions",
    "innovation": "interactions", "relationship_stage": "interactions",
    "current_service_cost": "interactions",
    # contacts -> the buying centre
    "decision_makers": "contacts", "weakest_dm": "contacts", "roles_known": "contacts",
    "buying_centre": "contacts", "contact_coverage": "contacts",
    # assessments -> total use, share of wallet, the relationship criteria
    "share_of_wallet": "assessments", "estimated_annual_use_kg": "assessments",
    "relationship_criteria": "assessments", "growth_potential": "assessments",
    # list prices -> discounts, price realisation
    "discount_pct": "list_prices", "discount": "list_prices",
    "list_revenue": "list_prices", "price_realisation": "list_prices",
}
"""Measure (a column name, or a figure of the plan) -> the capability it needs."""

ADD: dict[str, str] = {
    "costs": "add unit cost, cost amount or margin to see it",
    "deliveries": "add promised and actual delivery dates to see it",
    "interactions": "add an interactions table (visits, calls, complaints) to see it",
    "contacts": "add a contacts table (the buying centre) to see it",
    "assessments": "add an assessments table (the account manager's yearly "
                   "assessment) to see it",
    "list_prices": "add list prices or discounts to see it",
}
"""What to add for each capability, in the words of a report."""

WORD = "not in the data"
"""The short form of an unknown figure (a table cell, a key figure)."""


def needs(measure: str) -> str | None:
    """The capability ``measure`` needs, or ``None`` when it needs none."""
    return NEEDS.get(str(measure))


def missing(available, measure: str) -> str | None:
    """The capability ``measure`` lacks in data allowing ``available`` (a set of
    capability names, ``KamData.available``), or ``None`` when it can be shown."""
    cap = needs(measure)
    return cap if cap is not None and cap not in available else None


def is_unknown(available, measure: str) -> bool:
    """True when the data cannot give ``measure``."""
    return missing(available, measure) is not None


def add_text(capability: str) -> str:
    """``"add unit cost, cost amount or margin to see it"``."""
    from kamlib import schema

    return ADD.get(capability) or f"add {schema.CAPABILITIES[capability].add} to see it"


def text(capability: str) -> str:
    """The long form: ``"not in the data: add unit cost, cost amount or margin to see
    it"``."""
    return f"{WORD}: {add_text(capability)}"


def cell(available, measure: str, value, formatter) -> str:
    """``formatter(value)``, or :data:`WORD` when the data cannot give ``measure``."""
    return WORD if is_unknown(available, measure) else formatter(value)


def note(available, labels: dict[str, str]) -> str:
    """One sentence for the foot of a table: the figures of ``labels`` (measure ->
    label as shown) that the data cannot give and what to add, grouped by capability;
    ``""`` when every figure is known. E.g. "Not in the data: gross margin, gross
    margin % (add unit cost, cost amount or margin to see it)."."""
    by_cap: dict[str, list[str]] = {}
    for m, label in labels.items():
        cap = missing(available, m)
        if cap is not None and label not in by_cap.setdefault(cap, []):
            by_cap[cap].append(label)
    parts = [f"{', '.join(ls)} ({add_text(c)})" for c, ls in by_cap.items() if ls]
    return f"Not in the data: {'; '.join(parts)}." if parts else ""


def mask(df: pd.DataFrame, available) -> pd.DataFrame:
    """``df`` with NaN (or None) in every column the data cannot fill (by
    :data:`NEEDS`): a sum over absent costs is unknown, not 0. Returns a copy when
    anything is masked, ``df`` itself otherwise."""
    cols = [c for c in df.columns if is_unknown(available, c)]
    if not cols:
        return df
    out = df.copy()
    for c in cols:
        if pd.api.types.is_numeric_dtype(out[c]) and not pd.api.types.is_bool_dtype(out[c]):
            out[c] = np.nan
        else:
            out[c] = pd.Series([None] * len(out), index=out.index, dtype=object)
    return out
