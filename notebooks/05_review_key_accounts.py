# %% [markdown]
# # 05 · Reviewing key accounts
#
# *Relationships decay by nature. Once a year, ask of every key account: why is it key? —
# and answer from the data.*
#
# A [key-account](../docs/glossary.md#key-account) list is not chosen once. Customers that were key drift away — quietly:
# a little less volume each quarter, a [share of their need](../docs/glossary.md#share-of-wallet) going to a competitor, the [decision maker](../docs/glossary.md#decision-maker) not seen since spring, complaints that take longer to close. Theodore
# Levitt called it the natural entropy of relationships: attention and sensitivity weaken
# on both sides unless someone manages them. And customers that were not key a year ago
# may be now.
#
# This chapter is the periodic **review** (the "inventory" of the key customers): an
# **account health** score with its components and evidence, a **decay alert** checked
# against the truth the sample was generated with, the **decision** for every key account
# — keep, develop, downgrade or drop — with the action that follows, the **new
# candidates**, and the **migration** of customers between classes and relationship
# stages since last year.
#
# **What you will learn**
#
# 1. why relationships decay, and which signs show it in the data;
# 2. how an account health score 0–100 is built from eight components — each with its
#    weight, its scale, its evidence and the evidence it needs to count;
# 3. how to read a health score, and its limits;
# 4. how well the decay alert finds the decaying accounts (recall and precision), and why
#    its threshold was chosen on *other* companies;
# 5. the review decision: which of the reasons a customer was chosen for still hold, and
#    what to do at keep, develop, downgrade and drop;
# 6. who moved up or slipped in the pyramid, the ABC classes and the relationship stages;
# 7. why the review follows the company's goals, as the selection does (the golden-key
#    case).
#
# *About 40 minutes. Builds on chapter 01 (the key-account list) and chapter 04 (the
# relationship levels and stages).*

# %% tags=["parameters"]
# Parameters: papermill and `kam chapters --data` can replace these values.
data_source = "sample"  # "sample" = the bundled data; or a folder / Excel workbook of yours
settings_file = "../kam_settings.toml"  # the playbook's decisions (missing file = defaults)
analysis_year = 0  # the review year (0 = the latest complete year in the data): the review date is its 31 December
example_customer = ""  # a key account to explain in detail; "" = the least healthy one

# %%
from kamlib import notebook

notebook.setup()

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from kamlib import data, review, selection, settings, tables
from kamlib.plots import review as plots

# %% [markdown]
# We load the data and the settings and run the review once: `review.account_review`
# takes this year's key-account list from `selection.key_accounts` (chapter 01) and adds,
# for each key account, its health, decision, reasons and action. The account-plan
# reports call the same function, so the decision a manager reads in a plan is the one this
# chapter explains.

# %%
kd, s = notebook.load(data_source, settings_file, analysis_year)  # says whose data, which year
analysis_year = s.period.analysis_year
rv = s.review
reviewed = review.account_review(kd, s)
# The hidden truth of the bundled sample, to check the method (never an input to it).
answer_key = data.load_answer_key() if data_source == "sample" else None
print(f"{len(reviewed)} key accounts reviewed as of {analysis_year}-12-31")

# %% [markdown]
# ## 1. Why relationships decay
#
# **The idea.** A relationship that is not managed wears out. Levitt (1983) describes it
# from the supplier's side: once the sale is made, attention moves to the next prospect;
# the customer's people change; what was special becomes routine; small irritations are no
# longer mentioned, only remembered. Nothing dramatic happens — which is why nobody
# notices until the customer announces that it has moved half of its volume to a
# competitor.
#
# The signs are visible long before that, in data every company has:
#
# | sign | where it shows | health component |
# |---|---|---|
# | the customer buys less | orders | **volume trend** |
# | it buys the same, but more from others | orders ÷ its estimated total use | **share-of-wallet trend** |
# | it pays less for what it buys | orders (net price, cost) | **margin trend** |
# | it complains more than others | interactions (complaints) ÷ orders | **complaint rate** |
# | its complaints stay open | days to resolve | **complaint resolution time** |
# | nobody has seen the decision maker for months | contacts (last contact date) | **decision makers' last contact** |
# | we fail it | deliveries | **delivery performance** ([on time in full](../docs/glossary.md#on-time-in-full)) |
# | we serve it less than it deserves | visits, trials, trainings vs Kotler's [relationship level](../docs/glossary.md#relationship-level) | **service-level gap** |
#
# Routine without innovation belongs here too: no trial, no training, no new product for
# two years. It shows in the service-level gap (trials and trainings are what lift the
# observed level to *proactive*).

