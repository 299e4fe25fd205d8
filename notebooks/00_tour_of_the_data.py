# %% [markdown]
# # 00 · A tour of the data
#
# *Auronia Nutrichem, its customers, and the tables this playbook reads.*
#
# Key account management starts with knowing the business you are in and the facts you
# have about each customer. This first chapter introduces the company of the playbook, a
# fictional maker of niacin (vitamin B3), walks through its data table by table, and
# draws four pictures of its business. Nothing here is a method yet: the next chapters
# build on what you see here.
#
# *About 20 minutes.* **You need:** a little Python and pandas (`groupby`, `head`); no
# chapter before this one. Every computation that grows past a line or two lives in
# `kamlib`.
#
# **What you will learn, and be able to do afterwards**
#
# - say who Auronia Nutrichem is, what niacin is used for and who buys it;
# - name the seven tables of the data model, what one row of each means, and which
#   columns are [personal details](../docs/glossary.md#personal-details) that stay out of shared outputs;
# - work out revenue, [discount](../docs/glossary.md#discount), [gross margin](../docs/glossary.md#gross-margin) and
#   [on time in full](../docs/glossary.md#on-time-in-full) from one order line;
# - read the last year of the data with the [cut-off](../docs/glossary.md#cut-off) in mind: sales
#   counted when delivered, the [open order book](../docs/glossary.md#open-order-book) apart;
# - describe the shape of the business: revenue by year and by industry, the
#   [peak](../docs/glossary.md#peak) and the [off-season](../docs/glossary.md#off-season), customers by region, the product range;
# - check and load your own company's export.
#
# Words in the [glossary](../docs/glossary.md) are linked where they first appear; the
# domain behind them is in [the background](../docs/background.md).

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

from kamlib import data, exercises, formatting, measures, schema, settings, tables, unknowns
from kamlib.course import prose
from kamlib.plots import tour

# %% [markdown]
# ## 1. The company: Auronia Nutrichem
#
# Auronia Nutrichem makes **niacin**, vitamin B3, in two forms: nicotinic acid and its
# amide, **niacinamide**. Its customers are industrial companies that put niacin into their
# own products:
#
# | customer industry | what niacin does there | what they buy from us |
# |---|---|---|
# | **feed premix** | vitamin B3 in the vitamin-mineral premixes added to poultry, pig and cattle feed | feed grade in 25 kg bags or 500 kg big bags; large volumes, keen on price |
# | **pharma** | active ingredient of lipid-lowering drugs and of vitamin supplements | pharma grade (USP) in drums; purity, documentation, audits |
# | **food & beverage** | fortification of flour, cereals and drinks | food grade |
# | **cosmetics** | niacinamide in skin-care creams and serums | cosmetic grade in drums, the dearest of the standard grades |
# | **distributor** | resells to the many small users we do not serve directly | a bit of everything |
#
# Some customers also buy **custom grades** (coated, micronised) made to their
# specification, and a new **microencapsulated** niacin (its launch date is in the
# products table below).
#
# Who are these customers to us? [Key account management](../docs/glossary.md#key-account-management)
# is choosing the few customers that matter most for the company's goals and serving each
# of them with its own plan; the [account manager](../docs/glossary.md#account-manager) is the person
# on our side who looks after a customer. This chapter only looks at the facts; chapter 01
# chooses.
#
# The company and its data are fictional: the bundled sample is made by a seeded
# generator (`kam data generate`), so every reader sees the same numbers. The generator
# planted a few things a good key account manager should find (who really makes money,
# who is drifting away, what drives each customer's buying). Finding them is the work of
# the chapters that follow.
#
# Load the data and the settings. `data.load` checks and types every table (ids as text,
# dates as dates, yes/no as booleans); `settings.load` reads the playbook's decisions,
# with defaults for anything the file does not say.

# %%
kd, s = notebook.load(data_source, settings_file, analysis_year)  # says whose data, which year
analysis_year = s.period.analysis_year
orders = kd.orders
print(f"Orders from {kd.first_date:%d %b %Y} to {kd.last_date:%d %b %Y}")

