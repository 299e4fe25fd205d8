# %% [markdown]
# # 03 · Designing rebates and price levers, tested on the customers' own history
#
# *Every rebate, special price and bigger pack gives margin away. Before anyone signs one,
# the playbook shows what it would have cost on last year's history and what it has to
# earn back.*
#
# *About 60 minutes. Before this chapter: [01](01_select_key_customers.ipynb) (who is a
# [key account](../docs/glossary.md#key-account)) and [02](02_segment_by_sensitivity.ipynb)
# (what drives each one's buying: the [price-sensitive](../docs/glossary.md#price-sensitive)
# ones are this chapter's audience). A little pandas is enough; every number comes from
# `kamlib.rebates`, the cells only call it.*
#
# For its **price-sensitive** key customers the source company used an annual
# [**cumulative-volume rebate**](../docs/glossary.md#cumulative-volume-rebate) whose rate
# rises with volume, [**off-season**](../docs/glossary.md#off-season) prices so they stock
# up in the slack season, [**bundles**](../docs/glossary.md#bundle) (buy two products, one
# at a special price), **bigger packs** and cheaper packaging, and a cheaper
# [**economy grade**](../docs/glossary.md#economy-grade). Rebate software (SAP, Vistex,
# Enable) computes such schedules well, but does not tie them to *who* is price-sensitive.
# This chapter does both, with the customers' own order history as the test bench.
#
# **What you will learn** — afterwards you can:
#
# - pay a volume rebate three ways — [**retroactive**](../docs/glossary.md#retroactive),
#   [**marginal**](../docs/glossary.md#marginal-rebate) (stepped) and
#   [**growth**](../docs/glossary.md#growth-rebate) — and write one as a schedule in the
#   [settings file](../docs/glossary.md#settings-file);
# - spot the retroactive [**cliff**](../docs/glossary.md#cliff) and its *dead zone*, and
#   say why customers just below a [threshold](../docs/glossary.md#threshold) deserve a
#   phone call;
# - say what a schedule **would have cost last year**, as a share of revenue and of margin,
#   and who sits on which [tier](../docs/glossary.md#tier);
# - [**accrue**](../docs/glossary.md#accrual) a rebate during the year, pay
#   [interim payments](../docs/glossary.md#interim-payment) and work out the
#   [**final settlement**](../docs/glossary.md#final-settlement) — which can be negative;
# - compute the [**break-even volume**](../docs/glossary.md#break-even-volume) of a price
#   cut (Nagle & Müller) and compare it with the customer's response from its own
#   [elasticity](../docs/glossary.md#elasticity);
# - weigh **off-season prices, bundles, big packs and the economy grade** with one piece of
#   arithmetic (which share of the volume is new?);
# - hand the chosen schedule to each [**account plan**](../docs/glossary.md#account-plan).

# %% [markdown]
# > **The worked example.** The text of this chapter describes the bundled sample: Auronia
# > Nutrichem, a fictional niacin maker. Run on your own data (`data_source` in the
# > parameters, or `kam chapters --data PATH`), every number, table and figure is computed
# > from yours, in your currency and unit (`[company]` in the settings file); sentences that
# > name the sample company describe the example, not your business.

# %% tags=["parameters"]
# Parameters: papermill and `kam chapters --data` can replace these values.
data_source = "sample"  # "sample" = the bundled data; or a folder / Excel workbook of yours
settings_file = "../kam_settings.toml"  # the playbook's decisions (missing file = defaults)
analysis_year = 0  # "this year"; 0 = the latest complete year in the data
schedule_name = ""  # the schedule to study; "" = the price-sensitive segment's schedule
customer_id = ""  # whose accrual to draw; "" = the customer with the largest claw-back

# %%
from kamlib import notebook

notebook.setup()

import pandas as pd

from IPython.display import display

from kamlib import data, exercises, formatting, rebates, segmentation, selection, settings, tables, unknowns
from kamlib.course import prose
from kamlib.plots import rebates as rebate_plots
from kamlib.widgets import rebates as rebate_widgets

# %%
kd, s = notebook.load(data_source, settings_file, analysis_year)  # says whose data, which year
analysis_year = s.period.analysis_year
proposal = s.rebates.schedule(schedule_name) if schedule_name else s.rebates.segment_schedule("price")
print(proposal.describe())

# %% [markdown]
# ## 1. Who are the price-sensitive key customers?
#
# A rebate is a price cut. It is worth its cost only where price drives the buying, so
# the first question is *to whom* it is offered. Chapter 02 read each key account's
# driver from its behaviour — deals, economy grades, big packs, price negotiations,
# volume that reacts to its net price. Here we take the key accounts whose driver is
# **price**, alone or mixed with another (`rebates.price_sensitive`).

# %%
segments = segmentation.segments(kd, s)  # the key accounts of chapter 01 and their drivers
targets = rebates.price_sensitive(segments)
last_year = rebates.year_volumes(kd, analysis_year, targets)
tables.table(last_year.join(segments[["segment", "mixed_types", "price_elasticity"]]),
             formats={"price_elasticity": "number:1"}, what="price-sensitive key accounts")

# %%
# NBVAL_CHECK_OUTPUT

print(f"Key accounts: {len(segments)}; price-sensitive (price, or mixed with price): {len(targets)}")
print(f"Their {analysis_year}: {formatting.kg(last_year['volume_kg'].sum())}, "
      f"{formatting.eur(last_year['revenue'].sum())} revenue, gross margin "
      f"{formatting.pct(notebook.ratio(last_year['gross_margin'].sum(), last_year['revenue'].sum()), 1)}")
if not len(targets):
    print("No price-sensitive key account: the rebate proposal has nobody to aim at in this data. "
          "The methods below still run on the key accounts or show empty tables; see chapter 02 "
          "for the segments (and chapter 01 for the key-account rule).")

# %% [markdown]
# How differently do they buy? `rebates.season_shares` measures, for the year, the share
# of volume bought on any deal, the share bought in the off-season months (June–August)
# and, of that, the share bought *on* the off-season price:

# %%
# NBVAL_CHECK_OUTPUT

shares = rebates.season_shares(kd, s, customers=segments.index)
group = pd.Series(shares.index.isin(targets), index=shares.index).map(
    {True: "price-sensitive", False: "other key accounts"})
for name, g in shares.groupby(group):
    print(f"{name:<19} on deals {formatting.pct(g['deal_share'].mean()):>4}   "
          f"in the off-season {formatting.pct(g['off_season_share'].mean()):>4}   "
          f"of which on the off-season price {formatting.pct(g['off_season_deal_share'].mean()):>4}")

# %%
by_group = shares.groupby(group).mean()
if len(by_group) == 2:
    ps, other = by_group.loc["price-sensitive"], by_group.loc["other key accounts"]
    display(prose.say(
        f"On average the price-sensitive key accounts buy **{prose.pct(ps['deal_share'])}** of "
        f"their volume on deals, the other key accounts {prose.pct(other['deal_share'])}; of "
        f"what they buy in the off-season, {prose.pct(ps['off_season_deal_share'])} is on the "
        f"off-season price ({prose.pct(other['off_season_deal_share'])} for the others)."))

# %% [markdown]
# ### What this means for the account manager
#
# - The levers of this chapter are for the customers on the list above — not for every
#   large account. A rebate to a [service-sensitive](../docs/glossary.md#service-sensitive)
#   customer buys nothing it values.
# - Compare the two lines above: a customer that already buys on deals and waits for the
#   off-season price reacts to special prices. Every lever must be judged on the volume it
#   *adds*, not on the volume that merely moves.