# %% [markdown]
# ## 2. Account health: eight components, one score
#
# **The idea.** Each sign is measured per customer over windows of 12 months ending at the
# review date (the last 12 months, and the 12 and 24 before), turned into a score 0–100 on
# a stated scale, and the scores are averaged with weights:
#
# $$\text{score}_c = 100 \times \operatorname{clip}\!\left(\frac{x_c - \text{bad}_c}{\text{good}_c - \text{bad}_c},\,0,\,1\right),
# \qquad
# \text{health} = \frac{\sum_c w_c\,\text{score}_c}{\sum_c w_c}
# \quad\text{(over the components with evidence).}$$
#
# A component **without enough evidence** for a customer is left out and the other weights
# are rescaled; with less than half of the weight backed by evidence there is no health at
# all — "we do not know" is an answer, not a zero. Every weight, scale and minimum is a
# setting (`[review]` in `kam_settings.toml`); the table is built from them:

# %%
sc = rv.scales
units = {
    "volume": ("average yearly change of kg over two years", sc.volume_change_bad, sc.volume_change_good, "orders 24-36 months ago ≥ %d" % rv.evidence.min_orders),
    "share_of_wallet": ("change of share of wallet, points, Y-2 → Y", sc.share_change_bad, sc.share_change_good, "total use estimated in both years"),
    "margin": ("change of gross margin rate, points, two years", sc.margin_change_bad, sc.margin_change_good, "orders ≥ %d in both windows" % rv.evidence.min_orders),
    "complaints": ("complaints per 100 orders ÷ the portfolio's", sc.complaint_ratio_bad, sc.complaint_ratio_good, "≥ %d complaints in 12 months, else no signal" % rv.evidence.min_complaints),
    "resolution": ("median days to resolve (open: age so far)", sc.resolution_days_bad, sc.resolution_days_good, "≥ %d complaints in 12 months" % rv.evidence.min_complaints),
    "contacts": ("days since the decision maker seen longest ago", sc.contact_days_bad, sc.contact_days_good, "a decision maker with a contact date"),
    "delivery": ("on-time-in-full rate, 12 months", sc.otif_bad, sc.otif_good, "≥ %d deliveries" % rv.evidence.min_deliveries),
    "service_gap": ("recommended − observed relationship level", sc.gap_bad, sc.gap_good, "always (chapter 04's rules)"),
}
weights = rv.weights.as_dict()
tables.table(pd.DataFrame(
    [(review.COMPONENT_LABELS[c], weights[c], *units[c]) for c in review.COMPONENTS],
    columns=["component", "weight", "measured as", "score 0 at", "score 100 at", "evidence needed"],
), formats={"weight": "number:1", "score 0 at": [review.COMPONENT_KINDS[c] for c in review.COMPONENTS],
            "score 100 at": [review.COMPONENT_KINDS[c] for c in review.COMPONENTS]}, top=None)

# %% [markdown]
# We compute the health of **every** customer who bought in the last 12 months, not only
# of the key accounts: the decay alert has to be checked on all of them, and next year's
# key accounts are among them.

# %%
# NBVAL_CHECK_OUTPUT
everyone = review.health(kd, s)
known = everyone["health"].notna()
print(f"{len(everyone)} customers with orders in the last 12 months; a health for {known.sum()}, "
      f"too little evidence for {(~known).sum()}")
if known.any():
    print(f"median health {everyone['health'].median():.0f}; key accounts: median "
          f"{reviewed['health'].median():.0f}, lowest {reviewed['health'].min():.0f}")
else:
    print("The data has too little evidence for any health score (see the components "
          "below: each says what it needs).")
print(f"decaying: {int(everyone['decaying'].sum())} customers, of which "
      f"{int(reviewed['decaying'].sum())} key accounts")

# %% [markdown]
# ### One account, component by component
#
# The least healthy key account (or the one named in the parameters). Dark bars are the
# components *in the red* (below the line at 50); hatched ones have no evidence.

# %%
# the least healthy; on an export without the evidence for a health, the least covered
example = example_customer or (reviewed["health"].idxmin() if reviewed["health"].notna().any()
                               else reviewed["coverage"].idxmin())
row = reviewed.loc[example]
ax = plots.health_components(row, weights, rv.signal_below,
                             title=f"{example}: health {row['health']:.0f}/100")
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
for c in review.COMPONENTS:
    score = row[f"{c}_score"]
    shown = "  - " if pd.isna(score) else f"{score:4.0f}"
    print(f"{shown}  {review.COMPONENT_LABELS[c]}: {row[f'{c}_evidence']}")
