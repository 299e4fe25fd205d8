# %% [markdown]
# # 04 · Serving key customers: relationship levels, service, visits, complaints, objectives
#
# *Choosing key customers pays only when they are served differently. This chapter turns
# the rules of service into a plan an account manager can follow on Monday morning.*
#
# The previous chapters chose the key customers and found what drives each of them
# (price, service or technology). Now comes the part the customer notices: who visits,
# how often and why; which services each account gets; how a complaint is handled; how
# much product is held back for it before the peak season; and which targets the account
# plan sets for next year.
#
# **What you will learn**
#
# - the **eight steps of a visit**, the routine every account manager keeps;
# - Kotler's five **relationship levels** (basic → partnership), how to choose the level an
#   account deserves from its size and margin, and how to read the level it actually gets
#   from the interactions; the **relationship stages** of McDonald, Millman & Rogers;
# - how to build a **service package** per segment and class and check its cost against
#   the margin it protects;
# - how to turn visit frequencies into a **12-month visit calendar** per account manager
#   that respects a weekly capacity, groups visits on routes, and exports to Outlook or
#   Google Calendar (.ics);
# - the **complaint workflow** with its roles, and the complaint figures (per 100 orders,
#   per tonne, days to resolve, open cases) by customer, product and account manager;
# - how to forecast each key customer's **need before the peak season** to agree stock in
#   advance (supply priority);
# - how the **objectives of the key account plan** (volume, price, revenue, share of
#   wallet, visit cycle, training dates, services) are proposed and edited.

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

import pandas as pd

from kamlib import calendar_export, data, formatting, service, settings
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
# A planned visit is worth its travel only if it follows a routine. The source the
# playbook draws on teaches every rep the same **eight steps**, kept every time: *prepare,
# inspect and tidy outside, greet, tidy inside, check stock, recommend an order, take the
# order, say goodbye.* They were written for visits to outlets; in a chemical company
# they translate directly — the "outside" is the customer's goods receipt and store, the
# "inside" is how our niacin is kept and used at the point of use.
#
# Simple steps, but each one does a job: *preparing* sets a goal for the visit;
# *inspecting and tidying* prevents misuse in storage (the proactive service of §3);
# *greeting* the whole buying centre, not only the buyer, keeps the decision makers in
# view; *checking stock* and *recommending an order* turn the visit into supply security
# for the customer and volume for us; *saying goodbye* books the next step.

# %%
steps = pd.DataFrame(service.EIGHT_STEPS, columns=["step", "what to do", "example (the sample company, niacin)"])
steps.style.hide(axis="index")

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
# *low* = 0, *medium* = 1, *high* = 2 margin, the recommended level is their **sum**
# (0 = basic … 4 = partnership). For one account, "how many customers like it" is read
# from its revenue rank: in the top 5% of active customers it is one of *few*, in the top
# 20% one of a *medium* number, else one of *many*. The margin is gross margin / revenue
# (settings `service.relationship`; `margin_basis = "net"` uses profit after rebates and
# cost to serve).
#
# The level an account **gets** is read from the interactions of the year: any contact →
# reactive; at least 2 visits → accountable; 4 visits and a joint activity (trial or
# training) → proactive; 8 visits, an executive visit and 2 joint activities →
# partnership. The **gap** is recommended − observed, in levels.

# %%
levels = service.relationship_levels(kd, s, accounts)
levels[["account_manager", "revenue_rank", "customers_band", "margin_pct", "margin_band",
        "recommended_level", "observed_level", "gap", "action"]].head(10).round(3)

# %%
# NBVAL_CHECK_OUTPUT
print("Recommended level (key accounts):")
for level in service.LEVELS:
    print(f"  {level:<12} {(levels['recommended_level'] == level).sum():>3}")
under = (levels["gap"] > 0).sum()
over = (levels["gap"] < 0).sum()
print(f"At the right level: {(levels['gap'] == 0).sum()}; under-served: {under}; "
      f"served beyond their margin: {over}")

# %%
service_plots.relationship_grid(levels);

# %%
service_plots.relationship_gap(levels);

# %% [markdown]
# Below the diagonal (hatched) an account gets less than its size and margin deserve:
# raise the level — more visits, a trial, an executive visit. Above it, the account gets
# more than its margin pays for. Look at who they are:

# %%
# NBVAL_CHECK_OUTPUT
beyond = levels.loc[levels["gap"] < 0].sort_values("gap")
for cid, r in beyond.iterrows():
    print(f"{cid}  margin {formatting.pct(r['margin_pct'], 1):>6}  recommended "
          f"{r['recommended_level']:<12} observed {r['observed_level']:<12} gap {r['gap']:+d}")

# %% [markdown]
# Accounts of which we have many, or a medium number, with an ordinary margin, that we
# visit and support as if they were among the few largest. That can be a deliberate
# investment (a growing class-B account) or a habit; the account plan should say which.
#
# The extreme case is not on this list, because chapter 01 took it off the key list: the
# **large customers that lose money** after discounts, rebates and cost to serve. Put the
# class-A loss-makers of the selection through the same grid:

# %%
# NBVAL_CHECK_OUTPUT
from kamlib import selection

everyone = selection.key_accounts(kd, s)
loss_makers = everyone.loc[everyone["is_loss_maker"] & (everyone["abc_class"] == "A")]
lossy = service.relationship_levels(kd, s, loss_makers)
for cid, r in lossy.iterrows():
    print(f"{cid}  rank {r['revenue_rank']:>3}  margin {formatting.pct(r['margin_pct'], 1):>5}  "
          f"recommended {r['recommended_level']:<12} observed {r['observed_level']:<12} "
          f"gap {r['gap']:+d}")

# %% [markdown]
# Large accounts with a gross margin of a few percent, visited, trained and supported at
# the level of a partner. For them the answer is not more service but a different deal —
# fewer visits, service charged, better prices (chapter 03) — or an honest conversation
# about the relationship.
#
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
for stage in service.STAGES:
    n = (levels["stage"] == stage).sum()
    print(f"{stage:<15} {n:>3}  {service.STAGE_MEANING[stage]}")

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
# what we can offer, to which segment and which class:
#
# - *every* key account: supply priority before the peak season; class A and B a key
#   account plan reviewed each quarter; class A the annual key-customer conference;
# - *price-sensitive*: the cumulative-volume rebate report, off-season stocking offers,
#   big packs and economy grades — and, over time, showing the value of service;
# - *service-sensitive*: **proactive** service (remind them of the services they are
#   entitled to, check storage and handling to prevent misuse) and **value-added**
#   service (a technical advisor who knows their production, regular technical news);
# - *technology-sensitive*: custom grades, free application trials on site, training,
#   shared R&D and joint development.
#
# Each service has a yearly time and a resource pool. Its **cost** uses the same price
# list as the cost to serve of chapter 01 (time-driven activity-based costing, Kaplan &
# Anderson 2004): minutes × capacity cost rate of the pool, and each planned visit at the
# cost of a visit. The budget is set against the **gross margin it protects**.

# %%
menu = pd.DataFrame(
    [(i.name, i.kind, ", ".join(i.segments), "".join(i.classes), i.minutes_per_year, i.pool)
     for i in s.service.packages.menu],
    columns=["service", "kind", "segments", "classes", "minutes/year", "pool"],
)
menu

# %%
packages = service.service_packages(kd, s, accounts)
packages[["abc_class", "segment", "n_services", "visits_per_year", "cost_to_serve_budget",
          "current_service_cost", "gross_margin", "budget_share_of_margin"]].head(10).round(2)

# %%
# NBVAL_CHECK_OUTPUT
share = s.service.packages.max_share_of_margin
print(f"Total service budget for {plan_year}: {formatting.eur(packages['cost_to_serve_budget'].sum())}")
print(f"Key accounts' gross margin {analysis_year}: {formatting.eur(packages['gross_margin'].sum(min_count=1))}")
print(f"Accounts whose package costs more than {formatting.pct(share)} of their margin: "
      f"{(~packages['within_budget']).sum()}")

# %%
service_plots.cost_vs_margin(packages, s.service.packages.max_share_of_margin);

# %% [markdown]
# ### What this means for the account manager
#
# - The package is a promise: list it in the account plan (section 7), deliver it, and
#   remind the customer of it — unseen service earns no loyalty.
# - Above the dashed line the package costs more than the margin can carry. Small
#   class-B accounts visited every other month are the usual case: plan fewer visits,
#   replace some by calls, or make sure the growth that made them B is real.

