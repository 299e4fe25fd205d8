# %% [markdown]
# # 01 · Choosing key customers
#
# *Who are our key customers, and why? Every method side by side, explained and tunable.*
#
# A key customer is not simply a big one. The sources of this playbook tell of an
# international beverage company that, to build a network reaching retail outlets, did
# **not** pick the largest wholesaler of each city: it scored candidates on on-time
# deliveries, complete orders, information sharing and a clean customer base, and chose
# *modest* wholesalers with better execution and potential. Four years later its reach had
# grown about tenfold with only a few more sales staff. The lesson: **the choice follows
# the company's current goals**, and it has to be explained.
#
# This chapter applies every classic method to the same customers of Auronia Nutrichem,
# shows where they agree and where they disagree, and ends with one key-account list, with
# the reasons in words, that the later chapters and the account-plan reports reuse.
#
# *About 90 minutes.* **You need:** chapter 00 (the data, revenue and margin of an order
# line, the cut-off).
#
# **What you will be able to do**
#
# - measure [concentration](../docs/glossary.md#concentration) with a [Pareto table](../docs/glossary.md#pareto-table), the
#   [Lorenz curve](../docs/glossary.md#lorenz-curve) and the [Gini coefficient](../docs/glossary.md#gini-coefficient);
# - build the [customer pyramid](../docs/glossary.md#customer-pyramid) and the [ABC classes](../docs/glossary.md#abc-class),
#   and say where a customer on the edge of a class goes;
# - cost what it takes to serve each customer ([time-driven activity-based costing](../docs/glossary.md#time-driven-activity-based-costing))
#   and find the [loss makers](../docs/glossary.md#loss-maker) with the [whale curve](../docs/glossary.md#whale-curve) and the
#   [Shapiro matrix](../docs/glossary.md#shapiro-matrix);
# - compute a [lifetime value](../docs/glossary.md#lifetime-value) and state its convention;
# - weigh a [scorecard](../docs/glossary.md#scorecard) to the company's goal, read the
#   [portfolio matrix](../docs/glossary.md#portfolio-matrix), and defend a [key-account](../docs/glossary.md#key-account)
#   list customer by customer.
#
# **What you will learn**, section by section
#
# 1. how concentrated the business is: Pareto table, Lorenz curve, Gini coefficient;
# 2. the customer pyramid: tiers, moves between years, and what moving 2 % of customers
#    up a tier is worth;
# 3. ABC classes, and the exact rule for the customer that straddles a cut;
# 4. what it costs to *serve* each customer (time-driven activity-based costing) and who
#    really makes money: the whale curve, the Shapiro matrix, now-versus-future;
# 5. the lifetime value of a customer, with its timing convention stated;
# 6. a weighted scorecard over attractiveness, potential and relationship, whose weights
#    follow the company's goal, and each score broken down so it can be defended;
# 7. fuzzy comprehensive evaluation, an alternative scoring, and where it disagrees;
# 8. the portfolio matrix: where to invest, where to manage for cash;
# 9. the key-account list: one call, one table, reasons in words;
# 10. how a workshop tunes all this with sliders and saves its decisions.
#
# Every number that is a *choice* (cuts, weights, thresholds, unit times, rates) is a
# setting in `kam_settings.toml` (the [settings file](../docs/glossary.md#settings-file)), documented in
# `kamlib/selection.py` and `kamlib/costing.py`. Words in the
# [glossary](../docs/glossary.md) are linked where they first appear.

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

# %%
from kamlib import notebook

notebook.setup()

import pandas as pd
from IPython.display import display

from kamlib import costing, data, exercises, formatting, selection, settings, tables, unknowns
from kamlib.course import prose
from kamlib.plots import selection as plots
from kamlib.widgets import selection as selection_widgets

# %% [markdown]
# We load the data and the settings, and compute **once** everything the methods need per
# customer (`customer_facts`: sales, margins, rebates, cost to serve, growth, share of
# wallet, assessments). `decide` then applies every method and the key-account rule; it
# takes a fraction of a second, which is what lets the workshop sliders at the end react
# at once.

# %%
kd, s = notebook.load(data_source, settings_file, analysis_year)  # says whose data, which year
analysis_year = s.period.analysis_year
facts = selection.customer_facts(kd, s)  # data-derived, per customer
ka = selection.decide(facts, s)  # every method + the key-account rule
active = ka[ka["is_active"]]
# The hidden truth of the bundled sample, to check the methods (never an input to them).
answer_key = data.load_answer_key().set_index("customer_id") if data_source == "sample" else None
print(f"{len(ka)} customers, {len(active)} of them bought in {analysis_year}")
notebook.warn(selection.warnings_about(ka, s))  # assumptions that dominate; an empty list

# %% [markdown]
# ## 1. Concentration: the vital few
#
# **The idea.** In most B2B businesses a few customers make most of the sales (Pareto's
# 80/20, Juran's "vital few"). Sort customers from the largest down and add up their share:
# the *concentration curve* says "the top x % of customers give y % of the revenue". Sorted
# from the smallest up, the same data gives the *Lorenz curve* (Lorenz 1905); the
# **Gini coefficient** (Gini 1912) is twice the area between it and the diagonal of
# perfect equality:
#
# $$G = \frac{\sum_{i=1}^{n} (2i - n - 1)\, x_{(i)}}{n \sum_i x_i}, \qquad x_{(1)} \le \dots \le x_{(n)},$$
#
# 0 when every customer buys the same, close to 1 when one customer buys everything. We
# measure it over the customers who bought in the period (value > 0); the others are
# counted apart. "The top 20 % give y %" is read off the curve, linear between customers.

# %%
values = selection.customer_values(kd, analysis_year)  # volume, revenue, margin per customer
conc = selection.concentration(values)
rows = {"customers": "customers who bought", "excluded": "customers who did not buy",
        "total": "total", "gini": "Gini coefficient",
        **{c: f"top {c[4:-3]}% of customers give" for c in conc.columns if c.startswith("top_")},
        "customers_for_50pct": "customers making 50%", "customers_for_80pct": "customers making 80%"}
shown_conc = conc.T.rename(index=rows).rename_axis("measure")
tables.table(shown_conc, row_formats={rows["customers"]: "count", rows["excluded"]: "count",
                                      "total": "number:0", "Gini coefficient": "number:2",
                                      rows["customers_for_50pct"]: "count",
                                      rows["customers_for_80pct"]: "count",
                                      **{rows[c]: "pct" for c in conc.columns if c.startswith("top_")}},
             columns={"volume_kg": f"volume ({formatting.quantity_label()})",
                      "revenue": f"revenue ({formatting.money_label()})",
                      "gross_margin": f"gross margin ({formatting.money_label()})"}, top=None)

# %%
# NBVAL_CHECK_OUTPUT
for measure, row in conc.iterrows():
    print(f"{measure:<13} Gini {row['gini']:.2f}; top 20% of {int(row['customers'])} customers "
          f"give {row['top_20pct']:.0%}; {int(row['customers_for_80pct'])} customers make 80%")

# %%
plots.pareto(values["revenue"]);

# %%
plots.lorenz(values["revenue"]);

# %% [markdown]
# The Pareto table lists customers from the largest down with their cumulative share; it
# is where the ABC classes of section 3 come from.

# %%
pareto = selection.pareto_table(values["revenue"])
tables.table(pareto.join(ka[["customer_name"]]), top=10, what="customers",
             formats={"value": "eur", "customer_share": "pct:1"}, columns={"value": "revenue"})

# %% [markdown]
# Concentration over a longer period is a second opinion: a customer that had one big year
# weighs less over five.

# %%
# NBVAL_CHECK_OUTPUT
five = selection.concentration(selection.customer_values(kd, s.period.years), ["revenue"])
print(f"{s.period.years[0]}-{s.period.years[-1]}: top 20% give "
      f"{five.loc['revenue', 'top_20pct']:.0%} of revenue, Gini {five.loc['revenue', 'gini']:.2f}")

# %% [markdown]
# ### What this means for the account manager