print(f"health over the last quarters: {row['health_trend']}")

# %% [markdown]
# Each line is something the account manager can check and say in a meeting, in the
# form *volume has fallen this much a year for two years; our share of its use went from
# this to that; its decision maker was last seen so many days ago*. That is the evidence
# the decision rests on.
#
# ### One complaint is not a trend
#
# A complaint received the day before the review date says something about that
# delivery, not about the relationship. The complaint rate and the resolution time
# therefore count only from `review.evidence.min_complaints` complaints in 12 months; below
# that they score 100 and say why. Among all customers:

# %%
# NBVAL_CHECK_OUTPUT
few = everyone.loc[(everyone["complaints_12m"] > 0)
                   & (everyone["complaints_12m"] < rv.evidence.min_complaints)]
counted = everyone.loc[everyone["complaints_12m"] >= rv.evidence.min_complaints]
print(f"{len(few)} customers with 1-{rv.evidence.min_complaints - 1} complaints: no complaint "
      "signal" + (f", all scored {few['complaints_score'].min():.0f}" if len(few) else ""))
print(f"{len(counted)} customers with {rv.evidence.min_complaints} or more: scored against "
      f"the portfolio's {everyone.attrs['portfolio_complaint_rate']:.1f} complaints per 100 orders")
print(f"{int((counted['complaints_score'] < rv.signal_below).sum())} of them in the red "
      f"(at least twice the portfolio's rate)")

# %% [markdown]
# ### How to read a health score — and its limits
#
# - **It is a summary, not a diagnosis.** 40/100 says "look here"; the components say
#   where. Two accounts with the same score can need opposite actions.
# - **It looks back.** Every window ends at the review date: the score tells you what has
#   happened, early — not what the customer has decided.
# - **It only knows what is recorded.** A visit not logged, a total use never estimated,
#   a decision maker missing from the contacts: the component is left out (and the
#   coverage falls), or it is wrong. The score is as good as the CRM.
# - **The scales are choices.** "−25 % a year is as bad as it gets" is a decision in the
#   settings, not a law. A company selling into a shrinking market may set it wider.
# - **It compares an account with its own past** (volume, share, margin) and with the
#   portfolio (complaints): a customer that was always difficult is not decaying.
# - **The contacts table is a snapshot.** It holds only the latest contact date, so the
#   decision makers' component counts at the review date only; for earlier quarter ends it
#   is left out of the trend.

# %% [markdown]
# ## 3. Does it work? Recall, precision, and a threshold chosen elsewhere
#
# **The idea.** An account is flagged **decaying** when its health is below the threshold
# (`review.health_threshold`) **and** at least `review.decay_min_signals` components are in
# the red — one bad number alone does not make a decay. The bundled data were generated
# with planted decaying relationships (volume falling about 20 % a year while the
# customer's total use does not, more complaints, fewer visits, no trials, decision makers
# unseen for months). Two numbers tell how good the alert is:
#
# $$\text{recall} = \frac{\text{flagged and decaying}}{\text{decaying}}, \qquad
# \text{precision} = \frac{\text{flagged and decaying}}{\text{flagged}} .$$
#
# **Where the threshold comes from.** Not from the sample. A threshold tuned on the data it
# is judged on flatters itself. It was chosen on three *other* companies made by the same
# generator with other seeds (600 customers each): the lowest threshold — the fewest false
# alarms — whose recall, pooled over the three, is at least 90 %. The cell below does it
# again, live (about 3 seconds):

# %%
# NBVAL_CHECK_OUTPUT
curves = review.calibrate(s, thresholds=range(35, 76, 5))
chosen = review.choose_threshold(curves, min_recall=0.9)
pooled = curves.groupby("threshold")[["flagged", "caught", "planted"]].sum()
for t, r in pooled.iterrows():
    print(f"threshold {t:3.0f}: recall {r['caught'] / r['planted']:5.1%}, "
          f"precision {r['caught'] / max(r['flagged'], 1):5.1%}  ({r['flagged']:.0f} flagged)")
print(f"seeds {', '.join(str(int(x)) for x in sorted(curves['seed'].unique()))}; chosen threshold: {chosen:g} "
      f"(in the settings: {rv.health_threshold:g})")

# %% [markdown]
# Then, and only then, the check on the bundled sample — every customer who bought in the
# last 12 months, then the key accounts alone:

# %%
# NBVAL_CHECK_OUTPUT
if answer_key is not None:
    v = review.validate(everyone, answer_key)
    print(f"all {v['customers']} active customers: {v['planted']} planted decaying, "
          f"{v['caught']} flagged -> recall {v['recall']:.0%} (target: at least 90%)")
    print(f"flags: {v['flagged']}, false alarms: {v['false_alarms']} -> precision {v['precision']:.0%}")
    vk = review.validate(reviewed, answer_key)
    print(f"key accounts: {vk['planted']} planted decaying, {vk['caught']} flagged, "
          f"{vk['false_alarms']} false alarms")

# %%
if answer_key is not None:
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
    plots.health_by_truth(everyone, answer_key, rv.health_threshold, ax=axes[0])
    sample_curve = review.threshold_curve(everyone, answer_key, s, range(35, 76, 5))
    plots.threshold_curve(curves, chosen, sample_curve, ax=axes[1])
    plt.show()

# %% [markdown]
# On the left, each dot is a customer: the planted decaying ones against the others; on
# the right, how recall and precision trade off as the threshold moves, on the calibration
# companies (solid) and on the sample (grey, checked only). Look at the false alarms before
# dismissing them: the alert needs several components in the red, so a false alarm is a
# customer whose volume, share or deliveries really did worsen — for a reason the
# generator did not label as "decay" (a customer losing its own market looks the same in
# our data). For an account
# manager a false alarm of that kind costs a conversation; a missed decay costs the
# account.
#
# ### Four quarters of trend
#
# Health at each of the last four quarter ends (each point looks back 12 months). A decay
# is a *slope*, and the trend shows when it started:

# %%
decaying_keys = list(reviewed.index[reviewed["decaying"]])
healthiest = [reviewed["health"].idxmax()] if reviewed["health"].notna().any() else []
if decaying_keys + healthiest:
    trend = review.health_trend(kd, s, customers=decaying_keys + healthiest)
    ax = plots.health_trend(trend, decaying_keys + healthiest, threshold=rv.health_threshold)
    plt.show()
else:  # no account has the evidence for a health score (see the coverage above)
    print("No key account has enough evidence for a health score: no trend to draw.")

# %% [markdown]
# ### What this means for the account manager
#
# A health score is a reason to pick up the phone, in order: the lowest first, and among
# equal scores the one falling fastest. Read the components, not the number; confirm what
# they say with the customer before writing the recovery plan. With your own company's data
# there is no answer key: the recall above is the best estimate you have of how many
# decaying accounts the alert finds — and the threshold is a setting you can move if you
# prefer more warnings and more false alarms.

# %% [markdown]
# ## 4. The decision: keep, develop, downgrade or drop
#
# **The idea.** The source's rule for the periodic inventory is short: for each key
# customer, ask *why is it key?* — with no good answer, downgrade it or drop it. The review
# makes "why" concrete with the reasons the selection of chapter 01 uses:
#
# - **size** — class A (the top 20 % of customers by sales);
# - **growth** — class B (grew in each of the last two years, with high cooperation);
# - **the goal's score** — at least `selection.key_accounts.min_score` on the scorecard
#   of the company's goal;
# - **profit** — not losing money after discounts, rebates and cost to serve.
#
# *Chosen for* are the reasons that were true when it was chosen; *still holds* those that
# are still true now. Then, in this order:
#
# | decision | when | what follows |
# |---|---|---|
# | **drop** | no orders this year; or no longer key by this year's selection, and no reason it was chosen for holds or it is decaying | off the key-account list: the standard package; release the key account manager's time |
# | **downgrade** | no longer key, but a reason holds and no decay | a good customer, not a key one: move it to the standard service package |
# | **keep** + recovery plan | still key, and decaying | executive visit, find out why volume and share fall, close the complaints, fix deliveries — one step per component in the red |
# | **develop** | still key, health ≥ `review.develop_min_health`, and room to grow: class B, half of its use bought elsewhere, or under-served | win share of wallet, raise the service level, a joint growth plan |
# | **keep** | every other key account | keep the plan; check the health next quarter |
#
# A decaying account that is still key is **kept**, not dropped: it is big and still
# profitable, and the recovery is worth more than the relationship that would replace it.
# The review of this year's list:

# %%
# NBVAL_CHECK_OUTPUT
counts = reviewed["decision"].value_counts().reindex(list(review.DECISIONS), fill_value=0)
for name, n in counts.items():
    print(f"{name:<10} {n:>3} key accounts")
print(f"decaying, kept with a recovery plan: {int((reviewed['decaying'] & (reviewed['decision'] == 'keep')).sum())}")