# %% [markdown]
# ## 2. Three ways to pay a volume rebate
#
# A rebate schedule is written like a *condition contract* in SAP or Vistex: a **name**,
# a **basis** (kg delivered, or EUR of net revenue), a **method**, and **tiers**
# `(threshold, rate)` where the threshold is the *lower bound* of the band. The rate is
# a share of the net invoiced revenue (0.02 = 2 %). **Boundary rule:** a volume *exactly
# at* a threshold reaches that tier.
#
# | method | what is paid | for annual volume V, tier k reached |
# |---|---|---|
# | **retroactive** ("back to dollar one") | the rate of the highest tier reached, on *all* the volume | rebate = r_k × revenue |
# | **marginal** (stepped) | each band's rate, only on the volume inside the band | rebate = p × Σ r_i × (min(V, t_{i+1}) − t_i)⁺ |
# | **growth** | only on the volume above a baseline (e.g. last year) | rebate = r_k × (V − baseline)⁺ × p |
#
# (p = the customer's average net price per kg, so that a kg-based band is valued in EUR.)
# The schedules of the settings file:

# %%
tables.table(rebates.schedules_table(s), formats={"threshold": "number:0", "rate": "pct:1"},
             columns={"threshold": "threshold (in its basis)"}, top=None)

# %% [markdown]
# ### A worked example, by hand first
#
# A customer buys **95 t** at **EUR 9.00/kg** (EUR 855,000); last year it bought 85 t.
#
# - *cumulative volume* (retroactive; 1 % from 40 t, 2 % from 80 t, 3 % from 120 t):
#   95 t reaches the 80 t tier, so 2 % of all of it: 0.02 × 855,000 = **EUR 17,100**.
# - *stepped volume* (the same tiers, marginal): 1 % on the 40 t between 40 and 80 t,
#   2 % on the 15 t above 80 t: (400 + 300) kg × 9.00 = **EUR 6,300**.
# - *growth* (3 % above last year, 5 % once growth reaches 10 t): 10 t above 85 t is
#   exactly the 10 t threshold, so 5 %: 0.05 × 10,000 × 9.00 = **EUR 4,500**.
#
# (The tiers are those of the settings file shipped with the playbook; the table above
# shows the ones in force.) `rebates.apply_schedule` does the same for all customers at
# once — the cell below sets its result beside the sums by hand:

# %%
# NBVAL_CHECK_OUTPUT

example = pd.DataFrame({"volume_kg": [95_000.0], "revenue": [855_000.0], "baseline": [85_000.0]})
by_hand = {"cumulative volume": 17_100, "stepped volume": 6_300, "growth": 4_500}  # the sums above
for name, hand in by_hand.items():
    r = rebates.apply_schedule(example, s.rebates.schedule(name)).iloc[0]
    agrees = "= by hand" if abs(r["rebate"] - hand) < 0.5 else f"(by hand {formatting.amount(hand, decimals=0)}: the tiers in force differ)"
    print(f"{name:<18} tier {r['tier']}  rebate {formatting.amount(r['rebate'], decimals=0)} {agrees}  "
          f"({formatting.pct(r['effective_rate'], 2)} of revenue)")

# %%
shown = [s.rebates.schedule(n) for n in ("current programme", "cumulative volume", "stepped volume")]
rebate_plots.rebate_curves(shown, price_per_kg=9.0, max_volume=200_000);

# %% [markdown]
# The retroactive lines jump at each threshold; the marginal line bends but never jumps.
# For the same tiers and rates the marginal schedule never pays more, and usually much
# less (in the worked example about a third), because most of a customer's volume sits in
# the lower bands.
#
# ### What this means for the account manager
#
# - *Retroactive* is simple to explain and strongly motivating near a threshold, and
#   expensive: every tier upgrade re-prices all the volume already bought.
# - *Marginal* pays only for the volume in the upper bands. It motivates less at a
#   threshold and costs much less.
# - *Growth* pays only for volume above the baseline. It costs nothing when the customer
#   does not grow, and it rewards exactly the behaviour the company wants.

# %% [markdown]
# ## 3. The retroactive cliff
#
# At a retroactive threshold t where the rate rises from r₀ to r₁, the rebate **jumps**
# by (r₁ − r₀) × t × p — on volume the customer has *already* bought. Just above the
# threshold the customer pays *less in total* than just below it: its net payment
# V·p·(1 − r₁) stays below t·p·(1 − r₀) until V = t (1 − r₀)/(1 − r₁). The
# [**dead zone**](../docs/glossary.md#dead-zone)
#
#     t × (r₁ − r₀) / (1 − r₁)
#
# is the extra volume the customer gets for nothing — or could order and throw away.
# (All-units versus incremental discounts: Dolan 1987 and Munson & Rosenblatt 1998 on
# quantity discounts; Nagle & Müller on price structures.) At the price-sensitive
# customers' average price:

# %%
price = notebook.ratio(last_year["revenue"].sum(), last_year["volume_kg"].sum())
tables.table(rebates.cliffs(proposal, price_per_kg=price),
             formats={"threshold": "number:0", "rate_below": "pct:1", "rate_above": "pct:1",
                      "rebate_jump": "eur", "dead_zone": "number:0", "dead_zone_end": "number:0"},
             columns={"dead_zone": f"dead zone (in the basis: {proposal.basis})",
                      "dead_zone_end": f"dead zone ends at ({proposal.basis})",
                      "threshold": f"threshold ({proposal.basis})"}, top=None)

# %%
rebate_plots.cliff(proposal, tier=min(2, len(proposal.tiers)), price_per_kg=price);

# %% [markdown]
# ### What this means for the account manager
#
# - A customer a few tonnes below a retroactive threshold has a very strong reason to
#   order more before the year ends. If the extra volume is real, call the customer. If
#   it is only stock moved from January to December, the company pays the whole tier
#   upgrade for nothing.
# - A marginal schedule has no cliff. A retroactive one can be softened by setting
#   thresholds where few customers sit, or by paying the upper rate only on the volume
#   above the threshold.

# %% [markdown]
# ## 4. What would it have cost last year?
#
# ### First, test the method on the programme in force
#
# Before trusting a simulation of a new schedule, check that it reproduces the old one —
# and look for the margin that leaks between the list price and what a customer really
# pays, the [price waterfall](../docs/glossary.md#price-waterfall) of Marn & Rosiello.
# The company's *current programme* is in the settings file too (its tiers are in the
# table of section 2). `rebates.simulate` applies it to every customer's history and sets
# it beside what accounting actually paid (the `rebates` table):

# %%
# NBVAL_CHECK_OUTPUT

current = rebates.simulate(kd, s, "current programme")
gap = current["rebate_paid"] - current["rebate"]
if kd.has("rebates"):
    print(f"{analysis_year}: the programme pays {formatting.eur(current['rebate'].sum())}; "
          f"accounting paid {formatting.eur(current['rebate_paid'].sum())}")
    print(f"Customers paid as the programme says (within {formatting.money(1)}): {(gap.abs() < 1).sum()} of {len(current)}")
    for cid, g in gap[gap.abs() >= 1].items():
        print(f"  {cid}: paid {formatting.eur(current.loc[cid, 'rebate_paid'])} instead of "
              f"{formatting.eur(current.loc[cid, 'rebate'])} ({prose.signed_pct(g / current.loc[cid, 'revenue'], 1)} of revenue)")
else:  # no rebates table: what was paid is unknown, not 0
    gap = gap.iloc[:0]
    print(f"{analysis_year}: the programme pays {formatting.eur(current['rebate'].sum())}. The "
          "data has no rebates table, so what accounting paid cannot be set against it: "
          f"{unknowns.add_text('rebates')}.")