# %%
r = conc.loc["revenue"]
prose.say(
    f"The top fifth of the customers bring **{prose.pct(r['top_20pct'])}** of the revenue, and "
    f"{prose.count(r['customers_for_50pct'], 'customer')} bring half (Gini {prose.number(r['gini'], 2)}). "
    "Losing one of those is a bad year; the time and attention of the account team must go where the "
    "money is *and* where it is at risk. But concentration tells you who is **big**, not who is **key**: "
    "a big customer can lose us money (section 4) and a small one can be tomorrow's big one (section 3).")

# %% [markdown]
# ## 2. The customer pyramid
#
# **The idea** (Jay Curry, *The Customer Marketing Method*). Rank active customers by
# revenue and cut them into tiers by their *number*: the **top** 1 %, the next 4 % (**big**),
# the next 15 % (**medium**) and the remaining 80 % (**small**) — the sources also say gold,
# silver, iron and lead. Below them are the **inactive** customers (no sales this year).
# Tier shares differ between authors, so they are settings
# (`selection.pyramid.top_share`, ...). The customer that straddles a cut goes to the
# upper tier (the boundary rule of section 3).

# %%
pyramid = selection.pyramid_summary(ka)
tables.table(pyramid, top=None)

# %%
# NBVAL_CHECK_OUTPUT
for tier, r in pyramid.iterrows():
    profit = (f"{round(r['profit_share'], 2) + 0:>5.0%} of profit" if pd.notna(r["profit_share"])
              else "profit not in the data")
    print(f"{tier:<9} {int(r['customers']):>4} customers  {round(r['revenue_share'], 2) + 0:>5.0%} "
          f"of revenue  {profit}")
if pyramid["profit_share"].isna().all():
    print(f"The data has no cost of goods, so the tiers' profit is unknown: {unknowns.add_text('costs')}.")

# %%
plots.pyramid(pyramid);

# %% [markdown]
# **Moves between years.** Computing the tiers of two years and counting who went where
# gives the [migration matrix](../docs/glossary.md#migration-matrix). Below the diagonal are customers who moved up, above it
# those who moved down; the last row and column are customers who arrived or were lost.

# %%
tiers_before = selection.pyramid_by_year(kd, s, analysis_year - 1)
tiers_now = selection.pyramid_by_year(kd, s, analysis_year)
moves = selection.migration_matrix(tiers_before, tiers_now)
plots.migration(moves, years=(analysis_year - 1, analysis_year));

# %%
# NBVAL_CHECK_OUTPUT
print(f"{analysis_year - 1} -> {analysis_year}:", selection.migration_summary(moves))

# %% [markdown]
# **What if 2 % move up a tier?** The sources quote that "moving 2 % of customers one level
# up can mean +10 % revenue and +50 % profit". We can check it on our data instead of
# believing it: take 2 % of the customers below the top (spread over the tiers in
# proportion, the largest of each tier: those nearest the tier above), give each the
# average revenue of the tier above, at that tier's profit margin.

# %%
sim = selection.simulate_moving_up(ka, s.selection.pyramid)
tables.table(sim, top=None)

# %%
# NBVAL_CHECK_OUTPUT
t = sim.loc["total"]
print(f"{int(t['movers'])} customers move up: "
      f"revenue {notebook.change(t['revenue_after'], t['revenue_before'])}, "
      f"profit {notebook.change(t['profit_after'], t['profit_before'])}")

# %% [markdown]
# ### What this means for the account manager

# %%
rev_up = t["revenue_after"] / t["revenue_before"] - 1
profit_up = t["profit_after"] / t["profit_before"] - 1
prose.say(
    f"The top and big tiers ({prose.count(pyramid.loc[['top', 'big'], 'customers'].sum(), 'customer')}) "
    f"bring {prose.pct(pyramid.loc[['top', 'big'], 'revenue_share'].sum())} of the revenue; the small tier "
    f"({prose.count(pyramid.loc['small', 'customers'], 'customer')}) brings {prose.pct(pyramid.loc['small', 'revenue_share'])}. "
    f"On our data moving {prose.pct(s.selection.pyramid.move_share)} of the customers up a tier changes "
    f"revenue by {prose.signed_pct(rev_up)} and profit by {prose.signed_pct(profit_up)}"
    + prose.choose(rev_up < 0.10 or profit_up < 0.50, ", not the +10 % / +50 % of the folklore", "")
    + ": the claim depends on how steep the pyramid is, so **compute it for your own pyramid** before "
    "promising it. The migration matrix is the list of conversations to have: why did these customers "
    "move down? What did we do with those who moved up?")

# %% [markdown]
# ## 3. ABC classes
#
# **The rule** (from the practitioner sources of the playbook, see
# [the background](../docs/background.md); used to decide policy and support levels):
#
# - **A**: the top 20 % of customers by annual sales;
# - **B**: customers whose sales grew at least 10 % in **each** of the last two years, with
#   high cooperation and loyalty;
# - **C**: everyone else.
#
# A gets the most policy and operating support; resources follow the class. Every number
# is a setting (`selection.abc`): the share (`top_share = 0.2`), whether it is 20 % *of the
# customers* or the customers making the first 20 % *of sales* (`basis`), the growth
# (`growth_min = 0.10` on `growth_measure = "volume_kg"`, over `growth_years = 2`), and the
# loyalty (`loyalty_criterion = "cooperation"` ≥ `loyalty_min = 4` on the 1-5 assessment).
# A customer with only one year of purchases has no growth rate, so it cannot be B; nor can
# one without an assessment. A comes first: a growing big customer is A.
#
# **The boundary rule.** Ranked largest first, each customer occupies a stretch of the
# cumulative share (of customers, or of sales), from *start* (everything ahead of it) to
# *end* (including it). With `boundary = "include"` (the default) the customer whose stretch
# *crosses* the cut belongs to the class above; with `"exclude"` only customers entirely
# inside the cut do. Tied customers share one class. A tiny example with four customers
# and a 30 % cut: `b` spans 25-50 % of the customers, so it crosses 30 %.

# %%
tiny = pd.Series({"a": 50.0, "b": 30.0, "c": 10.0, "d": 10.0})
for rule in ("include", "exclude"):
    cls = selection.cut_classes(tiny, [0.3, 1.0], ["A", "rest"], boundary=rule)
    print(f"{rule:<8}", cls.to_dict())

# %%
abc = ka.loc[ka["is_active"]].groupby("abc_class")[["revenue", "profit"]].sum()
abc.insert(0, "customers", ka.loc[ka["is_active"], "abc_class"].value_counts())
abc["revenue_share"] = abc["revenue"] / abc["revenue"].sum()
tables.table(abc, top=None)

# %%
# NBVAL_CHECK_OUTPUT
for cls, r in abc.iterrows():
    print(f"class {cls}: {int(r['customers']):>3} customers, {r['revenue_share']:.0%} of revenue")

# %% [markdown]
# Who are the B customers? Mid-size customers that grew two years running and cooperate
# well: the modest wholesalers of the golden-key story.

# %%
year = analysis_year
b = facts.loc[ka["abc_class"] == "B", ["customer_name", f"volume_kg_{year}",
                                       f"growth_{year - 1}", f"growth_{year}", "cooperation"]]
tables.table(b.join(ka["revenue_rank"]).sort_values("revenue_rank"), what="customers",
             formats={"cooperation": "count", "revenue_rank": "count"},
             columns={f"volume_kg_{year}": f"volume {year}"})

# %% [markdown]
# *Check against the hidden truth* (bundled sample only): the generator planted mid-size
# customers that grow every year and cooperate well.

# %%
# NBVAL_CHECK_OUTPUT
if answer_key is not None:
    grow = answer_key.index[answer_key["is_growing"]]
    b_ids = ka.index[ka["abc_class"] == "B"]
    print(f"planted growing customers: {len(grow)}; found in class B: "
          f"{ka.loc[grow, 'abc_class'].eq('B').sum()}; class B customers not planted: "
          f"{(~answer_key.loc[b_ids, 'is_growing']).sum()}")
    missed = grow[ka.loc[grow, "abc_class"].ne("B")]
    for cid in missed:
        f = facts.loc[cid]
        print(f"  {cid} not B: growth {f[f'growth_{year - 1}']:+.0%} then {f[f'growth_{year}']:+.0%}")