# %%
for cid in [example] + list(reviewed.index[reviewed["decision"] == "develop"][:1]):
    r = reviewed.loc[cid]
    print(f"{cid} {r['customer_name']}: {r['decision'].upper()}\n  why: {r['reasons']}\n"
          f"  action: {r['action']}\n")

# %% [markdown]
# This year's list was chosen with this year's data, so every account on it qualifies
# now, and only its health can move the decision. The real inventory is the review of the
# list **in force during the year** — the one chosen a year ago. Pass it as `key_table`:

# %%
# NBVAL_CHECK_OUTPUT
last_year = selection.key_accounts(kd, settings.replace(s, "period.analysis_year", analysis_year - 1))
in_force = review.account_review(kd, s, key_table=last_year)
counts = in_force["decision"].value_counts().reindex(list(review.DECISIONS), fill_value=0)
print(f"the {analysis_year - 1} list, reviewed with {analysis_year}'s data: " +
      ", ".join(f"{name} {n}" for name, n in counts.items()))
lost = in_force.loc[in_force["no_longer_holds"] != "none", "no_longer_holds"].value_counts()
for reason, n in lost.items():
    print(f"  reason no longer holding: {reason} ({n})")

# %%
tables.table(in_force.loc[in_force["decision"].isin(["drop", "downgrade"]),
             ["customer_name", "health", "decaying", "decision", "selected_for", "no_longer_holds", "action"]],
             formats={"health": "number:0"}, what="accounts")

# %% [markdown]
# **When the selection and the review disagree.** The selection of chapter 01 rates size
# and profit *this year*; the review reads the *direction* over two years. A shrinking
# account can therefore still be rated "excellent" by the fuzzy evaluation, or sit in a
# good quadrant of profit now × future. Both are true: it is big and profitable today, and
# it is slipping. The review table says so in one sentence (`selection_note`), which the
# account-plan report quotes next to the decision:

# %%
# NBVAL_CHECK_OUTPUT
notes = reviewed.loc[reviewed["selection_note"] != "", "selection_note"]
print(f"{len(notes)} key accounts where the selection looks better than the review")
if len(notes):
    print(notes.iloc[0])

# %% [markdown]
# ### What this means for the account manager
#
# | decision | your next step |
# |---|---|
# | **keep** (healthy) | keep the plan; watch the components that are closest to the red |
# | **keep** with a recovery plan | this quarter: an executive visit to the decision makers; ask what changed (a competitor's offer? their own demand?); one owner per component in the red; check again at the next quarter end |
# | **develop** | a proposal for the volume it buys elsewhere; the service level Kotler's grid recommends; a joint plan with a growing customer |
# | **downgrade** | tell the customer what stays (product, price, delivery) and what changes (visit frequency, dedicated services); move it to the standard package without drama |
# | **drop** | the same, and hand the account to the standard channel; free the time for a new candidate |
#
# A decision is a proposal for the review meeting, with its reasons written out. The
# account manager who knows that a customer's plant is being rebuilt overrules a falling
# volume — and writes that down too.

# %% [markdown]
# ## 5. The new candidates
#
# Selection is continuous: customers become key while others slip. The new candidates are
# the customers this year's selection makes key that were not on last year's list, with
# the reasons and their health:

# %%
# NBVAL_CHECK_OUTPUT
candidates = review.new_candidates(kd, s)
print(f"{len(candidates)} new candidates for {analysis_year + 1}")
for reason in ("size", "growth"):
    n = int(candidates["qualifies_for"].str.contains(reason).sum())
    print(f"  qualifying by {reason}: {n}")
print(f"  decaying among them: {int(candidates['decaying'].sum())}")

# %%
tables.table(candidates[["customer_name", "abc_class", "score", "health", "qualifies_for", "action"]],
             formats={"score": "number:0", "health": "number:0"}, what="candidates")

# %% [markdown]
# ## 6. Who moved: the pyramid, the ABC classes, the relationship stage
#
# **The idea.** A [*migration matrix*](../docs/glossary.md#migration-matrix) counts customers by their class last year (the [customer pyramid](../docs/glossary.md#customer-pyramid) tier, or the ABC class) (rows) and
# this year (columns); the diagonal stayed put, the rest moved. The movers are named.
# *Inactive* (no sales in the year) is the lowest class here: a customer that came back
# counts as moved up, one that stopped buying as slipped. Chapter 01's migration summary
# counts those two apart (*new* and *lost*), so its *up* and *down* are smaller.

