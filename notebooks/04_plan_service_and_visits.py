# %% [markdown]
# # 04 · Serving key customers: relationship levels, service, visits, complaints, objectives
#
# *Choosing key customers pays only when they are served differently. This chapter turns
# the rules of service into a plan an account manager can follow on Monday morning.*
#
# *About 60 minutes. Before this chapter: [01](01_select_key_customers.ipynb) (the
# [key accounts](../docs/glossary.md#key-account) and their
# [ABC classes](../docs/glossary.md#abc-class)) and [02](02_segment_by_sensitivity.ipynb)
# (the [segment](../docs/glossary.md#segment) of each: price, service or technology).*
#
# The previous chapters chose the key customers and found what drives each of them. Now
# comes the part the customer notices: who visits, how often and why; which services each
# account gets; how a complaint is handled; how much product is held back for it before
# the peak season; and which targets the account plan sets for next year.
#
# **What you will learn** — afterwards you can:
#
# - run a visit by the [**eight steps of a visit**](../docs/glossary.md#eight-steps-of-a-visit),
#   the routine every account manager keeps;
# - choose the [**relationship level**](../docs/glossary.md#relationship-level) an account
#   deserves from Kotler's grid of size and margin (and the one rule the playbook adds to
#   it), read the level it actually gets from the interactions, and name its
#   [**relationship stage**](../docs/glossary.md#relationship-stage) (McDonald, Millman &
#   Rogers);
# - build a [**service package**](../docs/glossary.md#service-package) per segment and class
#   and check its cost against the margin it protects;
# - turn visit frequencies into a 12-month [**visit plan**](../docs/glossary.md#visit-plan)
#   per account manager that respects a weekly capacity, groups visits on routes, and
#   exports to Outlook or Google Calendar (.ics);
# - run the [**complaint workflow**](../docs/glossary.md#complaint-workflow) with its roles,
#   and read the complaint figures (per 100 orders, per tonne, days to resolve, open cases)
#   by customer, product and account manager;
# - forecast each key customer's need before the [peak](../docs/glossary.md#peak) season to
#   agree stock in advance ([supply priority](../docs/glossary.md#supply-priority));
# - propose and edit the [**objectives**](../docs/glossary.md#objectives) of the key account
#   plan (volume, price, revenue, [share of wallet](../docs/glossary.md#share-of-wallet),
#   visit cycle, training dates, services).

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
account_manager = ""  # whose calendar to draw; "" = the manager with the most visits
calendar_dir = "../build/calendars"  # where the .ics files of the visit plan are written

# %%
from kamlib import notebook

notebook.setup()

import numpy as np
import pandas as pd
from IPython.display import display

from kamlib import calendar_export, data, exercises, formatting, service, settings, tables, unknowns
from kamlib.course import prose
from kamlib.plots import service as service_plots

# %%
kd, s = notebook.load(data_source, settings_file, analysis_year)  # says whose data, which year
analysis_year = s.period.analysis_year
plan_year = analysis_year + 1
accounts = service.key_account_table(kd, s)
print(f"{len(accounts)} key accounts ({accounts.attrs['source']})")
if not len(accounts):
    print(service.NO_KEY_ACCOUNTS)

# %% [markdown]
# The key accounts come from `service.key_account_table`, which joins the key-account list
# of chapter 01 (`selection.key_accounts`) with the segments of chapter 02
# (`segmentation.segments`). Every function of this chapter takes that table, so a
# workshop can also hand it a list of its own.

# %%
# NBVAL_CHECK_OUTPUT
print(f"Key accounts: {len(accounts)}")
for cls, n in accounts["abc_class"].value_counts().sort_index().items():
    print(f"  class {cls}: {n}")
for seg, n in accounts["segment"].value_counts().sort_index().items():
    print(f"  segment {seg}: {n}")

# %% [markdown]
# ## 1. The eight steps of a visit
#
# A planned visit is worth its travel only if it follows a routine. The practitioner
# sources behind the playbook (see the [background](../docs/background.md)) teach every rep the same **eight steps**, kept every time: *prepare,
# inspect and tidy outside, greet, tidy inside, check stock, recommend an order, take the
# order, say goodbye.* They were written for visits to outlets; in a chemical company
# they translate directly — the "outside" is the customer's goods receipt and store, the
# "inside" is how our niacin is kept and used at the point of use.
#
# Simple steps, but each one does a job: *preparing* sets a goal for the visit;
# *inspecting and tidying* prevents misuse in storage (the proactive service of section 3);
# *greeting* the whole buying centre, not only the buyer, keeps the decision makers in
# view; *checking stock* and *recommending an order* turn the visit into supply security
# for the customer and volume for us; *saying goodbye* books the next step.

# %%
steps = pd.DataFrame(service.EIGHT_STEPS, columns=["step", "what to do", "example (the sample company, niacin)"])
tables.table(steps, formats={"step": "id"}, top=None)

# %% [markdown]
# The visit plan of section 4 gives each visit a **purpose** (agree the year's plan, agree
# the peak-season needs, check the stock build-up, review the year...). The purpose is
# the goal of step 1; the eight steps are how the visit reaches it.

# %% [markdown]
# ## 2. Relationship levels and stages
#
# ### How much relationship does an account deserve?
#
# Kotler distinguishes five **levels of relationship** a seller can have with a customer:
#
# | level | what we do |
# |---|---|
# | **basic** | sell the product and do not follow up |
# | **reactive** | sell and ask the customer to call us with questions or problems |
# | **accountable** | call or visit after the sale to check that all is well |
# | **proactive** | come regularly with suggestions: better use, new products, trials |
# | **partnership** | work continuously with the customer to find savings and new value |
#
# Each level costs more than the one before. Which one pays depends on **how many
# customers like this one we have** and **the margin** they bring (Kotler, *Marketing
# Management*):
#
# | | low margin | medium margin | high margin |
# |---|---|---|---|
# | **many customers** | basic (or reactive) | reactive | accountable |
# | **medium number** | reactive | accountable | proactive |
# | **few customers** | accountable | proactive | partnership |
#
# The table has a simple structure: counting *many* = 0, *medium* = 1, *few* = 2 and
# *low* = 0, *medium* = 1, *high* = 2 margin, the grid's level is their **sum**
# (0 = basic … 4 = partnership). For one account, "how many customers like it" is read
# from its revenue rank among the active customers of the year (the top `few_share` are
# *few*, the top `medium_share` a *medium* number, the rest *many*), and the margin is
# gross margin / revenue (`margin_basis = "net"` uses profit after rebates and cost to
# serve); the thresholds are settings (`service.relationship`, printed below).
#
# **One rule added to Kotler's grid: the [growth rule](../docs/glossary.md#growth-rule).** The grid looks at today's size and margin only. But
# chapter 01 made some customers key *for their growth*: the class-B accounts (grown at
# least 10% in each of the last two years). The playbook recommends **one level more**
# for the ABC classes in `service.relationship.growth_classes` (class B by default), as an
# investment in the growth they were chosen for (never beyond partnership). So the
# **recommended level = the grid's sum, plus one for a growth class**.
#
# The level an account **gets** is read from the interactions of the year (visits, executive
# visits, joint activities such as trials and trainings, and any contact at all); the rules
# are printed below. The **gap** is recommended − observed, in levels.