# %% [markdown]
# The key figures. Cells that start with `# NBVAL_CHECK_OUTPUT` print the numbers a lesson
# rests on; the test suite re-runs the chapter and checks they have not changed.

# %%
# NBVAL_CHECK_OUTPUT
print(f"Customers:     {len(kd.customers)}")
print(f"Order lines:   {len(orders):,}")
print(f"Orders:        {orders['order_id'].nunique():,}")
print(f"Products:      {len(kd.products)}")
print(f"Years covered: {kd.years[0]}-{kd.years[-1]} ({len(kd.years)} years)")

# %%
# NBVAL_CHECK_OUTPUT
revenue_by_year = orders.groupby("year")["revenue"].sum()  # year = the year of delivery
for year, revenue in revenue_by_year.items():
    print(f"{year}: revenue {formatting.eur(revenue)}")

# %% [markdown]
# ## 2. The tables
#
# The playbook reads a company's data as seven tables. Only **orders** is required (the
# *needed* column below); **customers** comes next (without it, the playbook makes one row
# per customer id of the orders, with no industry, country or account manager), and the
# others unlock more of the playbook (share of wallet needs the assessments, cost to
# serve needs the interactions, and so on). The
# full data dictionary, column by column with units and allowed values, is
# [`data/README.md`](../data/README.md); it is generated from `kamlib/schema.py`, the single
# source of truth that `data.load` checks against.

# %%
tables.table(pd.DataFrame(
    [(name, len(getattr(kd, name)), "required" if t.required else "optional", t.meaning)
     for name, t in schema.TABLES.items()],
    columns=["table", "rows", "needed", "one row is"]), formats={"rows": "count"}, top=None)

# %% [markdown]
# ### customers: one row per customer
#
# Who the customer is (`industry`, `region`, `country`, its own `size_band` from the CRM)
# and who looks after it on our side (`account_manager`, one of our sales people).

# %%
tables.table(kd.customers[["customer_id", "customer_name", "industry", "country", "size_band",
                           "account_manager", "first_order_date"]], top=5, what="customers")

# %% [markdown]
# ### products: the price list
#
# Grades (feed, food, pharma, cosmetic, custom), an [economy grade](../docs/glossary.md#economy-grade)
# of lower purity, and several **packs** (bags, big bags, drums). Bigger packs cost less
# packaging per kilogram: compare the packaging cost column.

# %%
catalogue = kd.products[["product_id", "product_name", "grade", "is_economy_grade", "is_custom",
                         "pack_type", "list_price_per_kg", "unit_cost_per_kg",
                         "packaging_cost_per_kg", "launch_date"]]
tables.table(catalogue, top=None, what="products",
             columns={"is_economy_grade": "economy grade", "is_custom": "custom"})

# %%
packs = kd.products.groupby("pack_type")["packaging_cost_per_kg"].mean().dropna().sort_values()
if len(packs):
    display(prose.say(f"{prose.count(len(kd.products), 'product')} in {prose.count(kd.products['grade'].nunique(), 'grade')} "
              f"and {prose.count(len(packs), 'pack')}; packaging costs {formatting.price(packs.iloc[0])} "
              f"in the {packs.index[0]} and {formatting.price(packs.iloc[-1])} in the {packs.index[-1]}."))
else:  # an export without the product details (grades, packs, their costs)
    print(kd.missing_text("product_details"))

# %% [markdown]
# ### orders: one row per order line
#
# What a customer ordered, at which list and net price, when it was promised and when it
# arrived, how much was delivered, and whether it was bought on a special deal
# (`deal_type`: none, off-season, promotion, bundle).

# %%
tables.table(orders[["order_id", "customer_id", "product_id", "order_date", "quantity_kg",
                     "delivered_kg", "list_price_per_kg", "net_price_per_kg", "deal_type"]],
             top=5, what="order lines")