# %%
extra = gap[gap.abs() >= 1]
if not kd.has("rebates"):
    pass  # said above
elif len(extra):
    points = extra / current.loc[extra.index, "revenue"]
    display(prose.say(
        f"The simulation reproduces accounting to the euro for {prose.count((gap.abs() < 1).sum())} "
        f"of {prose.count(len(current), 'customer')}. {prose.count(len(extra), 'customer')} "
        f"{'was' if len(extra) == 1 else 'were'} paid more than the programme says — "
        + (f"{prose.pct(points.min(), 1)} of revenue on top" if round(points.min(), 3) == round(points.max(), 3)
           else f"{prose.pct(points.min(), 1)} to {prose.pct(points.max(), 1)} of revenue on top")
        + f", "
        f"{prose.money(extra.sum())} in all. Extra rebates like these are never written into "
        "the programme, and nobody reviews them. Who are they?"))
else:
    display(prose.say("The simulation reproduces what accounting paid to the euro for every customer: "
                      "no rebate was paid outside the programme."))

# %%
# NBVAL_CHECK_OUTPUT

accounts = selection.key_accounts(kd, s)
side_deals = gap.index[gap.abs() >= 1]
flags = accounts.loc[side_deals, ["abc_class", "revenue_rank", "is_loss_maker", "profit"]]
for cid, r in flags.iterrows():
    print(f"{cid}  class {r['abc_class']}  rank {int(r['revenue_rank'])}  loss-maker {r['is_loss_maker']}  "
          f"profit {formatting.eur(r['profit'])}")

# %%
if len(flags):
    n_loss = int(flags["is_loss_maker"].sum())
    n_a = int((flags["abc_class"] == "A").sum())
    def how_many(k):
        return "all" if k == len(flags) > 1 else ("it" if k == len(flags) == 1 else prose.count(k))
    display(prose.say(
        f"Of these {prose.count(len(flags))}: {how_many(n_a)} in class A, {how_many(n_loss)} "
        f"[loss making](../docs/glossary.md#loss-maker) in chapter 01's sense (profit after "
        "discounts, rebates and the cost to serve below zero). An extra point "
        "of rebate on a large account is one of the ways an account comes to lose money. That is "
        "why this chapter ties every rebate to a written schedule, a reason and a simulation."))

# %% [markdown]
# ### The proposal for the price-sensitive key customers

# %%
sim = rebates.simulate(kd, s, proposal, customers=targets)
tables.table(sim[["volume_kg", "revenue", "gross_margin", "rebate_paid", "tier", "rate", "rebate",
                  "rebate_pct_of_margin", "to_next_tier", "value_of_next_tier"]],
             formats={"rate": "pct:1", "rebate_pct_of_margin": "pct:1", "to_next_tier": "number:0"},
             columns={"rebate_paid": "paid last year", "rebate": "rebate under the proposal",
                      "rebate_pct_of_margin": "proposal, share of margin",
                      "to_next_tier": f"to the next tier ({proposal.basis})"},
             what="price-sensitive key accounts")

# %%
# NBVAL_CHECK_OUTPUT

total = rebates.simulation_summary(sim)
print(f"'{proposal.name}' on {analysis_year}: {formatting.eur(total['rebate'])} to "
      f"{int(total['customers_paid'])} of {int(total['customers'])} customers")
print(f"= {formatting.pct(total['rebate_pct_of_revenue'], 1)} of their revenue, "
      f"{formatting.pct(total['rebate_pct_of_margin'], 1)} of their gross margin "
      f"(paid to them in {analysis_year}: {formatting.eur(total['rebate_paid'])})")
for tier, r in rebates.tier_counts(sim, proposal).iterrows():
    print(f"  {r['band']:<16} {r['customers']:>2} customers  {formatting.eur(r['rebate'])}")

# %%
rebate_plots.customers_on_tiers(sim, proposal);

# %% [markdown]
# The triangles are customers **just below** a threshold — within the setting
# `rebates.near_threshold_share` of the volume the next tier needs (printed below). The
# line shows how far they have to go. `rebates.near_threshold` lists them, with what
# reaching the tier is worth to them and the [**marginal rebate rate**](../docs/glossary.md#marginal-rebate-rate): the rebate earned
# per euro of the extra purchase. Above 100 %, the extra volume costs the customer
# *nothing*.

# %%
# NBVAL_CHECK_OUTPUT

print(f"just below = within {formatting.pct(s.rebates.near_threshold_share)} of the next tier's threshold")
for cid, r in rebates.near_threshold(sim).iterrows():
    print(f"{cid}: {formatting.kg(r['to_next_tier'])} short of the {formatting.pct(r['next_tier_rate'])} tier; "
          f"reaching it is worth {formatting.eur(r['value_of_next_tier'])} "
          f"({formatting.pct(r['marginal_rebate_rate'])} of the extra purchase)")

# %% [markdown]
# ### What this means for the account manager
#
# - Know the rebate cost of your price-sensitive accounts as a share of their *margin*,
#   not only of revenue: a 2 % rebate at a 17 % gross margin gives away more than a
#   tenth of the margin.
# - The accounts just below a threshold are where a tier changes behaviour. Plan the
#   conversation: is there real extra demand, or will the order only move from January
#   to December?
# - Rebates paid outside the written schedule should be found and explained (the
#   programme test above): look at whom they went to, and at what those accounts earn.

# %% [markdown]
# ## 5. Accrual, interim payments and the final settlement
#
# During the year nobody knows which tier a customer will reach. Finance **accrues** the
# rebate month by month from a *forecast* of the year-end volume, pays **interim**
# amounts (quarterly here), and settles at the end (`rebates.accrual`):
#
# 1. after month m, forecast the year-end volume F (setting `rebates.forecast`):
#    *seasonal* — volume so far ÷ the share of a normal year the customers had bought by
#    that month; *customer_seasonal* — the same from the customer's own history;
#    *run_rate* — volume so far × 12/m; *last_year* — last year's volume;
# 2. accrue at the rate of the tier F reaches: accrued to date = expected rebate at F ÷
#    expected revenue at F × revenue so far;
# 3. after each interim month, pay up to `interim_share` × accrued to date (never paid
#    back at an interim);
# 4. after December: **final settlement = rebate earned − interim payments**. When the
#    forecast overshot, it is negative: the customer owes money back, usually as a credit
#    note.

# %%
acc = rebates.accrual(kd, s, proposal, customers=targets)
settled = rebates.settlement(acc)
tables.table(settled, formats={"largest_forecast_error": "pct", "earned": "eur", "final_settlement": "eur"},
             columns={"interim_paid": "paid in interims", "final_settlement": "final settlement"},
             what="price-sensitive key accounts")

# %%
# NBVAL_CHECK_OUTPUT

print(f"Earned {formatting.eur(settled['earned'].sum())}, paid in interims "
      f"{formatting.eur(settled['interim_paid'].sum())}, final settlement "
      f"{formatting.eur(settled['final_settlement'].sum())}")
back = settled.loc[settled["final_settlement"] < -0.005]
print(f"Customers who owe money back: {len(back)}")
for cid, r in back.iterrows():
    print(f"  {cid}: earned {formatting.eur(r['earned'])}, paid {formatting.eur(r['interim_paid'])}, "
          f"final {formatting.eur(r['final_settlement'])}")

# %%
who = customer_id or notebook.pick(settled["final_settlement"], "min",
                                   what="customer with a rebate accrual")
if who is not None:
    rebate_plots.accrual_path(acc, who);

