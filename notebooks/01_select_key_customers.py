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
# **What you will learn**
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
# setting in `kam_settings.toml`, documented in `kamlib/selection.py` and
# `kamlib/costing.py`.

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

from kamlib import costing, data, formatting, selection, settings
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
conc.T.round(3)

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
pareto.join(ka[["customer_name"]]).head(10).round(3)

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
#
# About a fifth of the customers bring about four fifths of the revenue, and a dozen
# bring half. Losing one of those is a bad year; the time and attention of the account
# team must go where the money is *and* where it is at risk. But concentration tells you
# who is **big**, not who is **key**: a big customer can lose us money (section 4) and a
# small one can be tomorrow's big one (section 3).

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
pyramid.round(2)

# %%
# NBVAL_CHECK_OUTPUT
for tier, r in pyramid.iterrows():
    print(f"{tier:<9} {int(r['customers']):>4} customers  {round(r['revenue_share'], 2) + 0:>5.0%} "
          f"of revenue  {round(r['profit_share'], 2) + 0:>5.0%} of profit")

# %%
plots.pyramid(pyramid);

# %% [markdown]
# **Moves between years.** Computing the tiers of two years and counting who went where
# gives the *migration matrix*. Below the diagonal are customers who moved up, above it
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
sim.round(0)

# %%
# NBVAL_CHECK_OUTPUT
t = sim.loc["total"]
print(f"{int(t['movers'])} customers move up: "
      f"revenue {notebook.change(t['revenue_after'], t['revenue_before'])}, "
      f"profit {notebook.change(t['profit_after'], t['profit_before'])}")

# %% [markdown]
# ### What this means for the account manager
#
# The few top and big customers carry the company; the 80 % small ones bring less than a
# fifth of the revenue. On our data moving 2 % of customers up a tier adds a few percent of
# revenue and profit, not the +10 % / +50 % of the folklore: the claim depends on how steep
# the pyramid is, so **compute it for your own pyramid** before promising it. The
# migration matrix is the list of conversations to have: why did these customers move down?
# What did we do with those who moved up?

# %% [markdown]
# ## 3. ABC classes
#
# **The rule** (one of the primer's sources, used to decide policy and support levels):
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
abc.round(2)

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
b.join(ka["revenue_rank"]).sort_values("revenue_rank").round(2)

# %% [markdown]
# *Check against the hidden truth* (bundled sample only): the generator planted mid-size
# customers growing 15-35 % a year with high cooperation.

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
# becoming A, and deserve support *before* they are big. The two planted growers that did
# not make class B grew strongly in one of the two years only: a strict rule ("each of the
# last two years") has edges; the scorecard of section 6 still ranks both among the best.
# Know the rule your company uses, and where its edges are.

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
costing.pool_rates(s).round(2)

# %%
costing.activity_rates(s).round(2)

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
(prof.sort_values("revenue", ascending=False).head(8)[money] / 1e3).round(0).add_suffix(f" ({formatting.money_label('k')})")

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
else:
    w = selection.whale_summary(ka.loc[served, "profit"])
    print(f"Total profit {formatting.eur(w['total'])}; the top 20% of customers make {w['top20_share']:.0%} of it")
    print(f"Peak {w['peak_share']:.0%} of total at {w['peak_customer_share']:.0%} of customers; "
          f"{w['loss_makers']} loss makers lose {formatting.eur(-w['losses'])}")

# %% [markdown]
# The tail of the whale is mostly small customers whose orders and visits cost more than
# their margin. The ones to look at first are the **large** customers that lose money:

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
# Where does their cost to serve come from? Compared with profitable customers of the same
# size, they order in many small lots (freight, order desk), complain, and take visits and
# technical support.

# %%
largest = active.sort_values("revenue_rank").index
peers = [c for c in largest[:20] if c not in big_losers.index][:3]
by_pool = costing.cost_by_pool(kd, s)
plots.cost_to_serve_by_pool(by_pool.loc[shown + peers], ka["customer_name"]);

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
# Price is the **price realisation** (revenue after rebates / list revenue); cost is cost
# to serve / revenue. High and low are split at the median of customers **of the same
# pyramid tier** (`profitability.peer_group = "tier"`): a large customer is compared with
# large ones, otherwise every small customer would look expensive to serve.

# %%
plots.shapiro(ka, highlight=shown);