# %%
rel = s.service.relationship
print(f"few customers like it: revenue rank in the top {formatting.pct(rel.few_share)} of active customers; "
      f"a medium number: in the top {formatting.pct(rel.medium_share)}; else many")
print(f"margin ({rel.margin_basis}): low below {formatting.pct(rel.margin_low)}, high from {formatting.pct(rel.margin_high)}")
print(f"one level more for ABC class {', '.join(rel.growth_classes) or '(none)'}")
print(f"observed: reactive = any contact; accountable = {rel.accountable_min_visits}+ visits; "
      f"proactive = {rel.proactive_min_visits}+ visits and {rel.proactive_min_joint}+ joint activity; "
      f"partnership = {rel.partnership_min_visits}+ visits, {rel.partnership_min_executive}+ executive visit "
      f"and {rel.partnership_min_joint}+ joint activities")

# %%
levels = service.relationship_levels(kd, s, accounts)
tables.table(levels[["abc_class", "revenue_rank", "customers_band", "margin_pct",
                     "margin_band", "recommended_level", "observed_level", "gap"]],
             formats={"margin_pct": "pct:1", "gap": "number:0", "revenue_rank": "count"},
             columns={"margin_pct": "margin", "customers_band": "customers like it", "abc_class": "ABC class"},
             top=10, what="key accounts")

# %%
# NBVAL_CHECK_OUTPUT
print("Recommended level (key accounts):")
for level in service.LEVELS:
    print(f"  {level:<12} {(levels['recommended_level'] == level).sum():>3}")
under = (levels["gap"] > 0).sum()
over = (levels["gap"] < 0).sum()
if levels["recommended_level"].isna().all():
    print("The data has no cost of goods, so no level can be recommended (the grid needs "
          f"the margin): {unknowns.add_text('costs')}.")
if levels["observed_level"].isna().all():
    print("The data has no interactions, so the level we serve at cannot be observed: "
          f"{unknowns.add_text('interactions')}.")
if levels["gap"].notna().any():
    print(f"At the right level: {(levels['gap'] == 0).sum()}; under-served: {under}; "
          f"served beyond their margin: {over}")

# %%
service_plots.relationship_grid(levels, growth_classes=rel.growth_classes);

# %%
steps_of = {"many": 0, "medium": 1, "few": 2, "low": 0, "high": 2}
grid_sum = levels["customers_band"].map(steps_of) + levels["margin_band"].map(steps_of)
grid_level = grid_sum.map(dict(enumerate(service.LEVELS)))
moved_up = levels["recommended_level"] != grid_level
by_grid = grid_level.value_counts().reindex(service.LEVELS, fill_value=0)
by_rec = levels["recommended_level"].value_counts().reindex(service.LEVELS, fill_value=0)
display(tables.table(pd.DataFrame({"by the grid alone": by_grid, "recommended (grid + growth rule)": by_rec})
                     .rename_axis("level"), formats={"by the grid alone": "count",
                                                     "recommended (grid + growth rule)": "count"}, top=None))
display(prose.say(
    "The grid's cells count accounts by their size and margin; the recommended level adds the growth "
    f"rule. The difference is the {prose.count(int(moved_up.sum()), 'account')} of class "
    f"{', '.join(rel.growth_classes) or '(none)'} moved one level up (\"+1\" in their cells)."
    if moved_up.any() else "No account is in a growth class, so the grid and the recommendation agree."))

# %%
service_plots.relationship_gap(levels);

# %% [markdown]
# Below the diagonal (hatched) an account gets less than its size and margin deserve:
# raise the level — more visits, a trial, an executive visit. Above it, the account gets
# more than its margin pays for. Look at who they are:

# %%
# NBVAL_CHECK_OUTPUT
beyond = levels.loc[levels["gap"] < 0].sort_values("gap")
for cid, r in beyond.head(notebook.LIST).iterrows():  # a long list: the first ones, then how many more
    print(f"{cid}  margin {formatting.pct(r['margin_pct'], 1):>6}  recommended "
          f"{r['recommended_level']:<12} observed {r['observed_level']:<12} gap {r['gap']:+d}")
notebook.more(len(beyond), notebook.LIST, what="accounts served beyond their margin")

# %%
if len(beyond):
    bands = beyond["customers_band"].value_counts()
    display(prose.say(
        f"{prose.count(len(beyond), 'account')} {'gets' if len(beyond) == 1 else 'get'} more than "
        f"{'its' if len(beyond) == 1 else 'their'} size and margin call for: "
        + ", ".join(f"{prose.count(n)} among *{band}* customers like {'it' if n == 1 else 'them'}"
                    for band, n in bands.items())
        + f", with margins from {prose.pct(beyond['margin_pct'].min(), 1)} to "
          f"{prose.pct(beyond['margin_pct'].max(), 1)}. That can be a deliberate investment or a habit; "
          "the account plan should say which."))
elif levels["gap"].notna().any():
    display(prose.say("No key account gets more than its size and margin call for."))

# %% [markdown]
# The extreme case is not among the key accounts, because chapter 01 keeps
# [loss makers](../docs/glossary.md#loss-maker) off the key list: the **large customers
# that lose money** after discounts, rebates and cost to serve. Put the class-A loss
# makers of the selection through the same grid:

# %%
# NBVAL_CHECK_OUTPUT
from kamlib import selection

everyone = selection.key_accounts(kd, s)
loss_makers = everyone.loc[everyone["is_loss_maker"] & (everyone["abc_class"] == "A")]
lossy = service.relationship_levels(kd, s, loss_makers)
for cid, r in lossy.head(notebook.LIST).iterrows():  # a long list: the first ones, then how many more
    observed = r["observed_level"] if pd.notna(r["observed_level"]) else unknowns.WORD
    gap = f"{int(r['gap']):+d}" if pd.notna(r["gap"]) else unknowns.WORD
    print(f"{cid}  rank {r['revenue_rank']:>3}  margin {formatting.pct(r['margin_pct'], 1):>5}  "
          f"recommended {r['recommended_level']:<12} observed {observed:<12} gap {gap}")
notebook.more(len(lossy), notebook.LIST, what="class-A loss makers")

# %%
if len(lossy) and lossy["observed_level"].isna().all():
    print("The data has no interactions, so the service the large loss makers get cannot be "
          f"set against the grid: {unknowns.add_text('interactions')}.")
elif len(lossy):
    over_served = lossy.loc[lossy["gap"] < 0]
    top_level = lossy["observed_level"].map({lv: i for i, lv in enumerate(service.LEVELS)}).max()
    display(prose.say(
        f"{prose.count(len(lossy), 'large loss maker')} with gross margins of "
        f"{prose.pct(lossy['margin_pct'].min(), 1)} to {prose.pct(lossy['margin_pct'].max(), 1)}; "
        f"{'all' if len(over_served) == len(lossy) > 1 else prose.count(len(over_served))} of them {'gets' if len(over_served) == 1 else 'get'} more service "
        f"than the grid recommends, up to the *{service.LEVELS[int(top_level)]}* level.",
        "For them the answer is not more service but a different deal — fewer visits, service "
        "charged, better prices ([chapter 03](03_design_rebates_and_prices.ipynb)) — or an honest "
        "conversation about the relationship."))

