# %% [markdown]
# # 02 · Segmenting key customers by what drives their buying
#
# *Price, service or technology? Each key customer's driver, read from what it did — with
# the evidence, a confidence, and what to offer it.*
#
# The source company of this playbook made one move that changed how it sold: it split its
# key customers into **price-sensitive**, **service-sensitive** and
# **technology-sensitive** groups and gave each group its own strategy — volume rebates and
# off-season prices for the first, proactive and value-added service for the second,
# custom products, trials and joint development for the third. That only works if an
# account manager can say *why* a customer is in a group, from what the customer **did**
# (its orders, deals, complaints, requests, trials), not from a feeling.
#
# This chapter builds that split for Auronia Nutrichem's key accounts, step by step and in
# the open: behavioural indicators, a transparent rule with its evidence, a check against
# the truth the sample data was generated with, a clustering algorithm as a second
# opinion, and the strategy menu that turns a segment into levers.
#
# **What you will learn**
#
# 1. which behaviours reveal price, service and technology sensitivity, and how each
#    indicator is computed — including a price elasticity from a log-log fit, with its
#    uncertainty;
# 2. how to put indicators measured in %, per year and per tonne on one scale (robust
#    z-scores) and combine them into three family scores;
# 3. a transparent rule that assigns a segment, flags *mixed* customers instead of forcing
#    them, says *unclear* when the data do not tell, and gives a confidence;
# 4. how to check a segmentation (confusion matrix, accuracy) and compare it with k-means
#    clustering;
# 5. the strategy menu of each segment, customer by customer, with the evidence behind
#    each lever — the same call the account-plan reports use;
# 6. the customer-benefit view V = U + B + R − C − T: which levers raise the value a
#    customer gets, for which segment.
#
# *About 45 minutes. Chapter 01 chose the key accounts; this chapter takes its list.*

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
example_customer = ""  # a customer id to explain in detail; "" = pick one automatically

# %%
from kamlib import notebook

notebook.setup()

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from kamlib import data, segmentation, settings
from kamlib.plots import segmentation as plots
from kamlib.widgets import segmentation as segmentation_widgets

# %% [markdown]
# We load the data and the settings, and take the key-account list of chapter 01
# (`segmentation.key_account_ids` calls `selection.key_accounts` and keeps the rows with
# `is_key`). Every function of this chapter also accepts an explicit list of customer ids,
# so you can segment any group of customers you like.

# %%
kd, s = notebook.load(data_source, settings_file, analysis_year)  # says whose data, which year
analysis_year = s.period.analysis_year
key = segmentation.key_account_ids(kd, s)
# The hidden truth of the bundled sample, to check the method (never an input to it).
answer_key = data.load_answer_key() if data_source == "sample" else None
years = s.period.years
print(f"{len(key)} key accounts; history used: {years[0]}-{years[-1]}")
if not len(key):
    print("With no key account there is nothing to segment: see chapter 01 (the key-account "
          "rule and its settings, selection.key_accounts). The cells below show empty tables.")

# %% [markdown]
# ## 1. Three kinds of key customers
#
# The primer (§2) describes three groups, each with its own strategy:
#
# | segment | what it values | what it does that we can see | what we offer it |
# |---|---|---|---|
# | **price-sensitive** | a low price per kg | buys on deals and in the off-season, negotiates often, buys economy grades and big packs, buys more when the price falls | cumulative-volume rebates, off-season prices, bundles, bigger packs, economy grades; over time, lead it towards valuing service |
# | **service-sensitive** | reliable supply and help | complains when we deliver late or short, asks for delivery and stock support, orders less after we fail it | proactive service (remind it of its entitlements, prevent misuse), value-added service (a technical consultant in after-sales), supply priority before the peak |
# | **technology-sensitive** | what the product does in its process | asks technical questions, runs trials, sends people to training, buys custom grades, adopts new products early | custom products made fast, new products first, trials on site, training, joint development |
#
# Two more outcomes matter as much: a customer can show **two** drivers at once (*mixed*:
# treat it on both), and the data may not show any driver clearly (*unclear*: go and ask).
# A rule that forces every customer into one of three boxes would hide both.

