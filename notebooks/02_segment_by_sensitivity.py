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
# *About 45 minutes.* **You need:** chapter 00 (the data) and chapter 01 (the
# [key-account](../docs/glossary.md#key-account) list this chapter takes).
#
# **What you will be able to do**
#
# - read [price](../docs/glossary.md#price-sensitive), [service](../docs/glossary.md#service-sensitive) and
#   [technology](../docs/glossary.md#technology-sensitive) sensitivity from a customer's behaviour
#   (deals, [elasticity](../docs/glossary.md#elasticity), complaints after a bad delivery, trials);
# - put the evidence on one scale ([robust z-scores](../docs/glossary.md#robust-z-score),
#   [family scores](../docs/glossary.md#family-score)) and assign a [segment](../docs/glossary.md#segment) with a
#   [confidence](../docs/glossary.md#confidence), or say [mixed](../docs/glossary.md#mixed) or [unclear](../docs/glossary.md#unclear);
# - check a segmentation with a [confusion matrix](../docs/glossary.md#confusion-matrix) and a second
#   opinion by [k-means](../docs/glossary.md#k-means);
# - pick the levers that fit each key account, with the evidence behind each, and say why
#   they differ with the [customer benefit](../docs/glossary.md#customer-benefit) V = U + B + R − C − T.
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
example_customer = ""  # a customer id to explain in detail; "" = pick one automatically

# %%
from kamlib import notebook

notebook.setup()

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from kamlib import data, exercises, segmentation, settings, tables
from kamlib.course import prose
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
# The practitioner sources of the playbook ([the background](../docs/background.md), §2)
# describe three groups, each with its own strategy:
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
)
tables.table(catalogue, top=None, what="indicators")

# %%
indicators = segmentation.indicators(kd, s, key)
# six key accounts, one column each; shares as %, counts a year and the elasticity as numbers
shown_ind = indicators[list(segmentation.INDICATOR_NAMES)].head(6).T.rename_axis("indicator")
share_rows = {i.name: "pct" for i in segmentation.INDICATORS if i.name.endswith("share")
              or i.name in ("discount_depth", "complaints_after_bad_delivery",
                            "volume_change_after_bad_delivery")}
labels = {i.name: i.label for i in segmentation.INDICATORS}
tables.table(shown_ind.rename(index=labels), row_formats={labels[k]: v for k, v in share_rows.items()},
             top=None)

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
#

# %%
se = segments_table["price_elasticity_se"]
positive = segments_table.loc[segments_table["segment"] != "price", "price_elasticity"].gt(0).sum()
prose.say(
    f"Read the slope with its uncertainty. The median standard error over the key accounts is "
    f"±{prose.number(se.median(), 1)} (from ±{prose.number(se.min(), 1)} to ±{prose.number(se.max(), 1)}): "
    f"two slopes closer than about twice that cannot be told apart. And a slope is not always a price "
    f"response: a customer that grew fast over years when list prices were rising shows a *positive* "
    f"slope — growth read as \"buys more when the price is higher\". "
    f"{prose.count(positive, 'key account')} outside the price segment "
    f"{prose.choose(positive == 1, 'has', 'have')} a positive slope. That is why the elasticity is "
    "**one** indicator of the price family, never the sole judge, and why the rebate chapter takes it "
    "with its standard error.")

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
# A caveat: a large account receives many order lines. Were some of them late or short
# every few weeks, the windows after them would cover most of its year and leave little
# "normal" time to compare with: the volume reaction would be noisiest for exactly the
# customers we care most about. It reads well when failures come in episodes (a
# stock-out, a missed truck) with normal months between them; where they do not, the
# complaint rate after a bad delivery is the companion signal. The output below says how
# often our key accounts were failed and how the reaction reads on them.

# %%
# NBVAL_CHECK_OUTPUT
bad = indicators["bad_deliveries"]
print(f"late or short deliveries per key account over {len(years)} years: "
      f"median {bad.median():.0f}, range {bad.min():.0f}-{bad.max():.0f}")