# %%
pyr, pyr_movers = review.pyramid_migration(kd, s)
abc, abc_movers = review.abc_migration(kd, s)
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
plots.migration(pyr, ax=axes[0], years=(analysis_year - 1, analysis_year), what="pyramid tier")
plots.migration(abc, ax=axes[1], years=(analysis_year - 1, analysis_year), what="ABC class")
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
for name, mv in (("pyramid", pyr_movers), ("ABC", abc_movers)):
    up, down = int((mv["direction"] == "up").sum()), int((mv["direction"] == "down").sum())
    print(f"{name}: {up} moved up, {down} slipped")
print("slipped out of class A:", ", ".join(abc_movers.index[abc_movers["from"] == "A"]))

# %% [markdown]
# **The [relationship stage](../docs/glossary.md#relationship-stage)** (McDonald, Millman & Rogers 1997) describes the relationship
# itself: *exploratory* (testing each other), *basic* (transactional, one contact on each
# side), *cooperative* (several contacts, one supplier among others), *interdependent* (we
# are the main supplier), *integrated* (one team) — and *disintegrating*, which can happen
# at any stage. The rule, from chapter 04's `service.relationship_levels` and its settings
# (`service.relationship`):
#
# - **exploratory** when the first order is less than `exploratory_years` old;
# - **disintegrating** when the volume fell more than `decline_threshold` in each of
#   the last two years;
# - otherwise by share of wallet: **integrated** from `interdependent_share` at the
#   partnership level, **interdependent** from that share, **cooperative** from
#   `cooperative_share`, **basic** below.
# With the settings in force:
#

# %%
rel = s.service.relationship
print(f"exploratory: first order less than {rel.exploratory_years} years old")
print(f"disintegrating: volume down more than {rel.decline_threshold:.0%} in each of the last two years")
print(f"integrated / interdependent from {rel.interdependent_share:.0%} share of wallet, "
      f"cooperative from {rel.cooperative_share:.0%}, basic below")

# %%
# NBVAL_CHECK_OUTPUT
stages, stage_movers = review.stage_migration(kd, s)
now_dis = stage_movers.index[stage_movers["to"] == "disintegrating"]
print(f"key accounts whose stage changed since {analysis_year - 1}: {len(stage_movers)}")
print(f"now disintegrating: {', '.join(now_dis) or 'none'}")
print(f"of them flagged decaying by the health: {int(reviewed['decaying'].reindex(now_dis).sum())}")

# %%
tables.table(stage_movers, what="accounts")

# %% [markdown]
# A *disintegrating* stage and the decay alert need not agree. The stage reads one sign,
# volume falling two years running; the alert needs a low health **and** several
# components in the red. An account whose stage is disintegrating but which the health
# does not flag is shrinking while its share, contacts and deliveries hold: watch it at the
# next quarter end. One the health flags while its stage holds is losing share, contacts or
# service before its volume shows it — the earlier warning.

# %% [markdown]
# ## 7. The golden-key case: the review follows the goals
#
# In 1999 an international beverage company built a network of "golden-key" partners to
# reach retail outlets. It did not pick the biggest wholesaler of each city; it scored
# candidates on execution — on-time deliveries, complete orders, information sharing — and
# chose modest wholesalers that did those well. Selection followed the company's goal.
#
# The review must follow the same goal: *why is it key?* is answered under the goal of
# the day. If the company's goal becomes **build a distribution network**, the same
# customers are reviewed against the scorecard of that goal (chapter 01's preset), and the
# answer changes:

# %%
# NBVAL_CHECK_OUTPUT
network = selection.with_goal(s, "build a distribution network")
under_goal = review.account_review(kd, network, key_table=selection.key_accounts(kd, s))
counts = under_goal["decision"].value_counts().reindex(list(review.DECISIONS), fill_value=0)
print("this year's list under the goal 'build a distribution network': " +
      ", ".join(f"{name} {n}" for name, n in counts.items()))
print(f"new candidates under that goal: {len(review.new_candidates(kd, network, key_table=reviewed))}")

# %%
moved = under_goal.loc[under_goal["decision"].isin(["downgrade", "drop"])]
own_leave = int(reviewed["decision"].isin(["downgrade", "drop"]).sum())
display(Markdown(
    f"Under the network goal, **{len(moved)} of {len(under_goal)}** accounts of this year's list "
    f"would leave the key-account list (downgrade {int((moved['decision'] == 'downgrade').sum())}, "
    f"drop {int((moved['decision'] == 'drop').sum())}); under the company's own goal "
    + ("none does. " if own_leave == 0 else f"{own_leave} do. ")
    + "What no longer holds for them is the goal's score: they are big, but not better partners "
    "for a network than others."))