# %% [markdown]
# `data.load` adds the measures every chapter uses to each line
# (`data.add_order_measures`). Sales are invoiced on the **delivered** quantity:
#
# - revenue = delivered_kg × net_price_per_kg (annual rebates come on top, see below);
# - discount = delivered_kg × (list_price_per_kg − net_price_per_kg), and `discount_pct` =
#   discount / list revenue;
# - gross margin = revenue − delivered_kg × unit_cost_per_kg;
# - [on time in full](../docs/glossary.md#on-time-in-full) (OTIF): delivered no later than promised
#   **and** the full quantity.
#
# Here is one line worked out:

# %%
line = orders.iloc[0]
money = formatting.amount  # exact amounts in the company's currency
print(f"{formatting.units(line['delivered_kg'])} x {formatting.price(line['net_price_per_kg'])} "
      f"= revenue {money(line['revenue'])}")
print(f"list revenue {money(line['list_revenue'])} - revenue = discount {money(line['discount'])} "
      f"({formatting.pct(line['discount_pct'], 1)} off list)")
print(f"revenue - cost of goods {money(line['cost_of_goods'])} = gross margin {money(line['gross_margin'])}")
if pd.notna(line["days_late"]):
    print(f"{line['days_late']:+.0f} days against the promised date; "
          f"on time in full: {'yes' if line['on_time_in_full'] else 'no'}")
else:
    print("No delivery dates in this data: on time in full cannot be measured.")

# %% [markdown]
# How many lines are sold on a [deal](../docs/glossary.md#deal):

# %%
tables.table(orders["deal_type"].value_counts(normalize=True).rename("share of lines")
             .rename_axis("deal type").to_frame(), top=None)

# %% [markdown]
# ### interactions: every contact with the customer
#
# Visits, calls, complaints, service and technical requests, trials, trainings and price
# negotiations, with the staff time each took (`effort_minutes`). This is where the
# [**cost to serve**](../docs/glossary.md#cost-to-serve) hides: a customer who needs many
# visits and complaints costs more than its invoices show.

# %%
tables.table(kd.interactions["type"].value_counts().rename("interactions")
             .rename_axis("type").to_frame(), top=None)

# %% [markdown]
# ### contacts: the buying centre
#
# The [buying centre](../docs/glossary.md#buying-centre) is everyone at the customer who takes part in
# buying; the [decision maker](../docs/glossary.md#decision-maker) is the one who really decides.
# The people we deal with at each customer: their role (purchasing, technical, production,
# quality, management), whether they **decide**, their influence and how well we know them.
# Names and e-mail addresses are **personal details**: the schema marks them, and the
# playbook keeps them out of anything shared. Look at contacts without them:

# %%
print("personal columns:", schema.PERSONAL_COLUMNS["contacts"])
tables.table(kd.contacts.drop(columns=schema.PERSONAL_COLUMNS["contacts"]), top=5,
             what="contacts")

# %% [markdown]
# ### assessments and rebates
#
# Each year the account manager scores every account in an
# [assessment](../docs/glossary.md#assessment) (information sharing, cooperation,
# strategic fit, growth potential, 1–5) and estimates the customer's **total use** of
# niacin, all suppliers together: our volume divided by it is our
# [share of wallet](../docs/glossary.md#share-of-wallet)
# (`measures.share_of_wallet`). The rebates table holds the annual rebates actually paid,
# after the year ends; they are not in the invoice prices.

# %%
tables.table(kd.assessments, top=5, what="assessments",
             formats={"growth_potential": "count"})

# %%
tables.table(kd.rebates, top=5, what="rebates")

# %% [markdown]
# ### What this means for the account manager
#
# - **Revenue is what was delivered**, at the net price. A short delivery costs revenue
#   and a complaint; a deep discount costs margin before any rebate is paid.
# - **Net price is not the last word**: annual rebates are paid on top, and the time your
#   colleagues spend on a customer (interactions) is a cost the invoice does not show.
#   Chapter 01 puts all three together.
# - **Know the buying centre**, not just the buyer: who decides, and when you last spoke
#   to them. And keep their personal details out of slides and reports.