# %%
if who is not None:  # how to read the chart: the customer with the lowest final settlement
    import calendar

    path = acc.loc[acc["customer_id"].astype(str) == str(who)].sort_values("month")
    top = path.loc[path["accrued_to_date"].idxmax()]
    final = float(path["final_settlement"].iloc[-1])
    display(prose.say(
        f"The chart follows {who} (the lowest final settlement of the list: the largest claw-back, if "
        "any). The line is the rebate accrued to date from the forecast of the month; the steps are "
        f"the interim payments, made at the interim months only. The accrual peaked at "
        f"{prose.money(top['accrued_to_date'])} in {calendar.month_name[int(top['month'])]}. It falls "
        "again whenever the forecast drops to a lower tier: the accrual is reversed, but an interim "
        "already paid is never taken back before the settlement."
        + prose.choose(final < -0.005, f" Its interims overshot: it owes {prose.money(-final)} back.",
                       prose.choose(final > 0.005,
                                    f" The final settlement pays it the remaining {prose.money(final)}.",
                                    " It ends the year with nothing to settle."))))

# %% [markdown]
# Which forecast should finance use? `rebates.forecast_errors` replays each one on a
# year and measures the error of the forecast after March, June and September. We test
# on the year *before* the analysis year, so that the forecasts have their full history
# behind them and the analysis year stays the one we plan from. (Sales count when
# delivered: the orders still open at the data's cut-off are not sales of any year, so no
# year looks lighter than it is.) We use the current programme over all
# customers, which gives the widest test:

# %%
# NBVAL_CHECK_OUTPUT

errors = rebates.forecast_errors(kd, s, "current programme", year=analysis_year - 1)
for (forecast, month), r in errors.iterrows():
    if month in (6, 9):
        print(f"{forecast:<18} after month {month}: volume error {formatting.pct(r['weighted_error'], 1):>5}, "
              f"wrong tier {formatting.pct(r['wrong_tier']):>3}, customers paying back "
              f"{int(r['customers_paying_back']):>2} ({formatting.eur(r['paid_back'])})")

# %%
after9 = errors.xs(9, level=1)["weighted_error"] if 9 in errors.index.get_level_values(1) else None
if after9 is not None and len(after9):
    display(prose.say(
        f"On this history, after September the **{after9.idxmin()}** forecast misses least "
        f"({prose.pct(after9.min(), 1)} of the volume), **{after9.idxmax()}** most "
        f"({prose.pct(after9.max(), 1)}); the setting in force is **{s.rebates.forecast}**."))

# %% [markdown]
# Why they differ: the run rate assumes every month is an average month, so it misses the
# autumn [peak](../docs/glossary.md#peak) (September–November) that is still to come; the
# seasonal profiles scale the months so far by the share of a normal year they usually
# hold; last year's volume ignores the current year entirely. Pick the forecast with the
# smallest error on your own history and write it in the settings (`rebates.forecast`).
#
# ### What this means for the account manager
#
# - Tell the customer early which tier it is heading for. A claw-back at settlement
#   costs more goodwill than the money is worth.
# - Paying interims on only part of the accrual (`interim_share` 0.8, say) keeps a
#   buffer when a customer's forecast is uncertain.

# %% [markdown]
# ## 6. What must the rebate earn back?
#
# A rebate is a **price cut** for the volume it covers. Nagle & Müller (*The Strategy and
# Tactics of Pricing*) give the volume a price change must bring to leave the
# contribution unchanged:
#
#     break-even %ΔV = −ΔP / (CM + ΔP)
#
# with ΔP the price change and CM the contribution margin, both as fractions of the old
# price. A 2 % rebate (ΔP = −0.02) at a 25 % margin needs 0.02 / 0.23 = **+8.7 %**
# volume; at a 15 % margin, **+15.4 %**. The customer's response at elasticity ε
# (%ΔQ/%ΔP, estimated in chapter 02 from its own history) is (1 + ΔP)^ε − 1. Setting
# the two equal gives the **break-even elasticity**
# ε* = ln(CM / (CM + ΔP)) / ln(1 + ΔP) ≈ −1 / (CM + ΔP). At a 20 % margin a customer
# must be about *five times* more price-elastic than unit elasticity for a rebate on
# all its volume to pay.

# %%
rebate_plots.break_even_curves(contribution_margins=(0.15, 0.25, 0.35), elasticities=(-1.5, -3.0));

# %%
elasticity = rebates.elasticities(kd, s, targets, segments=segments)
response = rebates.respond(sim, proposal, elasticity["elasticity_used"])
tables.table(response[["elasticity_used", "price_change", "contribution_margin", "break_even_volume_change",
                       "volume_change", "break_even_elasticity", "incremental_margin"]],
             formats={"elasticity_used": "number:1", "price_change": "pct:1", "contribution_margin": "pct",
                      "break_even_volume_change": "pct:1", "volume_change": "pct:1",
                      "break_even_elasticity": "number:1", "incremental_margin": "eur"},
             columns={"elasticity_used": "elasticity ε", "break_even_elasticity": "break-even ε*",
                      "volume_change": "volume response",
                      "incremental_margin": "margin after rebate and response"},
             what="price-sensitive key accounts")

# %%
# NBVAL_CHECK_OUTPUT

paid = response.loc[response["rebate_before"] > 0]
for cid, r in paid.head(notebook.LIST).iterrows():  # a long list: the first ones, then how many more
    print(f"{cid}: rebate {formatting.pct(-r['price_change'], 1)} at margin {formatting.pct(r['contribution_margin'])}: "
          f"needs +{formatting.pct(r['break_even_volume_change'], 1)}, gets +{formatting.pct(r['volume_change'], 1)} "
          f"(ε {r['elasticity_used']:.1f} vs ε* {r['break_even_elasticity']:.1f}) -> {formatting.eur(r['incremental_margin'])}")
notebook.more(len(paid), notebook.LIST, what="customers with a rebate")
print(f"Customers whose response pays for their rebate: {int(paid['earns_back'].sum())} of {len(paid)}")

# %% [markdown]
# The elasticity comes from the customer's own history where chapter 02 could estimate
# one (`elasticity_source`). Otherwise it is the setting `rebates.default_elasticity`.
# The model is deliberately simple: one round of response to the *average* price cut,
# and margins are revenue minus cost of goods.
#
# ### Two or three schedules side by side
#
# `rebates.compare_schedules` runs every schedule of the settings on the same customers
# and year:

# %%
comparison = rebates.compare_schedules(kd, s, customers=targets, elasticity=elasticity["elasticity_used"])
shown = comparison[["method", "customers_paid", "rebate", "rebate_pct_of_revenue", "rebate_pct_of_margin",
                    "break_even_volume_change", "volume_change", "incremental_volume_kg",
                    "incremental_margin", "customers_earning_back", "near_threshold"]]
unit = formatting.quantity_label()
rows = {"method": ("method", "text"), "customers_paid": ("customers paid", "count"),
        "rebate": (f"rebate ({formatting.money_label()})", "eur"),
        "rebate_pct_of_revenue": ("rebate, share of revenue", "pct:1"),
        "rebate_pct_of_margin": ("rebate, share of gross margin", "pct:1"),
        "break_even_volume_change": ("break-even volume change", "pct:1"),
        "volume_change": ("volume response", "pct:1"),
        "incremental_volume_kg": (f"extra volume ({unit})", "kg"),
        "incremental_margin": (f"margin after rebate and response ({formatting.money_label()})", "eur"),
        "customers_earning_back": ("customers whose response pays", "count"),
        "near_threshold": ("customers just below a threshold", "count")}
