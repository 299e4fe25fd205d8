"""Year over year: who moved in the pyramid, the ABC classes and the relationship stage.

The review looks back one year (primer §1: selection is continuous, key customers are
lost and new ones appear). Each view gives a *migration matrix* (rows: the class in the
earlier year, columns: in the review year, cells: customers) and the *movers* by name.

Relationship stage (McDonald, Millman & Rogers 1997), with the rule of
:func:`kamlib.service.relationship_levels` (settings ``service.relationship``):
*exploratory* when the first order is less than ``exploratory_years`` old;
*disintegrating* when volume fell more than ``decline_threshold`` in each of the last
two years; else by share of wallet - *integrated* from ``interdependent_share`` at the
partnership level, *interdependent* from ``interdependent_share``, *cooperative* from
``cooperative_share``, *basic* below.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kamlib.review.decisions import _selection, _with_year
from kamlib.review.health import analysis_year

ABC_ORDER = ("A", "B", "C", "inactive")
STAGE_ORDER = ("integrated", "interdependent", "cooperative", "basic", "exploratory",
               "disintegrating", "(not reviewed)")


def movers(before: pd.Series, after: pd.Series, order, names: pd.Series | None = None
           ) -> pd.DataFrame:
    """The customers whose class differs between ``before`` and ``after`` (Series by
    customer id; ``order`` lists the classes best first). Index ``customer_id``;
    columns ``customer_name`` (when ``names``), ``from``, ``to``, ``direction``
    ("up" towards the front of ``order``, "down" otherwise), ``steps`` (positions
    moved, > 0 up). Sorted: down first, then up, by steps."""
    idx = before.index.union(after.index)
    a = before.reindex(idx).astype("string").fillna(order[-1])
    b = after.reindex(idx).astype("string").fillna(order[-1])
    pos = {c: i for i, c in enumerate(order)}
    pa = a.map(pos).astype(float).to_numpy()
    pb = b.map(pos).astype(float).to_numpy()
    moved = (a != b).to_numpy(bool)
    out = pd.DataFrame({"from": a.to_numpy(object), "to": b.to_numpy(object),
                        "steps": pa - pb}, index=pd.Index(idx, name="customer_id"))
    out = out.loc[moved]
    out["direction"] = np.where(out["steps"] > 0, "up", "down")
    out["steps"] = out["steps"].astype("int64")
    if names is not None:
        out.insert(0, "customer_name", names.reindex(out.index).to_numpy(object))
    return out.sort_values(["direction", "steps"], ascending=[True, True], kind="stable")


def _matrix(before: pd.Series, after: pd.Series, order) -> pd.DataFrame:
    idx = before.index.union(after.index)
    a = before.reindex(idx).astype("string").fillna(order[-1])
    b = after.reindex(idx).astype("string").fillna(order[-1])
    m = pd.crosstab(pd.Categorical(a, categories=list(order)),
                    pd.Categorical(b, categories=list(order)), dropna=False)
    m = m.reindex(index=list(order), columns=list(order), fill_value=0).astype("int64")
    m.index.name = "from"
    m.columns.name = "to"
    return m


def pyramid_migration(kd, s, year: int | None = None):
    """Pyramid tiers in ``year - 1`` and ``year`` (:func:`kamlib.selection.pyramid_by_year`):
    returns ``(matrix, movers)``, see :func:`movers`; tiers top, big, medium, small,
    inactive."""
    from kamlib import selection

    year = analysis_year(s, year)
    a = selection.pyramid_by_year(kd, s, year - 1)
    b = selection.pyramid_by_year(kd, s, year)
    names = kd.customers.set_index(kd.customers["customer_id"].astype("string"))[
        "customer_name"]
    order = selection.TIER_ORDER
    return _matrix(a, b, order), movers(a, b, order, names)


def abc_migration(kd, s, year: int | None = None):
    """ABC classes in ``year - 1`` and ``year`` (:func:`kamlib.selection.key_accounts`
    of each year; customers without sales: ``inactive``): ``(matrix, movers)``."""
    year = analysis_year(s, year)
    after = _selection(kd, s, year)
    if after is None:
        raise ValueError(f"abc_migration: no orders in {year}")
    before = _selection(kd, s, year - 1)
    b = after["abc_class"].where(after["is_active"], "inactive")
    a = (before["abc_class"].where(before["is_active"], "inactive") if before is not None
         else pd.Series("inactive", index=b.index))
    a.index, b.index = a.index.astype("string"), b.index.astype("string")
    names = after["customer_name"]
    names.index = names.index.astype("string")
    return _matrix(a, b, ABC_ORDER), movers(a, b, ABC_ORDER, names)


def stage_migration(kd, s, accounts: pd.DataFrame | None = None, year: int | None = None):
    """Relationship stages of the key accounts in ``year - 1`` and ``year`` (rule in
    the module doc; ``accounts``: the key-account table, default this year's
    ``service.key_account_table``): ``(matrix, movers)``; ``movers`` direction "down"
    is a move towards ``disintegrating``."""
    from kamlib import service

    year = analysis_year(s, year)
    if accounts is None:
        accounts = service.key_account_table(kd, _with_year(s, year))
    b = service.relationship_levels(kd, _with_year(s, year), accounts)["stage"]
    if year - 1 in kd.years:
        a = service.relationship_levels(kd, _with_year(s, year - 1), accounts)["stage"]
    else:
        a = pd.Series("(not reviewed)", index=b.index)
    names = accounts["customer_name"] if "customer_name" in accounts else None
    order = ("integrated", "interdependent", "cooperative", "basic", "exploratory",
             "disintegrating", "(not reviewed)")
    return _matrix(a, b, order), movers(a, b, order, names)