# %% [markdown]
# This year's list was chosen for size confirmed by a *balanced* score; under a network
# goal, size alone no longer answers "why is it key?", and the review proposes to
# downgrade (or drop) the big accounts whose execution and cooperation do not stand out. Neither
# answer is wrong: the review is only as right as the goal it is asked under. Change the
# goal in the settings (`selection.scorecard.goal`), and the selection, the review and the
# reports change with it.

# %% [markdown]
# ## Exercises
#
# These exercises are judgements: there is no check function, and each has a model answer
# right after it (code, then a short text). The learner's copy of this chapter
# (`make exercises`, in `build/exercises/`) has them removed: write your code in the cell
# that says `# Your answer here`, and your answer in words in the cell under it, then
# compare with the chapter.

# %% [markdown]
# **Exercise 1.** Set the weight of the decision makers' last contact to 0 (a company
# without a CRM). How many planted decaying customers does the alert still catch, and how
# many false alarms does it raise? Should the threshold move?

# %% tags=["solution"]
no_crm = settings.replace(s, "review.weights.contacts", 0.0)
h1 = review.health(kd, no_crm)
if answer_key is not None:
    v1 = review.validate(h1, answer_key)
    print(f"recall {v1['recall']:.0%}, precision {v1['precision']:.0%}, missed: {v1['missed_ids'] or 'none'}")
# the threshold would be chosen again on the calibration companies with these weights:
print("threshold chosen without contacts:",
      review.choose_threshold(review.calibrate(no_crm, thresholds=range(35, 76, 5))))

# %% [markdown] tags=["solution"]
# *Model answer.* Without contacts the alert loses the one component that sees an
# account manager's own neglect; the output above shows how many planted decaying
# customers are still caught and how precision moves. The threshold is not re-tuned on
# the sample: it is chosen again on the calibration companies (last line), and that is
# the value to put in the settings if the company has no CRM.

# %% [markdown]
# **Exercise 2.** Prepare one account manager's review meeting: the key accounts of the
# manager with the most accounts, their health, trend, decision and action.

# %% tags=["solution"]
manager = reviewed["account_manager"].value_counts().idxmax()
mine = reviewed.loc[reviewed["account_manager"] == manager]
print(manager, len(mine), "key accounts")
tables.table(mine[["customer_name", "health", "health_trend", "decision", "action"]],
             formats={"health": "number:0"}, top=None)

# %% [markdown] tags=["solution"]
# *Model answer.* Sort the meeting by health (lowest first) and read, for each
# account, the trend (is it falling?) and the action column: a recovery plan is agreed
# with an owner and a date, a "develop" proposal with a target volume, a healthy "keep"
# with the one component to watch. The table above is the meeting's agenda.

# %% [markdown]
# **Exercise 3.** Count a complaint as a signal from the first one
# (`review.evidence.min_complaints = 1`). How many customers' complaint component now
# falls into the red, and what happens to the precision of the alert?

# %% tags=["solution"]
eager = settings.replace(s, "review.evidence.min_complaints", 1)
h3 = review.health(kd, eager)
red_before = int((everyone["complaints_score"] < rv.signal_below).sum())
red_after = int((h3["complaints_score"] < rv.signal_below).sum())
print(f"complaint component in the red: {red_before} -> {red_after} customers")
if answer_key is not None:
    print(f"precision {review.validate(everyone, answer_key)['precision']:.0%} -> "
          f"{review.validate(h3, answer_key)['precision']:.0%}")

# %% [markdown] tags=["solution"]
# *Model answer.* Many more customers fall into the red on complaints, most of them on
# one or two complaints — single deliveries, not relationships. Because a decay needs
# `review.decay_min_signals` components in the red, the extra red complaint components
# add false alarms: precision falls (compare the two numbers above) while recall barely
# moves. That is why a signal needs `review.evidence.min_complaints` complaints.

# %% [markdown]
# **Exercise 4.** Which reason most often stops holding on last year's list, and for
# which customers? Write one sentence for each of them that you would say in the review
# meeting.

# %% tags=["solution"]
gone = in_force.loc[in_force["no_longer_holds"] != "none"]
print(gone["no_longer_holds"].value_counts().to_string())
for cid, r in gone.iterrows():
    print(f"{cid} {r['customer_name']}: chosen for {r['selected_for']}; "
          f"no longer: {r['no_longer_holds']} -> {r['decision']}")

# %% [markdown] tags=["solution"]
# *Model answer.* The list above names the reason and the customers. A sentence for the
# meeting has the form: "*C0xxx was chosen for its size; it is no longer class A because
# its sales fell below the top 20 %; it still pays its way, so we propose to downgrade it to
# the standard package and review it next year.*" — a reason that no longer holds, what
# still holds, and the decision with its action.