# %% [markdown]
# ### What this means for the account manager
#
# Class A is the customers you cannot afford to lose; class B is the customers who are
# becoming A, and deserve support *before* they are big.

# %%
if answer_key is not None and len(missed):
    n_key = int(ka["is_key"].sum())
    ranks = ka.loc[missed, "score_rank"].astype(int)
    display(prose.say(
        f"The {prose.count(len(missed), 'planted grower')} that did not make class B "
        f"({prose.names(missed)}) missed the growth bar in one of the two years: a strict rule "
        "(\"each of the last two years\") has edges. The scorecard of section 6 ranks "
        + prose.choose(len(missed) == 1, "it", "them") + f" {prose.names(['#' + str(r) for r in ranks])} "
        f"of {prose.count(len(active))} ({prose.choose(bool((ranks <= n_key).all()), 'among', 'not all among')} "
        f"the best {n_key}). Know the rule your company uses, and where its edges are."))

# %% [markdown]
# ## 4. Who really makes money: cost to serve and profitability
#
# ### Cost to serve by time-driven activity-based costing
#
# Two customers buying the same tonnes can cost very different amounts to serve: one
# orders a full truck four times a year, the other twenty small orders a month, complains,
# asks for visits and technical help. **Time-driven activity-based costing** (Kaplan &
# Anderson, HBR 2004) prices that time with two estimates only:
#
# $$\text{capacity cost rate (EUR/min)} = \frac{\text{cost of the capacity supplied (EUR/year)}}{\text{practical capacity (min/year)}}$$
#
# and the **unit time** of each activity. Then
# cost of an activity = count × unit minutes × rate of the team doing it; a customer's
# **cost to serve** is the sum, plus freight per delivery. The capacity that nobody used is
# **reported, not spread** over customers: spreading it would hide it. Teams, costs,
# capacities and unit times are settings (`selection.cost_to_serve`).

# %%
tables.table(costing.pool_rates(s), formats={"people": "number:2", "rate_per_minute": "number:2"},
             columns={"rate_per_minute": f"rate ({formatting.money_label()}/min)"}, top=None)

# %%
rates = costing.activity_rates(s)
tables.table(rates, formats={"rate_per_minute": "number:2", "cost_per_unit": "number:2",
                             "freight_per_unit": "number:2"},
             columns={"rate_per_minute": f"rate ({formatting.money_label()}/min)",
                      "cost_per_unit": f"cost per unit ({formatting.money_label()})",
                      "freight_per_unit": f"freight per unit ({formatting.money_label()})"}, top=None)

# %%
capacity = costing.capacity_report(kd, s)
notebook.warn(costing.capacity_warnings(capacity))  # a pool above 100 %: the assumptions do not fit
plots.capacity(capacity);

# %%
# NBVAL_CHECK_OUTPUT
t = capacity.loc["total"]
print(f"Capacity {formatting.eur(t['capacity_cost'])}: charged to customers "
      f"{formatting.eur(t['used_cost'])} ({t['utilisation']:.0%} used), unused {formatting.eur(t['unused_cost'])}")
print(f"Cost to serve {analysis_year} incl. freight: {formatting.eur(ka['cost_to_serve'].sum())}")

# %% [markdown]
# ### Customer profit
#
# $$\text{profit} = \underbrace{\text{list revenue} - \text{discounts}}_{\text{revenue}} - \text{cost of goods} - \text{rebates} - \text{cost to serve}$$
#
# (Kaplan & Narayanan, "Measuring and managing customer profitability", 2001). Revenue is
# already net of on-invoice discounts and deals; annual rebates come from accounting.

# %%
prof = selection.profitability(kd, s)
money = ["revenue", "gross_margin", "rebate", "cost_to_serve", "profit"]
tables.table(prof.sort_values("revenue", ascending=False)[["customer_name"] + money], top=8,
             what="customers")

# %% [markdown]
# **The whale curve** (Cooper & Kaplan): customers from the most to the least profitable,
# cumulative profit in % of the total. When some customers lose money the curve rises
# above 100 % and falls back: the hump is the profit the loss makers destroy.

# %%
served = ka["is_active"] | (ka["cost_to_serve"] > 0)
plots.whale(ka.loc[served, "profit"]);

# %%
# NBVAL_CHECK_OUTPUT
if not kd.has("costs"):
    print(kd.missing_text("costs"))
    w, active_losers = None, 0
else:
    w = selection.whale_summary(ka.loc[served, "profit"])
    print(f"Total profit {formatting.eur(w['total'])}; the top 20% of customers make {w['top20_share']:.0%} of it")
    print(f"Peak {w['peak_share']:.0%} of total at {w['peak_customer_share']:.0%} of customers; "
          f"{w['loss_makers']} loss makers lose {formatting.eur(-w['losses'])}")
    active_losers = int((ka["is_loss_maker"] & ka["is_active"]).sum())
    print(f"of the loss makers, {active_losers} bought this year; {w['loss_makers'] - active_losers} "
          "only cost us (visits, calls) without buying")

# %%
if w is not None:
    display(prose.say(
        f"The most profitable fifth of the customers make **{prose.pct(w['top20_share'])}** of the total "
        f"profit, and the curve peaks at **{prose.pct(w['peak_share'])}** of it: the loss makers then destroy "
        f"{prose.pct(w['peak_share'] - 1)} of the total. "
        + prose.choose(1.5 <= w['peak_share'] <= 3.0,
            "That is the range the literature reports (a peak at 150–300 % of total profit, Kaplan & Narayanan 2001).",
            prose.choose(w['peak_share'] < 1.5,
                "That is a flatter whale than the literature's 150–300 % (Kaplan & Narayanan 2001): here the loss "
                "makers lose little next to what the best customers earn.",
                "That is a steeper whale than the literature's 150–300 % (Kaplan & Narayanan 2001)."))
        + f" The whale counts {prose.count(w['loss_makers'], 'loss maker')} among the customers we served, "
        f"{prose.count(active_losers)} of them buying this year (the exercises count those)."
    ))

# %%
losers = ka.loc[served & ka["is_loss_maker"]]
small_share = notebook.ratio((losers["abc_class"].eq("C") | ~losers["is_active"]).sum(), len(losers))
prose.say(
    f"Of the loss makers in the tail of the whale, {prose.pct(small_share)} are class C or bought nothing "
    "this year: small customers whose orders and visits cost more than their margin. The ones to look at "
    f"first are the **large** customers that lose money — {prose.count(int(losers['abc_class'].eq('A').sum()))} "
    "of them are class A:")

# %%
# NBVAL_CHECK_OUTPUT
big_losers = ka.loc[(ka["abc_class"] == "A") & ka["is_loss_maker"]].sort_values("revenue_rank")
shown = list(big_losers.index[:notebook.SHOW])  # the ones named in the figures below
for cid, r in big_losers.loc[shown].iterrows():
    print(f"{cid} rank {r['revenue_rank']:>2}: revenue {formatting.eur(r['revenue'])}, "
          f"margin {formatting.eur(r['gross_margin'])}, rebate {formatting.eur(r['rebate'])}, "
          f"cost to serve {formatting.eur(r['cost_to_serve'])} -> profit {formatting.eur(r['profit'])}")
if answer_key is not None:
    planted = set(answer_key.index[answer_key["is_loss_making_large"]])
    print(f"planted loss-making large customers: {len(planted)}, found: {len(planted & set(big_losers.index))}")
notebook.more(len(big_losers), what="large loss makers")

# %%
worst = notebook.pick(big_losers.index, "first", what="large loss-making customer")
if worst is not None:
    plots.profit_waterfall(prof.loc[worst]);