# %% [markdown]
# ## 2. The evidence: indicators of behaviour
#
# **The idea.** For each driver we measure a handful of behaviours, per customer, over the
# five years of history. Each indicator is a plain ratio an account manager can check in
# the ERP or the CRM. The table below is `segmentation.INDICATORS`, the catalogue the code
# uses; `segmentation.indicators` documents every formula and unit.
#
# Price indicators follow Nagle's observable signs of price sensitivity (Nagle & Müller,
# *The Strategy and Tactics of Pricing*): deal proneness, response to price, negotiation,
# choice of economy grades and packs. Counts of interactions are per **year observed**
# (from the customer's first order in the window to its end), so that a customer that
# arrived last year is not compared on five years of requests with one that has been
# there all along.

# %%
catalogue = pd.DataFrame(
    [(i.family, i.name, i.label, i.formula) for i in segmentation.INDICATORS],
    columns=["family", "indicator", "in words", "formula"],
).set_index(["family", "indicator"])
catalogue

# %%
indicators = segmentation.indicators(kd, s, key)
indicators[list(segmentation.INDICATOR_NAMES)].head(6).round(2).T

# %% [markdown]
# ### 2.1 Does volume follow price? The elasticity from a log-log fit
#
# **The idea.** The price elasticity says by how many percent volume changes when price
# changes by one percent: ε = %ΔQ / %ΔP. Over a history of quarters, it is the slope of a
# straight line through the points (log price, log volume) (Nagle & Müller, ch. 6): if
# price is 5 % above its usual level and volume 14 % below, that quarter says
# ε ≈ −14 / 5 = −2.8.
#
# Two things would fool a naive fit, and the indicator removes both:
#
# - **Product mix.** A customer that switches to the cheaper economy grade pays less per
#   kg without any price change. The price of a quarter is therefore a *price index*:
#   revenue / Σ(kg × the product's current list price) — what it paid relative to
#   today's list, whatever the mix.
# - **Seasons.** Off-season deals make the price low exactly when niacin is needed least.
#   From each customer's log price and log volume we subtract its own average for that
#   quarter of the year (a "fixed effect" per quarter), so only the deviations from its
#   usual pattern are compared.
#
# With x and y the adjusted log price and log volume of a customer's n quarters
# (k quarters of the year seen), the least-squares slope and its standard error are
#
# $$\hat\varepsilon = \frac{\sum x y}{\sum x^2}, \qquad
# \mathrm{se}(\hat\varepsilon) = \sqrt{\frac{\sum y^2 - \hat\varepsilon \sum x y}{(n-k-1)\,\sum x^2}}.$$
#
# These are sums per customer, so the fit for every customer at once is one grouped sum —
# no loop. When the adjusted price hardly moved (standard deviation below 1 %,
# `elasticity_min_price_variation`) the slope would be noise, and the indicator says
# *not enough price variation* instead of a number; with fewer than 8 quarters of sales
# it says *not enough history*.

# %%
segments_table = segmentation.segments(kd, s, key)
price_examples = segments_table[segments_table["segment"] == "price"]
example = example_customer or notebook.pick(
    price_examples["confidence"], "max", what="price-sensitive key account",
    fix="The most confident key account of any segment is the example instead.")
if example is None and len(segments_table):  # another company's data: any segment
    example = segments_table["confidence"].idxmax()
if example is not None:
    points = segmentation.elasticity_points(kd, s, example)
    row = segments_table.loc[example]
    ax = plots.elasticity_fit(points, row["price_elasticity"], row["price_elasticity_se"],
                              title=f"{example}: does volume follow price?")
    plt.show()

# %%
# NBVAL_CHECK_OUTPUT
by_segment = segments_table.groupby("segment")["price_elasticity"].median()
estimated = segments_table["price_elasticity"].notna().sum()
print(f"elasticity estimated for {estimated} of {len(segments_table)} key accounts")
for name, value in by_segment.dropna().items():
    print(f"median elasticity, {name:<10} {value:+.1f}")

# %% [markdown]
# Read the slope with its uncertainty. A key account with 20 quarters of history has a
# standard error of about ±0.5: enough to tell −2.8 from −0.5, not enough to tell −2.8
# from −2.3. And a slope is not always a price response: a customer that grew fast over
# years when list prices were rising shows a *positive* slope — growth read as "buys more
# when the price is higher". Several service and technology accounts are like that, hence
# their medians just above zero. That is why the elasticity is **one** indicator of the
# price family, never the sole judge, and why the rebate chapter takes it with its
# standard error.