tables.table(shown.T.rename(index={k: v[0] for k, v in rows.items()}).rename_axis("schedule"),
             row_formats={v[0]: v[1] for v in rows.values() if v[1] != "text"}, top=None)

# %%
# NBVAL_CHECK_OUTPUT

for name, r in comparison.iterrows():
    print(f"{name:<18} costs {formatting.eur(r['rebate']):>11} ({formatting.pct(r['rebate_pct_of_margin'], 1):>5} of margin), "
          f"break-even +{formatting.pct(r['break_even_volume_change'], 1):>5}, response +{formatting.pct(r['volume_change'], 1):>4}, "
          f"margin after rebate {formatting.eur(r['incremental_margin'])}")

# %%
rebate_plots.schedule_comparison(comparison);

# %%
paying = comparison.index[comparison["incremental_margin"] > 0]
display(prose.say(
    ("**No schedule pays for itself through the price response alone**: at these margins the "
     "customers are not elastic enough." if not len(paying) else
     f"Through the price response alone, only {prose.names(list(paying))} "
     f"{'pays' if len(paying) == 1 else 'pay'} for {'itself' if len(paying) == 1 else 'themselves'}."),
    "A volume rebate can also earn its keep through the **threshold effect** the elasticity model "
    "leaves out: a customer close to a tier buys up to it. The next cell lets the customers just "
    "below a threshold reach it (`reach_near_tiers=True`):"))

# %%
# NBVAL_CHECK_OUTPUT

with_thresholds = rebates.compare_schedules(kd, s, customers=targets, elasticity=elasticity["elasticity_used"],
                                            reach_near_tiers=True)
for name, r in with_thresholds.iterrows():
    print(f"{name:<18} {int(r['customers_reaching_next_tier'])} customers reach their next tier; "
          f"margin after rebate {formatting.eur(r['incremental_margin'])}")


# %%
def signed(x):
    return ("+" if x >= 0 else "") + prose.money(x)


gain = (with_thresholds["incremental_margin"] - comparison["incremental_margin"]).sort_values(ascending=False)
after = with_thresholds["incremental_margin"]
display(prose.say(
    f"The threshold effect changes the margin most under **{gain.index[0]}** ({signed(gain.iloc[0])}) and "
    f"least under **{gain.index[-1]}** ({signed(gain.iloc[-1])}). With it, the margin after the rebate is best "
    f"under **{after.idxmax()}** ({prose.money(after.max())}) and worst under **{after.idxmin()}** "
    f"({prose.money(after.min())}). A tier is worth its cost where it moves a customer to buy more, not "
    "where it pays a higher rate on volume the customer buys anyway: compare what each schedule pays "
    "(the table above) with what the moved customers add."))

# %% [markdown]
# Pull the sliders to see the arithmetic of one customer (the results above do not depend
# on them):

# %%
rebate_widgets.break_even_explorer(rebate=0.02, contribution_margin=0.20, elasticity=-2.5)

# %% [markdown]
# ### What this means for the account manager
#
# - Never propose a rebate without its break-even volume (the sentence below is computed
#   at the price-sensitive accounts' own gross margin).
# - Pay for the *extra* volume, not for the volume you already have. Thresholds set
#   just above where the customer is, marginal bands and growth rebates do that.
#   Generous retroactive tiers do not.
# - The elasticity of chapter 02 tells you which accounts respond to price at all. For
#   the others, the rebate is a pure gift.

# %%
gm = notebook.ratio(last_year["gross_margin"].sum(), last_year["revenue"].sum())
if gm == gm:  # not NaN
    display(prose.say(
        f"At their gross margin of {prose.pct(gm)}, 2% more rebate needs "
        f"**{prose.pct(rebates.break_even_volume_change(-0.02, gm), 1)} more volume**: "
        "*\"Can you give us that?\"*"))

# %% [markdown]
# ## 7. The other price levers
#
# All four levers below follow the same arithmetic. A special price on a volume Q,
# of which a share n is **new** (would not have been bought from us without the lever),
# changes the margin by
#
#     Q × [ n × (p_deal − c) − (1 − n) × (p − p_deal) ]     break-even n* = (p − p_deal)/(p − c)
#
# The break-even share of new volume is the discount divided by the contribution margin.
# It is Nagle's break-even volume seen from the deal's side (`rebates.deal_arithmetic`).
#
# ### Off-season special prices
#
# A lower price in June–August makes price-sensitive customers stock up in the slack
# season. Part of that volume is **new**. The rest is [**pulled forward**](../docs/glossary.md#pull-forward) from the
# autumn, and would have been bought at the full price anyway. Each deal line is
# compared with the customer's own normal price for the same product that year
# (`rebates.deal_effect`). The assumed pull-forward share is the setting
# `rebates.pull_forward_share`:

# %%
off = rebates.deal_effect(kd, s, "off-season", customers=targets)
tables.table(off[["deal_kg", "deal_share_of_volume", "deal_discount", "contribution_margin",
                  "concession", "margin_effect", "break_even_new_share"]],
             formats={"deal_discount": "pct", "contribution_margin": "pct", "concession": "eur"},
             columns={"deal_kg": "off-season deal volume", "deal_share_of_volume": "share of its volume",
                      "deal_discount": "below its normal price", "concession": "price given away",
                      "break_even_new_share": "break-even share of new volume"},
             what="price-sensitive key accounts")

# %%
# NBVAL_CHECK_OUTPUT
if off["deal_kg"].sum() > 0:

    p_normal, p_deal = off["normal_revenue"].sum() / off["deal_kg"].sum(), off["deal_revenue"].sum() / off["deal_kg"].sum()
    cost = off["cost_of_goods"].sum() / off["deal_kg"].sum()
    be_new = (p_normal - p_deal) / (p_normal - cost)
    print(f"Off-season deals {analysis_year}: {formatting.kg(off['deal_kg'].sum())} at {formatting.pct(1 - p_deal / p_normal, 1)} "
          f"below the customers' normal price")
    print(f"With {formatting.pct(s.rebates.pull_forward_share)} pulled forward: margin effect {formatting.eur(off['margin_effect'].sum())}")
    print(f"The deal pays while at most {formatting.pct(1 - be_new)} of its volume is pulled forward")

# %%
if off["deal_kg"].sum() > 0:
    rebate_plots.deal_break_even(p_normal, p_deal, cost, 1 - s.rebates.pull_forward_share, what="off-season deal");

# %% [markdown]
# ### Bundles
#
# A bundle sells a second product at a special price with the first. The question is
# the same: would the customer have bought the bundled product from us anyway? Which
# pairs are bundled, across all customers (`rebates.bundle_pairs`):

# %%
tables.table(rebates.bundle_pairs(kd, s), top=6, what="pairs",
             formats={"concession": "eur", "bundle_discount": "pct", "margin_on_bundled": "eur"},
             columns={"bundles": "bundle lines", "concession": "price given away"})

# %%
# NBVAL_CHECK_OUTPUT

bun = rebates.deal_effect(kd, s, "bundle", customers=targets)
print(f"Bundles of the price-sensitive key accounts {analysis_year}: {formatting.kg(bun['deal_kg'].sum())}, "
      f"{formatting.eur(bun['normal_revenue'].sum() - bun['deal_revenue'].sum())} below normal prices")
print(f"Assuming {formatting.pct(s.rebates.bundle_new_share)} of it is new: margin effect "
      f"{formatting.eur(bun['margin_effect'].sum())}")
print(f"Break-even share of new volume (median customer): {formatting.pct(bun['break_even_new_share'].median())}")