# %% [markdown]
# ### Relationship stages
#
# Levels describe what *we* do. Stages describe where the *relationship* stands
# (McDonald, Millman & Rogers, *Key account management*, 1997): **exploratory** (testing
# each other), **basic** (transactional, one contact on each side: the "bow tie"),
# **cooperative** (several contacts, we are one supplier among others),
# **interdependent** (we are the main supplier, both depend on each other),
# **integrated** (one team, joint plans) — and **disintegrating**, which can happen at any
# stage. `relationship_levels` gives an indicative stage from the customer's age, its
# volume trend and its share of wallet:

# %%
# NBVAL_CHECK_OUTPUT
if levels["stage"].notna().any() or not len(levels):
    for stage in service.STAGES:
        n = (levels["stage"] == stage).sum()
        print(f"{stage:<15} {n:>3}  {service.STAGE_MEANING[stage]}")
else:  # the stage reads the contacts we keep with the customer
    print("The data has no interactions, so the relationship stage cannot be told: "
          f"{unknowns.add_text('interactions')}.")

# %% [markdown]
# ### What this means for the account manager
#
# - Give each account the level its size and margin justify — not the level its buyer
#   asks for. The grid tells you where to invest (under-served) and where to hold back.
# - An account served beyond its margin is a warning: check its cost to serve and its
#   prices before adding service.
# - A *disintegrating* account needs attention now: a visit by the decision maker's
#   counterpart, a review of the complaints, something new to offer (see the periodic review, [chapter 05](05_review_key_accounts.ipynb)).

# %% [markdown]
# ## 3. Service packages and the cost to serve them
#
# Segments were made to be served differently (chapter 02). The **service menu** lists
# what we can offer, to which segment and which class (as shipped with the playbook; the
# table below is the menu in force, from the settings file):
#
# - *every* key account: supply priority before the peak season; class A and B a key
#   account plan reviewed each quarter; class A the annual key-customer conference;
# - *price-sensitive*: the cumulative-volume rebate report, off-season stocking offers,
#   big packs and economy grades — and, over time, showing the value of service;
# - *service-sensitive*: [**proactive** service](../docs/glossary.md#proactive-service)
#   (remind them of the services they are entitled to, check storage and handling to
#   prevent misuse) and [**value-added** service](../docs/glossary.md#value-added-service)
#   (a technical advisor who knows their production, regular technical news);
# - *technology-sensitive*: custom grades, free application trials on site, training,
#   shared R&D and joint development.
#
# Each service has a yearly time and a resource pool. Its **cost** uses the same price
# list as the [cost to serve](../docs/glossary.md#cost-to-serve) of chapter 01
# ([time-driven activity-based costing](../docs/glossary.md#time-driven-activity-based-costing),
# Kaplan & Anderson 2004): minutes × capacity cost rate of the pool, and each planned visit at the
# cost of a visit. The budget is set against the **gross margin it protects**.

# %%
menu = pd.DataFrame(
    [(i.name, i.kind, ", ".join(i.segments), "".join(i.classes), i.minutes_per_year, i.pool)
     for i in s.service.packages.menu],
    columns=["service", "kind", "segments", "classes", "minutes_per_year", "pool"],
)
tables.table(menu, formats={"minutes_per_year": "minutes", "classes": "id", "kind": "id"},
             columns={"minutes_per_year": "time a year"}, top=None)

# %%
packages = service.service_packages(kd, s, accounts)
tables.table(packages[["abc_class", "segment", "n_services", "visits_per_year", "cost_to_serve_budget",
                       "current_service_cost", "gross_margin", "budget_share_of_margin"]],
             formats={"n_services": "count", "visits_per_year": "count", "budget_share_of_margin": "pct"},
             columns={"abc_class": "ABC class", "n_services": "services", "visits_per_year": "visits a year",
                      "cost_to_serve_budget": "package budget", "current_service_cost": "cost to serve now",
                      "budget_share_of_margin": "budget, share of margin"},
             top=10, what="key accounts")

# %%
# NBVAL_CHECK_OUTPUT
share = s.service.packages.max_share_of_margin
print(f"Total service budget for {plan_year}: {formatting.eur(packages['cost_to_serve_budget'].sum())}")
print(f"Key accounts' gross margin {analysis_year}: "
      f"{unknowns.cell(kd.available, 'gross_margin', packages['gross_margin'].sum(min_count=1), formatting.eur)}")
print(f"Accounts whose package costs more than {formatting.pct(share)} of their margin: "
      f"{(~packages['within_budget']).sum()}")

# %%
service_plots.cost_vs_margin(packages, s.service.packages.max_share_of_margin);

# %% [markdown]
# ### What this means for the account manager
#
# - The package is a promise: list it in the account plan (section 7), deliver it, and
#   remind the customer of it — unseen service earns no loyalty.
# - Above the dashed line the package costs more than the margin can carry (the sentence
#   below says who is there in this data). Plan fewer visits, replace some by calls, or —
#   for a class-B account — make sure the growth that made it B is real.

# %%
heavy = packages.loc[~packages["within_budget"]]
if len(heavy):
    cls = heavy["abc_class"].value_counts()
    cyc = service.visit_frequencies(accounts, s, kd.customers).loc[heavy.index, "visit_cycle"].value_counts()
    display(prose.say(
        f"Above the line: {prose.count(len(heavy), 'account')} — "
        + ", ".join(f"class {c}: {prose.count(n)}" for c, n in cls.items())
        + "; visited " + ", ".join(f"{cycle} {prose.count(n)}" for cycle, n in cyc.items())
        + f"; median gross margin {prose.money(heavy['gross_margin'].median())} against "
          f"{prose.money(packages['gross_margin'].median())} for all key accounts."))

# %% [markdown]
# ## 4. The visit plan
#
# ### Frequencies
#
# Key account management asks for **planned** annual, quarterly and monthly visits, each
# with a goal, on good routes, and [**executive visits**](../docs/glossary.md#executive-visit)
# to the top accounts (McDonald & Rogers 1998). The frequency follows the class, with
# exceptions by segment; the executive visits go to the accounts with the best score of
# chapter 01's scorecard. The rules in force (settings `service.visits`):

# %%
sv = s.service.visits
print("visits a year by class: " + ", ".join(f"{c} {n}" for c, n in sv.per_year_by_class.items()))
print("exceptions by class and segment: " + (", ".join(f"{k} {n}" for k, n in sv.per_year_by_class_segment.items()) or "none"))
print(f"executive visits: {sv.executive_per_year} a year for the {sv.executive_top_n} key accounts with the best score")

# %%
# NBVAL_CHECK_OUTPUT
freq = service.visit_frequencies(accounts, s, kd.customers)
for cycle, n in freq["visit_cycle"].value_counts().items():
    print(f"{cycle:<18} {n:>3} accounts")
print(f"Executive visits: {freq['executive_visits_per_year'].sum()} "
      f"(for {freq['is_top_account'].sum()} top accounts)")
print(f"Visits to plan in {plan_year}: {freq['visits_per_year'].sum() + freq['executive_visits_per_year'].sum()}")