# %% [markdown]
# ### 2.2 Does it order less after we fail it?
#
# **The idea.** A service-sensitive customer punishes a late or short delivery. The
# indicator compares how much it orders per day in the 90 days after one of our late or
# short deliveries with how much it orders per day at other times:
#
# $$\text{volume change} = \frac{\text{kg ordered per day within 90 days after a bad delivery}}
# {\text{kg ordered per day at other times}} - 1 .$$
#
# −0.30 means it ordered 30 % less after we failed it. Its companion,
# `complaints_after_bad_delivery`, is the share of our late or short deliveries it
# complained about.
#
# A caveat that the data teach by themselves: a large account receives many order lines,
# so some of them are late or short every few weeks. The 90-day windows then cover most of
# its year and leave little "normal" time to compare with — the volume reaction is hard to
# measure precisely for exactly the customers we care most about. The complaint rate
# after a bad delivery is the sharper signal for them.

# %%
# NBVAL_CHECK_OUTPUT
bad = indicators["bad_deliveries"]
print(f"late or short deliveries per key account over {len(years)} years: "
      f"median {bad.median():.0f}, range {bad.min():.0f}-{bad.max():.0f}")
change = indicators["volume_change_after_bad_delivery"]
print(f"volume reaction measured for {change.notna().sum()} of {len(change)} key accounts")

# %% [markdown]
# ### What this means for the account manager
#
# Every number above is something you can verify with the customer's order history and
# your CRM: *it bought 35 % of its volume on deals*, *it negotiated eight times a year*,
# *it complained about three of every four late deliveries*. That is the vocabulary of
# the evidence this chapter produces — behaviour, not opinion. Where the data cannot tell
# (no price change, too short a history, no late delivery ever), the indicator is empty
# and says so; it is not replaced by a guess.

# %% [markdown]
# ## 3. From indicators to family scores
#
# **The idea.** The indicators have different units (shares, counts per year, an
# elasticity). To combine them, each is expressed as *how unusual* the customer is,
# compared with a reference group of customers, in standard deviations. We use the
# **robust z-score** (the modified z-score of Iglewicz & Hoaglin, 1993):
#
# $$z = \frac{x - \mathrm{median}}{1.4826 \cdot \mathrm{MAD}}, \qquad
# \mathrm{MAD} = \mathrm{median}\,|x - \mathrm{median}| ,$$
#
# signed so that + always means *more sensitive* (for the elasticity, more negative is more
# price-sensitive), and capped at ±3. Why robust? Behaviour is skewed: a loss-making giant
# with three times everyone's technical requests would drag a mean and a standard
# deviation with it, and make everybody else look alike. The median and the MAD do not
# move. When more than half of the customers share one value (most buy no custom grade:
# MAD = 0), the scale falls back to 1.2533 × the mean absolute deviation, the same
# convention.
#
# **Compared with whom?** With **all customers active in the window** (setting
# `segmentation.reference = "active"`), not only with the other key accounts. Four in ten
# of Auronia's key accounts are technology-driven; compared only with each other, a
# technology customer would look *typical* and its driver would vanish. Exercise 3 lets
# you see it happen.
#
# A **family score** is the weighted mean of its indicators' z-scores, over the indicators
# available for that customer (weights in `segmentation.indicator_weights`; the two
# complaint rates count half each, as they measure one behaviour twice):
#
# $$F_{\text{family}} = \frac{\sum_i w_i z_i}{\sum_i w_i}.$$

# %%
if example is not None:
    profile = segmentation.profile(kd, s, example)
    ax = plots.indicator_profile(profile, stand_out=s.segmentation.stand_out,
                                 title=f"{example}: indicator profile")
    plt.show()

# %%
# NBVAL_CHECK_OUTPUT
if example is not None:
    scores = segments_table.loc[example, ["price_score", "service_score", "technology_score"]]
    print(f"{example}: " + ", ".join(f"{k.replace('_score', '')} "
                                     + ("n/a" if pd.isna(v) else f"{v:+.2f}") for k, v in scores.items()))

# %% [markdown]
# The bars are the z-scores: the customer's value and the typical value (the median of
# the reference customers) are printed next to each. The price bars stand out; the service
# and technology bars sit around zero or below.