# %%
if worst is not None:
    plots.profit_waterfall(prof.loc[worst], from_gross_margin=True,
                           title=f"{prof.loc[worst, 'customer_name']}: where the margin goes");

# %% [markdown]
# Where does their cost to serve come from? The chart puts them next to profitable
# customers of about the same size, pool by pool (the cost of each team's time, and
# freight):

# %%
largest = active.sort_values("revenue_rank").index
peers = [c for c in largest[:20] if c not in big_losers.index][:3]
by_pool = costing.cost_by_pool(kd, s)
plots.cost_to_serve_by_pool(by_pool.loc[shown + peers], ka["customer_name"]);

# %%
if shown and peers:
    per_revenue = by_pool.div(ka["revenue"].reindex(by_pool.index), axis=0)
    gap = (per_revenue.loc[shown].mean() - per_revenue.loc[peers].mean()).sort_values(ascending=False)
    gap = gap[gap > 0]
    display(prose.say(
        "Per euro of revenue, the large loss makers cost more than their profitable peers above all in "
        f"{prose.names([str(p) for p in gap.index[:3]])}"
        + (f" ({prose.names([prose.pct(v, 1) for v in gap.iloc[:3]])} of revenue more)" if len(gap) else "")
        + ": that is where the terms of their business must change." if len(gap) else
        "Per euro of revenue, the large loss makers do not cost more to serve than their peers: their loss "
        "comes from price and rebates."))

# %% [markdown]
# ### Net price × cost to serve: the Shapiro matrix
#
# Shapiro, Rangan, Moriarty & Ross ("Manage customers for profits (not just sales)", HBR
# 1987) place each customer by the price it pays and what it costs to serve:
#
# | | low cost to serve | high cost to serve |
# |---|---|---|
# | **high net price** | *passive*: pays well, asks little | *carriage trade*: pays for what it gets |
# | **low net price** | *bargain basement*: price buyer, cheap to serve | *aggressive*: low price *and* high cost |
#
# Price is the [**price realisation**](../docs/glossary.md#price-realisation) (revenue after rebates / list revenue); cost is cost
# to serve / revenue. High and low are split at the median of customers **of the same
# pyramid tier** (`profitability.peer_group = "tier"`): a large customer is compared with
# large ones, otherwise every small customer would look expensive to serve.

# %%
plots.shapiro(ka, highlight=shown);

# %%
quadrants = pd.DataFrame({"active customers": active["shapiro_quadrant"].value_counts(),
                          "large loss makers": big_losers["shapiro_quadrant"].value_counts()}
                         ).fillna(0).astype(int).rename_axis("Shapiro quadrant")
tables.table(quadrants, formats={c: "count" for c in quadrants.columns}, top=None)

# %% [markdown]
# ### Now versus future
#
# The second profitability view crosses **profit now** with **profit expected in three
# years**: profit × (1 + trend)³ plus a capture of the share-of-wallet headroom
# (`headroom_capture` × kg the customer buys elsewhere × our margin per kg), with the trend
# the yearly revenue growth of the last two years. The bar for "high" is the median profit
# of active customers, the same now and later, and a customer whose profit is expected to
# fall has no high future:
#
# - **best**: high now, high later: protect;
# - **invest**: low now, high later: develop;
# - **keep**: high now, falling: defend, find out why;
# - **worst**: low now and later: change the terms or serve at lower cost.

# %%
if ka["profit"].notna().any():
    plots.now_future(ka, highlight=shown,
                     horizon_years=s.selection.profitability.horizon_years);

# %%
# NBVAL_CHECK_OUTPUT
print("profit now x future: " + ", ".join(f"{q} {n}" for q, n in ka["profitability_quadrant"].value_counts().items()))
if answer_key is not None:
    dec = answer_key.index[answer_key["is_decaying"]]
    print(f"planted decaying relationships: {len(dec)}, of which 'keep': "
          f"{ka.loc[dec, 'profitability_quadrant'].eq('keep').sum()}")

# %% [markdown]
# ### What this means for the account manager

# %%
if len(big_losers):
    gm_rate = notebook.ratio(big_losers["gross_margin"].sum(), big_losers["revenue"].sum())
    all_rate = notebook.ratio(active["gross_margin"].sum(), active["revenue"].sum())
    shap = big_losers["shapiro_quadrant"].value_counts()
    nowf = big_losers["profitability_quadrant"].value_counts()
    display(prose.say(
        f"Revenue is not profit. The {prose.count(len(big_losers), 'large loss maker')} above keep "
        f"{prose.pct(gm_rate, 1)} of their revenue as gross margin, against {prose.pct(all_rate, 1)} for all "
        "active customers, and then pay rebates and a cost to serve out of it. Shapiro's matrix puts "
        f"{prose.names([f'{n} in *{q}*' for q, n in shap.items()])}; profit now versus future puts "
        f"{prose.names([f'{n} in *{q}*' for q, n in nowf.items()])}. The answer is rarely to drop them; it is "
        "to change the terms (price, rebate conditions, minimum order sizes) or the cost to serve (fewer, "
        "larger deliveries; service priced or rationed). The *keep* customers are profitable but shrinking "
        "— go and ask why before it shows in the revenue."))

# %% [markdown]
# ## 5. Lifetime value
#
# **The idea.** A customer is worth the discounted profit it will bring over the whole
# relationship (Gupta & Lehmann, "Customers as assets", 2003). With a yearly margin $m$
# (here the profit after cost to serve), a yearly retention rate $r$ and a discount rate
# $d$, all per **year**:
#
# - first margin **one year from now** (`convention = "end"`, the default):
#   $\text{CLV} = m \cdot \frac{r}{1 + d - r}$ — Gupta & Lehmann's *margin multiple* is
#   $r/(1+d-r)$;
# - first margin **now** (`convention = "start"`): $\text{CLV} = m \cdot \frac{1 + d}{1 + d - r}$.
#
# The two differ by exactly one margin. State which one you use, and never mix a monthly
# margin with a yearly retention.

# %%
lv = s.selection.lifetime_value
print(f"observed retention {analysis_year - 1}->{analysis_year}: "
      f"{selection.observed_retention(kd, analysis_year):.1%}; setting: {lv.retention:.0%}")
for convention in ("end", "start"):
    k = selection.margin_multiple(lv.retention, lv.discount_rate, convention)
    print(f"convention {convention!r}: lifetime value = {k:.2f} x yearly profit")

# %% [markdown]
# **Why is the setting not the observed rate?** The observed rate counts a customer as
# retained when it bought *anything* again; the lifetime value needs the chance that its
# *margin* goes on. A customer that halves its purchases counts as retained, and one year
# of history says little about the years ahead. So the setting is a planning assumption,
# and the chapter shows both:

# %%
from kamlib import measures

observed = selection.observed_retention(kd, analysis_year)
by_year = measures.yearly_pivot(kd.orders, "revenue")
if analysis_year - 1 in by_year.columns and analysis_year in by_year.columns:
    before_rev, now_rev = by_year[analysis_year - 1], by_year[analysis_year]
    kept = notebook.ratio(now_rev.clip(upper=before_rev).sum(), before_rev.sum())
else:
    kept = float("nan")
prose.say(
    f"{prose.pct(observed, 1)} of the customers who bought in {analysis_year - 1} bought again in "
    f"{analysis_year}; together they kept {prose.pct(kept, 1)} of their {analysis_year - 1} revenue "
    "(each customer counted up to its previous level, so a shrinking customer counts only what it kept). "
    f"The setting, **{prose.pct(lv.retention)}**, is "
    + prose.choose(lv.retention < observed, "more cautious than either", "not above what was observed")
    + f": at the observed rate the margin multiple would be "
    f"{prose.number(selection.margin_multiple(min(observed, 0.999), lv.discount_rate, lv.convention), 1)} "
    f"instead of {prose.number(selection.margin_multiple(lv.retention, lv.discount_rate, lv.convention), 1)}. "
    "If your own history supports a higher rate over several years, change "
    "`selection.lifetime_value.retention` in the settings file.")

# %%
plots.margin_multiples(lv.discount_rate);

