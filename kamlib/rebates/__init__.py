"""Rebates and price levers for price-sensitive key customers, tested on their own history.

For price-sensitive key customers the source company used an **annual cumulative-volume
rebate** whose rate rises with volume, **off-season prices**, **bundles**, **bigger
packs** and a cheaper **economy grade** (primer §2). Each gives away margin. This module
shows what a design would have cost on last year's history and what it has to earn
back, *before* anyone signs it - and ties the schedule to who is price-sensitive
(:mod:`kamlib.segmentation`), which rebate tools (SAP, Vistex, Enable) do not.

1. **Schedules as settings** (:class:`RebateTier`, :class:`RebateSchedule`,
   :class:`RebateSettings`), modelled on SAP/Vistex condition contracts: a named
   schedule, a basis (``kg`` or ``EUR`` of net revenue), a method and tiers
   ``(threshold, rate)`` where the threshold is the **lower bound** of the band.
   Methods (primer §3):

   - ``retroactive`` ("back to dollar one"): the rate of the highest tier reached
     applies to *all* the volume of the year;
   - ``marginal`` (stepped): each rate applies only to the volume inside its band;
   - ``growth``: paid only on the volume above a baseline (by default last year's
     volume); the tiers are measured on that incremental volume and the reached rate
     applies to all of it.

   **Boundary rule**: a volume *exactly at* a threshold reaches that tier
   (``np.searchsorted(thresholds, volume, side="right")``). The rate is a share of the
   net invoiced revenue (0.02 = 2 %). With a kg basis, the revenue of the kg inside a
   band is valued at the customer's average net price of the year.
   Bad schedules are refused with a message: thresholds not ascending, two tiers at the
   same threshold (overlapping bands), rates outside 0-100 %, rates falling as volume
   rises.
2. **Computation** for all customers at once (:func:`apply_schedule`), and **accrual
   and settlement** during the year (:func:`accrue`, :func:`accrual`,
   :func:`settlement`, :func:`forecast_errors`): accrue at the rate of the tier the
   customer is forecast to reach, pay interim amounts (quarterly by default), settle
   at the end: final = total earned − interim paid, which can be negative.
3. **Simulation on history** (:func:`simulate`, :func:`simulation_summary`,
   :func:`tier_counts`, :func:`near_threshold`): what a schedule would have paid last
   year, its cost as % of revenue and of margin, customers per tier and the customers
   just below a threshold; :func:`rebate_curve` and :func:`cliffs` show the
   retroactive cliff.
4. **Response scenarios** (:func:`break_even_volume_change`, :func:`volume_response`,
   :func:`respond`, :func:`compare_schedules`, :func:`elasticities`): with the
   customer's elasticity (from segmentation where known, a setting otherwise), the
   incremental volume, the margin after rebate and the break-even volume increase
   %ΔV = −ΔP / (CM + ΔP) (Nagle & Müller).
5. **The other levers**, each with its arithmetic: off-season prices and bundles
   (:func:`deal_arithmetic`, :func:`deal_effect`, :func:`season_shares`,
   :func:`bundle_pairs`), bigger packs (:func:`pack_twins`, :func:`big_pack_switch`),
   the economy grade (:func:`economy_twins`, :func:`economy_effect`,
   :func:`economy_design`).
6. **For the account plans**: :func:`account_projection` - the schedule of each
   price-sensitive key customer, its projected cost and the distance to the next tier.

Functions that read the data take a :class:`kamlib.data.KamData` and the whole
:class:`kamlib.settings.Settings` (``period.analysis_year`` and ``rebates``); the pure
functions take plain DataFrames and a :class:`RebateSchedule`, so that tests pin them to
hand-computed answers. Volumes are kg, money EUR; rates and shares are fractions.

The package has one file per part, in the order above: :mod:`~kamlib.rebates.schedules`
(1, the settings and their arithmetic), :mod:`~kamlib.rebates.accruals` (2),
:mod:`~kamlib.rebates.history` (3), :mod:`~kamlib.rebates.response` (4),
:mod:`~kamlib.rebates.deals` and :mod:`~kamlib.rebates.packs` (5) and
:mod:`~kamlib.rebates.customers` (6). Every name is also importable from
``kamlib.rebates`` itself, as before the split.
"""

from __future__ import annotations

from kamlib.rebates.schedules import (  # noqa: F401
    METHODS, BASES, FORECASTS, METHOD_MEANING, MIN_SEASONAL_SHARE, _fmt_volume, _frac,
    break_even_share, RebateTier, _as_tier, RebateSchedule, DEFAULT_SCHEDULES,
    _default_by_segment, RebateSettings, _rebate_settings, _year, schedules_table,
    _amount, apply_schedule, rebate_curve, cliffs)
from kamlib.rebates.history import (  # noqa: F401
    _ids, _yearly, _yearly_of, _facts_years, _baseline, year_volumes, simulate,
    _simulate, simulation_summary, tier_counts, near_threshold)
from kamlib.rebates.response import (  # noqa: F401
    break_even_volume_change, volume_response, break_even_elasticity, respond,
    _segmentation_table, elasticities, compare_schedules)
from kamlib.rebates.accruals import (  # noqa: F401
    monthly_volumes, seasonal_shares, accrue, accrual, _accrual, settlement,
    forecast_errors)
from kamlib.rebates.customers import (  # noqa: F401
    _drivers, price_sensitive, _key_segments, price_sensitive_key_accounts,
    schedule_for, account_projection)
from kamlib.rebates.deals import (  # noqa: F401
    deal_arithmetic, _normal_prices, YEAR_LINE_COLUMNS, _YEAR_MEMO, _year_lines,
    deal_effect, season_shares, bundle_pairs)
from kamlib.rebates.packs import (  # noqa: F401
    _products, pack_twins, big_pack_switch, economy_twins, economy_arithmetic,
    economy_effect, economy_design)

__all__ = [
    "METHODS", "BASES", "FORECASTS", "METHOD_MEANING", "MIN_SEASONAL_SHARE",
    "break_even_share", "RebateTier", "RebateSchedule", "DEFAULT_SCHEDULES",
    "RebateSettings", "schedules_table", "apply_schedule", "rebate_curve", "cliffs",
    "year_volumes", "simulate", "simulation_summary", "tier_counts", "near_threshold",
    "break_even_volume_change", "volume_response", "break_even_elasticity", "respond",
    "elasticities", "compare_schedules", "monthly_volumes", "seasonal_shares",
    "accrue", "accrual", "settlement", "forecast_errors", "price_sensitive",
    "price_sensitive_key_accounts", "schedule_for", "account_projection",
    "deal_arithmetic", "YEAR_LINE_COLUMNS", "deal_effect", "season_shares",
    "bundle_pairs", "pack_twins", "big_pack_switch", "economy_twins",
    "economy_arithmetic", "economy_effect", "economy_design",
]