# %% [markdown]
# ## 4. The rule: drivers, mixed and unclear
#
# **The rule** (`segmentation.classify`), in one line: *a family is a driver when its score
# reaches the stand-out threshold* (`stand_out`, 0.4 by default):
#
# - no driver → **unclear** (the data show no clear preference);
# - one driver → that segment: **price**, **service** or **technology**;
# - two or three drivers → **mixed**, naming them (`mixed_types`, e.g. `price+service`).
#
# A customer with too little data (less than half of the indicator weight available,
# `min_coverage`) is unclear whatever its scores.
#
# **Confidence.** How far the customer is from changing segment: the smallest distance of
# any family score to the threshold, turned into a number between ½ and 1,
#
# $$\text{confidence} = \left(1 - \tfrac12\, e^{-\text{slack}/0.5}\right)\times
# \text{share of indicator weight with data},$$
#
# so ½ means "on the boundary — a coin toss" and values near 1 mean no plausible noise
# would move it.
#
# Why 0.4? It was chosen on two *other* companies produced by the same generator with
# different seeds (1,000 customers each), then only checked on the bundled data — a
# threshold tuned on the data it is judged on would flatter itself. Section 5 shows how
# the result moves with it.

# %%
# NBVAL_CHECK_OUTPUT
counts = segments_table["segment"].value_counts().reindex(list(segmentation.SEGMENTS), fill_value=0)
for name, n in counts.items():
    print(f"{name:<11} {n:>3} key accounts")
mixed_pairs = segments_table.loc[segments_table["segment"] == "mixed", "mixed_types"].value_counts()
print("mixed:", ", ".join(f"{pair} {n}" for pair, n in mixed_pairs.items()))

# %%
segments_table[["segment", "mixed_types", "confidence", "price_score", "service_score",
                "technology_score", "price_elasticity"]].sort_values("segment").head(12).round(2)

# %% [markdown]
# Each assignment comes with its **evidence in words**: the rule that decided, the three
# scores, and the indicators that made the driver stand out, each against the typical
# value. Three examples, one per kind of outcome:

# %%
for name in ("price", "technology", "mixed"):
    cid = notebook.pick(segments_table.index[segments_table["segment"] == name], "first",
                        what=f"key account in the segment '{name}'")
    if cid is not None:
        print(f"{cid}: {segments_table.loc[cid, 'evidence']}\n")

# %%
ax = plots.segment_map(segments_table, label=[example] if example is not None else [])
plt.show()

# %% [markdown]
# On the map each key account is pulled towards the families it scores above typical on:
# price-driven customers lie along the upper axis, service-driven ones along the lower
# left, technology-driven ones along the lower right; mixed customers sit between two
# axes. The technology axis is the longest: trials, training and custom grades are rare
# behaviours, so the customers who show them stand out by several standard deviations.
#
# ### What this means for the account manager
#
# The segment is a *hypothesis backed by evidence*, and the evidence is what you bring to
# the account review: "it negotiated nine times a year and bought 40 % of its volume on
# deals — it is price-driven; here is the plan for it". A *mixed* customer gets the levers of both
# of its drivers. An *unclear* customer is not a failure of the method: it is a customer
# you do not know well enough yet — the first lever is a conversation. And a low
# confidence says: check this one before acting on it.

# %% [markdown]
# ## 5. Does it work? A check against the answer key
#
# The bundled data were generated with a hidden sensitivity for every customer
# (`data/answer_key/answer_key.csv`, never an input to the method). This lets us do what is
# impossible with a real company: count how often the rule is right. The **confusion
# matrix** crosses the true type (rows) with the assigned segment (columns); the
# diagonal is where they agree. The target of the playbook: at least 85 % of the
# clear-type key accounts assigned to their true type, and the mixed ones mostly flagged
# as mixed.

# %%
# NBVAL_CHECK_OUTPUT
if answer_key is not None:
    check = segmentation.validate(segments_table, answer_key)
    print(segmentation.confusion(segments_table, answer_key).to_string())
    print(f"\nclear types right: {check['clear_correct']:.0f} of {check['clear_customers']:.0f} "
          f"= {check['clear_accuracy']:.0%} (target: at least 85%)")
    print(f"mixed flagged as mixed: {check['mixed_flagged']:.0%}, with the right pair: "
          f"{check['mixed_types_correct']:.0%}; forced into one type: {check['mixed_forced']:.0%}")

# %%
if answer_key is not None:
    ax = plots.scores_by_type(segments_table, answer_key, stand_out=s.segmentation.stand_out)
    plt.show()

# %% [markdown]
# The picture shows *why* it works: for each true type, its own family score sits far to
# the right of the threshold and the other two around zero; mixed customers have two
# scores to the right. It also shows the weak spots: mixed customers' second driver is
# weaker (the generator plants it at reduced strength), and a few of them sit near the
# threshold.
#
# **How sensitive is the result to the threshold?** A good rule does not hinge on the
# second decimal of its parameter:

# %%
# NBVAL_CHECK_OUTPUT
if answer_key is not None:
    lines = []
    for threshold in (0.25, 0.4, 0.6, 0.8, 1.0):
        s_t = settings.replace(s, "segmentation.stand_out", threshold)
        v = segmentation.validate(segmentation.segments(kd, s_t, key), answer_key)
        lines.append(f"stand_out {threshold:.2f}: clear types right {v['clear_accuracy']:.0%}, "
                     f"mixed flagged {v['mixed_flagged']:.0%}")
    print("\n".join(lines))

# %% [markdown]
# The clear types are robust: they stay mostly right over the whole range. The mixed flag
# is the sensitive part. A low threshold flags every mixed customer but also calls some
# clear customers mixed; a high one loses the weaker second driver of the mixed customers,
# and at 1.0 starts leaving clear customers unclear. 0.4 balances the two — on the
# calibration companies as here.
#
# **A tempting variant that fails.** Many segmentation rules declare a customer mixed only
# when its two top families are *close* (`mixed_rule = "margin"`). Here that hides the
# second driver of a customer whose first driver is very strong — a technology customer
# that also complains about every late delivery would be forced into "technology":

# %%
# NBVAL_CHECK_OUTPUT
if answer_key is not None:
    s_margin = settings.replace(s, "segmentation.mixed_rule", "margin")
    v = segmentation.validate(segmentation.segments(kd, s_margin, key), answer_key)
    print(f"margin rule: clear types right {v['clear_accuracy']:.0%}, mixed flagged "
          f"{v['mixed_flagged']:.0%}, mixed forced into one type {v['mixed_forced']:.0%}")

# %% [markdown]
# **Beyond the key accounts.** The same rule on every customer who bought in the
# analysis year — most of them small, with few orders and fewer requests:

# %%
# NBVAL_CHECK_OUTPUT
if answer_key is not None:
    active = sorted(kd.orders.loc[kd.orders["year"] == analysis_year, "customer_id"].unique())
    v = segmentation.validate(segmentation.segments(kd, s, active), answer_key)
    print(f"{len(active)} active customers: clear types right {v['clear_accuracy']:.0%}, "
          f"mixed flagged {v['mixed_flagged']:.0%}")

# %% [markdown]
# ### What this means for the account manager
#
# On the key accounts the rule is right for nearly every clear-type customer and flags
# most mixed ones; on small customers it is right less often, because a customer who
# orders six times a year leaves little evidence. That is one more reason why
# segmentation is a key-account tool: the customers worth a strategy of their own are also
# the ones whose behaviour we can read. With your own company's data there is no answer
# key — so look at the confidence, and check the low-confidence customers with the people
# who know them.

# %% [markdown]
# ## 6. A second opinion: clustering
#
# **The idea.** Instead of a rule, let an algorithm group customers that behave alike.
# **k-means** (MacQueen 1967; Lloyd 1982) places k centres and assigns each customer to
# the nearest, moving the centres to the mean of their customers until nothing changes; it
# minimises the sum of squared distances $\sum_i \lVert x_i - c_{\text{cluster}(i)}\rVert^2$.
# We run it on the *same* standardised indicators, with k = 4, starting points drawn by
# k-means++ (Arthur & Vassilvitskii 2007) from a fixed seed, ten restarts, the best kept —
# a few lines of numpy in `segmentation.kmeans`. Each cluster is then *named* by applying
# the rule to its centre, so that the two methods can be compared in a contingency table.

# %%
clusters = segmentation.cluster_segments(kd, s, key)
clusters.groupby("cluster")[["cluster_segment", "cluster_price_score", "cluster_service_score",
                             "cluster_technology_score"]].first().assign(
    customers=clusters["cluster"].value_counts().sort_index()).round(2)

# %%
# NBVAL_CHECK_OUTPUT
table = segmentation.compare(segments_table["segment"], clusters["cluster_segment"])
print(table.to_string())

# %%
ax = plots.confusion_matrix(table, row_label="the rule", col_label="k-means (named by its centre)",
                            title="Rule versus clusters (counts)")
plt.show()