# %% [markdown]
# ## Check your understanding
#
# 1. Name four signs of a decaying relationship, and where each shows in the data.
# 2. A customer's volume is flat but its share of wallet fell from 60 % to 40 %. What
#    happened, and which component sees it?
# 3. Why does one complaint received the day before the review not lower the health?
# 4. A customer has no contacts recorded and no estimate of its total use. What does its
#    health score mean — and when is there no score at all?
# 5. Why was the health threshold chosen on other generated companies rather than on the
#    sample?
# 6. The alert's precision is below 100 %. What is a false alarm likely to be, and what
#    does it cost?
# 7. A key account is decaying but still class A and profitable. Keep, downgrade or drop
#    — and what is the action?
# 8. The company's goal changes to building a distribution network. Why does the review
#    change too?
#
# <details>
# <summary>Answers</summary>
#
# 1. Falling volume (orders), falling share of wallet (orders ÷ estimated total use),
#    rising complaints (interactions ÷ orders), decision makers not seen for months
#    (contacts), routine without innovation (no trials or trainings: the service gap).
# 2. It buys the same from us while its own use grew: the growth goes to a competitor.
#    The share-of-wallet trend sees it; the volume trend does not.
# 3. A complaint counts as a signal only from `review.evidence.min_complaints` (3)
#    complaints in 12 months: one complaint is about one delivery, not a trend. It is
#    still listed in the evidence.
# 4. Those components are left out and the others' weights rescaled; the coverage says
#    how much of the weight had evidence. Below half of the weight there is no health:
#    too little is known to say.
# 5. A threshold tuned on the data it is judged on makes its own result look better than
#    it will be on new data; chosen elsewhere, the sample's recall is an honest estimate.
# 6. Usually a customer that really shrinks, for another reason than the relationship
#    (its own market). It costs a conversation — a missed decay can cost the account.
# 7. Keep it, with a recovery plan: an executive visit to the decision makers, and one
#    step per component in the red. Dropping a big profitable account because it slips
#    would make the decay final.
# 8. *Why is it key?* is answered under the goal: the reasons (the goal's score) are
#    computed with that goal's weights, so accounts chosen for size alone may no longer
#    qualify — the golden-key case.
# </details>
#
# ## Sources
#
# - T. Levitt, "After the sale is over...", *Harvard Business Review* 61(5),
#   September–October 1983, 87–93 — the natural entropy of relationships, the periodic
#   inventory of key customers.
# - T. Millman, K. Wilson, "From key account selling to key account management",
#   *Journal of Marketing Practice: Applied Marketing Science* 1(1) (1995) 9–21 — the
#   relationship development model (exploratory to integrated, and disintegrating).
# - M. McDonald, T. Millman, B. Rogers, "Key account management: theory, practice and
#   challenges", *Journal of Marketing Management* 13 (1997) 737–757.
# - M. McDonald, B. Rogers, *Key Account Management: Learning from Supplier and Customer
#   Perspectives*, Butterworth-Heinemann, 1998 — the relationship stages and what each
#   asks of the supplier.
# - D. Ford (ed.), *Understanding Business Markets: Interaction, Relationships and
#   Networks*, Academic Press, 1990 (IMP Group); H. Håkansson (ed.), *International
#   Marketing and Purchasing of Industrial Goods: An Interaction Approach*, Wiley, 1982 —
#   relationships as interaction over time, with atmosphere and adaptation that can wear out.
# - P. Kotler, *Marketing Management*, Prentice Hall — the levels of relationship (basic,
#   reactive, accountable, proactive, partnership) behind the service-level gap.
# - J. Curry, A. Curry, *The Customer Marketing Method*, Free Press, 2000 — the customer
#   pyramid and migration between its tiers.
# - T. Keiningham, B. Cooil, L. Aksoy, T. Andreassen, J. Weiner, "The value of different
#   customer satisfaction and loyalty metrics in predicting customer retention,
#   recommendation, and share-of-wallet", *Managing Service Quality* 17(4) (2007) 361–384.
# - The golden-key partner case (an international beverage company, 1999) is the
#   selection case of chapter [01](01_select_key_customers.ipynb); its lesson here is only
#   that the review follows the goal.
#
# The words used here are explained in the [glossary](../docs/glossary.md).
#
# **Next:** this is the last chapter of the course. Go back to the [list of chapters](README.md)
# or produce the account plans of your key accounts, which show each account's health and
# decision (`kam reports`).
#