change = indicators["volume_change_after_bad_delivery"]
print(f"volume reaction measured for {change.notna().sum()} of {len(change)} key accounts")
print(f"window after a bad delivery: {s.segmentation.bad_delivery_window_days} days")
reaction = change.groupby(segments_table["segment"].reindex(change.index)).median()
service_drop = reaction.get("service", float("nan"))
others = change[segments_table["segment"].reindex(change.index) != "service"].median()
print(f"median volume change after a bad delivery: service-sensitive {prose.signed_pct(service_drop, 0)}, "
      f"other key accounts {prose.signed_pct(others, 0)}")

# %%
prose.say(
    f"The median volume change after a bad delivery is {prose.signed_pct(service_drop, 0)} for the "
    f"service-sensitive key accounts and {prose.signed_pct(others, 0)} for the others: "
    + prose.choose(service_drop < others - 0.05,
                   "the service customers order visibly less after we fail them.",
                   prose.choose(service_drop < others,
                                "the service customers order a little less after we fail them, too little "
                                "to read on its own — the complaints after a bad delivery are the clearer sign.",
                                "no difference in volume — the complaints after a bad delivery are the "
                                "clearer sign.")))

# %% [markdown]
# ### What this means for the account manager
#

# %%
top_deal = indicators["deal_volume_share"].max()
top_neg = indicators["price_negotiations_per_year"].max()
top_compl = indicators["complaints_after_bad_delivery"].max()
prose.say(
    "Every number above is something you can verify with the customer's order history and your "
    f"CRM. Among our key accounts, one bought *{prose.pct(top_deal)} of its volume on deals*, one "
    f"*negotiated {prose.number(top_neg, 0)} times a year*, one *complained about "
    f"{prose.pct(top_compl)} of our late or short deliveries*. That is the vocabulary of the evidence "
    "this chapter produces — behaviour, not opinion. Where the data cannot tell (no price change, too "
    "short a history, no late delivery ever), the indicator is empty and says so; it is not replaced "
    "by a guess.")

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
# `segmentation.reference = "active"`), not only with the other key accounts. If many key
# accounts share one driver, then compared only with each other a customer with that
# driver would look *typical*, and its driver would vanish. How many share one here is in
# section 4; exercise 3 lets you see it happen.
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

# %%
fam = scores.rename(lambda k: k.replace("_score", "")) if example is not None else None
if fam is not None and fam.notna().any():  # no family scored (e.g. no list prices, costs)
    display(prose.say(
        "The bars are the z-scores: the customer's value and the typical value (the median of the "
        f"reference customers) are printed next to each. For {example}, the **{fam.idxmax()}** family "
        f"stands out most (score {prose.number(fam.max(), 2)}); the other two score "
        f"{prose.names([prose.number(v, 2) for v in fam.drop(fam.idxmax())])}."))

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
largest = counts.idxmax()
prose.say(f"The largest group is **{largest}**: {prose.count(counts.max())} of "
          f"{prose.count(len(segments_table), 'key account')} ({prose.pct(notebook.ratio(counts.max(), len(segments_table)))}). "
          "That is why the key accounts are compared with all active customers, not with each other.")

# %%
tables.table(segments_table[["segment", "mixed_types", "confidence", "price_score", "service_score",
                             "technology_score", "price_elasticity"]].sort_values("segment"),
             formats={"price_elasticity": "number:1", "confidence": "number:2"}, top=12,
             what="key accounts")

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
# axes. The longest arms belong to rare behaviours (trials, training, custom grades): the
# few customers who show them stand out by several standard deviations.
#
# ### What this means for the account manager
#
# The segment is a *hypothesis backed by evidence*, and the evidence is what you bring to
# the account review, in the form: "it negotiated so many times a year and bought this
# share of its volume on deals — it is price-driven; here is the plan for it". A *mixed* customer gets the levers of both
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
if answer_key is not None:
    display(tables.table(segmentation.confusion(segments_table, answer_key), top=None))