# %%
top_lv = ka.sort_values("lifetime_value", ascending=False)
tables.table(top_lv[["customer_name", "abc_class", "profit", "lifetime_value"]], top=5,
             what="customers", title="The highest lifetime values")

# %%
tables.table(top_lv[["customer_name", "abc_class", "profit", "lifetime_value"]].tail(3),
             top=None, title="The lowest lifetime values")

# %% [markdown]
# ### What this means for the account manager

# %%
lower = max(lv.retention - 0.1, 0.0)
prose.say(
    f"At {prose.pct(lv.retention)} retention and {prose.pct(lv.discount_rate)} a year cost of capital, a "
    f"customer is worth about {prose.number(selection.margin_multiple(lv.retention, lv.discount_rate, lv.convention), 1)} "
    f"years of today's profit; at {prose.pct(lower)} retention, "
    f"{prose.number(selection.margin_multiple(lower, lv.discount_rate, lv.convention), 1)}. Retention is the "
    "lever: keeping a good customer one more year is worth more than most price increases. A customer with "
    "a negative profit has a negative lifetime value *at today's terms* — the terms, not the customer, are "
    "what must change.")

# %% [markdown]
# ## 6. A weighted scorecard that follows the company's goals
#
# **The idea.** The practitioner sources judge customers on three families of indicators:
# **attractiveness** (value and price compared with other customers, how it buys, fit with
# our strategy, closeness to the market we aim at), **potential** (sales, profit, growth,
# room to grow) and the **relationship** (its present state and its potential). Each
# criterion is computed from the data where possible, otherwise taken from the account
# manager's yearly assessment:

# %%
tables.table(pd.DataFrame([(c, k.family, k.label, "more" if k.direction > 0 else "less", k.meaning)
                           for c, k in selection.CRITERIA.items()],
                          columns=["criterion", "family", "label", "better", "meaning"]),
             top=None, what="criteria")

# %% [markdown]
# **Normalisation.** Criteria are on different scales (EUR, %, kg, scores 1-5), so each is
# first put on 0-1, 1 = best: measured criteria by their **percentile rank** among active
# customers, $(r - 1)/(n - 1)$ with tied customers sharing their average rank (robust to a
# few giants; `normalisation = "minmax"` is the alternative); assessments 1-5 as
# $(x - 1)/4$; shares as they are; "less is better" criteria turned round ($1 - x$); a
# missing value gets `missing_value` (0: no evidence, no points). Then
#
# $$\text{score} = 100 \cdot \frac{\sum_c w_c\, x_c}{\sum_c w_c}$$
#
# (the weighted-sum model of multi-criteria decision analysis, Belton & Stewart 2002).
# **The weights are the company's goal**: a few presets, or your own (`goal = "custom"`
# and `weights`).

# %%
plots.goal_weights(selection.goal_weights());

# %% [markdown]
# The best scores with the default goal (`balanced`), and *why* each customer scores what
# it scores: every bar is split into the points each criterion contributes. This is the
# picture to bring to the meeting where the list is discussed.

# %%
best = active.sort_values("score", ascending=False).index[:8]
plots.score_breakdown(selection.score_breakdown(facts, s, best), ka["customer_name"]);

# %%
example = notebook.pick(ka.loc[ka["abc_class"] == "B", "score"], "max",
                        what="class-B (growing) customer",
                        fix="Lower selection.abc.growth_min to see one.")
if example is not None:
    points = selection.score_points(facts, s, example)
    display(tables.table(points, formats={"points": "number:1"}, top=None,
                         title=f"{example} {ka.loc[example, 'customer_name']}: points per criterion"))

# %% [markdown]
# **Goals change who is key.** The same data and the same rule, four goals. Count the key
# accounts, and see how big they are:

# %%
by_goal = selection.goal_comparison(facts, s)
tables.table(by_goal, top=10, what="customers", formats={"key_under": "count", "revenue_rank": "count"},
             columns={"key_under": "key under how many goals"})

# %%
# NBVAL_CHECK_OUTPUT
for goal in selection.GOAL_PRESETS:
    k = facts.loc[by_goal.index[by_goal[goal]]]
    print(f"{goal:<29} {len(k):>2} key accounts, median revenue {formatting.eur(k['revenue'].median())}, "
          f"distributors {k['industry'].eq('distributor').sum():>2}")

# %% [markdown]
# ### What this means for the account manager

# %%
sizes = {g: facts.loc[by_goal.index[by_goal[g]], "revenue"] for g in selection.GOAL_PRESETS}
base, net = sizes[s.selection.scorecard.goal] if s.selection.scorecard.goal in sizes else sizes["balanced"], sizes.get("build a distribution network")
if net is not None and len(net) and len(base):
    display(prose.say(
        "A score is a *conversation*, not a verdict. With the goal \"build a distribution network\" (the "
        f"golden-key case) the list has {prose.count(len(net), 'key account')} instead of {prose.count(len(base))}, "
        f"and their median revenue is {prose.money(net.median())} instead of {prose.money(base.median())} "
        f"({prose.times(base.median(), net.median())} smaller"
        "): size counts for little, execution for a lot. With \"grow profit\" the price-disciplined, "
        "cheap-to-serve customers rise. Agree on the goal first, then on the weights, and bring the breakdown "
        "to the meeting: \"it is key because of its growth and its cooperation\" is an argument; \"the model "
        "says so\" is not."))

# %% [markdown]
# ## 7. Fuzzy comprehensive evaluation
#
# **The idea** (fuzzy comprehensive evaluation, 模糊综合评价; Wang Peizhuang 1983, after
# Zadeh's fuzzy sets, 1965). Instead of a single number per criterion, say *how much* the
# customer belongs to each grade — poor, fair, good, excellent. A customer whose share of
# wallet normalises to 0.5 is half "fair" and half "good". For each customer this gives a
# **membership matrix** $R$ (criteria × grades), which the weight vector $W$ combines into
# an evaluation vector over the grades:
#
# $$B = W \circ R, \qquad b_k = \sum_i w_i\, r_{ik} \;\text{(weighted average, default)} \quad\text{or}\quad b_k = \max_i \min(w_i, r_{ik}) \;\text{(Zadeh's max-min)}.$$
#
# The grade is the one of largest membership (the *maximum-membership principle*); the
# fuzzy score is $\sum_k b_k v_k$ with points $v$ per grade. Grades, their centres, points
# and the operator are settings (`selection.fuzzy`).

# %%
plots.fuzzy_memberships(s.selection.fuzzy);

# %% [markdown]
# For one customer, the evaluation vector $B$ (its membership in each grade):

# %%
grades = list(s.selection.fuzzy.grades)
norm = selection.normalised_criteria(facts, s)
fz = selection.fuzzy_evaluation(norm, s.selection.scorecard.effective_weights, s.selection.fuzzy)
tables.table(fz.loc[[c for c in (example, worst) if c is not None], grades + ["fuzzy_grade", "fuzzy_score"]]
             .join(ka["score"]), formats={**{g: "number:2" for g in grades}, "fuzzy_score": "number:1",
                                          "score": "number:1"}, top=None)

# %%
plots.fuzzy_vs_score(ka, grades=grades);

# %%
n_key = int(ka["is_key"].sum())
best_n = active["score_rank"].astype("int64") <= n_key
grade_vs_rank = pd.crosstab(active["fuzzy_grade"], best_n).reindex(index=grades, columns=[True, False],
                                                                  fill_value=0)
grade_vs_rank.columns = [f"in the score top {n_key}", "outside it"]
tables.table(grade_vs_rank.rename_axis("fuzzy grade"),
             formats={c: "count" for c in grade_vs_rank.columns}, top=None)

# %%
# NBVAL_CHECK_OUTPUT
print(f"excellent but outside the score top {n_key}: {(~best_n & active['fuzzy_grade'].eq('excellent')).sum()}; "
      f"in the top {n_key} but only poor/fair: {(best_n & active['fuzzy_grade'].isin(['poor', 'fair'])).sum()}")