# %% [markdown]
# ### Bigger packs and cheaper packaging
#
# A 500 kg big bag needs less packaging material per kg than twenty 25 kg bags, and it
# saves filling, handling and deliveries. The customer gets a lower list price for it.
# `rebates.pack_twins` sets each small pack beside its big-pack twin, per kg. The
# setting `rebates.big_pack_other_saving_per_kg` adds the handling savings that the
# unit cost leaves out:

# %%
twins_p = rebates.pack_twins(kd, s)
per, unit = formatting.price_label(), formatting.quantity_label()
rows = {"big_product": ("big-pack product", "text"), "small_pack_kg": (f"small pack ({unit})", "kg"),
        "big_pack_kg": (f"big pack ({unit})", "kg"), "price_small": (f"price, small pack ({per})", "price"),
        "price_big": (f"price, big pack ({per})", "price"), "price_difference": (f"price difference ({per})", "price"),
        "packaging_small": (f"packaging, small ({per})", "price"), "packaging_big": (f"packaging, big ({per})", "price"),
        "packaging_saving": (f"packaging saving ({per})", "price"),
        "unit_cost_saving": (f"unit cost saving ({per})", "price"), "other_saving": (f"other saving ({per})", "price"),
        "margin_small": (f"margin, small pack ({per})", "price"), "margin_big": (f"margin, big pack ({per})", "price"),
        "margin_change_per_kg": (f"margin change ({per})", "price"),
        "break_even_volume_change": ("break-even volume change", "pct:1")}
tables.table(twins_p.T.rename(index={k: v[0] for k, v in rows.items()}).rename_axis("small-pack product"),
             row_formats={v[0]: v[1] for k, v in rows.items() if v[1] != "text" and k in twins_p.columns},
             top=None)

# %%
# NBVAL_CHECK_OUTPUT

packs = rebates.big_pack_switch(kd, s, customers=targets)
print(f"Price-sensitive key accounts: {formatting.kg(packs['switchable_kg'].sum())} a year in small packs, "
      f"ordered in lots of {formatting.kg(s.segmentation.big_pack_min_kg)} or more")
print(f"Moving them to big bags: the customers save {formatting.eur(packs['customer_saving'].sum())}, "
      f"our costs fall {formatting.eur(packs['cost_saving'].sum())}, margin {formatting.eur(packs['margin_change'].sum())}")

# %%
if len(twins_p):
    worse = twins_p["margin_change_per_kg"] < 0
    display(prose.say(
        ("For both pack pairs" if worse.all() and len(twins_p) == 2 else
         "For every pack pair" if worse.all() else
         f"For {prose.count(int(worse.sum()))} of {prose.count(len(twins_p), 'pack pair')}") + " the big-bag price gives "
        "the customer more than the pack saves us (a negative margin change per kg above)." if worse.any() else
        "Here the big-bag price gives the customer less than the pack saves us: the move pays even "
        "without extra volume."))

# %% [markdown]
# Where the margin per kg falls, the move pays only if it brings volume: the
# `break_even_volume_change` of `pack_twins` is the extra volume needed (Nagle's formula
# with a cost change, −(ΔP − ΔC)/(CM + ΔP − ΔC)). Offer big bags to win volume, not as a
# courtesy to customers who would buy anyway.
#
# ### The economy grade
#
# A lower-purity grade at a lower price serves customers who do not need the standard
# purity. Its risk is **cannibalisation**: a kg of economy grade that replaces a kg of
# standard grade loses the margin difference. The effect per kg is m_economy − c ×
# m_standard, and it is positive while the cannibalised share c stays below
# m_economy / m_standard:

# %%
twins = rebates.economy_twins(kd, s)
rows = {"standard_product": ("standard product", "text"), "price_economy": (f"price, economy ({per})", "price"),
        "price_standard": (f"price, standard ({per})", "price"), "price_discount": ("economy price below standard", "pct"),
        "cost_economy": (f"cost, economy ({per})", "price"), "cost_standard": (f"cost, standard ({per})", "price"),
        "margin_economy": (f"margin, economy ({per})", "price"), "margin_standard": (f"margin, standard ({per})", "price"),
        "break_even_cannibalisation": ("pays while cannibalisation is below", "pct")}
tables.table(twins.T.rename(index={k: v[0] for k, v in rows.items()}).rename_axis("economy product"),
             row_formats={v[0]: v[1] for k, v in rows.items() if v[1] != "text" and k in twins.columns},
             top=None)

# %%
# NBVAL_CHECK_OUTPUT

eco = rebates.economy_effect(kd, s, customers=targets)
print(f"Economy grade bought by the price-sensitive key accounts: {formatting.kg(eco['economy_kg'].sum())} "
      f"({formatting.pct(notebook.ratio(eco['economy_kg'].sum(), last_year['volume_kg'].sum()))} of their volume)")
print(f"At {formatting.pct(s.rebates.economy_cannibalisation)} cannibalisation: margin effect "
      f"{formatting.eur(eco['margin_effect'].sum())}")
if len(twins):
    first = twins.iloc[0]
    print(f"{twins.index[0]} vs {first['standard_product']}: pays while cannibalisation stays below "
          f"{formatting.pct(first['break_even_cannibalisation'])}")

# %%
if len(twins) > 0:
    rebate_plots.cannibalisation(first["margin_standard"], first["margin_economy"], s.rebates.economy_cannibalisation);

# %% [markdown]
# ### What this means for the account manager
#
# - Every lever is a price cut on some volume. Ask the same question each time: *which
#   part of this volume is new?* The break-even share is the discount divided by the
#   margin.
# - Off-season prices pay as long as most of the deal volume is not simply pulled
#   forward from the autumn. They also fill the plant in the slack months.
# - Big bags and the economy grade change what the customer buys. They pay when they
#   win volume from competitors, not when they only replace our own standard products.
# - Over time, lead price-sensitive accounts towards valuing service (chapter 04). A
#   customer that values only price will leave for the next cheaper offer.

# %% [markdown]
# ## 8. The schedule of each account plan
#
# The schedule is a **decision**, so it lives in the settings file, not in code:
#
# ```toml
# [[rebates.schedules]]
# name = "cumulative volume"
# basis = "kg"
# method = "retroactive"
# tiers = [{threshold = 40000, rate = 0.01}, {threshold = 80000, rate = 0.02},
#          {threshold = 120000, rate = 0.03}]
#
# [rebates]
# schedule_by_segment = {price = "cumulative volume"}
# schedule_by_customer = {C0042 = "stepped volume"}   # an exception for one account
# ```
#
# Schedules that break the rules are refused with a message naming the file and the
# key: tiers not ascending, two tiers at the same threshold, rates outside 0–100 %, or
# a rate that falls as volume rises. `rebates.account_projection` gives each
# price-sensitive key account its schedule, the projected rebate for next year (last
# year's volume after the customer's response), and the distance to the next tier.
# The account-plan reports print this table:

# %%
projection = rebates.account_projection(kd, s)
tables.table(projection[["schedule", "last_year_volume", "projected_volume", "tier_reached", "rate",
                        "projected_rebate", "rebate_pct_of_margin", "to_next_tier", "next_tier_rate",
                        "value_of_next_tier"]],
             formats={"rate": "pct:1", "rebate_pct_of_margin": "pct:1", "next_tier_rate": "pct:1",
                      "to_next_tier": "number:0", "last_year_volume": "kg", "projected_volume": "kg"},
             columns={"last_year_volume": "volume last year", "projected_volume": "volume projected",
                      "rebate_pct_of_margin": "rebate, share of margin",
                      "to_next_tier": "to the next tier (in its basis)"},
             what="accounts")