# %% [markdown]
# ### What this means for the account manager
#
# The clusters find the big groups the rule finds — with no rule written by anyone, which
# is reassuring: the segments are in the data, not in our heads. But k-means spends two of
# its four clusters on the technology customers (the most distinct group) and has no
# cluster for the mixed ones, which it assigns to whichever group is nearest: every mixed
# customer is *forced*. And its answer to "why is this customer here?" is "it is nearest
# to centre 2". The rule says "it negotiated nine times a year". For a decision you must
# defend in front of a customer, use the rule; use clustering to check that the rule did
# not miss a group.

# %% [markdown]
# ## 7. What to offer: the strategy menu, customer by customer
#
# **The idea.** The primer's strategies become a menu (`segmentation.LEVERS`): each lever
# belongs to a segment and names the indicators that motivate it. `segmentation.levers`
# gives every key account the levers of its driver(s) — both menus for a mixed customer,
# a diagnosis for an unclear one — ranks them by the strength of their evidence (the
# largest z-score among the lever's indicators), and writes *why* in words. The
# account-plan reports call the same function, so the plan a manager reads is the one
# this chapter explains.

# %%
menu = pd.DataFrame([(lv.family, lv.name, ", ".join(lv.indicators) or "(family scores)")
                     for lv in segmentation.LEVERS],
                    columns=["segment", "lever", "motivated by"]).set_index(["segment", "lever"])
menu

# %%
# NBVAL_CHECK_OUTPUT
lever_table = segmentation.levers(kd, s, key)
per_family = lever_table.groupby("lever_family")["customer_id"].nunique()
print(f"{len(lever_table)} recommendations for {lever_table['customer_id'].nunique()} key accounts")
for family, n in per_family.items():
    print(f"  {family:<11} levers for {n} accounts")

# %%
if example is not None:
    for _, lever in lever_table[lever_table["customer_id"] == example].head(4).iterrows():
        print(f"{lever['priority']}. {lever['lever']}\n   why: {lever['why']}\n")

# %% [markdown]
# ### What this means for the account manager
#
# Each lever arrives with its reason, taken from the customer's own history: you offer
# off-season prices to the customer that already buys 40 % of its volume in June–August,
# big bags to the one whose lines are large enough, a trial to the one that runs three a
# year. The ranking tells you where to start. And "lead it towards valuing service" is
# always on a price customer's list: a relationship built on price alone is lost to the
# next cheaper offer (primer §2).

# %% [markdown]
# ## 8. Why the levers differ: the customer's benefit, V = U + B + R − C − T
#
# **The idea.** The sources model what a customer gets from a supplier as
#
# $$V = U + B + R - C - T,$$
#
# U the utility of product and service, B the brand, R the relationship, C what it pays
# and T the time and effort it spends. Segments weigh the terms differently — in B2B, U, C
# and T weigh most — and each lever moves some terms: a rebate lowers C, a trial raises U
# and lowers T, proactive service raises R and lowers T. With the segment's weights w
# (settings `benefit_price`, `benefit_service`, `benefit_technology`, normalised to
# sum 1) the gain of a lever is
#
# $$\Delta V = w_U \Delta U + w_B \Delta B + w_R \Delta R - w_C \Delta C - w_T \Delta T .$$
#
# This is a teaching aid, not a measurement: the weights and effects are stated
# assumptions, in the settings and in `segmentation.LEVERS`, for you to debate.

# %%
segmentation.benefit_weights(s).round(2)

# %%
view = segmentation.benefit_view(s)
ax = plots.benefit_map(view)
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
own = view[view["lever_family"].isin(segmentation.FAMILIES)]
agree = (own["best_for"] == own["lever_family"]).sum()
print(f"{agree} of {len(own)} levers raise V most for the segment whose menu they are in")
print(own.loc[own["best_for"] != own["lever_family"], ["lever_family", "best_for"]].to_string())

# %% [markdown]
# ### What this means for the account manager
#
# A rebate is worth 0.55 to a price-sensitive customer and 0.10 to a technology-driven
# one: the same money buys five times less value in the wrong segment. The exception is
# instructive: *lead it towards valuing service* raises V more for service and technology
# customers than for price customers — that is exactly why it is a long-term lever for the
# price segment: it works by changing what the customer values.

# %% [markdown]
# ## 9. Workshop: move the threshold
#
# The static results above are the lesson; the widget lets you play. Move the stand-out
# threshold, change the mixed rule or the reference group, and watch the segment counts
# and the map. "Save to settings file" writes your choice to the settings file, which the
# reports read. (The widget needs a running Jupyter kernel; in a static page you see it
# only as text.)