# %% [markdown]
# ## 3. Four pictures of the business
#
# ### Revenue by year

# %%
tour.revenue_by_year(orders);

# %% [markdown]
# Read the bars with the [cut-off](../docs/glossary.md#cut-off) in mind. **Sales count in the year
# they are delivered** (the way invoices and rebate programmes count them). An order placed
# in December and delivered in January is January's sale; an order still open when the
# data ends is in no year's sales: it is the [open order book](../docs/glossary.md#open-order-book),
# shown apart. So the last year is not short of its late orders, and a change between the
# last two years is a change in deliveries, not an artefact of where the export stops. The
# first year is the one to read with care: orders placed *before* the data begin and
# delivered in it are missing from the export, so the first year can look smaller than it
# was.

# %%
# NBVAL_CHECK_OUTPUT
by_year = orders.groupby("year")["revenue"].sum()
book = measures.open_order_book(orders)
if len(by_year) > 1:
    last, before = by_year.index[-1], by_year.index[-2]
    print(f"Revenue {last} vs {before} (by delivery date): {by_year[last] / by_year[before] - 1:+.1%}")
print(f"Open order book at the end of the data: {book['open_lines'].sum():,} lines, "
      f"{formatting.kg(book['open_kg'].sum())}, {formatting.eur(book['open_value'].sum())} "
      f"(not counted as sales in any year)")

# %%
if len(by_year) > 1:
    change = by_year[last] / by_year[before] - 1
    open_share = notebook.ratio(book["open_value"].sum(), by_year[last])
    display(prose.say(
        f"Counted by delivery date, revenue {prose.trend(change, 'grew', 'fell')} "
        f"{prose.choose(abs(change) > 0.01, f'by {prose.pct(abs(change), 1)} ', '')}from {before} "
        f"to {last}. The orders still open at the end of the data are worth "
        f"{prose.money(book['open_value'].sum())}, {prose.pct(open_share, 1)} of a year's sales: "
        "they are the next year's deliveries, not a loss, and adding them to the last year "
        "would count orders as sales before they are delivered. "
        "Whether the change between the last two years is a trend, a few customers, or a "
        "one-off is a question for the customer-by-customer chapters (01 and 05)."))

# %% [markdown]
# ### Where the revenue comes from

# %%
tour.revenue_by_industry(orders, kd.customers, analysis_year);

# %%
year_lines = orders.loc[orders["year"] == analysis_year]
by_ind = year_lines.groupby(year_lines["customer_id"].map(
    kd.customers.set_index("customer_id")["industry"]))[["revenue", "volume_kg"]].sum()
by_ind["price"] = by_ind["revenue"] / by_ind["volume_kg"]
by_ind["revenue_share"] = by_ind["revenue"] / by_ind["revenue"].sum()
biggest, dearest, cheapest = by_ind["revenue"].idxmax(), by_ind["price"].idxmax(), by_ind["price"].idxmin()
prose.say(
    f"In {analysis_year}, **{biggest}** customers bring the largest share of revenue "
    f"({prose.pct(by_ind.loc[biggest, 'revenue_share'])}), at {formatting.price(by_ind.loc[biggest, 'price'])} "
    f"on average{prose.choose(biggest == cheapest, ', the lowest price of any industry', '')}; "
    f"**{dearest}** customers pay the most per kilogram ({formatting.price(by_ind.loc[dearest, 'price'])}). "
    "Different industries buy for different reasons, which chapter 02 measures customer by customer.")

# %% [markdown]
# ### The seasons
#
# Feed and food makers buy most ahead of the winter production: the [peak](../docs/glossary.md#peak)
# is September to November. June to August is the [off-season](../docs/glossary.md#off-season), when
# the plant has spare capacity and the company sells **off-season deals** so that customers
# stock up at a lower price.

# %%
tour.monthly_seasonality(orders);