# %%
# NBVAL_CHECK_OUTPUT

print(f"Plan year {projection.attrs['plan_year']}, {projection.attrs['customers']}: {len(projection)}")
for cid, r in projection.head(notebook.LIST).iterrows():
    nxt = ("top tier" if pd.isna(r["to_next_tier"]) else
           f"{formatting.kg(r['to_next_tier'])} to {formatting.pct(r['next_tier_rate'])}, worth {formatting.eur(r['value_of_next_tier'])}")
    print(f"{cid}  {r['schedule']:<17} tier {r['tier_reached']}  {formatting.eur(r['projected_rebate']):>11}  "
          f"({formatting.pct(r['rebate_pct_of_margin'], 1)} of margin)  {nxt}")
notebook.more(len(projection), notebook.LIST, what="accounts")

# %% [markdown]
# An exception for one account is one line in the settings. Here is what it changes,
# without writing the file:

# %%
if len(targets):
    exception = settings.replace(s, "rebates.schedule_by_customer", {targets[0]: "stepped volume"})
    both_ways = pd.concat([projection.loc[[targets[0]]], rebates.account_projection(kd, exception, customers=[targets[0]])],
                          keys=["as proposed", "with the exception"], names=["", "customer_id"])
    display(tables.table(both_ways[["schedule", "tier_reached", "projected_rebate", "to_next_tier"]],
                         formats={"to_next_tier": "number:0"}))
# settings.save(exception, settings_file)  # writes the decision for the reports

# %% [markdown]
# ## 9. Try your own schedule
#
# The results above are the reference. The editor recomputes, through `kamlib.rebates`,
# the cost of a schedule you design on the same customers and year: EUR, % of revenue
# and of margin, customers per tier, customers just below a threshold, the break-even
# volume and the margin after the customers' response. A schedule the rules refuse shows
# the reason instead. **Save to settings file** writes it for the reports (and, if
# ticked, makes it the schedule of the price-sensitive segment).

# %%
rebate_widgets.schedule_editor(kd, s, proposal, customers=targets, settings_file=settings_file,
                               elasticity=elasticity["elasticity_used"])

# %% [markdown]
# ## Exercises
#
# Each exercise has a model answer right after it (code, then a short text). The
# learner's copy of this chapter (`make exercises`, in `build/exercises/`) has them
# removed: try first. Where the answer is a number or a list of customers, check it
# without seeing the answer: `exercises.check("03.1", your_answer)` answers *right* or
# *not yet*, with a hint (each exercise says the form of its answer).
#
# **Exercise 1 — by hand, then with kamlib.** A customer bought 118 t at EUR 8.50/kg.
# Under *cumulative volume*, what rebate does it earn, how far is it from the next tier,
# and what would reaching the tier be worth to it? Then the same under *stepped volume*.
# Work it out on paper first, then check with `rebates.apply_schedule`, and with
# `exercises.check("03.1", {"cumulative volume": ..., "stepped volume": ...})` (the two
# rebates, EUR).

# %% tags=["solution"]
# By hand (the tiers of the settings file shipped with the playbook): retroactive
# 2 % × 1,003,000 = 20,060; 2 t short of 120 t, where it would earn 3 % × 1,020,000 = 30,600,
# so the tier is worth 10,540. Marginal: (1 % × 40 t + 2 % × 38 t) × 8.50 = 9,860; reaching
# 120 t adds 2 % × 2 t × 8.50 = 340.
case = pd.DataFrame({"volume_kg": [118_000.0], "revenue": [118_000 * 8.5]})
answer = {}
for name in ("cumulative volume", "stepped volume"):
    r = rebates.apply_schedule(case, s.rebates.schedule(name)).iloc[0]
    answer[name] = r["rebate"]
    worth = (f"worth {r['value_of_next_tier']:,.0f}" if pd.notna(r["value_of_next_tier"])
             else "the top tier is reached")
    print(f"{name:<18} rebate {r['rebate']:,.0f}  to next tier {formatting.units(r['to_next_tier'])}  "
          f"{worth}")
exercises.check("03.1", answer, data_source=kd, settings_file=s)

# %% [markdown] tags=["solution"]
# *Model answer.* The retroactive schedule pays the 2 % tier on all 118 t; the customer is
# 2 t from the 3 % tier, and those 2 t would re-price *everything* it bought: worth more
# than ten thousand euros for about seventeen thousand euros of extra purchase — a strong
# reason to order 2 t more in December (the cliff of section 3). The marginal schedule pays
# less than half as much, and reaching 120 t adds only the 1 % step on the 2 t: no reason
# to stock up artificially.

# %% [markdown]
# **Exercise 2 — redesign.** Move the thresholds of *cumulative volume* to 50, 100 and
# 150 t, keeping the rates. What does it cost the price-sensitive key accounts, how many
# customers are on each tier, and how many are just below a threshold? Check:
# `exercises.check("03.2", {"cost": ..., "just below a threshold": ...})`.

# %% tags=["solution"]
moved = rebates.RebateSchedule("moved", "kg", "retroactive", [(50_000, 0.01), (100_000, 0.02), (150_000, 0.03)])
moved_sim = rebates.simulate(kd, s, moved, customers=targets)  # a schedule object works as well as a name
moved_total = rebates.simulation_summary(moved_sim)
print(f"cost {formatting.eur(moved_total['rebate'])} ({formatting.pct(moved_total['rebate_pct_of_margin'], 1)} of margin), "
      f"just below a threshold: {int(moved_total['near_threshold'])}")
display(tables.table(rebates.tier_counts(moved_sim, moved)[["band", "customers", "rebate"]], top=None))
display(exercises.check("03.2", {"cost": moved_total["rebate"],
                                 "just below a threshold": int(moved_total["near_threshold"])},
                        data_source=kd, settings_file=s))
change = moved_total["rebate"] - total["rebate"]
display(prose.say(
    f"Against the proposal ({prose.money(total['rebate'])}), moving the thresholds up "
    f"{prose.trend(change, up='raises', down='lowers', flat='hardly changes', tol=1.0)} the cost"
    + (f" by {prose.money(abs(change))}." if abs(change) >= 1 else ".")))

# %% [markdown] tags=["solution"]
# *Model answer.* Higher thresholds pay less to the same customers, because fewer of them
# reach each tier — compare the cost with the proposal's (last line). But look at where
# the customers now sit: a threshold placed just above many customers' volume puts them
# *just below* it, where a retroactive tier invites stocking up. A good redesign moves the
# thresholds to where few customers sit, or switches to the marginal method.

# %% [markdown]
# **Exercise 3 — break-even.** A customer with an 18 % gross margin asks for 3 % more
# rebate. How much more must it buy? At elasticity −2.5, does it pay? From which
# elasticity would it? Check: `exercises.check("03.3", {"break-even volume change": ...,
# "break-even elasticity": ...})` (the change as a fraction, 0.10 for +10 %).

# %% tags=["solution"]
be = rebates.break_even_volume_change(-0.03, 0.18)  # 0.03 / (0.18 - 0.03) = 20 %
print(f"break-even volume: +{be:.1%}")
print(f"response at -2.5: +{rebates.volume_response(-0.03, -2.5):.1%}")
print(f"pays from elasticity {rebates.break_even_elasticity(-0.03, 0.18):.1f}")
exercises.check("03.3", {"break-even volume change": be,
                         "break-even elasticity": rebates.break_even_elasticity(-0.03, 0.18)},
                data_source=kd, settings_file=s)