# %%
segmentation_widgets.segment_explorer(kd, s, key, settings_file=settings_file)

# %% [markdown]
# ## Exercises
#
# Write your answer in the empty cell under each exercise (in the learner's copy from
# `make exercises`).
#
# **Exercise 1 — which segment is this customer, and what would you offer?** Take the
# key account with the lowest confidence. Look at its indicator profile and its evidence.
# Which segment is it in, why is the confidence low, and which two levers would you
# propose first? What would you check with its account manager before acting?

# %% tags=["solution"]
low = notebook.pick(segments_table["confidence"], "min", what="segmented key account")
if low is not None:
    print(low, segments_table.loc[low, "evidence"])
    ax = plots.indicator_profile(segmentation.profile(kd, s, low), stand_out=s.segmentation.stand_out,
                                 title=f"{low}: indicator profile")
    plt.show()
    print(lever_table.loc[lever_table["customer_id"] == low, ["priority", "lever"]].head(2).to_string(index=False))
# Its family scores sit close to the threshold: a small change in behaviour would move it.
# Before acting, check with its account manager whether the standing-out behaviour is
# deliberate (a buying policy) or a one-off (a single bad year, a new buyer).

# %% [markdown]
# **Exercise 2 — check an indicator by hand.** For the example customer, compute the share
# of its volume (delivered kg, analysis window) bought on a deal, directly from
# `kd.orders`, and compare with `deal_volume_share`.

# %% tags=["solution"]
if example is not None:
    window = kd.orders[kd.orders["year"].isin(years) & (kd.orders["customer_id"] == example)]
    on_deal = window.loc[window["deal_type"] != "none", "volume_kg"].sum()
    print(f"by hand: {notebook.ratio(on_deal, window['volume_kg'].sum()):.3f}; "
          f"indicator: {indicators.loc[example, 'deal_volume_share']:.3f}")

# %% [markdown]
# **Exercise 3 — compared with whom?** Segment the key accounts with
# `segmentation.reference = "classified"` (standardise against the key accounts only).
# How many key accounts are technology-driven now, and what happens to the accuracy?
# Explain with the composition of the key-account list.

# %% tags=["solution"]
s_key_only = settings.replace(s, "segmentation.reference", "classified")
alt = segmentation.segments(kd, s_key_only, key)
print(alt["segment"].value_counts().to_string())
if answer_key is not None:
    print(segmentation.validate(alt, answer_key)[["clear_accuracy", "mixed_flagged"]].round(2).to_string())
# Most key accounts are technology-driven: their median IS a technology customer, so a
# technology customer no longer stands out against them, and the other customers' scores
# are pushed below zero. A driver is a departure from the typical customer of the base.

# %% [markdown]
# **Exercise 4 — the industry or the customer?** Chapter 00 asked which industry buys
# most on off-season deals. Now compare the median `deal_volume_share` of the key
# accounts by industry and by segment. Which explains the deals better?

# %% tags=["solution"]
industry = kd.customers.set_index("customer_id")["industry"]
frame = indicators[["deal_volume_share"]].assign(
    industry=industry.reindex(indicators.index).to_numpy(),
    segment=segments_table["segment"].to_numpy())
print(frame.groupby("industry")["deal_volume_share"].median().round(2).to_string())
print(frame.groupby("segment")["deal_volume_share"].median().round(2).to_string())
# The spread between segments is much larger than between industries: the customer's
# driver, not its industry, decides whether it buys on deals.

# %% [markdown]
# **Exercise 5 — the elasticity by hand.** With `segmentation.elasticity_points` for the
# example customer, compute the slope Σxy / Σx² and its standard error yourself, and
# compare with `price_elasticity` and `price_elasticity_se`. (The adjusted points have
# mean zero, so the line goes through the origin; the degrees of freedom are
# n − 4 − 1: four quarter-of-year means and the slope.)

# %% tags=["solution"]
if example is not None and len(points) > 5:  # 4 controls + slope need room
    x, y = points["log_price"], points["log_volume"]
    slope = (x * y).sum() / (x * x).sum()
    residual = ((y * y).sum() - slope * (x * y).sum()) / (len(x) - 4 - 1)
    se = (residual / (x * x).sum()) ** 0.5
    print(f"by hand {slope:.3f} ± {se:.3f}; kamlib {row['price_elasticity']:.3f} ± "
          f"{row['price_elasticity_se']:.3f}")