# %%
# NBVAL_CHECK_OUTPUT
volume_by_month = orders.groupby("month")["volume_kg"].sum() / orders["volume_kg"].sum()
print(f"Peak, Sep-Nov:       {formatting.pct(volume_by_month.loc[[9, 10, 11]].sum())} of the volume")
print(f"Off-season, Jun-Aug: {formatting.pct(volume_by_month.loc[[6, 7, 8]].sum())} of the volume")
print(f"Order lines on off-season deals: {formatting.pct((orders['deal_type'] == 'off-season').mean())}")
peak_share = volume_by_month.loc[[9, 10, 11]].sum()

# %% [markdown]
# ### Customers by region

# %%
tour.customers_by_region(orders, kd.customers, analysis_year);

# %% [markdown]
# The count of customers and their weight in revenue differ: a region with fewer customers
# can bring as much revenue. Visits are planned region by region, on routes (chapter 04).
#
# ### The product range

# %%
tour.product_range(orders, kd.products, analysis_year);

# %%
by_grade = year_lines.groupby(year_lines["product_id"].map(
    kd.products.set_index("product_id")["grade"]))["volume_kg"].sum().sort_values(ascending=False)
dear = kd.products.sort_values("list_price_per_kg", ascending=False).head(3)
if "product_details" in kd.available and by_grade.sum() > 0:
    display(prose.say(
        f"The {prose.names(by_grade.index[:2])} grades carry {prose.pct(by_grade.iloc[:2].sum() / by_grade.sum())} "
        f"of the volume; the dearest products are the {prose.names(dear['grade'].unique())} grades in "
        f"{prose.names(dear['pack_type'].unique())}s (list prices from {formatting.price(dear['list_price_per_kg'].min())}). "
        "The economy grade and the "
        "big bags are the cheaper options a price-sensitive customer reaches for; the custom grades "
        "and the special forms (microencapsulated grades) are what a technology-minded customer "
        "asks for."))
else:  # an export without a products table (grades, packs)
    print("The data has no products table with grades and packs, so the product range "
          f"cannot be described: {unknowns.add_text('product_details')}.")

# %% [markdown]
# ### What this means for the account manager

# %%
prose.say(
    f"- **Plan for the peak before it comes.** September to November takes {prose.pct(peak_share)} of "
    "the volume: agree peak needs and stock levels with key customers in the summer, and give them "
    "[supply priority](../docs/glossary.md#supply-priority).")

# %% [markdown]
# - **Use the off-season on purpose.** Off-season deals fill the plant in June to August;
#   who takes them (and who only buys on deals) is a sign of price sensitivity.
# - **Industries are not segments.** A feed premix maker can care about service more than
#   price; chapter 02 shows how to tell from the data.

# %% [markdown]
# ## 4. The questions this playbook answers
#
# One [concentration](../docs/glossary.md#concentration) figure, as a teaser:

# %%
# NBVAL_CHECK_OUTPUT
this_year = measures.customer_totals(orders, [analysis_year])["revenue"].sort_values(ascending=False)
top = this_year.head(round(0.2 * len(this_year)))
print(f"In {analysis_year}, the top 20% of customers ({len(top)} of {len(this_year)}) "
      f"bring {formatting.pct(top.sum() / this_year.sum())} of revenue.")