# %%
# NBVAL_CHECK_OUTPUT
print(active["shapiro_quadrant"].value_counts().to_string())
print("large loss makers:", big_losers["shapiro_quadrant"].value_counts().to_dict())

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
print(ka["profitability_quadrant"].value_counts().to_string())
if answer_key is not None:
    dec = answer_key.index[answer_key["is_decaying"]]
    print(f"planted decaying relationships: {len(dec)}, of which 'keep': "
          f"{ka.loc[dec, 'profitability_quadrant'].eq('keep').sum()}")

# %% [markdown]
# ### What this means for the account manager
#
# Revenue is not profit. Each of the large customers above buys a lot, at prices just
# above our cost of goods, with rebates on top, and takes more than its share of visits,
# complaints and technical support: they are *aggressive* buyers in Shapiro's sense, and
# our worst customers. The answer is rarely to drop them; it is to change the terms (price,
# rebate conditions, minimum order sizes) or the cost to serve (fewer, larger deliveries;
# service priced or rationed). The *keep* customers are profitable but shrinking — go and
# ask why before it shows in the revenue.

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

# %%
plots.margin_multiples(lv.discount_rate);

# %%
top_lv = ka.sort_values("lifetime_value", ascending=False)
pd.concat([top_lv.head(5), top_lv.tail(3)])[
    ["customer_name", "abc_class", "profit", "lifetime_value"]].round(0)

# %% [markdown]
# ### What this means for the account manager
#
# At 90 % retention and 10 % a year cost of capital, a customer is worth about four and a
# half years of today's profit; at 80 % retention, less than three. Retention is the lever:
# keeping a good customer one more year is worth more than most price increases. A
# customer with a negative profit has a negative lifetime value *at today's terms* — the
# terms, not the customer, are what must change.

# %% [markdown]
# ## 6. A weighted scorecard that follows the company's goals
#
# **The idea.** The primer's sources judge customers on three families of indicators:
# **attractiveness** (value and price compared with other customers, how it buys, fit with
# our strategy, closeness to the market we aim at), **potential** (sales, profit, growth,
# room to grow) and the **relationship** (its present state and its potential). Each
# criterion is computed from the data where possible, otherwise taken from the account
# manager's yearly assessment:

# %%
pd.DataFrame([(c, k.family, k.label, "more" if k.direction > 0 else "less", k.meaning)
              for c, k in selection.CRITERIA.items()],
             columns=["criterion", "family", "label", "better", "meaning"]).set_index("criterion")

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
    points = selection.score_breakdown(facts, s, [example]).T.round(1)
    points.columns = [ka.loc[example, "customer_name"]]
    display(points)

# %% [markdown]
# **Goals change who is key.** The same data and the same rule, four goals. Count the key
# accounts, and see how big they are:

# %%
by_goal = selection.goal_comparison(facts, s)
by_goal.head(10)

# %%
# NBVAL_CHECK_OUTPUT
for goal in selection.GOAL_PRESETS:
    k = facts.loc[by_goal.index[by_goal[goal]]]
    print(f"{goal:<29} {len(k):>2} key accounts, median revenue {formatting.eur(k['revenue'].median())}, "
          f"distributors {k['industry'].eq('distributor').sum():>2}")

# %% [markdown]
# ### What this means for the account manager
#
# A score is a *conversation*, not a verdict. With the goal "build a distribution network"
# (the golden-key case) the list shrinks to cooperative partners that share information,
# and their median size falls several-fold: size counts for nothing, execution for a lot.
# With "grow profit" the price-disciplined, cheap-to-serve customers rise. Agree on the
# goal first, then on the weights, and bring the breakdown to the meeting: "it is key
# because of its growth and its cooperation" is an argument; "the model says 72" is not.

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
fz.loc[[c for c in (example, worst) if c is not None], grades + ["fuzzy_grade", "fuzzy_score"]].join(ka["score"]).round(2)

# %%
plots.fuzzy_vs_score(ka, grades=grades);

# %%
# NBVAL_CHECK_OUTPUT
n_key = int(ka["is_key"].sum())
best_n = active["score_rank"].astype("int64") <= n_key
print(pd.crosstab(active["fuzzy_grade"], best_n.rename(f"score top {n_key}")).reindex(grades).to_string())
print(f"excellent but outside the score top {n_key}: {(~best_n & active['fuzzy_grade'].eq('excellent')).sum()}; "
      f"in the top {n_key} but only poor/fair: {(best_n & active['fuzzy_grade'].isin(['poor', 'fair'])).sum()}")