# %% [markdown]
# ## 4. The visit plan
#
# ### Frequencies
#
# The primer asks for **planned** annual, quarterly and monthly visits, each with a goal,
# on good routes, and **executive visits** to the top accounts. The frequency follows the
# class, with exceptions by segment (settings `service.visits`): by default class A
# monthly, class B quarterly (every two months when service- or technology-sensitive),
# class C once a year (twice when service-sensitive); the 10 accounts with the best score
# also get one executive visit a year.

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
#    Thursday, the ISO 8601 rule); blocked weeks (holidays: by default weeks 1, 32, 33,
#    52, 53) get no visit;
# 2. an account manager makes at most **`capacity_per_week`** visits a week (8 by
#    default; executive visits count, the account manager goes along), and an account gets
#    at most one visit a week;
# 3. week by week, visits whose period ends are planned first, then as many as keep an
#    even pace, **preferring the countries already on this week's route**; accounts of the
#    same frequency are spread evenly over each period in route order, so neighbours fall
#    in the same week;
# 4. a visit that does not fit in its period is **not** moved: the account is listed in
#    `plan.unplanned` with the reason. The plan never pretends.

# %%
plan = service.visit_plan(accounts, s, plan_year, customers=kd.customers)
plan.visits.head(8)

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

# %%
who = account_manager or notebook.pick(plan.visits["account_manager"].value_counts(), "max",
                                       what="planned visit")
if who is not None:
    service_plots.visit_calendar(plan, who);

# %% [markdown]
# Each row is an account, each dot a visit, the star an executive visit. The monthly
# accounts form regular lines; the blocked weeks (hatched) stay empty and August's visits
# move to its two open weeks. The whole team's load:

# %%
if len(accounts) > 0:
    service_plots.visit_load(plan);

# %% [markdown]
# ### What happens when the capacity is too small
#
# Halve the capacity and the plan says which accounts it can no longer serve, and why —
# the conversation to have *before* the year starts, not in November:

# %%
if len(accounts) > 0:
    tight = settings.replace(s, "service.visits.capacity_per_week", 2)
    tight_plan = service.visit_plan(accounts, tight, plan_year, customers=kd.customers)
    display(tight_plan.unplanned.head(6))

# %%
# NBVAL_CHECK_OUTPUT
if len(accounts) > 0:
    missing = (tight_plan.unplanned["visits_required"] - tight_plan.unplanned["visits_planned"]).sum()
    print(f"With 2 visits a week: {tight_plan.unplanned['customer_id'].nunique()} accounts short "
          f"of their frequency, {missing} visits missing")

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
# between departments ends it. The source defines a workflow with **named roles**:
# **customer service owns every complaint**; the **key account manager decides on returned
# goods**; sales administration, production, the area manager and the sales VP each have
# one step. Each complaint triggers the same internal process and is answered fast. The
# steps follow ISO 10002:2018 (receive, acknowledge, assess, investigate, respond,
# close).

# %%
pd.DataFrame(service.COMPLAINT_WORKFLOW, columns=["step", "role", "action"]).style.hide(axis="index")

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
# - **days to resolve** (mean, median, share closed within the 5-day target) and the
#   **open complaints** — the speed of the answer.
#
# By account manager (the customer's manager), for the analysis year:

# %%
by_manager = service.complaint_metrics(kd, "account_manager", years=analysis_year, s=s)
by_manager.round(2)

# %%
# NBVAL_CHECK_OUTPUT
m = by_manager
print(f"Complaints {analysis_year}: {m['complaints'].sum()}, "
      f"{100 * m['complaints'].sum() / m['orders'].sum():.1f} per 100 orders, "
      f"{m['complaints'].sum() / m['volume_t'].sum():.3f} per {formatting.per_tonne_label()}")
print(f"Open at the end of the year: {m['open_complaints'].sum()}")
for who_, r in m.sort_values("complaints_per_100_orders", ascending=False).iterrows():
    print(f"  {who_:<16} {r['complaints_per_100_orders']:5.1f} per 100 orders, "
          f"{formatting.pct(r['resolved_within_target'])} closed within target")

# %%
service_plots.complaint_rates(by_manager);

# %% [markdown]
# By product, the figures point at production and packaging rather than at people:

# %%
service.complaint_metrics(kd, "product_id", years=analysis_year, s=s).head(6).round(3)

# %% [markdown]
# By customer, the key accounts with the most complaints — the list customer service and
# the account manager go through together each month:

# %%
by_customer = service.complaint_metrics(kd, "customer_id", years=analysis_year, s=s)
by_customer.loc[by_customer.index.isin(accounts.index)].head(8).round(2)