# %% [markdown]
# ### What this means for the account manager

# %%
rho = active["fuzzy_score"].rank().corr(active["score"].rank())
prose.say(
    f"With the {s.selection.fuzzy.operator.replace('_', '-')} operator, the fuzzy score and the scorecard rank "
    f"the active customers {prose.choose(rho > 0.9, 'almost alike', prose.choose(rho > 0.7, 'much alike', 'differently'))} "
    f"(rank correlation {prose.number(rho, 2)}).")

# %% [markdown]
# What fuzzy evaluation adds is the *profile*: two
# customers with the same score can be "good across the board" or "excellent on some
# criteria, poor on others". Where the grade and the score rank disagree, look at the
# profile before deciding: a polarised customer is a risk (or an opportunity) a single
# score hides.

# %% [markdown]
# ## 8. The portfolio matrix: where to invest
#
# **The idea** (Fiocca 1982; Millman & Wilson). Put each customer on two axes, both 0-100
# from the scorecard: **customer attractiveness** (the attractiveness and potential
# criteria) and **relationship strength** (the relationship criteria), each with the
# goal's weights. Cut each into low / medium / high (`portfolio.low_cut`, `high_cut`); each
# of the nine cells gets an action (`portfolio.grid`): *invest for growth*, *invest
# selectively*, *maintain*, *manage for cash*, *withdraw*.

# %%
plots.portfolio(ka, pf=s.selection.portfolio, highlight=shown,
                highlight_label="large loss makers");

# %%
by_action = pd.crosstab(active["portfolio_action"], active["is_key"]).reindex(columns=[True, False], fill_value=0)
by_action.columns = ["key accounts", "other active customers"]
tables.table(by_action.rename_axis("portfolio action"), formats={c: "count" for c in by_action.columns},
             top=None)

# %% [markdown]
# ### What this means for the account manager
#
# The portfolio tells you how to *spend* on each account, which the key-account list alone
# does not: invest for growth where the customer is attractive and the relationship
# strong; invest selectively where one of the two is missing (pick the battles); manage
# for cash where the customer is worth little to us however good the relationship.

# %%
if len(big_losers):
    acts = big_losers["portfolio_action"].value_counts()
    display(prose.say(
        "Note the large loss makers: the portfolio says "
        f"{prose.names([f'*{a}* for {prose.count(n)}' for a, n in acts.items()])} — the matrix sees their "
        "size and relationship, not their loss; the profitability views of section 4 say where any "
        "investment in them must go first."))

# %% [markdown]
# ## 9. The key-account list
#
# **One call** gives the decision table, with every method's verdict and the reasons in
# words: `selection.key_accounts(kd, s)` (here `decide(facts, s)`, the same thing in two
# steps). The later chapters and the account-plan reports make the same call with the same
# settings file, so everyone works from the same list.
#
# **The rule** (`selection.key_accounts`): by default a customer is key when it is class A
# *confirmed by the goal-driven score* (score ≥ `min_score` = 60) or class B (growing and
# cooperative: the future); customers that lose money are left out with the reason
# (`loss_makers = "exclude"`; `"flag"` keeps them, with a warning). Other rules: `"abc"`,
# `"score_min"`, `"score_top_n"`.

# %%
# NBVAL_CHECK_OUTPUT
key = ka.loc[ka["is_key"]]
print(f"{len(key)} key accounts of {len(active)} active customers: "
      f"{key['abc_class'].value_counts().sort_index().to_dict()}")
print(f"they bring {formatting.pct(notebook.ratio(key['revenue'].sum(), active['revenue'].sum()))} "
      f"of revenue and {unknowns.cell(kd.available, 'profit', notebook.ratio(key['profit'].sum(min_count=1), active['profit'].sum()), formatting.pct)} of profit")
print(f"class A not key: {((ka['abc_class'] == 'A') & ~ka['is_key']).sum()} "
      f"(of which losing money: {((ka['abc_class'] == 'A') & ~ka['is_key'] & ka['is_loss_maker']).sum()})")

# %% [markdown]
# The later chapters and the reports make the one call, from the data and the settings
# file alone, and get the same list:

# %%
# NBVAL_CHECK_OUTPUT
same = selection.key_accounts(kd, s)
print("same key accounts as above:", same["is_key"].equals(ka["is_key"]))
print("columns:", ", ".join(same.columns))

# %%
view = key.sort_values("score", ascending=False)[
    ["customer_name", "account_manager", "abc_class", "pyramid_tier", "score",
     "profit", "profitability_quadrant", "shapiro_quadrant", "portfolio_action"]]
tables.table(view, top=15, what="key accounts", formats={"score": "number:0"})

# %% [markdown]
# The reasons, in words, for three customers: the largest loss maker, a class-B customer, and
# the largest customer (when the largest customer is also the largest loss maker, its reasons
# come twice).

# %%
# NBVAL_CHECK_OUTPUT
import textwrap

for cid in [c for c in [worst, example, notebook.pick(active.sort_values("revenue_rank").index,
                                                    "first", what="active customer")]
            if c is not None]:
    print(f"{cid} {ka.loc[cid, 'customer_name']}:")
    print(textwrap.fill(ka.loc[cid, "reasons"], 100, initial_indent="  ", subsequent_indent="  "))

# %% [markdown]
# ### Where the methods disagree
#
# Each method has its own idea of "key". How many customers each picks, and how many of
# them the list keeps:

# %%
tables.table(selection.method_agreement(ka), top=None)

# %%
disagree = selection.disagreements(ka)
tables.table(disagree.groupby("finding", sort=False).head(3)
             [["customer_id", "customer_name", "finding", "revenue_rank", "score", "abc_class", "profit", "is_key"]],
             formats={"score": "number:0", "revenue_rank": "count"}, top=None, index=False)

# %%
# NBVAL_CHECK_OUTPUT
for finding, n in disagree["finding"].value_counts(sort=False).items():
    print(f"{n:>3}  {finding}")

# %% [markdown]
# ### What this means for the account manager
#
# The list is the *result of decisions*, each visible in the settings file: the goal and
# its weights, the class rule, the score bar, what to do with loss makers. The
# disagreements are the agenda of the review meeting.

# %%
not_key_big = active.loc[~active["is_key"]].sort_values("revenue_rank")
b_key = int((key["abc_class"] == "B").sum())
first_out = not_key_big.index[0] if len(not_key_big) else None
prose.say(
    (f"The largest customer left out is {first_out} (revenue rank {int(ka.loc[first_out, 'revenue_rank'])}), "
     f"because {prose.choose(bool(ka.loc[first_out, 'is_loss_maker']), 'it loses money', 'its goal-driven score is too low')}; "
     if first_out is not None else "")
    + f"{prose.count(b_key, 'modest, growing, cooperative customer')} (class B) "
    f"{prose.choose(b_key == 1, 'is', 'are')} key — the golden-key lesson on our own data. Selection is "
    "continuous: rerun it every year (the migration matrix shows who moved), and for each key customer be "
    "able to say *why* it is key.")

# %% [markdown]
# ## 10. Workshop: tune the weights and thresholds
#
# Everything above is the static result with the settings file's values. In a workshop,
# move the sliders: the goal and the weights of each criterion (grouped by family), the key
# rule, the score bar, the ABC thresholds, what to do with loss makers. The summary, the
# list and the score breakdown of the ten best update at once. When the room agrees,
# **Save to settings file** writes the decisions to `kam_settings.toml`; the next run of
# every chapter and report uses them. (Widgets need a live notebook: in a static page you
# see them frozen.)

# %%
selection_widgets.key_account_workshop(kd, s, settings_file=settings_file, facts=facts)

# %% [markdown]
# Unit times of the activities, and the effect on cost to serve and on the number of loss makers:

# %%
selection_widgets.cost_to_serve_workshop(kd, s, customers=shown + peers)

# %% [markdown]
# Retention, discount rate and timing convention of the lifetime value:

# %%
selection_widgets.lifetime_value_explorer(margin=50_000, s=s)