# %% [markdown] tags=["solution"]
# *Model answer.* The customer must buy a fifth more (0.03 / 0.15 = +20 %) for the rebate to
# leave our contribution unchanged. At elasticity −2.5 a 3 % price cut brings only about
# +8 %: the rebate does not pay. It would pay only from an elasticity of about −6, far more
# price-elastic than the price-sensitive accounts of section 6 (compare their ε). The answer to the customer: 3 %
# more rebate against a written commitment of about 20 % more volume — or a marginal tier
# on the volume above today's.

# %% [markdown]
# **Exercise 4 — prudent interims.** Accrue the proposal with the *run rate* forecast.
# Compare interim payments of 100 % and of 80 % of the accrual: how much would the
# customers owe back at settlement in each case? Check:
# `exercises.check("03.4", {"owed back at 100%": ..., "owed back at 80%": ...})` (EUR).

# %% tags=["solution"]
owed_back = {}
for share in (1.0, 0.8):
    sc = rebates.RebateSchedule(proposal.name, proposal.basis, proposal.method, proposal.tiers,
                                interim_share=share)
    s4 = settings.replace(s, "rebates.forecast", "run_rate")
    st = rebates.settlement(rebates.accrual(kd, s4, sc, customers=targets))
    owed = -st.loc[st["final_settlement"] < 0, "final_settlement"].sum()
    owed_back[f"owed back at {share:.0%}"] = owed
    print(f"interim share {share:.0%}: {(st['final_settlement'] < 0).sum()} customers owe back {formatting.eur(owed)}")
exercises.check("03.4", owed_back, data_source=kd, settings_file=s)

# %% [markdown] tags=["solution"]
# *Model answer.* Paying interims on 80 % of the accrual keeps a fifth of it back, so
# whoever the forecast overshoots owes back less (or nothing) at settlement; the customers
# who end on the tier forecast simply get the rest in the final settlement. The price is
# a little less cash for the customer during the year — usually worth it for an account
# whose volume swings, and worth saying at the start of the year.

# %% [markdown]
# **Exercise 5 — off-season.** For each price-sensitive key account with off-season
# deals, up to which share of pulled-forward volume does the deal still pay? Is the
# assumption in the settings (`pull_forward_share`) on the safe side for all of them?
# Check the accounts for which it is **not**: `exercises.check("03.5", ["C0...", ...])`.

# %% tags=["solution"]
safe = off.loc[off["deal_kg"] > 0, ["deal_kg", "deal_discount", "break_even_new_share"]].copy()
safe["max_pulled_forward"] = 1 - safe["break_even_new_share"]
safe["assumption_safe"] = safe["max_pulled_forward"] >= s.rebates.pull_forward_share
display(tables.table(safe, formats={"deal_discount": "pct", "max_pulled_forward": "pct"},
                     columns={"deal_kg": "off-season deal volume", "deal_discount": "below its normal price",
                              "break_even_new_share": "break-even share of new volume",
                              "max_pulled_forward": "pays while pulled forward is at most",
                              "assumption_safe": f"setting ({formatting.pct(s.rebates.pull_forward_share)}) on the safe side"},
                     what="accounts", top=notebook.LIST))
not_safe = list(safe.index[~safe["assumption_safe"]])
display(exercises.check("03.5", not_safe, data_source=kd, settings_file=s))
display(prose.say(
    f"The setting assumes {prose.pct(s.rebates.pull_forward_share)} of the deal volume is pulled forward; "
    f"for {prose.count(len(not_safe), 'account')} of {prose.count(len(safe))} the deal stops paying before that"
    + (f" ({prose.names(not_safe, limit=12)})." if not_safe else ".")))

# %% [markdown] tags=["solution"]
# *Model answer.* The deal pays while the pulled-forward share stays below one minus the
# break-even share of new volume; the deeper the discount and the thinner the margin, the
# less pull-forward it tolerates. For the accounts where the setting is not on the safe
# side, either make the off-season discount shallower for them, or check in their own
# history whether their autumn volume really fell after they stocked up (if it did not,
# the volume was new and the deal pays).

# %% [markdown]
# ## Check your understanding
#
# 1. Same tiers and rates: which pays more, the retroactive or the marginal schedule?
#    Why?
# 2. A retroactive threshold at 100 t raises the rate from 2 % to 3 %. How wide is the
#    dead zone?
# 3. A 2 % rebate to a customer with a 20 % contribution margin: what is the break-even
#    volume increase?
# 4. Why can a final settlement be negative, and what can you do about it in advance?
# 5. An off-season price 8 % below normal on a product with a 30 % margin: which share
#    of the deal volume must be new for the deal to pay?
# 6. The economy grade earns EUR 2.30/kg, the standard grade EUR 2.85/kg. Up to which
#    cannibalisation does the economy grade add margin?
# 7. Why does a growth rebate cost almost nothing in a year when the customer's volume
#    falls, and what does it reward?
#
# <details>
# <summary>Answers</summary>
#
# 1. The retroactive one (or the same, below the first threshold). It pays the reached
#    rate on *all* the volume; the marginal one pays each rate only inside its band.
# 2. t × (r₁ − r₀)/(1 − r₁) = 100 t × 0.01/0.97 ≈ **1.03 t**: that much extra volume
#    costs the customer nothing.
# 3. −ΔP/(CM + ΔP) = 0.02/0.18 ≈ **+11.1 %**.
# 4. Interim payments follow a *forecast* of the year-end tier. When the customer ends
#    lower, it has been paid too much: final = earned − paid < 0. Use a better forecast
#    (section 5), pay interims on only part of the accrual (`interim_share` < 1), and
#    tell the customer early which tier it is heading for.
# 5. The discount divided by the margin: 0.08/0.30 ≈ **27 %** (Nagle's break-even).
# 6. m_economy/m_standard = 2.30/2.85 ≈ **81 %**.
# 7. It pays only on volume above the baseline (last year). When volume falls, there is
#    none. It rewards growth, the behaviour the company wants, instead of volume the
#    customer buys anyway.
#
# </details>
#
# ## Sources
#
# - T. T. Nagle, G. Müller, *The Strategy and Tactics of Pricing*, 6th ed., Routledge,
#   2018 — the break-even volume of a price change, %ΔV = −ΔP / (CM + ΔP), price
#   structures and volume discounts, price sensitivity.
# - R. J. Dolan, "Quantity discounts: managerial issues and research opportunities",
#   *Marketing Science* 6(1) (1987) 1–22 — all-units (retroactive) versus incremental
#   (marginal) discounts, and why the schedule's shape matters.
# - C. L. Munson, M. J. Rosenblatt, "Theories and realities of quantity discounts: an
#   exploratory study", *Production and Operations Management* 7(4) (1998) 352–369 — how
#   companies actually design and use quantity discounts.
# - M. V. Marn, R. L. Rosiello, "Managing price, gaining profit", *Harvard Business Review*
#   70(5), September–October 1992, 84–94 — the price waterfall: off-invoice rebates and
#   special terms that leak margin unless someone reviews them (section 4's side deals).
# - SAP condition contract management and Vistex / Enable rebate software (vendor
#   documentation) — the vocabulary of schedules: basis, tiers, accrual, settlement.
# - R. J. Hyndman, G. Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed.,
#   OTexts, 2021 — the seasonal forecasts behind the accrual (section 5).
# - The background page of this playbook, [section 3](../docs/background.md),
#   sums up the arithmetic with its sources.
#
# The words used here are explained in the [glossary](../docs/glossary.md).
#
# **Next:** [chapter 04 — Serving key customers](04_plan_service_and_visits.ipynb): the
# relationship level, services and visits each key account gets, and the objectives of its
# plan.