# %% [markdown]
# Should the biggest of them be the [key accounts](../docs/glossary.md#key-account)? The biggest buyer
# is not automatically the best one. The chapters take the questions in the order a key
# account manager meets them:
#
# | chapter | the question | `kamlib` |
# |---|---|---|
# | **01 Choosing key customers** | Who should be a key customer, and why? Concentration (Pareto), the customer pyramid, ABC classes, a scorecard of attractiveness, potential and relationship, profitability after discounts, rebates and cost to serve. | `selection` |
# | **02 Segmenting key customers** | What drives each key customer's buying: price, service or technology? With the evidence, customer by customer. | `segmentation` |
# | **03 Rebates and prices** | Which levers fit a price-sensitive customer: volume rebates, off-season prices, bundles, bigger packs, economy grades; what a price cut must bring back. | `rebates` |
# | **04 Serving key accounts** | Which relationship level and service package for whom, a visit plan, complaints, objectives. | `service` |
# | **05 Reviewing key accounts** | The yearly review: each key account's health and decay signals, keep / develop / downgrade / drop with the reasons, new candidates, who moved between classes and relationship stages. | `review` |
# | **Account-plan reports** | One plan per key account, for the account manager: `make demo` writes them to `build/reports/index.html`. | `reports` |
#
# Every decision in them (weights, thresholds, rebate tiers, visit capacities) is a
# setting in one file, `kam_settings.toml`, that the chapters' widgets can write and the
# reports read.

# %% [markdown]
# ## 5. Your own company's data
#
# The playbook runs on your export as it runs on the sample:
#
# 1. **Export** the tables from your ERP and CRM with the names and columns of the data
#    dictionary ([`data/README.md`](../data/README.md)): a folder of CSV files
#    (`customers.csv`, `orders.csv`, ...), an Excel workbook with one sheet per table, or a
#    folder of Parquet files. Only `orders` is required; give `customers` too if you can.
# 2. **Check** it from a terminal: `kam data check path/to/export`. It lists every problem
#    with the file, row and column and how to fix it, or prints a summary when all is well.
# 3. **Load** it: `kd = data.load("path/to/export")` in a notebook, or run every chapter on
#    it at once: `kam chapters --data path/to/export --out build/mine`. In this notebook,
#    set `data_source` (and `analysis_year`, your last full year) in the parameters cell
#    at the top.
#
# The check on this chapter's data (`data_source`: the bundled sample unless you set it):

# %%
report = data.check(data_source)
print(report.text())

# %%
# the check reads the export as given; the chapters count sales by delivery date
by_order_year = report.summary.revenue_by_year
differs = any(abs(by_order_year.get(int(y), 0.0) - v) > 0.5 for y, v in revenue_by_year.items())
prose.say(prose.choose(
    differs,
    "The check's *by year* line sorts the lines by **order** date, the export as it comes; the "
    "chapters count sales by **delivery** date (section 3), so their yearly figures differ "
    "by the orders that crossed a year end in delivery. Both add up to the same total.",
    "The check's yearly figures are the chapters' figures: sales by delivery date."))

# %% [markdown]
# ## Exercises
#
# Write your answer in the empty cell under each exercise (in the learner's copy from
# `make exercises`). Short pandas is all you need: `groupby`, `map`, `isin`. Where the
# answer is a number, a name or a list, put it in the variable the exercise names
# (`answer_1`, ...) and run the check cell below it: `exercises.check` says *right* or
# *not yet* with a hint, without giving the answer away. Then compare with the model
# answer in the chapter.

# %%
where = dict(data_source=data_source, settings_file=settings_file, analysis_year=analysis_year)

# %% [markdown]
# **Exercise 1.** How many customers bought in each year? How many bought in the analysis
# year but not in the first year of the data (new customers)? Put the number of new
# customers in `answer_1`.

# %%
answer_1 = None  # the number of new customers

# %% tags=["solution"]
buyers = orders.groupby("year")["customer_id"].nunique().rename("customers").to_frame()
display(tables.table(buyers, top=None))
first_year = set(orders.loc[orders["year"] == kd.years[0], "customer_id"])
this_year_buyers = set(orders.loc[orders["year"] == analysis_year, "customer_id"])
answer_1 = len(this_year_buyers - first_year)
print(f"bought in {analysis_year} but not in {kd.years[0]}: {answer_1}")
prose.say(f"*Model answer.* {prose.count(answer_1, 'customer')} bought in {analysis_year} but not in "
          f"{kd.years[0]}: the difference of the two sets of customer ids. Some of them are new to "
          "the company, others came back after a pause (compare `first_order_date`).")

# %%
exercises.check("00.1", answer_1, **where)