# %% [markdown]
# ### Complaints, satisfaction and appraisal
#
# Rising complaints are one of the first signs that a relationship decays (Levitt: the
# attention of both sides weakens over time; the periodic review of [chapter 05](05_review_key_accounts.ipynb) catches it). The rate
# two years ago and now, for the key accounts:

# %%
trend = service.complaint_trend(kd, s, accounts.index)
rising = trend.loc[trend["rising"]].sort_values("change", ascending=False)
rising.round(1)

# %%
# NBVAL_CHECK_OUTPUT
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
#   satisfaction and the complaint rate (the source is explicit). Use the rate per 100
#   orders and the share closed in target, not the raw count: a manager with large,
#   frequent-ordering accounts has more complaints without serving worse.
# - A key account whose complaints rise needs a visit with a purpose: what went wrong,
#   what we changed, what we will do differently.

# %% [markdown]
# ## 6. Supply priority before the peak season
#
# Niacin demand peaks from **September to November**; June to August is the slack season.
# Key customers get product first, especially before the peak, and their needs and stock
# levels are **agreed in advance**. For that the account manager needs a number per
# customer and month.
#
# `service.seasonal_need` forecasts it from history by the *seasonal average with a level
# adjustment* (Hyndman & Athanasopoulos, *Forecasting: principles and practice*, §5.2):
#
#     expected(month) = mean of the same month over the last 3 years × trend
#     trend           = last year's kg / mean yearly kg of the 3 years   (bounded 0.5-1.5)
#
# It uses the **ordered** kg, so that a short delivery does not lower the next forecast.
# `service.supply_priority` keeps the lead months (July, August: when stock is built) and
# the peak months, adds a safety reserve (10%) and the date by which to agree.

# %%
supply = service.supply_priority(kd, s, accounts)
tonnes = (supply[["Jul", "Aug", "Sep", "Oct", "Nov", "peak_kg", "reserve_kg"]] / 1000).round(1)
tonnes.join(supply[["trend", "agree_by"]]).head(8)  # t per month; trend as a factor

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
# **How good is the method?** Forecast the year we already know (from the three years
# before it) and compare:

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

# %% [markdown]
# The **shape** of the season is forecast well; the **level** depends on the trend
# assumption. That is why the number is *agreed* with the customer and not only
# computed: the account manager brings the forecast to the June visit, the customer
# corrects it with its own production plan, and supply chain reserves the agreed stock.
#
# ### What this means for the account manager
#
# - Before July, agree each key account's peak-season need and the stock we hold for it;
#   the visit plan puts an "agree peak-season needs" visit in the quarter before.
# - Offer the off-season price to build that stock in July and August: the customer buys
#   cheaper, our plant runs in the slack months, and the peak is secured.
# - Watch the largest needs: a handful of accounts carry a large part of the peak.

# %% [markdown]
# ## 7. Objectives of the key account plan
#
# Each key account has a plan with **quantitative targets** — products, price, volume,
# revenue, visit cycles of sales and executives, training dates — and **qualitative**
# ones: the services to provide. Targets are set yearly, bottom-up then top-down, and
# reviewed at least quarterly. `service.objectives` proposes them from history and
# potential (settings `service.objectives`):
#
# - volume: last year × (1 + g). The growth g starts from the class (A 3%, B 10%, C 2%)
#   and moves half-way towards the account's own yearly growth of the last two years
#   (history), within −10% and +25%; an increase stops at 90% of the customer's estimated
#   total use (its potential);
# - price: last year's net price × (1 + change by segment: price 0%, service 1.5%,
#   technology 2%);
# - revenue = volume × price; share of wallet = volume / estimated use;
# - visit cycle and executive visits from section 4; training dates on planned visits;
#   services from the package of section 3.
#
# The account-plan reports call the same function, so what you edit here is what they
# print.

# %%
obj = service.objectives(kd, s, accounts, plan=plan)
obj[["volume_kg", "target_volume_kg", "volume_growth", "net_price", "target_net_price",
     "target_revenue", "share_of_wallet", "target_share_of_wallet", "visit_cycle",
     "training_dates"]].head(8).round(3)

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
# (`[service.objectives.overrides]`, e.g. `"C0042.target_volume_kg" = 250000`), or in a
# CSV named by `service.objectives.overrides_file` (write it with `obj.to_csv(...)`, edit
# it in Excel). Revenue and share of wallet follow; the `edited` column shows what was
# changed by hand:

# %%
first = notebook.pick(obj.index, "first", what="key account with objectives")
if first is not None:
    edited_settings = settings.replace(
        s, "service.objectives.overrides",
        {f"{first}.target_volume_kg": round(obj.loc[first, "volume_kg"] * 1.15)})
    edited = service.objectives(kd, edited_settings, accounts, plan=plan)
    display(edited.loc[[first], ["volume_kg", "target_volume_kg", "target_revenue",
                                 "target_share_of_wallet", "edited"]].round(3))

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
# **Exercise 1.** The team loses a colleague for the year and capacity drops to 4 visits a
# week. Which accounts can no longer get their frequency, and for how many visits? What
# would you change first?

# %% tags=["solution"]
if len(accounts) > 0:
    four = settings.replace(s, "service.visits.capacity_per_week", 4)
    p4 = service.visit_plan(accounts, four, plan_year, customers=kd.customers)
    print(f"{p4.unplanned['customer_id'].nunique()} accounts short, "
          f"{(p4.unplanned['visits_required'] - p4.unplanned['visits_planned']).sum()} visits missing")
    display(p4.unplanned.groupby("account_manager")[["visits_required", "visits_planned"]].sum())

# %% [markdown]
# **Exercise 2.** A trade fair blocks weeks 10 and 11. Add them to the blocked weeks: does
# every account still get its visits? In which month do the March visits now fall?

# %% tags=["solution"]
if len(accounts) > 0:
    blocked = tuple(s.service.visits.blocked_weeks) + (10, 11)
    fair = settings.replace(s, "service.visits.blocked_weeks", list(blocked))
    pf = service.visit_plan(accounts, fair, plan_year, customers=kd.customers)
    print("complete:", pf.is_complete, "| visits in weeks 10-11:",
          pf.visits["week"].isin([10, 11]).sum())
    display(pf.visits.loc[pf.visits["month"] == 3, "week"].value_counts().sort_index())

# %% [markdown]
# **Exercise 3.** Which key accounts are served beyond their margin (gap < 0) **and** have
# rising complaints? What would you discuss with each of them?

# %% tags=["solution"]
both = levels.loc[levels["gap"] < 0].join(trend[["change", "rising"]])
both.loc[both["rising"], ["account_manager", "margin_pct", "observed_level", "change"]].round(3)

# %% [markdown]
# **Exercise 4.** Which product has the most complaints **per tonne** in the analysis
# year, and what is its main reason? Who in the workflow should act on it?

# %% tags=["solution"]
by_product = service.complaint_metrics(kd, "product_id", years=analysis_year, s=s)
worst = notebook.pick(by_product["complaints_per_tonne"], "max", what="product with complaints")
if worst is not None:
    print(worst, round(by_product.loc[worst, "complaints_per_tonne"], 3),
          by_product.loc[worst, "main_reason"])
# quality or packaging -> production (step 3); late or short deliveries -> supply chain

# %% [markdown]
# **Exercise 5.** Back-test the supply forecast with one year of history instead of three
# (`service.supply.history_years = 1`). Which forecasts the peak of the analysis year
# better?

# %% tags=["solution"]
if len(accounts) > 0:
    actual = service.monthly_volume(kd, accounts.index, [analysis_year])[analysis_year]
    peak = service.supply_window(s)[1]
    for years in (1, 2, 3):
        sy = settings.replace(s, "service.supply.history_years", years)
        f = service.seasonal_need(kd, sy, accounts.index, plan_year=analysis_year)[peak].sum().sum()
        print(f"{years} year(s) of history: error {(f - actual[peak].sum()) / actual[peak].sum():+.1%}")

# %% [markdown]
# **Exercise 6.** Raise the volume target of your largest class-A account by 8% over the
# proposal through the settings, and check that revenue and share of wallet follow.

# %% tags=["solution"]
big = notebook.pick(obj.loc[obj["abc_class"] == "A", "volume_kg"], "max",
                    what="class-A key account")
if big is not None:
    new = round(obj.loc[big, "target_volume_kg"] * 1.08)
    s6 = settings.replace(s, "service.objectives.overrides", {f"{big}.target_volume_kg": new})
    o6 = service.objectives(kd, s6, accounts, plan=plan)
    display(pd.concat([obj.loc[[big]], o6.loc[[big]]], keys=["proposed", "edited"])[
        ["target_volume_kg", "target_revenue", "target_share_of_wallet", "edited"]].round(3))

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
#    not a partnership.
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
#    account manager's yearly assessment. Our volume cannot exceed it; the target is
#    capped at 90% of it (a share of wallet of 90%).
#
# </details>