# %% [markdown]
# ## Exercises
#
# Try each exercise before opening the solution below it. The learner's copy of this
# chapter (`make exercises`) has the solutions removed. Where the answer is a number or a
# count, put it in the variable the exercise names (`answer_1`, ...) and run the check
# cell below it: `exercises.check` says *right* or *not yet* with a hint, without giving
# the answer away.

# %%
where = dict(data_source=data_source, settings_file=settings_file, analysis_year=analysis_year)

# %% [markdown]
# **Exercise 1 — the Gini by hand.** Four customers buy 1, 2, 3 and 4 tonnes. Compute the
# Gini coefficient with the formula of section 1 (in `answer_1`), then check it with
# `selection.gini`.

# %%
answer_1 = None  # a number between 0 and 1

# %% tags=["solution"]
x = [1, 2, 3, 4]  # sorted ascending, i = 1..4, n = 4
n = len(x)
answer_1 = sum((2 * i - n - 1) * xi for i, xi in enumerate(x, start=1)) / (n * sum(x))
print(answer_1, selection.gini(x))

# %% [markdown] tags=["solution"]
# *Model answer.* With i = 1..4 the weights 2i − n − 1 are −3, −1, 1, 3:
# (−3·1 − 1·2 + 1·3 + 3·4) / (4 · 10) = 10/40 = **0.25**, and `selection.gini` agrees.
# Four customers of not very different size: a low concentration.

# %%
exercises.check("01.1", answer_1, **where)

# %% [markdown]
# **Exercise 2 — the edge of class A.** Make class A the top 25 % of customers, and then
# the customers that together make the first 80 % *of sales* (`basis = "value"`), each with
# both boundary rules. How many class A customers do you get each time (in `answer_2`, a
# dict with the keys `"customers include"`, `"customers exclude"`, `"value include"`,
# `"value exclude"`)? Which rule would you defend in front of the sales director?

# %%
answer_2 = None  # {"customers include": ..., "customers exclude": ..., "value include": ..., "value exclude": ...}

# %% tags=["solution"]
answer_2 = {}
for basis, share in (("customers", 0.25), ("value", 0.80)):
    for boundary in ("include", "exclude"):
        cls = selection.cut_classes(facts["revenue"], [share, 1.0], ["A", "rest"],
                                    basis=basis, boundary=boundary)
        answer_2[f"{basis} {boundary}"] = int((cls == "A").sum())
display(tables.table(pd.Series(answer_2, name="class A customers").rename_axis("basis and rule").to_frame(),
                     formats={"class A customers": "count"}, top=None))

# %% [markdown] tags=["solution"]
# *Model answer.* The two rules differ by the one customer whose stretch crosses the cut;
# the basis changes much more (a share of the customers, or the customers making a share
# of the sales). Defend **include**: it keeps the customer that crosses the cut, and with a
# few large customers near the cut "exclude" can drop a customer that makes more sales
# than many in the class. Say which basis you use: "the top quarter of our customers" and
# "the customers making 80 % of sales" are different lists.

# %%
exercises.check("01.2", answer_2, **where)

# %% [markdown]
# **Exercise 3 — the price of a visit.** Raise the unit time of a visit from 240 to 360
# minutes (longer trips). How many active customers lose money now (in `answer_3`)? And
# the large loss makers: does the ranking of the reasons change?

# %%
answer_3 = None  # a count of active customers

# %% tags=["solution"]
minutes = {**s.selection.cost_to_serve.unit_minutes, "visit": 360.0}
s3 = settings.replace(s, "selection.cost_to_serve.unit_minutes", minutes)
ka3 = selection.key_accounts(kd, s3)
answer_3 = int((ka3["is_loss_maker"] & ka3["is_active"]).sum())
before3 = int((ka["is_loss_maker"] & ka["is_active"]).sum())
print("loss makers now:", answer_3, "before:", before3)
display(tables.table(ka3.loc[shown, ["customer_name", "profit", "cost_to_serve"]].join(
    ka.loc[shown, ["profit"]].rename(columns={"profit": "profit before"})), top=None))
prose.say(
    f"*Model answer.* {prose.count(answer_3, 'active customer')} lose money with longer visits, against "
    f"{prose.count(before3)} before: the visits are a {prose.choose(answer_3 - before3 > 5, 'large', 'modest')} "
    "part of the cost to serve. Compare the two profit columns of the large loss makers: each loses a little "
    "more, and what makes them lose money — price, rebates and the cost to serve — stays the same.")

# %%
exercises.check("01.3", answer_3, **where)

# %% [markdown]
# **Exercise 4 — your own goal.** Your company wants to grow in pharma and cosmetics with
# partners who share information. Make a custom goal: `target_industry` (with
# `target_industries = ("pharma", "cosmetics")`) weight 3, `information_sharing` 3,
# `profit_margin` 2, `growth` 2. How many key accounts, and how many of them are pharma or
# cosmetics customers? (`answer_4 = {"key accounts": ..., "pharma or cosmetics": ...}`)

# %%
answer_4 = None  # {"key accounts": ..., "pharma or cosmetics": ...}

# %% tags=["solution"]
s4 = selection.with_goal(s, "custom", {"target_industry": 3, "information_sharing": 3,
                                       "profit_margin": 2, "growth": 2})
s4 = settings.replace(s4, "selection.scorecard.target_industries", ["pharma", "cosmetics"])
ka4 = selection.key_accounts(kd, s4)  # target_industry is a fact: recompute the facts
k4 = ka4.loc[ka4["is_key"]]
answer_4 = {"key accounts": len(k4),
            "pharma or cosmetics": int(k4["industry"].isin(["pharma", "cosmetics"]).sum())}
prose.say(
    f"*Model answer.* {prose.count(answer_4['key accounts'], 'key account')}, of which "
    f"{prose.count(answer_4['pharma or cosmetics'])} in pharma or cosmetics "
    f"({prose.pct(notebook.ratio(answer_4['pharma or cosmetics'], answer_4['key accounts']))}). The goal "
    "moves the list towards the industries it names; recompute the facts (`selection.key_accounts`), "
    "because `target_industry` is a fact of each customer, not a weight.")

# %%
exercises.check("01.4", answer_4, **where)

# %% [markdown]
# **Exercise 5 — lifetime value conventions.** A customer makes EUR 50,000 profit a year,
# stays with probability 85 % a year, and money costs 8 % a year. Compute its lifetime
# value with both conventions, by hand and with `selection.margin_multiple`. What is the
# difference between the two, and why?
# (`answer_5 = {"first margin in a year": ..., "first margin now": ...}`)

# %%
answer_5 = None  # {"first margin in a year": ..., "first margin now": ...}

# %% tags=["solution"]
m, r, d = 50_000, 0.85, 0.08
end_by_hand = m * r / (1 + d - r)
start_by_hand = m * (1 + d) / (1 + d - r)
print(round(end_by_hand), round(m * selection.margin_multiple(r, d, "end")))
print(round(start_by_hand), round(m * selection.margin_multiple(r, d, "start")))
answer_5 = {"first margin in a year": end_by_hand, "first margin now": start_by_hand}

# %% [markdown] tags=["solution"]
# *Model answer.* First margin in a year: 50,000 × 0.85 / 0.23 ≈ EUR 184,783; first margin
# now: 50,000 × 1.08 / 0.23 ≈ EUR 234,783. They differ by exactly one margin, EUR 50,000:
# "now" counts this year's margin, "in a year" starts with next year's. Neither is wrong;
# say which one you use.

# %%
exercises.check("01.5", answer_5, **where)

# %% [markdown]
# **Exercise 6 — the other fuzzy operator.** Evaluate the customers with Zadeh's max-min
# operator (`operator = "max_min"`). How many active customers change grade compared with
# the weighted average (in `answer_6`)? Why does max-min let a single heavily weighted
# criterion decide?

# %%
answer_6 = None  # a count of active customers