# %% [markdown]
# **Exercise 6 — a customer the data cannot read.** Build a list of the key accounts whose
# confidence is below 0.6 and, for each, the family it is closest to. Draft the one
# question you would ask each of them at the next visit.

# %% tags=["solution"]
unsure = segments_table[segments_table["confidence"] < 0.6]
fam = unsure[["price_score", "service_score", "technology_score"]]
closest = fam.fillna(-float("inf")).idxmax(axis=1).str.replace("_score", "").where(fam.notna().any(axis=1))
print(unsure.assign(closest=closest)[["segment", "closest", "confidence"]].round(2).to_string())
# e.g. price: "if we offered a price list for June-August, would you move volume there?";
# service: "what did our late delivery in May cost you?"; technology: "which of your
# products would you like to reformulate next year?"

# %% [markdown]
# ## Check your understanding
#
# 1. Why does the chapter measure price sensitivity with several indicators instead of
#    the elasticity alone?
# 2. A customer's volume fell 10 % in a quarter when its net price per kg fell 8 %. Is it
#    insensitive to price, or is something else going on? Name two things the elasticity
#    indicator corrects for.
# 3. Why is each indicator standardised with the median and the MAD rather than the mean
#    and the standard deviation?
# 4. Why are key accounts compared with all active customers rather than only with each
#    other?
# 5. A customer's family scores are price 2.1, service 0.5, technology −0.3. Which
#    segment does the rule give, and what would a "margin" rule with a margin of 1 give?
#    Which is more useful to the account manager?
# 6. k-means agrees with the rule on almost every clear customer. Why not use it instead?
# 7. Using V = U + B + R − C − T, explain why a volume rebate is a poor lever for a
#    technology-driven customer.
#
# <details>
# <summary>Answers</summary>
#
# 1. Each indicator is noisy or can have other causes: the elasticity of a key account has
#    a standard error of about ±0.5, deal share depends on which deals were offered,
#    economy grades exist only for feed uses. Several independent signs pointing the same
#    way are much harder to fool (and the evidence text shows which ones did).
# 2. Probably something else: the quarter may be its slack season (season effect), or it
#    may have switched to a cheaper grade (mix effect: net EUR/kg fell, prices did not).
#    The indicator removes each customer's quarter-of-year pattern and uses a price index
#    at current list prices, so neither is read as a price response.
# 3. Behaviour is skewed and has extreme customers (a loss-making giant with three times
#    everyone's requests). The median and MAD are not moved by them, so the "typical
#    customer" stays typical; the mean and standard deviation would be pulled towards the
#    extreme and hide everyone else's differences.
# 4. A driver is a departure from the usual. If most key accounts are technology-driven
#    (as here), their median is a technology customer, and technology behaviour no longer
#    stands out — the driver vanishes (exercise 3).
# 5. Mixed (price+service): both reach 0.4. The margin rule makes it price only (service is
#    more than 1 below price). The mixed flag is more useful: the customer also complains
#    about late deliveries, and a price-only plan would ignore the service levers that
#    keep it.
# 6. It cannot explain an assignment in terms of behaviour ("nearest to centre 2"), it
#    forces every mixed customer into one group, and its groups depend on k and on the
#    starting points. It is a good check that the rule did not miss a group.
# 7. A rebate lowers C, and C weighs little for a technology customer (0.10 by default)
#    while U weighs 0.50: the same money spent on a custom grade or a trial (which raise U)
#    creates far more value for it. ΔV of the rebate: 0.10 against 0.55 for a price
#    customer.
#
# </details>

# %% [markdown]
# ## Sources
#
# - The primer of this playbook, §2 (the three segments and their strategies) and §1 (the
#   customer-benefit model V = U + B + R − C − T), from the source articles on key-customer
#   management.
# - T. Nagle, G. Müller, *The Strategy and Tactics of Pricing*, 6th ed., Routledge 2018:
#   observable signs of price sensitivity; elasticity as the slope of a log-log demand fit.
# - B. Iglewicz, D. Hoaglin, *How to Detect and Handle Outliers*, ASQC 1993: the modified
#   z-score (median and MAD).
# - J. MacQueen, "Some methods for classification and analysis of multivariate
#   observations", 1967; S. Lloyd, "Least squares quantization in PCM", 1982;
#   D. Arthur, S. Vassilvitskii, "k-means++: the advantages of careful seeding", 2007.