# %% [markdown]
# ### What this means for the account manager
#
# With the weighted-average operator the fuzzy score is nearly the scorecard seen through
# grades: the ranking hardly moves. What fuzzy evaluation adds is the *profile*: two
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
# NBVAL_CHECK_OUTPUT
print(pd.crosstab(active["portfolio_action"], active["is_key"].rename("key")).to_string())

# %% [markdown]
# ### What this means for the account manager
#
# The portfolio tells you how to *spend* on each account, which the key-account list alone
# does not: invest for growth where the customer is attractive and the relationship
# strong; invest selectively where one of the two is missing (pick the battles); manage
# for cash where the customer is worth little to us however good the relationship. Note
# the large loss makers: attractive on paper, average relationship, "invest selectively"
# — the profitability views of section 4 say where that investment must go first.

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
      f"of revenue and {formatting.pct(notebook.ratio(key['profit'].sum(min_count=1), active['profit'].sum()))} of profit")
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
view.head(15).round(0)

# %% [markdown]
# The reasons, in words, for three customers: the largest loss maker, a B customer, and the largest customer.

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
selection.method_agreement(ka).round(2)

# %%
disagree = selection.disagreements(ka)
disagree.groupby("finding", sort=False).head(3).round(0)

# %%
# NBVAL_CHECK_OUTPUT
for finding, n in disagree["finding"].value_counts(sort=False).items():
    print(f"{n:>3}  {finding}")

# %% [markdown]
# ### What this means for the account manager
#
# The list is the *result of decisions*, each visible in the settings file: the goal and
# its weights, the class rule, the score bar, what to do with loss makers. The
# disagreements are the agenda of the review meeting: the third-largest customer is not
# key, because it loses money; a dozen modest, growing, cooperative customers are — the
# golden-key lesson on our own data. Selection is continuous: rerun it every year (the
# migration matrix shows who moved), and for each key customer be able to say *why* it
# is key.

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
# chapter (`make exercises`) has the solutions removed.
#
# **Exercise 1 — the Gini by hand.** Four customers buy 1, 2, 3 and 4 tonnes. Compute the
# Gini coefficient with the formula of section 1, then check it with `selection.gini`.

# %% tags=["solution"]
x = [1, 2, 3, 4]  # sorted ascending, i = 1..4, n = 4
n = len(x)
by_hand = sum((2 * i - n - 1) * xi for i, xi in enumerate(x, start=1)) / (n * sum(x))
print(by_hand, selection.gini(x))  # (-3*1 - 1*2 + 1*3 + 3*4) / (4*10) = 10/40 = 0.25

# %% [markdown]
# **Exercise 2 — the edge of class A.** Make class A the top 25 % of customers, and then
# the customers that together make the first 80 % *of sales* (`basis = "value"`), each with
# both boundary rules. How many class A customers do you get each time? Which rule would
# you defend in front of the sales director?

# %% tags=["solution"]
for basis, share in (("customers", 0.25), ("value", 0.80)):
    for boundary in ("include", "exclude"):
        cls = selection.cut_classes(facts["revenue"], [share, 1.0], ["A", "rest"],
                                    basis=basis, boundary=boundary)
        print(f"{basis:<9} {share:.0%} {boundary:<8} class A: {(cls == 'A').sum()}")
# "include" keeps the customer that crosses the cut: with a few large customers near the
# cut, "exclude" can drop a customer that makes more sales than the whole of class C.

# %% [markdown]
# **Exercise 3 — the price of a visit.** Raise the unit time of a visit from 240 to 360
# minutes (longer trips). How many active customers lose money now? And the large loss
# makers: does the ranking of the reasons change?

# %% tags=["solution"]
minutes = {**s.selection.cost_to_serve.unit_minutes, "visit": 360.0}
s3 = settings.replace(s, "selection.cost_to_serve.unit_minutes", minutes)
ka3 = selection.key_accounts(kd, s3)
print("loss makers now:", int((ka3["is_loss_maker"] & ka3["is_active"]).sum()),
      "before:", int((ka["is_loss_maker"] & ka["is_active"]).sum()))
print(ka3.loc[shown, ["customer_name", "profit", "cost_to_serve"]].round(0))

# %% [markdown]
# **Exercise 4 — your own goal.** Your company wants to grow in pharma and cosmetics with
# partners who share information. Make a custom goal: `target_industry` (with
# `target_industries = ("pharma", "cosmetics")`) weight 3, `information_sharing` 3,
# `profit_margin` 2, `growth` 2. How many key accounts, and how many of them are pharma or
# cosmetics customers?