# %% [markdown]
# **Exercise 2.** Which five countries brought the most revenue in the analysis year? Put
# them in `answer_2` (a list of country names, any order).
# *Hint:* map each order line's `customer_id` to the customer's `country`.

# %%
answer_2 = None  # a list of five country names

# %% tags=["solution"]
country = kd.customers.set_index("customer_id")["country"]
year_orders = orders.loc[orders["year"] == analysis_year]
top_countries = year_orders.groupby(year_orders["customer_id"].map(country))["revenue"].sum()
answer_2 = list(top_countries.nlargest(5).index)
display(tables.table(top_countries.nlargest(5).rename_axis("country").to_frame(), top=None))
prose.say(f"*Model answer.* {prose.names(answer_2)}: group the year's revenue by the country "
          "of each line's customer and take the five largest.")

# %%
exercises.check("00.2", answer_2, **where)

# %% [markdown]
# **Exercise 3.** In the analysis year, what share of each industry's volume was bought on
# off-season deals? Which industry uses them most? Put that industry in `answer_3`. (Keep
# the answer: chapter 02 asks whether it is the industry or the customers that matter.)

# %%
answer_3 = None  # an industry, e.g. "pharma"

# %% tags=["solution"]
industry = kd.customers.set_index("customer_id")["industry"]
year_orders = orders.loc[orders["year"] == analysis_year]
by_industry = year_orders["customer_id"].map(industry)
off_season_kg = year_orders["volume_kg"].where(year_orders["deal_type"] == "off-season", 0.0)
share = off_season_kg.groupby(by_industry).sum() / year_orders["volume_kg"].groupby(by_industry).sum()
share = share.sort_values(ascending=False)
answer_3 = share.index[0]
display(tables.table(share.rename_axis("industry").rename("off-season share").to_frame(), top=None))
prose.say(f"*Model answer.* **{answer_3}** ({prose.pct(share.iloc[0])} of its volume on off-season "
          f"deals, against {prose.pct(share.iloc[-1])} for {share.index[-1]}). Compare shares, not "
          "kilograms: the largest industry buys the most off-season kilograms simply because it "
          "buys the most.")

# %%
exercises.check("00.3", answer_3, **where)

# %% [markdown]
# **Exercise 4.** The products launched from 2023 on (the microencapsulated niacin; see
# `launch_date` in the products table): for each year, how many customers bought them,
# and how many tonnes? Put the customers per year in `answer_4`, a dict
# `{year: customers}`.

# %%
answer_4 = None  # e.g. {2023: 10, 2024: 20, ...}

# %% tags=["solution"]
new_products = kd.products.loc[kd.products["launch_date"] >= "2023-01-01", "product_id"]
new_lines = orders.loc[orders["product_id"].isin(new_products)]
adoption = new_lines.groupby("year").agg(customers=("customer_id", "nunique"),
                                         volume_kg=("volume_kg", "sum"))
answer_4 = adoption["customers"].to_dict()
display(tables.table(adoption, formats={"volume_kg": "tonnes"}, top=None))
if len(adoption):
    display(prose.say(f"*Model answer.* From {prose.count(adoption['customers'].iloc[0], 'customer')} in "
              f"{adoption.index[0]} to {prose.count(adoption['customers'].iloc[-1], 'customer')} in "
              f"{adoption.index[-1]}. The early buyers of a new product are a sign of technology "
              "sensitivity, which chapter 02 reads customer by customer."))
else:  # an export without product launch dates, or no launch since then
    print("No order of a product launched since 2023 in this data: nothing to count.")

# %%
exercises.check("00.4", answer_4, **where)

# %% [markdown]
# **Exercise 5.** Describe the buying centre without any personal detail: for each role,
# how many contacts are there and how many of them are decision makers? Which role holds
# the most decision makers? Put it in `answer_5`.

# %%
answer_5 = None  # a role, e.g. "quality"