# %% [markdown]
# ### From frequencies to a calendar
#
# `service.visit_plan` places every visit in a week of the plan year:
#
# 1. visit *k* of *f* falls in **period *k*** of the year — a monthly account once a
#    month, a quarterly account once a quarter (a week belongs to the month of its
#    Thursday, the ISO 8601 rule); the [**blocked weeks**](../docs/glossary.md#blocked-week) (holidays, trade fairs:
#    `blocked_weeks`) get no visit;
# 2. an account manager makes at most **`capacity_per_week`** visits a week (executive
#    visits count, the account manager goes along), and an account gets at most one visit
#    a week;
# 3. week by week, visits whose period ends are planned first, then as many as keep an
#    even pace, **preferring the countries already on this week's route**; accounts of the
#    same frequency are spread evenly over each period in route order, so neighbours fall
#    in the same week;
# 4. a visit that does not fit in its period is **not** moved: the account is listed in
#    `plan.unplanned` with the reason. The plan never pretends.

# %%
print(f"blocked weeks: {', '.join(map(str, sv.blocked_weeks)) or 'none'}; capacity: "
      f"{sv.capacity_per_week} visits a week per account manager"
      + (f" (exceptions: {sv.capacity_by_manager})" if sv.capacity_by_manager else ""))
plan = service.visit_plan(accounts, s, plan_year, customers=kd.customers)
tables.table(plan.visits[["account_manager", "customer_id", "customer_name", "country", "date", "week",
                          "visit_type", "purpose"]],
             formats={"week": "id"}, top=8, what="visits")

# %%
# NBVAL_CHECK_OUTPUT
if len(accounts) > 0:
    load = plan.load()
    routes = plan.visits.groupby(["account_manager", "week"])["country"].nunique()
    print(f"Visits planned for {plan.year}: {len(plan.visits)} "
          f"({(plan.visits['visit_type'] == 'executive visit').sum()} executive visits)")
    print(f"Accounts that cannot get their frequency: {plan.unplanned['customer_id'].nunique()}")
    print(f"Busiest week of any account manager: {load.to_numpy().max() if load.size else 0} visits "
          f"(capacity {s.service.visits.capacity_per_week})")
    print(f"Manager-weeks on a single-country route: {formatting.pct((routes == 1).mean())}")
    if plan.unassigned:
        print(service.unassigned_note(plan))

# %%
who = account_manager or notebook.pick(plan.visits["account_manager"].value_counts(), "max",
                                       what="planned visit")
if who is not None:
    service_plots.visit_calendar(plan, who);

# %%
weeks = service.iso_weeks(plan_year, sv.blocked_weeks)
open_weeks = weeks.groupby("month")["is_blocked"].apply(lambda b: int((~b).sum()))
all_weeks = weeks.groupby("month").size()
squeezed = [m for m in open_weeks.index if open_weeks[m] < all_weeks[m]]
display(prose.say(
    "Each row is an account, each dot a visit, the star an executive visit. The monthly accounts "
    "form regular lines; the blocked weeks (hatched) stay empty"
    + ("; " + "; ".join(
        f"{pd.Timestamp(plan_year, m, 1):%B}'s visits fit into its "
        f"{prose.count(open_weeks[m])} open week{'s' if open_weeks[m] != 1 else ''} of {prose.count(all_weeks[m])}"
        for m in squeezed) if squeezed else "")
    + ". The whole team's load:"))

# %%
if len(accounts) > 0:
    service_plots.visit_load(plan);

# %% [markdown]
# ### What happens when the capacity is too small
#
# Cut the capacity to a **quarter** of what the settings give (a year in which each
# account manager has only a quarter of the usual time for visits; exercise 1 below halves
# it) and the plan says which accounts it
# can no longer serve, and why — the conversation to have *before* the year starts, not in
# November:

# %%
full_capacity = sv.capacity_per_week
quarter_capacity = max(1, full_capacity // 4)
display(prose.say(f"Capacity: **{prose.count(quarter_capacity)}** visits a week per account manager "
                  f"instead of {prose.count(full_capacity)}."))
if len(accounts) > 0:
    tight = settings.replace(s, "service.visits.capacity_per_week", quarter_capacity)
    tight_plan = service.visit_plan(accounts, tight, plan_year, customers=kd.customers)
    display(tables.table(tight_plan.unplanned, top=6, what="accounts short",
                         columns={"visits_required": "visits needed", "visits_planned": "visits planned"}))

# %%
# NBVAL_CHECK_OUTPUT
if len(accounts) > 0:
    missing = (tight_plan.unplanned["visits_required"] - tight_plan.unplanned["visits_planned"]).sum()
    print(f"With {quarter_capacity} visits a week instead of {full_capacity}: "
          f"{prose.count(tight_plan.unplanned['customer_id'].nunique(), 'account')} short "
          f"of their frequency, {prose.count(missing, 'visit')} missing")

# %% [markdown]
# ### The calendar in Outlook, Google or Apple Calendar
#
# `calendar_export.write_ics` writes one iCalendar file (RFC 5545) per account manager:
# all-day events with the customer, the purpose and the place. Re-importing a corrected
# plan updates the events (each visit has a stable `UID`) instead of duplicating them.

# %%
paths = calendar_export.write_ics(plan, calendar_dir)
print("\n".join(p.name for p in paths))

# %%
if who is not None:
    ics = calendar_export.to_ics(plan, who)
    print("\n".join(ics.splitlines()[:22]))

# %% [markdown]
# ### What this means for the account manager
#
# - Your year is planned before it starts: every key account gets its visits, with a
#   purpose each, in weeks that fit your capacity and your routes. Import the .ics file
#   and move a visit inside its month if you must — not out of it.
# - If the plan lists unplanned accounts, raise it now: more capacity, fewer visits for
#   some classes, or accounts moved to a colleague.
# - Keep the eight steps on every visit; record the visit the same day, so that the
#   observed relationship level (section 2) reflects what you did.

# %% [markdown]
# ## 5. Complaints
#
# ### The workflow
#
# A complaint answered fast and fairly can strengthen a relationship; one that drifts
# between departments ends it. The practitioner sources define a workflow with **named
# roles**:
# **customer service owns every complaint**; the **key account manager decides on returned
# goods**; sales administration, production, the area manager and the sales VP each have
# one step. Each complaint triggers the same internal process and is answered fast. The
# steps follow ISO 10002:2018 (receive, acknowledge, assess, investigate, respond,
# close).

# %%
tables.table(pd.DataFrame(service.COMPLAINT_WORKFLOW, columns=["step", "role", "action"]),
             formats={"step": "id"}, top=None)

# %%
service_plots.complaint_workflow();

# %% [markdown]
# ### The figures
#
# Three numbers tell whether the workflow works (`service.complaint_metrics`):
#
# - **complaints per 100 orders** = 100 × complaints / orders — the rate the customer feels;
# - **complaints per tonne** = complaints / tonnes delivered — comparable across customers
#   of different order sizes;
# - **days to resolve** (mean, median, share closed within the target of `service.complaints.target_days`) and the
#   **open complaints** — the speed of the answer.
#
# By account manager (the customer's manager), for the analysis year:

# %%
by_manager = service.complaint_metrics(kd, "account_manager", years=analysis_year, s=s)
COMPLAINT_FORMATS = {"volume_t": "number:1", "complaints_per_100_orders": "number:1",
                     "complaints_per_tonne": "number:3", "mean_days_to_resolve": "days:1",
                     "median_days_to_resolve": "days:1", "resolved_within_target": "pct"}
COMPLAINT_HEADERS = {"volume_t": "volume (t)", "open_complaints": "open",
                     "complaints_per_100_orders": "per 100 orders", "complaints_per_tonne": "per tonne",
                     "mean_days_to_resolve": "to resolve, mean", "median_days_to_resolve": "to resolve, median",
                     "resolved_within_target": "closed within target", "on_time_in_full_rate": "on time in full"}
complaints_known = kd.has("interactions")  # no interactions: no complaint is recorded, not none made
if complaints_known:
    display(tables.table(by_manager, formats=COMPLAINT_FORMATS, columns=COMPLAINT_HEADERS, top=None))
else:
    print("The data has no interactions, so complaints cannot be counted (an export without "
          f"them records none, it does not show that none were made): {unknowns.add_text('interactions')}.")

# %%
# NBVAL_CHECK_OUTPUT
m = by_manager
if complaints_known:
    print(f"Complaints {analysis_year}: {m['complaints'].sum()}, "
          f"{100 * m['complaints'].sum() / m['orders'].sum():.1f} per 100 orders, "
          f"{m['complaints'].sum() / m['volume_t'].sum():.3f} per {formatting.per_tonne_label()}")
    print(f"Open at the end of the year: {m['open_complaints'].sum()}; "
          f"target: closed within {s.service.complaints.target_days:g} days")
    for who_, r in m.sort_values("complaints_per_100_orders", ascending=False).iterrows():
        print(f"  {who_:<16} {r['complaints_per_100_orders']:5.1f} per 100 orders, "
              f"{formatting.pct(r['resolved_within_target'])} closed within target")

# %%
if complaints_known:
    service_plots.complaint_rates(by_manager);

# %% [markdown]
# By product, the figures point at the process — production, packaging, supply chain —
# rather than at people (the main reason says which):

# %%
by_product = service.complaint_metrics(kd, "product_id", years=analysis_year, s=s)
if complaints_known:
    display(tables.table(by_product, formats=COMPLAINT_FORMATS, columns=COMPLAINT_HEADERS, top=6,
                         what="products"))

# %%
if len(by_product) and complaints_known:
    reasons = by_product["main_reason"].value_counts()
    display(prose.say(
        "Main reason by product: " + ", ".join(f"*{why}* for {prose.count(n, 'product')}" for why, n in reasons.items())
        + f"; the highest rate per tonne is {by_product['complaints_per_tonne'].idxmax()}'s "
          f"({by_product['complaints_per_tonne'].max():.3f} complaints per tonne)."))

# %% [markdown]
# By customer, the key accounts with the most complaints — the list customer service and
# the account manager go through together each month:

# %%
by_customer = service.complaint_metrics(kd, "customer_id", years=analysis_year, s=s)
shown = by_customer.loc[by_customer.index.isin(accounts.index)].drop(
    columns=["account_manager", "mean_days_to_resolve"], errors="ignore")
if complaints_known:
    display(tables.table(shown, formats={k: v for k, v in COMPLAINT_FORMATS.items() if k in shown.columns},
                         columns=COMPLAINT_HEADERS, top=8, what="key accounts"))

# %% [markdown]
# ### Complaints, satisfaction and appraisal
#
# Rising complaints are one of the first signs that a relationship decays (Levitt: the
# attention of both sides weakens over time; the periodic review of [chapter 05](05_review_key_accounts.ipynb) catches it). The rate
# two years ago and now, for the key accounts:

# %%
trend = service.complaint_trend(kd, s, accounts.index)
rising = trend.loc[trend["rising"]].sort_values("change", ascending=False)
year_cols = [c for c in rising.columns if isinstance(c, (int, np.integer))]
if complaints_known:
    display(tables.table(
        rising.drop(columns=["rising"]), formats={**{c: "number:1" for c in year_cols}, "change": "number:1"},
        columns={**{str(c): f"per 100 orders {c}" for c in year_cols}, "change": "change, points",
                 "complaints": f"complaints {analysis_year}"},
        what="key accounts"))

# %%
# NBVAL_CHECK_OUTPUT
if complaints_known:
    print(f"Key accounts with rising complaints: {len(rising)} of {len(trend)}")
    print("Their stages:", ", ".join(f"{k} {v}" for k, v in
                                     levels.loc[rising.index, "stage"].value_counts().items()))

# %% [markdown]
# ### What this means for the account manager
#
# - Customer service owns the case; you own the decision on returned goods and the
#   conversation with the customer. Answer within the target, and call the customer when
#   it is closed.
# - The appraisal of account managers and of customer service is tied to the customers'
#   satisfaction and the complaint rate (the practitioner sources are explicit). Use the rate per 100
#   orders and the share closed in target, not the raw count: a manager with large,
#   frequent-ordering accounts has more complaints without serving worse.
# - A key account whose complaints rise needs a visit with a purpose: what went wrong,
#   what we changed, what we will do differently.

# %% [markdown]
# ## 6. Supply priority before the peak season
#
# At the sample company, niacin demand peaks from **September to November** and June to
# August is the slack season (the months are settings: `service.supply.peak_months`).
# Key customers get product first, especially before the peak, and their needs and stock
# levels are **agreed in advance**. For that the account manager needs a number per
# customer and month.
#
# `service.seasonal_need` forecasts it from history by the *seasonal average with a level
# adjustment* (Hyndman & Athanasopoulos, *Forecasting: principles and practice*, §5.2):
#
#     expected(month) = mean of the same month over the last H years × trend
#     trend           = last year's kg / mean yearly kg of the H years   (bounded)
#
# It uses the **ordered** kg, so that a short delivery does not lower the next forecast.
# `service.supply_priority` keeps the lead months (when stock is built) and the peak
# months, adds a safety reserve and gives the date by which to agree. The values in force:

# %%
sup = s.service.supply
lead_months, peak_months = service.supply_window(s)
month_name = {m: pd.Timestamp(2000, m, 1).strftime("%b") for m in range(1, 13)}
print(f"history H = {sup.history_years} years; trend bounded {sup.trend_min:g} to {sup.trend_max:g}")
print(f"lead months {', '.join(month_name[m] for m in lead_months)}; peak months "
      f"{', '.join(month_name[m] for m in peak_months)}; safety reserve {formatting.pct(sup.safety_share)}")

# %%
supply = service.supply_priority(kd, s, accounts)
months = [month_name[m] for m in lead_months + peak_months if month_name[m] in supply.columns]
tables.table(supply[months + ["peak_kg", "reserve_kg", "trend", "agree_by"]],
             formats={**{m: "kg" for m in months}, "trend": "number:2"},
             columns={"peak_kg": "peak need", "reserve_kg": "reserve with safety stock",
                      "trend": "trend factor", "agree_by": "agree by"},
             top=8, what="key accounts")

# %%
# NBVAL_CHECK_OUTPUT
print(f"Key accounts' expected need, peak {plan_year}: {formatting.kg(supply['peak_kg'].sum())}; "
      f"reserve with safety stock: {formatting.kg(supply['reserve_kg'].sum())}")
if len(supply):
    print(f"Agree by: {supply['agree_by'].iloc[0]:%d %B %Y}")
top5 = supply["share_of_peak"].head(5).sum()
print(f"The 5 largest needs are {formatting.pct(top5)} of the key accounts' peak")

# %%
if len(accounts) > 0:
    need = service.seasonal_need(kd, s, accounts.index)
    history = service.monthly_volume(kd, accounts.index, range(analysis_year - 2, analysis_year + 1))
    service_plots.supply_profile(need, history, s);

# %% [markdown]
# **How good is the method?** A [back-test](../docs/glossary.md#back-test): forecast the year we already know (from the H years before
# it) and compare:

# %%
# NBVAL_CHECK_OUTPUT
if len(accounts) > 0:
    back = service.seasonal_need(kd, s, accounts.index, plan_year=analysis_year)
    actual = service.monthly_volume(kd, accounts.index, [analysis_year])[analysis_year]
    peak_months = service.supply_window(s)[1]
    f, a = back[peak_months].sum().sum(), actual[peak_months].sum()
    print(f"Peak {analysis_year}: forecast {formatting.kg(f)}, ordered {formatting.kg(a)} "
          f"({(f - a) / a:+.0%})")
    print(f"Peak share of the year: forecast {formatting.pct(back[peak_months].sum().sum() / back[list(range(1, 13))].sum().sum())}, "
          f"actual {formatting.pct(a / actual.sum())}")

# %%
if len(accounts) > 0:
    share_f = back[peak_months].sum().sum() / back[list(range(1, 13))].sum().sum()
    share_a = a / actual.sum()
    display(prose.say(
        f"The **shape** of the season: the peak's share of the year is forecast at {prose.pct(share_f)} "
        f"against {prose.pct(share_a)} ordered. The **level**: the peak's volume is off by "
        f"{prose.signed_pct((f - a) / a, 0)}, and it depends on the trend assumption."))

# %% [markdown]
# The level is the uncertain part. That is why the number is *agreed* with the customer
# and not only computed: the account manager brings the forecast to the June visit, the customer
# corrects it with its own production plan, and supply chain reserves the agreed stock.
#
# ### What this means for the account manager
#
# - Before July, agree each key account's peak-season need and the stock we hold for it;
#   the visit plan puts an "agree peak-season needs" visit in the quarter before.
# - Offer the off-season price to build that stock in July and August: the customer buys
#   cheaper, our plant runs in the slack months, and the peak is secured.
# - Watch the largest needs: the share of the five largest (printed above) says how much
#   of the peak rests on a handful of accounts.

# %% [markdown]
# ## 7. Objectives of the key account plan
#
# Each key account has a plan with **quantitative targets** — products, price, volume,
# revenue, visit cycles of sales and executives, training dates — and **qualitative**
# ones: the services to provide. Targets are set yearly, bottom-up then top-down, and
# reviewed at least quarterly. `service.objectives` proposes them from history and
# potential (settings `service.objectives`):
#
# - volume: last year × (1 + g). The growth g starts from the growth of the account's
#   class and moves part of the way (`trend_weight`) towards the account's own yearly
#   growth of the last two years (history), within a floor and a cap; an increase stops at
#   a share (`max_share_of_wallet`) of the customer's estimated total use (its potential);
# - price: last year's net price × (1 + the price change of its segment);
# - revenue = volume × price; share of wallet = volume / estimated use;
# - visit cycle and executive visits from section 4; training dates on planned visits;
#   services from the package of section 3.
#
# The account-plan reports call the same function, so what you edit here is what they
# print. The values in force:

# %%
ob = s.service.objectives
print("growth by class: " + ", ".join(f"{c} {formatting.pct(g, 1)}" for c, g in ob.volume_growth_by_class.items())
      + f"; moved {formatting.pct(ob.trend_weight)} of the way towards the account's own growth")
print(f"growth between {formatting.pct(ob.growth_min)} and {formatting.pct(ob.growth_max)}; "
      f"an increase stops at {formatting.pct(ob.max_share_of_wallet)} of the estimated total use")
print("price change by segment: " + ", ".join(f"{seg} {formatting.pct(c, 1)}" for seg, c in ob.price_change_by_segment.items()))

# %%
obj = service.objectives(kd, s, accounts, plan=plan)
tables.table(obj[["volume_kg", "target_volume_kg", "volume_growth", "target_net_price",
                  "target_revenue", "share_of_wallet", "target_share_of_wallet", "training_dates"]],
             formats={"volume_growth": "pct:1", "target_net_price": "price"},
             columns={"volume_kg": f"volume {analysis_year}", "target_volume_kg": f"target volume {plan_year}",
                      "volume_growth": "growth", "net_price": f"net price {analysis_year}",
                      "target_net_price": "target net price"},
             top=8, what="key accounts")

# %%
# NBVAL_CHECK_OUTPUT
print(f"Key accounts' volume {analysis_year}: {formatting.kg(obj['volume_kg'].sum())} -> "
      f"target {plan_year}: {formatting.kg(obj['target_volume_kg'].sum())} "
      f"({notebook.ratio(obj['target_volume_kg'].sum(), obj['volume_kg'].sum()) - 1:+.1%})")
print(f"Revenue {analysis_year}: {formatting.eur(obj['revenue'].sum())} -> "
      f"target: {formatting.eur(obj['target_revenue'].sum())}")
grow, shrink = (obj["volume_growth"] > 0.005).sum(), (obj["volume_growth"] < -0.005).sum()
print(f"Accounts planned to grow: {grow}, to hold: {len(obj) - grow - shrink}, "
      f"to shrink: {shrink}")

# %% [markdown]
# Bottom-up, history and potential give a sober plan: accounts that grew keep part of
# their momentum, accounts that shrank are planned to shrink less than they did.
# Targets are set bottom-up *then* top-down: management compares this sum with the
# company's goal, and the gap is what the account plans must find — in the potential of
# the accounts with a low share of wallet, and in the growing class-B accounts.

# %%
if len(accounts) > 0:
    service_plots.objectives_volume(obj);

# %% [markdown]
# **Editing a target.** The proposal is a starting point. The account manager who knows
# that a customer opens a new premix line next year edits the target in the settings file
# (`[service.objectives.overrides]`, one line per account and column), or in a CSV named
# by `service.objectives.overrides_file` (write it with `obj.to_csv(...)`, edit it in
# Excel). Revenue and share of wallet follow; the `edited` column shows what was changed
# by hand. The example takes the account with the most room to grow (the lowest target
# share of wallet) and raises its proposed target by 15%:

# %%
room = obj["target_share_of_wallet"].dropna()
first = notebook.pick(room if len(room) else obj["target_volume_kg"], "min" if len(room) else "max",
                      what="key account with objectives")
if first is not None:
    new_target = round(obj.loc[first, "target_volume_kg"] * 1.15, -2)
    display(prose.say(
        f"{first} bought {prose.quantity(obj.loc[first, 'volume_kg'])} in {analysis_year}; the proposal is "
        f"{prose.quantity(obj.loc[first, 'target_volume_kg'])}. With the new line the manager writes:"
        f"\n\n```toml\n[service.objectives.overrides]\n\"{first}.target_volume_kg\" = {new_target:.0f}\n```"))
    edited_settings = settings.replace(s, "service.objectives.overrides",
                                       {f"{first}.target_volume_kg": new_target})
    edited = service.objectives(kd, edited_settings, accounts, plan=plan)
    display(tables.table(pd.concat([obj.loc[[first]], edited.loc[[first]]], keys=["proposed", "edited"],
                                    names=["", "customer_id"])[
        ["volume_kg", "target_volume_kg", "target_revenue", "target_share_of_wallet", "edited"]],
        columns={"volume_kg": f"volume {analysis_year}", "target_volume_kg": "target volume"}))

# %% [markdown]
# ### What this means for the account manager
#
# - Your key account plan starts with these proposals; change them where you know
#   better, and say why in the plan. Targets you set yourself are the ones you defend.
# - Check the targets against the potential: a target above the customer's total use is
#   a wish, not a plan.
# - The visit cycle, the training dates and the services are objectives too: the customer
#   will hold you to them.

# %% [markdown]
# ## Try it: frequencies and capacity
#
# Change the visits a year per class and the weekly capacity, and see whether the plan
# still fits (the static results above stay as they are). "Save to settings file" writes
# the choice to the settings file that the reports read.

# %%
from kamlib.widgets import service as service_widgets

service_widgets.visit_plan_explorer(accounts, s, customers=kd.customers,
                                    settings_file=settings_file)

# %% [markdown]
# ## Exercises
#
# Each exercise has a model answer right after it (code, then a short text). The
# learner's copy of this chapter (`make exercises`, in `build/exercises/`) has them
# removed: try first. Where the answer is a number, an id or a list, check it without
# seeing the answer: `exercises.check("04.4", your_answer)` answers *right* or *not yet*,
# with a hint (each exercise says the form of its answer).
#
# **Exercise 1.** The team loses a colleague for the year and capacity drops to 4 visits a
# week. Which accounts can no longer get their frequency, and for how many visits? What
# would you change first? Check: `exercises.check("04.1", {"accounts short": ...,
# "visits missing": ...})`.

# %% tags=["solution"]
if len(accounts) > 0:
    four = settings.replace(s, "service.visits.capacity_per_week", 4)
    p4 = service.visit_plan(accounts, four, plan_year, customers=kd.customers)
    short = p4.unplanned
    n_short = short["customer_id"].nunique()
    n_missing = int((short["visits_required"] - short["visits_planned"]).sum())
    print(f"{prose.count(n_short, 'account')} short, {prose.count(n_missing, 'visit')} missing")
    display(tables.table(short, top=notebook.LIST, what="accounts short",
                         columns={"visits_required": "visits needed", "visits_planned": "visits planned"}))
    display(exercises.check("04.1", {"accounts short": n_short, "visits missing": n_missing},
                            data_source=kd, settings_file=s))

# %% [markdown] tags=["solution"]
# *Model answer.* The table names the accounts short and the reason. First look at who
# they are: a short monthly account of class A is the one to protect (move it to a
# colleague with spare weeks, or give its manager more capacity through
# `capacity_by_manager`); where the accounts short are class B or C, lower their frequency
# for the year (monthly to every two months) and say so in their account plans. Do not
# quietly drop visits: the plan lists them so that the decision is made now.

# %% [markdown]
# **Exercise 2.** A trade fair blocks weeks 10 and 11. Add them to the blocked weeks: does
# every account still get its visits? In which weeks do the March visits now fall? Check:
# `exercises.check("04.2", {"every account gets its visits": "yes" or "no",
# "weeks of the March visits": [...]})`.

# %% tags=["solution"]
if len(accounts) > 0:
    blocked = tuple(s.service.visits.blocked_weeks) + (10, 11)
    fair = settings.replace(s, "service.visits.blocked_weeks", list(blocked))
    pf = service.visit_plan(accounts, fair, plan_year, customers=kd.customers)
    march = pf.visits.loc[pf.visits["month"] == 3, "week"].value_counts().sort_index()
    print("complete:", pf.is_complete, "| visits in weeks 10-11:", int(pf.visits["week"].isin([10, 11]).sum()))
    display(tables.table(march.rename("visits").rename_axis("week").reset_index(), formats={"week": "id"},
                         top=None))
    display(exercises.check("04.2", {"every account gets its visits": "yes" if pf.is_complete else "no",
                                     "weeks of the March visits": list(march.index)},
                            data_source=kd, settings_file=s))

# %% [markdown] tags=["solution"]
# *Model answer.* The monthly visits of March must stay in March (a week belongs to the
# month of its Thursday), so they are squeezed into March's remaining open weeks; the
# plan stays complete as long as those weeks have the capacity — the first line says
# whether they do. Visits are never moved to February or April: a monthly account would
# otherwise go two months without a visit.

# %% [markdown]
# **Exercise 3.** Which key accounts are served beyond their margin (gap < 0) **and** have
# rising complaints? What would you discuss with each of them? Check the ids:
# `exercises.check("04.3", ["C0..."])`.

# %% tags=["solution"]
both = levels.loc[levels["gap"] < 0].join(trend[["change", "rising"]])
both = both.loc[both["rising"].fillna(False).astype(bool)]
display(tables.table(both[["account_manager", "margin_pct", "recommended_level", "observed_level", "change"]],
                     formats={"margin_pct": "pct:1", "change": "number:1"},
                     columns={"margin_pct": "margin", "change": "complaints per 100 orders, change"},
                     top=notebook.LIST, what="accounts"))
display(exercises.check("04.3", list(both.index), data_source=kd, settings_file=s))

# %% [markdown] tags=["solution"]
# *Model answer.* These accounts get more visits and joint work than their margin pays
# for, and complain more all the same: more service has not bought satisfaction. Before
# the next visit, read the complaints (reasons and products, section 5): if they are about
# deliveries, the remedy is in supply chain, not in more visits. Then discuss the level
# openly — fewer but better-prepared visits, service charged, or a price that pays for the
# level the customer wants.

# %% [markdown]
# **Exercise 4.** Which product has the most complaints **per tonne** in the analysis
# year, and what is its main reason? Who in the workflow should act on it? Check the
# product id: `exercises.check("04.4", "P..")`.

# %% tags=["solution"]
by_product = service.complaint_metrics(kd, "product_id", years=analysis_year, s=s)
worst = notebook.pick(by_product["complaints_per_tonne"], "max", what="product with complaints")
if worst is not None:
    print(worst, round(by_product.loc[worst, "complaints_per_tonne"], 3),
          by_product.loc[worst, "main_reason"])
    display(exercises.check("04.4", worst, data_source=kd, settings_file=s))
# quality or packaging -> production (step 3); late or short deliveries -> supply chain

# %% [markdown] tags=["solution"]
# *Model answer.* Read the main reason of the product printed above. Quality or packaging
# complaints go to production (the investigation step of the workflow) with the batch
# numbers; late or short deliveries go to supply chain and sales administration. Customer
# service still owns every case and the key account manager still decides on returned
# goods — the product view only tells the process owner where to look.

# %% [markdown]
# **Exercise 5.** Back-test the supply forecast with one, two and three years of history
# (`service.supply.history_years`). Which forecasts the peak of the analysis year best?
# Check the number of years: `exercises.check("04.5", ...)`.

# %% tags=["solution"]
if len(accounts) > 0:
    actual = service.monthly_volume(kd, accounts.index, [analysis_year])[analysis_year]
    peak = service.supply_window(s)[1]
    err = {}
    for years in (1, 2, 3):
        sy = settings.replace(s, "service.supply.history_years", years)
        f = service.seasonal_need(kd, sy, accounts.index, plan_year=analysis_year)[peak].sum().sum()
        err[years] = (f - actual[peak].sum()) / actual[peak].sum()
        print(f"{years} year(s) of history: error {err[years]:+.1%}")
    best = min(err, key=lambda y: abs(err[y]))
    display(exercises.check("04.5", best, data_source=kd, settings_file=s))

# %% [markdown] tags=["solution"]
# *Model answer.* The smallest error (in absolute value) wins on this one year, but one
# year of back-test is thin evidence: a short history follows last year's level closely
# and is thrown off by one unusual year, a long one is steadier but slow to follow a
# trend. Repeat the back-test on the years before, and change
# `service.supply.history_years` only if the same choice wins in most of them.

# %% [markdown]
# **Exercise 6.** Raise the volume target of your largest class-A account by 8% over the
# proposal through the settings, and check that revenue and share of wallet follow. Check
# the new target revenue: `exercises.check("04.6", ...)` (EUR).

# %% tags=["solution"]
big = notebook.pick(obj.loc[obj["abc_class"] == "A", "volume_kg"], "max",
                    what="class-A key account")
if big is not None:
    new = round(obj.loc[big, "target_volume_kg"] * 1.08)
    s6 = settings.replace(s, "service.objectives.overrides", {f"{big}.target_volume_kg": new})
    o6 = service.objectives(kd, s6, accounts, plan=plan)
    display(tables.table(pd.concat([obj.loc[[big]], o6.loc[[big]]], keys=["proposed", "edited"],
                                   names=["", "customer_id"])[
        ["target_volume_kg", "target_revenue", "target_share_of_wallet", "edited"]],
        columns={"target_volume_kg": "target volume"}))
    display(exercises.check("04.6", o6.loc[big, "target_revenue"], data_source=kd, settings_file=s))

# %% [markdown] tags=["solution"]
# *Model answer.* The revenue target is the new volume times the proposed target price, so
# it rises by the same 8%; the target share of wallet rises with the volume. Check it
# against the potential: a target share above what the customer could plausibly give us
# (the cap of section 7) is a wish, not a plan — write down in the account plan what makes
# the extra volume real.

# %% [markdown]
# ## Check your understanding
#
# 1. Name the eight steps of a visit. Which of them prevent misuse of our product, and
#    which turn the visit into an order?
# 2. A customer is one of many like it and brings a high margin. Which relationship level
#    does Kotler recommend? And a customer that is one of few, with a low margin?
# 3. An account is observed at *partnership* level but recommended *accountable*. What
#    does that tell you, and what would you check first?
# 4. Why does the visit plan list an account as unplanned instead of moving its visit to
#    the next month?
# 5. Who owns a complaint, and who decides whether the goods come back?
# 6. Why compare complaints per 100 orders (or per tonne) rather than the number of
#    complaints when appraising account managers?
# 7. The forecast of the peak need is 20% above what the customer ordered last year.
#    What do you do with the number?
# 8. A proposed volume target is capped by the customer's potential. What is the
#    potential, and where does it come from?
#
# <details>
# <summary>Answers</summary>
#
# 1. Prepare; inspect and tidy outside; greet; tidy inside; check stock; recommend an
#    order; take the order; say goodbye. Inspecting/tidying (outside and inside) prevents
#    misuse in storage and use; checking stock, recommending and taking the order turn
#    the visit into an order.
# 2. Many customers + high margin → *accountable* (0 + 2). Few customers + low margin →
#    *accountable* as well (2 + 0): a big account with a thin margin deserves follow-up,
#    not a partnership. (If either is a class-B account, chosen for its growth, the
#    playbook recommends one level more: *proactive*.)
# 3. We give it more relationship than its size and margin pay for. Check its cost to
#    serve and its prices (is it one of the loss-making large customers?) before adding
#    anything; then reduce the service or improve the terms.
# 4. Because a monthly visit moved to the next month is no longer monthly: the plan would
#    hide the shortage. Listing it with the reason forces a decision (capacity,
#    frequency, or another manager) before the year starts.
# 5. Customer service owns every complaint (logs it, answers, closes it); the key account
#    manager decides on returned goods, replacement or credit.
# 6. Rates compare managers with accounts of different sizes and order habits; the raw
#    count punishes the manager with the largest, most frequently ordering accounts.
# 7. Bring it to the customer before the peak (by the `agree_by` date), let the customer
#    correct it with its own plan, then reserve the agreed quantity with supply chain.
#    The forecast is the start of the conversation, not the commitment.
# 8. The customer's estimated total use of the product (all suppliers together), from the
#    account manager's yearly assessment. Our volume cannot exceed it; an increase of the
#    target stops at the share `service.objectives.max_share_of_wallet` of it (90% as the
#    playbook ships).
#
# </details>
#
# ## Sources
#
# - P. Kotler, K. L. Keller, *Marketing Management*, Pearson (15th ed., 2016) — the five
#   levels of relationship (basic, reactive, accountable, proactive, partnership) and the
#   grid of number of customers × margin behind the recommended level.
# - T. Millman, K. Wilson, "From key account selling to key account management",
#   *Journal of Marketing Practice: Applied Marketing Science* 1(1) (1995) 9–21 — the
#   relationship development model; M. McDonald, T. Millman, B. Rogers, "Key account
#   management: theory, practice and challenges", *Journal of Marketing Management* 13
#   (1997) 737–757 — the stages exploratory to integrated, and disintegrating.
# - M. McDonald, B. Rogers, *Key Account Management: Learning from Supplier and Customer
#   Perspectives*, Butterworth-Heinemann, 1998 — planned visits, executive contacts and
#   the key account plan.
# - A. Parasuraman, V. A. Zeithaml, L. L. Berry, "SERVQUAL: a multiple-item scale for
#   measuring consumer perceptions of service quality", *Journal of Retailing* 64(1)
#   (1988) 12–40 — reliability and responsiveness, what a service package and a complaint
#   workflow must deliver.
# - R. Cooper, R. S. Kaplan, "Profit priorities from activity-based costing", *Harvard
#   Business Review* 69(3), May–June 1991, 130–135; R. S. Kaplan, S. R. Anderson,
#   "Time-driven activity-based costing", *Harvard Business Review*, November 2004 — the
#   cost to serve that prices each service package.
# - ISO 10002:2018, *Quality management — Customer satisfaction — Guidelines for
#   complaints handling in organizations* — the steps of the complaint workflow.
# - T. Levitt, "After the sale is over...", *Harvard Business Review* 61(5), 1983 —
#   rising complaints as a sign that a relationship decays.
# - R. J. Hyndman, G. Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed.,
#   OTexts, 2021 — the seasonal forecast of the peak-season need.
# - RFC 5545, *Internet Calendaring and Scheduling Core Object Specification
#   (iCalendar)* — the calendar files of the visit plan.
# - The [background page](../docs/background.md) of this playbook (section 4) sums up the
#   service side of key account management with its sources.
#
# The words used here are explained in the [glossary](../docs/glossary.md).
#
# **Next:** [chapter 05 — Reviewing key accounts](05_review_key_accounts.ipynb): is each
# key account still key, and what to do about those that decay.