# %%
# NBVAL_CHECK_OUTPUT
if answer_key is not None:
    check = segmentation.validate(segments_table, answer_key)
    print(f"clear types right: {check['clear_correct']:.0f} of {check['clear_customers']:.0f} "
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
    lines, sweep = [], {}
    for threshold in (0.25, 0.4, 0.6, 0.8, 1.0):
        s_t = settings.replace(s, "segmentation.stand_out", threshold)
        v = segmentation.validate(segmentation.segments(kd, s_t, key), answer_key)
        sweep[threshold] = (v["clear_accuracy"], v["mixed_flagged"])
        lines.append(f"stand_out {threshold:.2f}: clear types right {v['clear_accuracy']:.0%}, "
                     f"mixed flagged {v['mixed_flagged']:.0%}")
    print("\n".join(lines))

# %%
if answer_key is not None:
    clear = [a for a, _ in sweep.values()]
    display(prose.say(
        f"Over the thresholds tried, the clear types are right between {prose.pct(min(clear))} and "
        f"{prose.pct(max(clear))} of the time. The mixed flag is the sensitive part: it goes from "
        f"{prose.pct(sweep[0.25][1])} at the lowest threshold to {prose.pct(sweep[1.0][1])} at the "
        "highest. A low threshold flags the mixed customers but also calls some clear customers mixed; "
        "a high one loses the weaker second driver of the mixed customers and starts leaving clear "
        f"customers unclear. The setting in force, {prose.number(s.segmentation.stand_out, 2)}, was "
        "chosen on the calibration companies to balance the two."))

# %% [markdown]
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
    v = v_active = segmentation.validate(segmentation.segments(kd, s, active), answer_key)
    print(f"{len(active)} active customers: clear types right {v['clear_accuracy']:.0%}, "
          f"mixed flagged {v['mixed_flagged']:.0%}")

# %% [markdown]
# ### What this means for the account manager
#

# %%
if answer_key is not None:
    display(prose.say(
        f"On the key accounts the rule is right for {prose.pct(check['clear_accuracy'])} of the clear-type "
        f"customers and flags {prose.pct(check['mixed_flagged'])} of the mixed ones; on all active customers, "
        f"most of them small, it is right for {prose.pct(v_active['clear_accuracy'])}"
        f"{prose.choose(v_active['clear_accuracy'] < check['clear_accuracy'], ', less often', '')}: a customer who "
        "orders a few times a year leaves little evidence."))

# %% [markdown]
# That is one more reason why
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
tables.table(clusters.groupby("cluster")[["cluster_segment", "cluster_price_score", "cluster_service_score",
                                          "cluster_technology_score"]].first().assign(
    customers=clusters["cluster"].value_counts().sort_index()), top=None)

# %%
table = segmentation.compare(segments_table["segment"], clusters["cluster_segment"])
tables.table(table, top=None)

# %%
ax = plots.confusion_matrix(table, row_label="the rule", col_label="k-means (named by its centre)",
                            title="Rule versus clusters (counts)")
plt.show()

# %% [markdown]
# ### What this means for the account manager

# %%
named = clusters.groupby("cluster")["cluster_segment"].first()
twice = named.value_counts()
twice = twice[twice > 1]
mixed_rule = int(table.loc["mixed", "total"]) if "mixed" in table.index else 0
mixed_kept = int(table.loc["mixed", "mixed"]) if "mixed" in table.index and "mixed" in table.columns else 0
prose.say(
    "The clusters find the big groups the rule finds — with no rule written by anyone, which is "
    "reassuring: the segments are in the data, not in our heads. "
    + prose.choose(len(twice) > 0, f"But k-means spends {prose.count(twice.iloc[0])} of its "
      f"{prose.count(len(named))} clusters on the **{twice.index[0]}** customers (the most distinct group), "
      "and ", "But k-means ")
    + f"puts {prose.count(mixed_rule - mixed_kept)} of the rule's {prose.count(mixed_rule, 'mixed customer')} "
    "into whichever single group is nearest: a mixed customer is *forced*. And its answer to \"why is "
    "this customer here?\" is \"it is nearest to that centre\"; the rule's answer is the behaviour "
    "(\"it negotiated so many times a year\"). For a decision you must defend in front of a customer, "
    "use the rule; use clustering to check that the rule did not miss a group.")

# %% [markdown]
# ## 7. What to offer: the strategy menu, customer by customer
#
# **The idea.** The strategies of section 1 become a menu (`segmentation.LEVERS`): each lever
# belongs to a segment and names the indicators that motivate it. `segmentation.levers`
# gives every key account the levers of its driver(s) — both menus for a mixed customer,
# a diagnosis for an unclear one — ranks them by the strength of their evidence (the
# largest z-score among the lever's indicators), and writes *why* in words. The
# account-plan reports call the same function, so the plan a manager reads is the one
# this chapter explains.

# %%
menu = pd.DataFrame([(lv.family, lv.name, ", ".join(lv.indicators) or "(family scores)")
                     for lv in segmentation.LEVERS],
                    columns=["segment", "lever", "motivated by"])
tables.table(menu, top=None, what="levers")

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

# %%
def _most(lever_word, indicator):
    ids = lever_table.loc[lever_table["lever"].str.contains(lever_word, case=False), "customer_id"].unique()
    values = indicators.loc[indicators.index.intersection(ids), indicator]
    return (values.idxmax(), values.max()) if len(values) else (None, float("nan"))

off_id, off_share = _most("off-season", "off_season_volume_share")
pack_id, pack_share = _most("bigger packs", "big_pack_share")
trial_id, trials = _most("trials", "trials_per_year")
examples = [f"off-season prices to {off_id}, which already buys {prose.pct(off_share)} of its volume "
            "in the off-season" if off_id else "",
            f"big bags to {pack_id}, which already buys {prose.pct(pack_share)} in big packs" if pack_id else "",
            f"a trial on site to {trial_id}, which runs {prose.number(trials, 1)} a year" if trial_id else ""]
examples = [e for e in examples if e]
prose.say(
    "Each lever arrives with its reason, taken from the customer's own history"
    + (": you offer " + "; ".join(examples) + "." if examples else ".")
    + " The ranking tells you where to start. And \"lead it towards valuing service\" is always on a "
    "price customer's list: a relationship built on price alone is lost to the next cheaper offer.")

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
weights_v = segmentation.benefit_weights(s)
tables.table(weights_v, formats={c: "number:2" for c in weights_v.columns}, top=None)

# %%
view = segmentation.benefit_view(s)
ax = plots.benefit_map(view)
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
own = view[view["lever_family"].isin(segmentation.FAMILIES)]
agree = (own["best_for"] == own["lever_family"]).sum()
print(f"{agree} of {len(own)} levers raise V most for the segment whose menu they are in")
exceptions = own.loc[own["best_for"] != own["lever_family"], ["lever_family", "best_for"]]

# %%
if len(exceptions):
    display(tables.table(exceptions.rename(columns={"lever_family": "in the menu of"}), top=None))

# %% [markdown]
# ### What this means for the account manager

# %%
w_cost = weights_v["cost"]
prose.say(
    f"A euro of rebate lowers C, which weighs {prose.number(w_cost['price'], 2)} for a price-sensitive "
    f"customer and {prose.number(w_cost['technology'], 2)} for a technology-driven one: the same money buys "
    f"{prose.times(w_cost['price'], w_cost['technology'])} less value in the wrong segment. "
    + prose.choose(len(exceptions) > 0,
        f"The exception{prose.choose(len(exceptions) > 1, 's are', ' is')} instructive: "
        + "; ".join(f"*{lv}* raises V most for the **{r['best_for']}** customers although it is in the "
                    f"{r['lever_family']} menu" for lv, r in exceptions.iterrows())
        + ". A lever like *lead it towards valuing service* is a long-term lever for the price segment: "
        "it works by changing what the customer values.", ""))

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
# `make exercises`). Where the answer is a number, a segment or a customer id, put it in
# the variable the exercise names (`answer_1`, ...) and run the check cell below it:
# `exercises.check` says *right* or *not yet* with a hint, without giving the answer away.
# Then compare with the model answer in the chapter.

# %%
where = dict(data_source=data_source, settings_file=settings_file, analysis_year=analysis_year)

# %% [markdown]
# **Exercise 1 — which segment is this customer, and what would you offer?** Take the
# key account with the lowest confidence (its id in `answer_1`). Look at its indicator
# profile and its evidence. Which segment is it in, why is the confidence low, and which
# two levers would you propose first? What would you check with its account manager
# before acting?

# %%
answer_1 = None  # a customer id, e.g. "C0001"

# %% tags=["solution"]
low = notebook.pick(segments_table["confidence"], "min", what="segmented key account")
answer_1 = low
if low is not None:
    print(low, segments_table.loc[low, "evidence"])
    ax = plots.indicator_profile(segmentation.profile(kd, s, low), stand_out=s.segmentation.stand_out,
                                 title=f"{low}: indicator profile")
    plt.show()
    first_two = lever_table.loc[lever_table["customer_id"] == low, ["priority", "lever"]].head(2)
    display(tables.table(first_two, top=None))
    r_low = segments_table.loc[low]
    display(prose.say(
        f"*Model answer.* {low} is **{r_low['segment']}**"
        f"{prose.choose(r_low['segment'] == 'mixed', ' (' + str(r_low['mixed_types']) + ')', '')} with a "
        f"confidence of {prose.number(r_low['confidence'], 2)}: one of its family scores sits close to the "
        f"threshold ({prose.number(s.segmentation.stand_out, 2)}), so a small change in behaviour would move it. "
        f"Propose the two levers above first ({prose.names(first_two['lever'])}), as proposals, not as a "
        "plan. Before acting, check with its account manager whether the behaviour that stands out is "
        "deliberate (a buying policy) or a one-off (a single bad year, a new buyer)."))

# %%
exercises.check("02.1", answer_1, **where)

# %% [markdown]
# **Exercise 2 — check an indicator by hand.** For the example customer, compute the share
# of its volume (delivered kg, analysis window) bought on a deal, directly from
# `kd.orders`, and compare with `deal_volume_share`. Put the share (a fraction, e.g. 0.25)
# in `answer_2`.

# %%
answer_2 = None  # a fraction

# %% tags=["solution"]
if example is not None:
    window = kd.orders[kd.orders["year"].isin(years) & (kd.orders["customer_id"] == example)]
    on_deal = window.loc[window["deal_type"] != "none", "volume_kg"].sum()
    answer_2 = notebook.ratio(on_deal, window["volume_kg"].sum())
    print(f"by hand: {answer_2:.3f}; indicator: {indicators.loc[example, 'deal_volume_share']:.3f}")
    display(prose.say(f"*Model answer.* {prose.pct(answer_2, 1)} of {example}'s kilograms were bought on a "
                      "deal: the kg of the lines whose deal type is not *none*, divided by all its kg in the "
                      "window. The indicator is exactly this ratio."))

# %%
exercises.check("02.2", answer_2, **where) if not example_customer else print(
    "The check knows the automatic example only: clear example_customer to use it.")

# %% [markdown]
# **Exercise 3 — compared with whom?** Segment the key accounts with
# `segmentation.reference = "classified"` (standardise against the key accounts only).
# How many key accounts are technology-driven now (in `answer_3`), and what happens to
# the accuracy? Explain with the composition of the key-account list.

# %%
answer_3 = None  # a count

# %% tags=["solution"]
s_key_only = settings.replace(s, "segmentation.reference", "classified")
alt = segmentation.segments(kd, s_key_only, key)
answer_3 = int((alt["segment"] == "technology").sum())
print("against the key accounts only: " + ", ".join(f"{k} {v}" for k, v in alt["segment"].value_counts().items()))
before_alt = segments_table["segment"].value_counts()
after_alt = alt["segment"].value_counts()
display(tables.table(pd.DataFrame({"against all active": before_alt, "against key accounts only": after_alt})
                     .fillna(0).rename_axis("segment"), formats={"against all active": "count",
                     "against key accounts only": "count"}, top=None))
if answer_key is not None:
    v3 = segmentation.validate(alt, answer_key)
    display(prose.say(
        f"*Model answer.* {prose.count(answer_3, 'key account')} {prose.choose(answer_3 == 1, 'is', 'are')} "
        f"technology-driven now, against {prose.count(before_alt.get('technology', 0))} before; the clear types "
        f"are right {prose.pct(v3['clear_accuracy'])} of the time (against {prose.pct(check['clear_accuracy'])}). "
        f"The largest group of key accounts is **{largest}**, so against the key accounts alone "
        "their median *is* such a customer: that driver no longer stands out, and the others' scores are "
        "pushed the other way. A driver is a departure from the typical customer of the base."))

# %%
exercises.check("02.3", answer_3, **where)

# %% [markdown]
# **Exercise 4 — the industry or the customer?** Chapter 00 asked which industry buys
# most on off-season deals. Now compare the median `deal_volume_share` of the key
# accounts by industry and by segment. Which explains the deals better: `"industry"` or
# `"segment"` (in `answer_4`)? *Hint:* compare the spread (largest minus smallest median).

# %%
answer_4 = None  # "industry" or "segment"

# %% tags=["solution"]
industry = kd.customers.set_index("customer_id")["industry"]
frame = indicators[["deal_volume_share"]].assign(
    industry=industry.reindex(indicators.index).to_numpy(),
    segment=segments_table["segment"].reindex(indicators.index).to_numpy())
by_i = frame.groupby("industry")["deal_volume_share"].median()
by_s = frame.groupby("segment")["deal_volume_share"].median()
display(tables.table(by_i.rename("median deal share").to_frame(), top=None))
display(tables.table(by_s.rename("median deal share").to_frame(), top=None))
spread_i, spread_s = by_i.max() - by_i.min(), by_s.max() - by_s.min()
answer_4 = "segment" if spread_s > spread_i else "industry"
prose.say(f"*Model answer.* The medians spread over {prose.number(100 * spread_s)} percentage points "
          f"between segments and {prose.number(100 * spread_i)} between industries: the **{answer_4}** "
          "explains the deals better"
          + prose.choose(answer_4 == "segment", " — the customer's driver, not its industry, decides whether "
                         "it buys on deals.", "."))

# %%
exercises.check("02.4", answer_4, **where)

# %% [markdown]
# **Exercise 5 — the elasticity by hand.** With `segmentation.elasticity_points` for the
# example customer, compute the slope Σxy / Σx² and its standard error yourself, and
# compare with `price_elasticity` and `price_elasticity_se`. (The adjusted points have
# mean zero, so the line goes through the origin; the degrees of freedom are
# n − 4 − 1: four quarter-of-year means and the slope.) Put the slope in `answer_5`.

# %%
answer_5 = None  # the slope

# %% tags=["solution"]
if example is not None and len(points) > 5:  # 4 controls + slope need room
    x, y = points["log_price"], points["log_volume"]
    slope = (x * y).sum() / (x * x).sum()
    residual = ((y * y).sum() - slope * (x * y).sum()) / (len(x) - 4 - 1)
    se_hand = (residual / (x * x).sum()) ** 0.5
    answer_5 = slope
    print(f"by hand {slope:.3f} ± {se_hand:.3f}; kamlib {row['price_elasticity']:.3f} ± "
          f"{row['price_elasticity_se']:.3f}")
    display(prose.say(f"*Model answer.* The slope is {prose.number(slope, 2)} ± {prose.number(se_hand, 2)}, "
                      "the same as the indicator: one grouped sum per customer is all the fit needs."))

# %%
exercises.check("02.5", answer_5, **where) if not example_customer else print(
    "The check knows the automatic example only: clear example_customer to use it.")

# %% [markdown]
# **Exercise 6 — a customer the data cannot read.** Build a list of the key accounts whose
# confidence is below 0.6 (their ids in `answer_6`) and, for each, the family it is
# closest to. Draft the one question you would ask each of them at the next visit.

# %%
answer_6 = None  # a list of customer ids

# %% tags=["solution"]
unsure = segments_table[segments_table["confidence"] < 0.6]
fam = unsure[["price_score", "service_score", "technology_score"]]
closest = fam.fillna(-float("inf")).idxmax(axis=1).str.replace("_score", "").where(fam.notna().any(axis=1))
answer_6 = list(unsure.index)
display(tables.table(unsure.assign(closest=closest)[["segment", "closest", "confidence"]], top=notebook.LIST,
                     what="key accounts", formats={"confidence": "number:2"}))

# %% [markdown] tags=["solution"]
# *Model answer.* One question per closest family, asked at the next visit:
#
# - **price**: "If we offered a price list for June–August, would you move volume there?"
# - **service**: "What did our last late delivery cost you?"
# - **technology**: "Which of your products would you like to reformulate next year?"
#
# The answer goes into the CRM; next year's data will show whether the behaviour followed.

# %%
exercises.check("02.6", answer_6, **where)

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
#    a standard error of several tenths (section 2.1), deal share depends on which deals were offered,
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
# 4. A driver is a departure from the usual. If many key accounts share one driver (section
#    4 shows the largest group), their median is such a customer, and that behaviour no
#    longer stands out — the driver vanishes (exercise 3).
# 5. Mixed (price+service): both reach 0.4. The margin rule makes it price only (service is
#    more than 1 below price). The mixed flag is more useful: the customer also complains
#    about late deliveries, and a price-only plan would ignore the service levers that
#    keep it.
# 6. It cannot explain an assignment in terms of behaviour ("nearest to that centre"), it
#    forces every mixed customer into one group, and its groups depend on k and on the
#    starting points. It is a good check that the rule did not miss a group.
# 7. A rebate lowers C, and C weighs little for a technology customer while U weighs most
#    (the weights table of section 8): the same money spent on a custom grade or a trial
#    (which raise U) creates far more value for it; the rebate's ΔV is a fraction of what
#    it is for a price customer.
#
# </details>

# %% [markdown]
# ## Sources
#
# - The three segments and their strategies, and the customer-benefit model
#   V = U + B + R − C − T: the practitioner sources of the playbook, summarised with their
#   references in [the background](../docs/background.md), §2.
# - V. Zeithaml, L. Berry, A. Parasuraman, "The behavioral consequences of service
#   quality", *Journal of Marketing* 60(2) (1996) 31–46: customers who are served badly buy
#   less and leave — the volume change after a bad delivery.
# - M. Kalwani, N. Narayandas, "Long-term manufacturer-supplier relationships: do they pay
#   off for supplier firms?", *Journal of Marketing* 59(1) (1995) 1–16: what close service
#   relationships with key customers bring the supplier.
# - T. Nagle, G. Müller, *The Strategy and Tactics of Pricing*, 6th ed., Routledge 2018:
#   observable signs of price sensitivity; elasticity as the slope of a log-log demand fit.
# - B. Iglewicz, D. Hoaglin, *How to Detect and Handle Outliers*, ASQC 1993: the modified
#   z-score (median and MAD).
# - J. MacQueen, "Some methods for classification and analysis of multivariate
#   observations", 1967; S. Lloyd, "Least squares quantization in PCM", 1982;
#   D. Arthur, S. Vassilvitskii, "k-means++: the advantages of careful seeding", 2007.
#
# The words used here are explained in the [glossary](../docs/glossary.md).
#
# **Next:** [chapter 03 — rebates and price levers](03_design_rebates_and_prices.ipynb):
# what would a rebate or a price lever cost a price-sensitive key account, and what must it
# earn back?