# %% tags=["solution"]
s6 = settings.replace(s, "selection.fuzzy.operator", "max_min")
mm = selection.fuzzy_evaluation(norm, s6.selection.scorecard.effective_weights, s6.selection.fuzzy)
answer_6 = int((mm.loc[active.index, "fuzzy_grade"] != fz.loc[active.index, "fuzzy_grade"]).sum())
cross = pd.crosstab(fz.loc[active.index, "fuzzy_grade"].rename("weighted average"),
                    mm.loc[active.index, "fuzzy_grade"].rename("max-min")).reindex(
    index=grades, columns=grades, fill_value=0)
display(tables.table(cross, formats={g: "count" for g in grades}, top=None))
prose.say(
    f"*Model answer.* {prose.count(answer_6, 'active customer')} of {prose.count(len(active))} change grade. "
    "Max-min keeps, for each grade, only the strongest min(weight, membership): the criteria with the "
    "largest weights cap everything, and the others hardly count — one heavily weighted criterion decides.")

# %%
exercises.check("01.6", answer_6, **where)

# %% [markdown]
# **Exercise 7 — a steeper pyramid.** Redo the "2 % move up" simulation with 5 % movers
# who reach the *median* (not the mean) of the tier above. Why is the result so different
# from the mean? (`answer_7 = {"movers": ..., "revenue change": ..., "profit change": ...}`,
# the changes as fractions: 0.05 for +5 %)

# %%
answer_7 = None  # {"movers": ..., "revenue change": ..., "profit change": ...}

# %% tags=["solution"]
s7 = settings.replace(s, "selection.pyramid.move_share", 0.05)
s7 = settings.replace(s7, "selection.pyramid.move_to", "median")
sim7 = selection.simulate_moving_up(ka, s7.selection.pyramid)
t7 = sim7.loc["total"]
answer_7 = {"movers": int(t7["movers"]),
            "revenue change": notebook.ratio(t7["revenue_after"], t7["revenue_before"]) - 1,
            "profit change": notebook.ratio(t7["profit_after"], t7["profit_before"]) - 1}
tier_margin = (sim7["profit_before"] / sim7["revenue_before"].where(sim7["revenue_before"] > 0)).drop("total")
thinner = [up for up, below in zip(tier_margin.index[:-1], tier_margin.index[1:])
           if tier_margin[up] < tier_margin[below]]  # a tier that keeps less profit than the one below
prose.say(
    f"*Model answer.* {prose.count(answer_7['movers'], 'mover')}: revenue "
    f"{prose.signed_pct(answer_7['revenue change'])}, profit {prose.signed_pct(answer_7['profit change'])}. "
    "Sizes are skewed: in each tier the mean is pulled up by a few large customers, the median is not. "
    "Promising the mean is promising that the movers become above-typical customers of the tier above."
    + prose.choose(answer_7["profit change"] < 0 and bool(thinner),
                   f" Profit can fall while revenue rises: a mover takes the profit margin of the tier above, "
                   f"and the {thinner[0] if thinner else ''} tier keeps "
                   f"{prose.pct(tier_margin[thinner[0]] if thinner else 0, 1)} of its revenue as profit, "
                   "less than the tier below it.", ""))

# %%
exercises.check("01.7", answer_7, **where)

# %% [markdown]
# ## Check your understanding
#
# 1. Why is the biggest customer not automatically a key customer? Give two reasons from
#    this chapter.
# 2. The top 20 % of customers give most of the revenue (section 1). What does that tell
#    you about profit?
# 3. What is the boundary rule, and why does it matter for a customer with 19.8 % of
#    customers ahead of it when class A is the top 20 %?
# 4. In time-driven activity-based costing, why is unused capacity not spread over the
#    customers?
# 5. A customer pays a low net price and is expensive to serve. Which Shapiro quadrant is
#    it in, and what are two levers?
# 6. Two analysts compute lifetime value for the same customer and get EUR 225,000 and
#    EUR 275,000 with the same margin, retention and discount rate. What happened?
# 7. Why should the weights of the scorecard change when the company's goals change?
#
# <details>
# <summary>Answers</summary>
#
# 1. Size is not profit: a large customer can lose money after discounts, rebates and
#    cost to serve (the loss makers of section 4). And size is not the future: a smaller,
#    growing, cooperative customer (class B) can matter more for the company's goal — the
#    golden-key case chose modest wholesalers over the biggest.
# 2. Nothing directly. Profit can be even more concentrated (the whale curve: the top
#    20 % can make more than 100 % of profit), or less, if large customers get large
#    discounts. Measure it.
# 3. The rule that says which class a customer straddling a cut belongs to. Ranked
#    customers occupy stretches of the cumulative share; with "include" the customer whose
#    stretch crosses 20 % (it starts at 19.8 %) is class A; with "exclude" it is not. On a
#    few hundred customers that is one customer — possibly a large one.
# 4. Because it is not caused by any customer. Spreading it makes every customer look more
#    expensive and hides the idle capacity, which is a management decision (redeploy,
#    grow, or cut).
# 5. Aggressive. Levers: price (discount and rebate conditions), and cost to serve
#    (minimum order sizes, fewer and larger deliveries, service rationed or charged).
# 6. One used the "first margin in a year" convention, $m\,r/(1+d-r)$, the other "first
#    margin now", $m(1+d)/(1+d-r)$: they differ by exactly one margin (EUR 50,000 here,
#    with $r$ = 0.9, $d$ = 0.1).
# 7. Because "key" means "key for what we are trying to do". Growing profit, growing volume
#    and building a distribution network reward different customers; the same weights
#    would choose the same, wrong, customers for two of the three goals.
#
# </details>
#
# ## Sources
#
# - Pareto (1896); Juran, *Quality Control Handbook* (1951): the vital few.
# - Lorenz, "Methods of measuring the concentration of wealth" (1905); Gini, *Variabilità e
#   mutabilità* (1912).
# - Curry & Curry, *The Customer Marketing Method* (2000): the customer pyramid; V. Zeithaml,
#   R. Rust, K. Lemon, "The customer pyramid: creating and serving profitable customers",
#   *California Management Review* 43(4) (2001) 118–142.
# - Kaplan & Anderson, "Time-driven activity-based costing", *HBR* (Nov. 2004).
# - R. Cooper, R. S. Kaplan, "Profit priorities from activity-based costing", *HBR*
#   (May–June 1991) 130–135, and *The Design of Cost Management Systems* (1991); R. S.
#   Kaplan, V. G. Narayanan, "Measuring and managing customer profitability", *Journal of
#   Cost Management* 15(5) (2001) 5–15: the whale curve (the most profitable customers make
#   150–300 % of the total profit).
# - M. Kalwani, N. Narayandas, "Long-term manufacturer-supplier relationships: do they pay
#   off for supplier firms?", *Journal of Marketing* 59(1) (1995) 1–16: what the largest
#   customers cost a supplier in price and service.
# - Shapiro, Rangan, Moriarty & Ross, "Manage customers for profits (not just sales)",
#   *HBR* (1987).
# - Gupta & Lehmann, "Customers as assets", *J. Interactive Marketing* (2003): lifetime
#   value and the margin multiple.
# - Belton & Stewart, *Multiple Criteria Decision Analysis* (2002): weighted scoring.
# - Zadeh, "Fuzzy sets", *Information and Control* (1965); Wang Peizhuang, *Fuzzy Sets and
#   Their Applications* (1983): fuzzy comprehensive evaluation.
# - Fiocca, "Account portfolio analysis for strategy development", *Industrial Marketing
#   Management* 11(1) (1982) 53–62; T. Millman, K. Wilson, "From key account selling to key
#   account management", *Journal of Marketing Practice: Applied Marketing Science* 1(1)
#   (1995) 9–21: key account portfolios.
# - The golden-key partner case and the ABC rule: the practitioner sources of the playbook,
#   summarised in [the background](../docs/background.md).
#
# The words used here are explained in the [glossary](../docs/glossary.md).
#
# **Next:** [chapter 02 — segmenting by what drives buying](02_segment_by_sensitivity.ipynb):
# what drives each key customer's buying — price, service or technology?