# %% tags=["solution"]
s4 = selection.with_goal(s, "custom", {"target_industry": 3, "information_sharing": 3,
                                       "profit_margin": 2, "growth": 2})
s4 = settings.replace(s4, "selection.scorecard.target_industries", ["pharma", "cosmetics"])
ka4 = selection.key_accounts(kd, s4)  # target_industry is a fact: recompute the facts
k4 = ka4.loc[ka4["is_key"]]
print(len(k4), "key accounts;", k4["industry"].isin(["pharma", "cosmetics"]).sum(),
      "in pharma or cosmetics")

# %% [markdown]
# **Exercise 5 — lifetime value conventions.** A customer makes EUR 50,000 profit a year,
# stays with probability 85 % a year, and money costs 8 % a year. Compute its lifetime
# value with both conventions, by hand and with `selection.margin_multiple`. What is the
# difference between the two, and why?

# %% tags=["solution"]
m, r, d = 50_000, 0.85, 0.08
end_by_hand = m * r / (1 + d - r)
start_by_hand = m * (1 + d) / (1 + d - r)
print(round(end_by_hand), round(m * selection.margin_multiple(r, d, "end")))
print(round(start_by_hand), round(m * selection.margin_multiple(r, d, "start")))
print("difference:", round(start_by_hand - end_by_hand))  # exactly one margin, m

# %% [markdown]
# **Exercise 6 — the other fuzzy operator.** Evaluate the customers with Zadeh's max-min
# operator (`operator = "max_min"`). How many customers change grade compared with the
# weighted average? Why does max-min let a single heavily weighted criterion decide?

# %% tags=["solution"]
s6 = settings.replace(s, "selection.fuzzy.operator", "max_min")
mm = selection.fuzzy_evaluation(norm, s6.selection.scorecard.effective_weights, s6.selection.fuzzy)
changed = (mm.loc[active.index, "fuzzy_grade"] != fz.loc[active.index, "fuzzy_grade"]).sum()
print(f"{changed} of {len(active)} active customers change grade")
print(pd.crosstab(fz.loc[active.index, "fuzzy_grade"], mm.loc[active.index, "fuzzy_grade"]
                  .rename("max-min")).reindex(index=grades, columns=grades, fill_value=0))
# max-min keeps, for each grade, only the strongest min(weight, membership): the
# criteria with the largest weights cap everything, the others hardly count.

# %% [markdown]
# **Exercise 7 — a steeper pyramid.** Redo the "2 % move up" simulation with 5 % movers
# who reach the *median* (not the mean) of the tier above. Why is the result so different
# from the mean?

# %% tags=["solution"]
s7 = settings.replace(s, "selection.pyramid.move_share", 0.05)
s7 = settings.replace(s7, "selection.pyramid.move_to", "median")
sim7 = selection.simulate_moving_up(ka, s7.selection.pyramid)
t7 = sim7.loc["total"]
print(f"{int(t7['movers'])} movers: revenue {notebook.change(t7['revenue_after'], t7['revenue_before'])}, "
      f"profit {notebook.change(t7['profit_after'], t7['profit_before'])}")
# Sizes are skewed: in each tier the mean is pulled up by a few large customers, the
# median is not. Promising the mean is promising that movers become above-typical.

# %% [markdown]
# ## Check your understanding
#
# 1. Why is the biggest customer not automatically a key customer? Give two reasons from
#    this chapter.
# 2. The top 20 % of customers give 82 % of revenue. What does that tell you about profit?
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
# - Curry & Curry, *The Customer Marketing Method* (2000): the customer pyramid.
# - Kaplan & Anderson, "Time-driven activity-based costing", *HBR* (Nov. 2004).
# - Cooper & Kaplan, *The Design of Cost Management Systems* (1991); Kaplan & Narayanan,
#   "Measuring and managing customer profitability", *J. Cost Management* (2001): the whale
#   curve.
# - Shapiro, Rangan, Moriarty & Ross, "Manage customers for profits (not just sales)",
#   *HBR* (1987).
# - Gupta & Lehmann, "Customers as assets", *J. Interactive Marketing* (2003): lifetime
#   value and the margin multiple.
# - Belton & Stewart, *Multiple Criteria Decision Analysis* (2002): weighted scoring.
# - Zadeh, "Fuzzy sets", *Information and Control* (1965); Wang Peizhuang, *Fuzzy Sets and
#   Their Applications* (1983): fuzzy comprehensive evaluation.
# - Fiocca, "Account portfolio analysis for strategy development", *Industrial Marketing
#   Management* (1982); Millman & Wilson on key account portfolios.