# %% tags=["solution"]
centre = kd.contacts.groupby("role").agg(contacts=("contact_id", "size"),
                                         decision_makers=("is_decision_maker", "sum"))
if centre["decision_makers"].sum() > 0:
    answer_5 = centre["decision_makers"].idxmax()
    display(tables.table(centre, formats={"decision_makers": "count"}, top=None))
    display(prose.say(
        f"*Model answer.* The table has no name and no e-mail: only the role and the flag. "
        f"Most decision makers are in **{answer_5}**; the buyer we talk to every week is "
        "often not the one who decides, so a key account plan names the decision makers "
        "and when we last saw them."))
else:  # an export without contacts (or none marked as deciding)
    print(f"The data has no contacts with a decision maker, so the buying centre cannot be "
          f"described: {unknowns.add_text('contacts')}.")

# %%
if kd.contacts["is_decision_maker"].sum() > 0:
    display(exercises.check("00.5", answer_5, **where))
else:
    print("Exercise 00.5 has no answer in this data (no decision maker among the contacts).")

# %% [markdown]
# ## Check your understanding
#
# 1. An order line has `quantity_kg` 1,000, `delivered_kg` 950 and a net price of
#    EUR 9.00/kg, delivered a day early. What revenue does it bring, and is it on time in
#    full?
# 2. Where do annual rebates show up: in `net_price_per_kg`, or somewhere else?
# 3. Which months are the off-season, and what does the company offer then? Why would it?
# 4. Which columns of the data must never appear in a shared report?
# 5. Your company's export has no `assessments` table. Can you still use the playbook?
#    What will you miss?
# 6. In the bundled data, which industry brings the most revenue, and is it the one with
#    the highest prices?
#
# <details>
# <summary>Answers</summary>
#
# 1. Revenue is invoiced on the delivered quantity: 950 × 9.00 = EUR 8,550. It is on time
#    but not in full (950 < 1,000), so it is **not** on time in full.
# 2. Somewhere else: the `rebates` table, paid after the year ends. `net_price_per_kg` is
#    the invoice price after discounts and deals, before annual rebates.
# 3. June to August. Off-season deals (special prices) so that customers stock up while
#    the plant has spare capacity, which also eases the September–November peak.
# 4. The personal details of contacts: `contact_name` and `email`
#    (`schema.PERSONAL_COLUMNS`).
# 5. Yes: only `orders` is required. Without assessments there is no share
#    of wallet and no cooperation scores, so the parts of the playbook that use them
#    (part of the scorecard, the decay review) have less to go on.
# 6. Computed from the data: open *Answer 6* below.
#
# </details>

# %%
prose.say(f"<details><summary>Answer 6, from the data</summary>\n\nIn {analysis_year}, **{biggest}** "
          f"brings the most revenue ({prose.pct(by_ind.loc[biggest, 'revenue_share'])}) at "
          f"{formatting.price(by_ind.loc[biggest, 'price'])} on average; "
          f"{prose.choose(biggest == dearest, 'it is also', 'it is not')} the industry that pays the most "
          f"per kilogram{prose.choose(biggest == dearest, '', ': ' + dearest + ' pays ' + formatting.price(by_ind.loc[dearest, 'price']))}."
          "\n\n</details>")

# %% [markdown]
# ## Sources
#
# - On key account management as a whole: M. McDonald, B. Rogers, *Key Account Management:
#   Learning from Supplier and Customer Perspectives*, Butterworth-Heinemann, 1998; T.
#   Millman, K. Wilson, "From key account selling to key account management", *Journal of
#   Marketing Practice: Applied Marketing Science* 1(1) (1995) 9–21.
# - The buying centre: F. E. Webster, Y. Wind, *Organizational Buying Behavior*, Prentice
#   Hall, 1972.
# - The domain of the playbook, with its sources: [the background](../docs/background.md).
#
# The words used here are explained in the [glossary](../docs/glossary.md).
#
# **Next:** [chapter 01 — choosing key customers](01_select_key_customers.ipynb): who are
# our key customers, and why?
