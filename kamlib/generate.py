"""The seeded sample-data generator: a fictional niacin (vitamin B3) manufacturer.

*Auronia Nutrichem* sells niacin and niacinamide in feed, food, pharma and cosmetic
grades, in 25 kg bags, 25 kg drums and 500 kg big bags, to industrial customers. The
generator writes the tables of :mod:`kamlib.schema` and, separately, an answer key with
the hidden truth it planted. Everything is vectorised (numpy) and deterministic: the
same configuration gives the same bytes. Above 5,000 customers it works in blocks of
5,000 customers (:func:`generate_blocks`) and appends each block to the files, so
50,000 customers × 10 years (≈ 11 million order lines) stay under 2 GB of memory.

    kam data generate --customers 300 --years 5 --seed 7 --out data/sample

What it plants, so that every lesson of the playbook has something real to find:

- **concentration**: customer size is log-normal (σ = 1.77), so the top 20 % of
  customers bring about 80 % of revenue;
- **loss-making large customers** (``is_loss_making_large``): a handful of the biggest
  buyers (always the second and third largest) bought their volume with deep discounts
  (net prices 12-18 % below our unit cost), two more points of rebate, many small rush
  orders (more deliveries and freight) and the heaviest service of all
  (:data:`LOSS_SERVICE`: two and a half times the visits and service requests, three
  times the technical requests, and two executive visits, three trials and two
  trainings a year more, whatever their buying type): Kotler's grid recommends them
  little service for their margin, and they get a partnership's.
  Against about 22 % gross margin for the others, the whale curve of cumulative profit
  peaks in the range the literature reports, 150-300 % of total profit (Cooper &
  Kaplan 1991; Kaplan & Narayanan 2001);
- **growing mid-size customers** (``is_growing``): +30–50 % volume level a year over
  the last three years, with high cooperation and information sharing;
- **decaying relationships** (``is_decaying``): among the larger customers, volume
  falls about 20-30 % a year over the last two years while their total use does not (so
  share of wallet falls), complaints rise, visits thin out, trials stop, and the
  decision makers have not been contacted for 5–13 months;
- **seasonality**: peak September–November, off-season June–August with off-season
  special prices, company promotions in February and April;
- **buying sensitivity** (``sensitivity``: price, service, technology or mixed), which
  drives behaviour: price-sensitive customers respond to their net price (elasticity
  about −2.8 against about −0.5), buy on deals, in big bags and the economy grade, and
  negotiate often; service-sensitive customers complain after late or short deliveries,
  ask for service, and withhold 40 % of their orders for three months after a bad
  delivery. Delivery failures come in episodes, about two a year per customer (see
  :data:`EPISODE_EVERY_DAYS`), so that even a large account has normal time to
  compare its ordering after a failure with;
  technology-sensitive customers ask for technical support, trials and training, buy
  custom grades and adopt the new microencapsulated grade soon after its launch.
  Mixed customers show two of these at reduced strength;
- plus churned customers (inactive in the last year) and new customers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kamlib import schema
from kamlib.errors import SettingsError

#: The fewest customers a generated company can have: one customer of each of the five
#: planted kinds and as many ordinary ones again. Below :data:`SMALL_COMPANY` customers
#: every planted group has one customer (or two), above it the shares of the docstring.
MIN_CUSTOMERS = 10
SMALL_COMPANY = 40

# ----------------------------------------------------------------------------- config


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate. ``end_year`` is the last full year of history."""

    n_customers: int = 300
    years: int = 5
    end_year: int = 2025
    seed: int = 4

    def __post_init__(self) -> None:
        if self.n_customers < MIN_CUSTOMERS:
            raise SettingsError(
                f"kam data generate: --customers {self.n_customers} is too few; give at "
                f"least {MIN_CUSTOMERS}. The generator plants five kinds of customer (a "
                "loss-making large one, a growing, a decaying, a churned and a new one) "
                "and needs about as many ordinary customers again to compare them with.")
        if not 2 <= self.years <= 30:
            raise SettingsError(f"kam data generate: --years {self.years} is out of range; "
                                "give between 2 and 30 years of history.")

    @property
    def start_year(self) -> int:
        return self.end_year - self.years + 1


# The company's knobs (documented here, not settings: they describe the fictional world).
SIZE_SIGMA = 1.77  # log-normal spread of customer size -> top 20 % ~ 80 % of revenue
MEDIAN_VOLUME_KG = 4000.0  # median customer's yearly volume
OFF_SEASON_MONTHS = (6, 7, 8)
PEAK_MONTHS = (9, 10, 11)
PROMOTION_MONTHS = (2, 4)
OFF_SEASON_DISCOUNT = 0.08
PROMOTION_DISCOUNT = 0.05
BUNDLE_DISCOUNT = 0.10
# Delivery failures come in episodes (a stock-out of the customer's grade, a missed
# truck, a wrong pick): one in every EPISODE_EVERY_DAYS for each customer, and every
# line promised in its EPISODE_DAYS is late (or, SHORT_SHARE of them, short). About
# 10 % of lines fail, but a large account meets a failure about twice a year, not every
# week, so there is normal time to compare its ordering after a failure with.
EPISODE_EVERY_DAYS = 183
EPISODE_DAYS = 20
EPISODE_JITTER = 0.5  # spread of an episode's day around the customer's usual one (share of the period)
SHORT_SHARE = 0.35
SERVICE_REACTION_DAYS = 90
SERVICE_REACTION = 0.40  # share of orders a service-sensitive customer withholds
# The loss-making large customers: how many (share of the customers), their net price
# against our unit cost, their line size against a customer of their size, and the
# extra points of yearly rebate they negotiated.
LOSS_SHARE = 0.017
LOSS_PRICE_TO_COST = (0.82, 0.88)
LOSS_LINE_SIZE = 0.15
LOSS_REBATE_BONUS = 0.02
LOSS_VOLUME = 2.2
# ... and the heavy service they demand, whatever their buying type: for each kind of
# interaction, (times the rate of a customer like them, plus this many a year). Joint
# work (trials, trainings) and executive visits make it a partnership in all but margin.
LOSS_SERVICE = {
    "visit": (2.5, 0.0),
    "executive visit": (1.0, 2.0),
    "call": (1.5, 0.0),
    "service request": (2.5, 0.0),
    "technical request": (3.0, 0.0),
    "trial": (1.0, 3.0),
    "training": (1.0, 2.0),
    "price negotiation": (2.0, 0.0),
}
# The decaying customers: their volume each of the last two years against the year before.
DECAY = (0.71, 0.81)
# The growing customers: their yearly growth (volume level, last three years) and
# their line size against a customer of their size.
GROWTH = (1.30, 1.50)
GROW_LINE_SIZE = 0.4
# The discount a customer negotiates grows with its size: DISCOUNT_FOR_SIZE for the
# largest (on top of 1.5 %, plus 3 points for price-sensitive buyers).
DISCOUNT_FOR_SIZE = 0.07

PRODUCTS = pd.DataFrame(
    [
        # id, name, family, grade, purity, economy, custom, pack, size, list, cost, packaging, launch
        ("P01", "Niacin feed grade 99.5%, 25 kg bag", "niacin", "feed", 99.5, False, False, "bag", 25, 9.80, 7.27, 0.14, "2008-01-01"),
        ("P02", "Niacin feed grade 99.5%, 500 kg big bag", "niacin", "feed", 99.5, False, False, "big bag", 500, 9.40, 7.06, 0.04, "2012-06-01"),
        ("P03", "Niacin feed grade 98% economy, 25 kg bag", "niacin", "feed", 98.0, True, False, "bag", 25, 8.60, 6.58, 0.14, "2016-03-01"),
        ("P04", "Niacin feed grade 98% economy, 500 kg big bag", "niacin", "feed", 98.0, True, False, "big bag", 500, 8.25, 6.37, 0.04, "2016-03-01"),
        ("P05", "Niacin food grade 99.5%, 25 kg bag", "niacin", "food", 99.5, False, False, "bag", 25, 12.50, 8.78, 0.14, "2008-01-01"),
        ("P06", "Niacin pharma grade USP, 25 kg drum", "niacin", "pharma", 99.8, False, False, "drum", 25, 16.90, 11.39, 0.30, "2008-01-01"),
        ("P07", "Niacinamide cosmetic grade 99.5%, 25 kg drum", "niacinamide", "cosmetic", 99.5, False, False, "drum", 25, 19.50, 13.38, 0.30, "2010-01-01"),
        ("P08", "Niacinamide feed grade 99%, 25 kg bag", "niacinamide", "feed", 99.0, False, False, "bag", 25, 10.40, 7.73, 0.14, "2008-01-01"),
        ("P09", "Niacin coated custom grade, 25 kg bag", "niacin", "custom", 99.0, False, True, "bag", 25, 14.20, 9.72, 0.14, "2014-01-01"),
        ("P10", "Niacinamide micronised custom grade, 25 kg drum", "niacinamide", "custom", 99.5, False, True, "drum", 25, 22.00, 14.94, 0.30, "2015-01-01"),
        ("P11", "Niacin microencapsulated, 25 kg bag (new)", "niacin", "feed", 99.0, False, False, "bag", 25, 15.80, 10.87, 0.14, "NEW"),
    ],
    columns=["product_id", "product_name", "product_family", "grade", "purity_pct",
             "is_economy_grade", "is_custom", "pack_type", "pack_size_kg",
             "list_price_per_kg", "unit_cost_per_kg", "packaging_cost_per_kg",
             "launch_date"],
)
P_INDEX = {p: i for i, p in enumerate(PRODUCTS["product_id"])}
NEW_PRODUCT = "P11"

INDUSTRY_SHARES = {"feed premix": 0.45, "distributor": 0.18, "food & beverage": 0.15,
                   "pharma": 0.12, "cosmetics": 0.10}
# Base product mix per industry (before sensitivity shifts), in P01..P11 order.
_MIX = {
    "feed premix":     [0.46, 0.18, 0.10, 0.04, 0.20, 0, 0, 0, 0.02, 0, 0],
    "distributor":     [0.38, 0.22, 0.08, 0.04, 0.12, 0, 0, 0.16, 0, 0, 0],
    "food & beverage": [0, 0, 0, 0, 0.80, 0, 0, 0.18, 0.02, 0, 0],
    "pharma":          [0, 0, 0, 0, 0.10, 0.88, 0, 0, 0, 0.02, 0],
    "cosmetics":       [0, 0, 0, 0, 0, 0, 0.92, 0, 0, 0.08, 0],
}
_ECONOMY_SWAP = {0: 2, 1: 3}  # feed grade -> its economy grade
_BIGBAG_SWAP = {0: 1, 2: 3}   # bag -> big bag of the same grade
_CUSTOM_FOR = {"feed premix": 8, "distributor": 8, "food & beverage": 8, "pharma": 9,
               "cosmetics": 9}

REGIONS = {
    "Central Europe": ["Germany", "Austria", "Switzerland", "Poland", "Czechia"],
    "Western Europe": ["France", "Belgium", "Netherlands", "United Kingdom", "Ireland"],
    "Southern Europe": ["Italy", "Spain", "Portugal", "Greece"],
    "Nordics": ["Denmark", "Sweden", "Finland", "Norway"],
    "Middle East & Africa": ["Turkey", "Egypt", "South Africa", "United Arab Emirates"],
    "Asia Pacific": ["Japan", "South Korea", "Vietnam", "Thailand", "Indonesia"],
}
REGION_SHARES = [0.28, 0.22, 0.18, 0.10, 0.10, 0.12]
REGION_LEAD_DAYS = [8, 10, 12, 12, 24, 35]
ACCOUNT_MANAGERS = {
    "Central Europe": ["Anna Berg", "Lukas Hoffmann"],
    "Western Europe": ["Claire Dubois", "Tom Peeters"],
    "Southern Europe": ["Marco Bellini"],
    "Nordics": ["Sofia Lindqvist"],
    "Middle East & Africa": ["Omar Haddad"],
    "Asia Pacific": ["Mei Tanaka"],
}
LEGAL_FORMS = {
    "Germany": "GmbH", "Austria": "GmbH", "Switzerland": "AG", "Poland": "Sp. z o.o.",
    "Czechia": "s.r.o.", "France": "SAS", "Belgium": "NV", "Netherlands": "B.V.",
    "United Kingdom": "Ltd", "Ireland": "Ltd", "Italy": "S.p.A.", "Spain": "S.L.",
    "Portugal": "Lda", "Greece": "S.A.", "Denmark": "A/S", "Sweden": "AB",
    "Finland": "Oy", "Norway": "AS", "Turkey": "A.Ş.", "Egypt": "S.A.E.",
    "South Africa": "(Pty) Ltd", "United Arab Emirates": "LLC", "Japan": "K.K.",
    "South Korea": "Co., Ltd.", "Vietnam": "JSC", "Thailand": "Co., Ltd.",
    "Indonesia": "PT",
}
SECTOR_WORDS = {
    "feed premix": ["Premix", "Feed", "Agri Nutrition", "Animal Nutrition"],
    "distributor": ["Trading", "Chemicals", "Distribution", "Ingredients Supply"],
    "food & beverage": ["Foods", "Ingredients", "Beverages", "Food Solutions"],
    "pharma": ["Pharma", "Laboratories", "Health", "Life Sciences"],
    "cosmetics": ["Cosmetics", "Skincare", "Beauty Labs", "Dermacare"],
}
# Invented stems; none is the end of another, so no full name contains another.
STEMS = (
    "Alvora Brenta Calvix Dornel Elmara Fenwick Galdor Harvane Istria Jorvik Kestrel "
    "Lumira Marbeck Norvale Orsino Pellam Quenta Rodane Selvig Tarvos Ulmara Varenne "
    "Wexford Xantor Yerbal Zandor Arcadis Belmont Corvina Delphis Estrel Farrow "
    "Glenholm Hadria Ivory Juniper Kaldera Lorient Meridia Nexa Oakridge Pavona "
    "Quillon Rivanne Sorbel Tellus Umbria Veltro Wyndham Yarrow Zephyr Amberline "
    "Bastion Cedrus Dunmore Everon Falkner Greywell Hollins Iberis Jadeport Kinross "
    "Larkspur Montrose Northam Orchard Pinecrest Quarry Redfern Stellan Thornby "
    "Uplands Vireo Westmark Yelverton Zenith"
).split()
FIRST_NAMES = (
    "Jonas Lea Mathieu Chiara Erik Ingrid Pablo Elena Kenji Yuna Ahmet Leila Piet "
    "Marta Lars Anja Tomasz Sofie Jan Clara Hugo Nina Marek Alba Felix Greta Ola "
    "Iris Ravi Sara Dmitri Lucia Oskar Emma Farid Hana Bruno Eva Stefan Maja"
).split()
LAST_NAMES = (
    "Weber Laurent Rossi Nielsen Garcia Sato Kaya Jansen Novak Berg Moreau Conti "
    "Larsen Silva Kimura Demir Visser Kowalski Fischer Dubois Ricci Holm Costa Park "
    "Yilmaz Bakker Dvorak Meyer Lefebvre Greco Lund Santos Ito Arslan Smit Horvat "
    "Schmid Roux Marino Eriksen"
).split()
COMPETITORS = ["Vitarion", "Jiangnan Niacin Co.", "Lonvita", "NicoPharm Chemicals"]
SERVICE_STAFF = ["Customer Service (Petra Vogel)", "Customer Service (Luca Moretti)"]
TECH_STAFF = ["Technical Service (Dr. Ines Kramer)", "Technical Service (Dr. Ben Okafor)"]
EXECUTIVES = ["Managing Director (Henrik Sand)", "Sales VP (Julia Marquardt)"]

INTERACTION_MEAN_MINUTES = {
    "visit": 240, "executive visit": 480, "call": 20, "complaint": 150,
    "service request": 60, "technical request": 200, "trial": 900, "training": 360,
    "price negotiation": 120,
}


# ----------------------------------------------------------------------------- helpers


def _choice_rows(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each element of ``rows``, draw a column index from ``probs[row]``.

    ``probs`` is (n_groups, k) with rows summing to 1. Loops over the k columns only.
    """
    cum = np.cumsum(probs, axis=1)
    cum[:, -1] = 1.0
    u = rng.random(len(rows))
    out = np.zeros(len(rows), dtype=np.int64)
    for j in range(probs.shape[1] - 1):
        out += u >= cum[rows, j]
    return out


def _pick(rng: np.random.Generator, pool: np.ndarray, k: int) -> np.ndarray:
    """``k`` distinct elements of ``pool`` (all of them when the pool is smaller)."""
    return rng.choice(pool, min(k, len(pool)), replace=False)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Vectorised ids: ``_ids("C", [1, 2], 4) -> ["C0001", "C0002"]``."""
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), width)).astype(object)


def _month_starts(cfg: GeneratorConfig) -> np.ndarray:
    first = np.datetime64(f"{cfg.start_year}-01", "M")
    return (first + np.arange(cfg.years * 12 + 1)).astype("datetime64[D]")


def _group_size(n: int, share: float, least: int) -> int:
    """How many customers a planted group gets: ``share`` of ``n``, at least ``least``
    (one in a company smaller than :data:`SMALL_COMPANY`, so that the planted customers
    stay a minority of a small company)."""
    return max(least if n >= SMALL_COMPANY else 1, round(n * share))


def _unique_names(base: pd.Series) -> pd.Series:
    """Make names unique: every name that occurs more than once gets ' (k)'."""
    dup = base.duplicated(keep=False)
    k = base.groupby(base).cumcount() + 1
    return base.where(~dup, base + " (" + k.astype(str) + ")")


# ----------------------------------------------------------------------------- customers


def _customers(cfg: GeneratorConfig, rng: np.random.Generator) -> pd.DataFrame:
    n = cfg.n_customers
    M = cfg.years * 12
    # Size: the volume level in the last year (kg/year), log-normal.
    z = rng.standard_normal(n)
    size = MEDIAN_VOLUME_KG * np.exp(SIZE_SIGMA * z)

    industries = np.array(list(INDUSTRY_SHARES))
    ind_p = np.array(list(INDUSTRY_SHARES.values()))
    industry = industries[rng.choice(len(industries), n, p=ind_p)]
    # Distributors are bigger.
    size = np.where(industry == "distributor", size * 1.6, size)
    rank = np.argsort(np.argsort(-size, kind="stable"), kind="stable")  # 0 = biggest
    pct = 1.0 - rank / (n - 1)  # 1 = biggest

    regions = np.array(list(REGIONS))
    r_idx = rng.choice(len(regions), n, p=REGION_SHARES)
    region = regions[r_idx]
    country = np.array([""] * n, dtype=object)
    am = np.array([""] * n, dtype=object)
    for i, reg in enumerate(regions):  # loop over 6 regions
        m = r_idx == i
        cs = REGIONS[reg]
        country[m] = np.array(cs)[rng.choice(len(cs), m.sum())]
        ams = ACCOUNT_MANAGERS[reg]
        am[m] = np.array(ams)[rng.integers(0, len(ams), m.sum())]

    # Hidden sensitivity, depending on the industry.
    types = np.array(["price", "service", "technology", "mixed"])
    type_p = {
        "feed premix": [0.40, 0.27, 0.15, 0.18],
        "distributor": [0.48, 0.27, 0.07, 0.18],
        "food & beverage": [0.25, 0.33, 0.24, 0.18],
        "pharma": [0.12, 0.30, 0.40, 0.18],
        "cosmetics": [0.15, 0.25, 0.42, 0.18],
    }
    ind_codes = pd.Categorical(industry, categories=list(INDUSTRY_SHARES)).codes
    tp = np.array([type_p[i] for i in INDUSTRY_SHARES])[ind_codes]
    sens = types[_choice_rows(rng, tp, np.arange(n))]
    pairs = np.array(["price+service", "price+technology", "service+technology"])
    mixed_types = np.where(sens == "mixed", pairs[rng.integers(0, 3, n)], "")
    fam = {}
    for f in ("price", "service", "technology"):
        pure = sens == f
        mix = np.char.find(mixed_types.astype(str), f) >= 0
        fam[f] = np.where(pure, 1.0, np.where(mix, 0.7, 0.1))

    idx_by_rank = np.argsort(rank)  # customer index of rank 0, 1, ...
    # Loss-making large customers: the 2nd and 3rd largest plus a few more from the top
    # 8 % (large customers can be among the least profitable: the Kanthal case, Kaplan &
    # Cooper, *Cost & Effect*, 1998). Their deep discounts bought volume: they buy
    # LOSS_VOLUME times what their size alone would.
    n_loss = _group_size(n, LOSS_SHARE, 2)
    first = idx_by_rank[1: 1 + min(2, n_loss)]
    top = idx_by_rank[1 + len(first): max(4, int(0.08 * n))]
    loss = np.zeros(n, bool)
    loss[first] = True
    loss[_pick(rng, top, n_loss - len(first))] = True
    size = np.where(loss, size * LOSS_VOLUME, size)
    # Growing mid-size customers: size rank between 30 % and 55 % from the top.
    n_grow = _group_size(n, 0.05, 5)
    mid = idx_by_rank[int(0.30 * n): int(0.55 * n)]
    mid = mid[fam["price"][mid] <= 0.1]  # cooperative growers: service/technology partners
    grow = np.zeros(n, bool)
    grow[_pick(rng, mid, n_grow)] = True
    # Decaying relationships: among the top 30 %, not the loss makers.
    n_dec = _group_size(n, 0.05, 3)
    cand = np.setdiff1d(idx_by_rank[: int(0.30 * n)], np.flatnonzero(loss))
    dec = np.zeros(n, bool)
    dec[_pick(rng, cand, n_dec)] = True
    # Churned (small customers that stopped before the last year) and new customers.
    flagged = loss | grow | dec
    small = np.setdiff1d(idx_by_rank[int(0.4 * n):], np.flatnonzero(flagged))
    churn = np.zeros(n, bool)
    churn[_pick(rng, small, _group_size(n, 0.06, 2))] = True
    rest = np.flatnonzero(~(flagged | churn))
    new = np.zeros(n, bool)
    new[_pick(rng, rest, _group_size(n, 0.10, 2))] = True
    lo, hi = min(12, M // 2), max(min(12, M // 2) + 1, M - 12)
    start_m = np.where(new, rng.integers(lo, hi, n), 0)
    end_m = np.where(churn, rng.integers(lo, hi, n), M)

    # Growing customers must not start large: they end mid-size.
    # Elasticity of volume to the customer's own net price.
    elasticity = -(0.25 + 2.6 * fam["price"]) * np.exp(0.12 * rng.standard_normal(n))

    # Names: stem + sector word + legal form of the country.
    stems = np.array(STEMS)[rng.integers(0, len(STEMS), n)]
    words = np.array([SECTOR_WORDS[i] for i in INDUSTRY_SHARES])  # (industries, 4)
    sector = words[ind_codes, rng.integers(0, 4, n)]
    legal = pd.Series(country).map(LEGAL_FORMS).to_numpy()
    name = _unique_names(pd.Series(stems + " " + sector + " " + legal))

    size_score = np.log(size) + 0.6 * rng.standard_normal(n)
    q = np.quantile(size_score, [0.4, 0.75, 0.93])
    size_band = np.array(["small", "medium", "large", "enterprise"])[np.searchsorted(q, size_score)]

    order = rng.permutation(n)  # customer ids in random order (ids do not leak size)
    cid = np.empty(n, dtype=object)
    cid[order] = _ids("C", np.arange(1, n + 1), max(4, len(str(n))))
    return pd.DataFrame(
        {
            "customer_id": cid,
            "customer_name": name.to_numpy(),
            "industry": industry,
            "region": region,
            "country": country,
            "size_band": size_band,
            "account_manager": am,
            "_size": size,
            "_pct": pct,
            "_region_idx": r_idx,
            "_price": fam["price"],
            "_service": fam["service"],
            "_technology": fam["technology"],
            "_sensitivity": sens,
            "_mixed_types": mixed_types,
            "_elasticity": elasticity,
            "_loss": loss,
            "_grow": grow,
            "_decay": dec,
            "_churn": churn,
            "_new": new,
            "_start_m": start_m,
            "_end_m": end_m,
        }
    )


# ----------------------------------------------------------------------------- orders


def _price_indices(cfg: GeneratorConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Monthly list-price and unit-cost indices (1.0 in the last month).

    Prices move by quarter (raw-material driven), cost follows with noise.
    """
    M = cfg.years * 12
    q = rng.normal(0.006, 0.035, M // 3 + 1)
    q[0] = 0.0
    steps = np.repeat(q, 3)[:M]
    steps[np.arange(M) % 3 != 0] = 0.0
    lp = np.exp(np.cumsum(steps))
    lp = lp / lp[-1]
    cost = lp * np.exp(np.cumsum(rng.normal(0, 0.004, M)))
    cost = cost / cost[-1]
    return lp, cost


def _orders(cfg, rng, cust: pd.DataFrame, month_start: np.ndarray, prices=None,
            first_id: int = 1):
    n = len(cust)
    M = cfg.years * 12
    end_date = np.datetime64(f"{cfg.end_year}-12-31", "D")
    moy = np.arange(M) % 12 + 1
    t_years = (np.arange(M) + 0.5) / 12.0 - cfg.years  # years before the end (negative)

    size = cust["_size"].to_numpy()
    pct = cust["_pct"].to_numpy()
    price_i = cust["_price"].to_numpy()
    serv_i = cust["_service"].to_numpy()
    tech_i = cust["_technology"].to_numpy()
    loss = cust["_loss"].to_numpy()
    grow = cust["_grow"].to_numpy()
    dec = cust["_decay"].to_numpy()
    e = cust["_elasticity"].to_numpy()

    # --- volume level over time (customer x month)
    trend = rng.normal(0.02, 0.05, n)
    trend = np.where(grow | dec | loss, 0.0, trend)
    level = np.exp(trend[:, None] * t_years[None, :])
    g = np.log(rng.uniform(*GROWTH, n))
    level *= np.where(grow[:, None], np.exp(g[:, None] * np.maximum(t_years[None, :], -3.0)), 1.0)
    h = np.log(1 / rng.uniform(*DECAY, n))
    decay_mult = np.exp(-h[:, None] * np.clip(t_years[None, :] + 2.0, 0.0, 2.0))
    level_before_decay = level.copy()
    level *= np.where(dec[:, None], decay_mult, 1.0)
    active = (np.arange(M)[None, :] >= cust["_start_m"].to_numpy()[:, None]) & (
        np.arange(M)[None, :] < cust["_end_m"].to_numpy()[:, None]
    )

    # --- seasonality: peak Sep-Nov, off-season Jun-Aug; price-sensitive buyers shift
    # volume into the off-season when it is cheap.
    season = np.ones(12)
    season[[m - 1 for m in PEAK_MONTHS]] = 1.35
    season[[m - 1 for m in OFF_SEASON_MONTHS]] = 0.70
    season = season / season.mean()
    off = np.isin(moy, OFF_SEASON_MONTHS)
    peak = np.isin(moy, PEAK_MONTHS)
    promo = np.isin(moy, PROMOTION_MONTHS)

    # --- prices: the customer's discount, quarterly negotiation noise, deals
    disc = 0.015 + DISCOUNT_FOR_SIZE * pct + 0.03 * price_i + rng.normal(0, 0.01, n)
    disc = np.where(loss, rng.uniform(0.215, 0.235, n), np.clip(disc, 0.0, 0.16))
    neg_sd = 0.012 + 0.035 * price_i
    nq = M // 3 + 1
    negot = rng.standard_normal((n, nq)) * neg_sd[:, None]
    negot = np.repeat(negot, 3, axis=1)[:, :M]
    deal_take = 0.08 + 0.80 * price_i  # share of off-season lines bought on the deal
    promo_take = 0.05 + 0.60 * price_i
    list_idx, cost_idx = _price_indices(cfg, rng) if prices is None else prices
    exp_deal = (off[None, :] * deal_take[:, None] * OFF_SEASON_DISCOUNT
                + promo[None, :] * promo_take[:, None] * PROMOTION_DISCOUNT)
    net_idx = list_idx[None, :] * (1 - disc[:, None] - negot - exp_deal)
    rel_price = net_idx / net_idx.mean(axis=1, keepdims=True)
    price_effect = rel_price ** e[:, None]

    volume = (size[:, None] * level * season[moy - 1][None, :] * price_effect / 12.0) * active

    # --- order lines: count ~ Poisson(volume / typical line size)
    line_size = np.clip(4.2 * size ** 0.527, 100.0, 9000.0)
    line_size = np.where(loss, np.clip(line_size * LOSS_LINE_SIZE, 100, None), line_size)
    line_size = np.where(grow, np.clip(line_size * GROW_LINE_SIZE, 100, None), line_size)
    lam = volume / line_size[:, None]
    # B2B customers order regularly: counts follow the expected rate with systematic
    # rounding (a random phase per customer), not a Poisson draw.
    cum = np.cumsum(lam, axis=1) + rng.random(n)[:, None]
    counts = np.diff(np.floor(cum), axis=1, prepend=np.floor(cum[:, :1] - lam[:, :1])).astype(np.int64)
    c_idx, m_idx = np.nonzero(counts)
    reps = counts[c_idx, m_idx]
    lc = np.repeat(c_idx, reps)
    lm = np.repeat(m_idx, reps)
    L = len(lc)

    # dates
    days_in_month = (month_start[1:] - month_start[:-1]).astype(int)
    day = (rng.random(L) * days_in_month[lm]).astype(int)
    order_date = month_start[lm] + day.astype("timedelta64[D]")

    # products: industry mix, shifted by sensitivity
    ind = cust["industry"].to_numpy()
    ind_codes = pd.Categorical(ind, categories=list(INDUSTRY_SHARES)).codes
    mix = np.array([_MIX[i] for i in INDUSTRY_SHARES], dtype=float)[ind_codes]
    mix = mix / mix.sum(axis=1, keepdims=True)
    prod = _choice_rows(rng, mix, lc)
    # price-sensitive: economy grade and big bags
    u = rng.random(L)
    to_econ = (u < 0.55 * price_i[lc]) & np.isin(prod, list(_ECONOMY_SWAP))
    prod = np.where(to_econ & (prod == 0), 2, np.where(to_econ & (prod == 1), 3, prod))
    u = rng.random(L)
    big_ok = line_size[lc] >= 600  # a 500 kg big bag only where lines are that big
    prod = np.where(~big_ok & (prod == 1), 0, np.where(~big_ok & (prod == 3), 2, prod))
    to_big = (u < (0.15 + 0.55 * price_i[lc])) & big_ok & np.isin(prod, list(_BIGBAG_SWAP))
    prod = np.where(to_big & (prod == 0), 1, np.where(to_big & (prod == 2), 3, prod))
    # technology-sensitive: custom grades, and the new product after launch
    u = rng.random(L)
    custom_p = np.array([_CUSTOM_FOR[i] for i in INDUSTRY_SHARES])[ind_codes]
    to_custom = u < 0.45 * np.clip(tech_i[lc] - 0.1, 0, None)
    prod = np.where(to_custom, custom_p[lc], prod)
    launch = np.datetime64(f"{cfg.end_year - 2}-04-01", "D")
    adopt_delay = np.where(tech_i > 0.5, rng.integers(60, 270, n), rng.integers(400, 900, n))
    adopt_share = np.where(tech_i > 0.5, 0.20 * tech_i, np.where(rng.random(n) < 0.15, 0.05, 0.0))
    adopt_date = launch + adopt_delay.astype("timedelta64[D]")
    feedish = np.isin(ind[lc], ["feed premix", "distributor", "food & beverage"])
    to_new = (order_date >= adopt_date[lc]) & (rng.random(L) < adopt_share[lc]) & feedish
    prod = np.where(to_new, P_INDEX[NEW_PRODUCT], prod)

    pack = PRODUCTS["pack_size_kg"].to_numpy(float)[prod]
    qty = line_size[lc] * np.exp(0.30 * rng.standard_normal(L))
    qty = np.maximum(np.round(qty / pack), 1) * pack

    # deals
    u = rng.random(L)
    off_l = off[lm]
    promo_l = promo[lm]
    deal = np.full(L, "none", dtype=object)
    deal[off_l & (u < deal_take[lc])] = "off-season"
    deal[promo_l & (u < promo_take[lc])] = "promotion"
    deal_disc = np.where(deal == "off-season", OFF_SEASON_DISCOUNT,
                         np.where(deal == "promotion", PROMOTION_DISCOUNT, 0.0))

    # bundles: a second line, another product at a special price, same order
    bundle_p = 0.02 + 0.25 * price_i
    has_bundle = rng.random(L) < bundle_p[lc]
    partner = np.where(np.isin(prod, [0, 1, 2, 3, 10]), P_INDEX["P08"], P_INDEX["P01"])
    partner = np.where(np.isin(ind[lc], ["pharma", "cosmetics"]), prod, partner)
    has_bundle &= partner != prod

    list_price = PRODUCTS["list_price_per_kg"].to_numpy()[prod] * list_idx[lm]
    unit_cost = PRODUCTS["unit_cost_per_kg"].to_numpy()[prod] * cost_idx[lm]
    net = list_price * (1 - disc[lc] - negot[lc, lm] - deal_disc)
    # loss-making large customers negotiated prices down to just above cost
    whale_net = unit_cost * rng.uniform(*LOSS_PRICE_TO_COST, L)
    net = np.where(loss[lc], whale_net, net)

    # delivery
    lead = np.array(REGION_LEAD_DAYS)[cust["_region_idx"].to_numpy()][lc]
    promised = order_date + lead.astype("timedelta64[D]")
    in_episode = _in_failure_episode(rng, cfg, dec, month_start, lc, promised)
    short = in_episode & (rng.random(L) < SHORT_SHARE)
    late = in_episode & ~short
    delay = np.where(late, rng.integers(3, 22, L), -rng.integers(0, 3, L))
    actual = promised + delay.astype("timedelta64[D]")
    delivered = np.where(short, np.maximum(np.floor(qty * rng.uniform(0.5, 0.95, L) / pack), 0) * pack, qty)

    lines = pd.DataFrame(
        {
            "_c": lc, "_m": lm, "order_date": order_date, "_prod": prod,
            "quantity_kg": qty, "list_price_per_kg": list_price, "net_price_per_kg": net,
            "unit_cost_per_kg": unit_cost, "promised_delivery_date": promised,
            "actual_delivery_date": actual, "delivered_kg": delivered,
            "deal_type": deal, "_late": late, "_short": short & (delivered < qty),
            "_bundle": has_bundle, "_partner": partner,
        }
    )
    lines = lines.sort_values(["_c", "order_date"], kind="stable").reset_index(drop=True)

    # service-sensitive customers cut orders for 90 days after a bad delivery
    since = _days_since_bad_delivery(lines)
    react = (since >= 0) & (since < SERVICE_REACTION_DAYS)
    drop = react & (rng.random(len(lines)) < SERVICE_REACTION * serv_i[lines["_c"].to_numpy()])
    lines = lines.loc[~drop].reset_index(drop=True)

    # bundle lines
    b = lines.loc[lines["_bundle"]].copy()
    bp = b["_partner"].to_numpy()
    b["_prod"] = bp
    bpack = PRODUCTS["pack_size_kg"].to_numpy(float)[bp]
    b["quantity_kg"] = np.maximum(np.round(b["quantity_kg"].to_numpy() * 0.3 / bpack), 1) * bpack
    b["delivered_kg"] = b["quantity_kg"]
    b["_short"] = False
    bm = b["_m"].to_numpy()
    b["list_price_per_kg"] = PRODUCTS["list_price_per_kg"].to_numpy()[bp] * list_idx[bm]
    b["unit_cost_per_kg"] = PRODUCTS["unit_cost_per_kg"].to_numpy()[bp] * cost_idx[bm]
    bc = b["_c"].to_numpy()
    b["net_price_per_kg"] = b["list_price_per_kg"] * (1 - disc[bc] - negot[bc, bm] - BUNDLE_DISCOUNT)
    b["deal_type"] = "bundle"
    lines["order_line"] = 1
    b["order_line"] = 2
    lines["_seq"] = np.arange(len(lines))
    b["_seq"] = b.index.to_numpy()
    lines = pd.concat([lines, b], ignore_index=True)
    lines = lines.sort_values(["order_date", "_seq", "order_line"], kind="stable").reset_index(drop=True)
    # order ids numbered by date
    first_pos = lines.groupby("_seq", sort=False).ngroup()
    lines["order_id"] = _ids("SO", first_pos.to_numpy() + first_id, 7)

    # not delivered yet at the end of the history
    open_ = lines["actual_delivery_date"] > pd.Timestamp(end_date)
    lines.loc[open_, "actual_delivery_date"] = pd.NaT
    lines.loc[open_, "delivered_kg"] = 0.0

    for c in ("list_price_per_kg", "net_price_per_kg", "unit_cost_per_kg"):
        lines[c] = lines[c].clip(lower=0.0).round(2)
    lines["product_id"] = PRODUCTS["product_id"].to_numpy()[lines["_prod"].to_numpy()]
    lines["customer_id"] = cust["customer_id"].to_numpy()[lines["_c"].to_numpy()]
    extras = {
        "disc": disc, "level_before_decay": level_before_decay, "active": active,
        "season": season, "list_idx": list_idx,
    }
    return lines, extras


def _in_failure_episode(rng, cfg, dec, month_start, lc, promised) -> np.ndarray:
    """Is each order line (customer ``lc``, promised date ``promised``) promised inside
    one of its customer's delivery-failure episodes (:data:`EPISODE_DAYS` long)?

    Failures are regular, like the orders: every customer has one episode in each
    period of :data:`EPISODE_EVERY_DAYS`, on a random day of it (so about two a year,
    never a year without and never a year of ten); decaying customers get one more in
    each quarter of the last two years."""
    n = len(dec)
    pday = (promised - month_start[0]).astype(np.int64)
    last2 = (np.datetime64(f"{cfg.end_year - 1}-01-01", "D") - month_start[0]).astype(np.int64)
    # the lines by customer and promised day, to find the first line of an episode
    key = lc.astype(np.int64) * 1_000_000 + pday
    by_key = np.argsort(key, kind="stable")
    sorted_key = key[by_key]
    out = np.zeros(len(lc), bool)
    for every, who, since in ((EPISODE_EVERY_DAYS, np.ones(n, bool), 0),
                              (91, dec, last2)):  # the regular series, the decaying one
        k = int((pday.max() - since) // every) + 2
        phase = rng.random(n)[:, None] + EPISODE_JITTER * (rng.random((n, k)) - 0.5)
        starts = since + every * (np.arange(k)[None, :] + phase)
        b = (pday - since) // every
        for back in (0, 1):  # the episode of the line's period or of the one before
            m = np.clip(b - back, 0, k - 1)
            d = pday - starts[lc, m]
            out |= who[lc] & (b - back >= 0) & (d >= 0) & (d < EPISODE_DAYS)
        # an episode always fails at least the customer's next delivery (a small
        # customer with a line a month meets it too, not one episode in two)
        ec, ek = np.nonzero(who[:, None] & (starts <= pday.max()))
        ekey = ec.astype(np.int64) * 1_000_000 + np.ceil(starts[ec, ek]).astype(np.int64)
        pos = np.searchsorted(sorted_key, ekey, side="left")
        ok = pos < len(sorted_key)
        pos = pos[ok]
        near = (sorted_key[pos] // 1_000_000 == ec[ok]) & (
            sorted_key[pos] - ekey[ok] < every)
        out[by_key[pos[near]]] = True
    return out


def _days_since_bad_delivery(lines: pd.DataFrame) -> np.ndarray:
    """For each order line, the days from its customer's latest late or short delivery
    *delivered on or before* its order date to the order date (-1 when none).
    ``lines`` has ``_c``, ``order_date``, ``actual_delivery_date``, ``_late``, ``_short``."""
    day0 = np.datetime64("1970-01-01", "D")
    c = lines["_c"].to_numpy().astype(np.int64)
    bad = (lines["_late"] | lines["_short"]).to_numpy()
    bad_day = (lines["actual_delivery_date"].to_numpy().astype("datetime64[D]") - day0
               ).astype(np.int64)
    ev = np.unique(c[bad] * 1_000_000 + bad_day[bad])
    if not len(ev):
        return np.full(len(lines), -1)
    day = (lines["order_date"].to_numpy().astype("datetime64[D]") - day0).astype(np.int64)
    pos = np.searchsorted(ev, c * 1_000_000 + day, side="right") - 1
    hit = (pos >= 0) & (ev[np.maximum(pos, 0)] // 1_000_000 == c)
    return np.where(hit, day - ev[np.maximum(pos, 0)] % 1_000_000, -1)


# ----------------------------------------------------------------------------- interactions


def _dates_in_active_months(rng, cust, counts: np.ndarray, month_start: np.ndarray):
    """Expand a customer × year table of event counts into events: the customer index
    of each event and a random date in one of the customer's active months of that
    year."""
    c_idx, y_idx = np.nonzero(counts)
    reps = counts[c_idx, y_idx]
    ic = np.repeat(c_idx, reps)
    iy = np.repeat(y_idx, reps)
    lo = np.clip(cust["_start_m"].to_numpy()[ic] - iy * 12, 0, 11)
    hi = np.clip(cust["_end_m"].to_numpy()[ic] - iy * 12, 1, 12)
    m = iy * 12 + lo + (rng.random(len(ic)) * (hi - lo)).astype(int)
    dim = (month_start[m + 1] - month_start[m]).astype(int)
    d = month_start[m] + (rng.random(len(ic)) * dim).astype(int).astype("timedelta64[D]")
    return ic, d


def _interactions(cfg, rng, cust, lines, month_start, first_id: int = 1):
    n = len(cust)
    Y = cfg.years
    M = Y * 12
    end_date = np.datetime64(f"{cfg.end_year}-12-31", "D")
    pct = cust["_pct"].to_numpy()
    price_i = cust["_price"].to_numpy()
    serv_i = cust["_service"].to_numpy()
    tech_i = cust["_technology"].to_numpy()
    loss = cust["_loss"].to_numpy()
    dec = cust["_decay"].to_numpy()
    grow = cust["_grow"].to_numpy()

    # active share of each customer-year
    months = np.arange(M)
    act = (months[None, :] >= cust["_start_m"].to_numpy()[:, None]) & (
        months[None, :] < cust["_end_m"].to_numpy()[:, None])
    act_y = act.reshape(n, Y, 12).mean(axis=2)  # (n, Y)
    last2 = np.arange(Y) >= Y - 2
    sizef = 0.4 + 1.2 * pct

    def rate(base):  # (n,) -> (n, Y)
        return base[:, None] * act_y

    rates = {
        "visit": rate(0.3 + 9.0 * pct ** 2.5) * np.where(dec[:, None] & last2[None, :], 0.3, 1.0)
                 * np.where(grow, 1.5, 1.0)[:, None],
        "executive visit": rate(np.where(pct > 0.95, 1.0, 0.0))
                 * np.where(dec[:, None] & last2[None, :], 0.0, 1.0),
        "call": rate(1.5 + 10.0 * pct),
        "service request": rate((0.2 + 5.0 * serv_i) * sizef),
        "technical request": rate((0.15 + 6.0 * tech_i) * sizef),
        "trial": rate(0.03 + 1.8 * np.clip(tech_i - 0.1, 0, None) * sizef)
                 * np.where(dec[:, None] & last2[None, :], 0.0, 1.0),
        "training": rate(0.03 + 1.4 * np.clip(tech_i - 0.1, 0, None) * sizef),
        "price negotiation": rate((0.2 + 6.0 * price_i) * sizef),
    }
    # the loss makers' heavy service, whatever their buying type: more of every contact
    # and joint work (trials, trainings) on top (LOSS_SERVICE: times, plus per year)
    for itype, (times, plus) in LOSS_SERVICE.items():  # a handful of types
        rates[itype] = np.where(loss[:, None], rates[itype] * times + rate(np.full(n, plus)),
                                rates[itype])
    frames = []
    for itype, lam in rates.items():  # loop over interaction types (a handful)
        ic, d = _dates_in_active_months(rng, cust, rng.poisson(lam), month_start)
        frames.append(pd.DataFrame({"_c": ic, "date": d, "type": itype}))

    # complaints: after bad deliveries (service-sensitive almost always complain),
    # plus quality/packaging/documentation complaints; more for decaying and loss makers
    lc = lines["_c"].to_numpy()
    bad = (lines["_late"] | lines["_short"]).to_numpy() & lines["actual_delivery_date"].notna().to_numpy()
    p_c = 0.10 + 0.75 * serv_i[lc]
    comp = bad & (rng.random(len(lines)) < p_c)
    cl = lines.loc[comp]
    reason = np.where(cl["_short"].to_numpy(), "short delivery", "late delivery")
    frames.append(pd.DataFrame({
        "_c": cl["_c"].to_numpy(),
        "date": (cl["actual_delivery_date"] + pd.to_timedelta(rng.integers(0, 4, len(cl)), unit="D")).to_numpy(),
        "type": "complaint", "complaint_reason": reason,
        "product_id": cl["product_id"].to_numpy(),
    }))
    q_rate = (0.25 + 0.8 * serv_i) * sizef
    q_lam = rate(q_rate) * np.where(dec[:, None] & last2[None, :], 4.0, 1.0) \
        * np.where(loss, 3.0, 1.0)[:, None]
    ic, d = _dates_in_active_months(rng, cust, rng.poisson(q_lam), month_start)
    qreason = np.array(["quality", "packaging", "documentation"])[
        rng.choice(3, len(ic), p=[0.6, 0.25, 0.15])]
    # the product: the customer's most bought product
    counts_cp = lines.groupby(["_c", "product_id"]).size().rename("n").reset_index()
    top_prod = (counts_cp.sort_values(["n", "product_id"], ascending=[False, True], kind="stable")
                .drop_duplicates("_c").set_index("_c")["product_id"])
    tp = top_prod.reindex(np.arange(n)).to_numpy()
    frames.append(pd.DataFrame({"_c": ic, "date": d, "type": "complaint",
                                "complaint_reason": qreason, "product_id": tp[ic]}))

    it = pd.concat(frames, ignore_index=True)
    it = it.loc[it["date"] <= pd.Timestamp(end_date)]
    it = it.sort_values(["date", "_c", "type"], kind="stable").reset_index(drop=True)
    N = len(it)
    types = it["type"].to_numpy()
    mean_min = pd.Series(types).map(INTERACTION_MEAN_MINUTES).to_numpy(float)
    mult = np.where(loss[it["_c"].to_numpy()] & (types != "call"), 1.6, 1.0)
    it["effort_minutes"] = np.round(mean_min * mult * np.exp(0.3 * rng.standard_normal(N)) / 5) * 5

    # outcomes
    u = rng.random(N)
    out = np.full(N, "", dtype=object)
    out[types == "visit"] = np.where(u[types == "visit"] < 0.45, "order",
                                     np.where(u[types == "visit"] < 0.85, "follow-up", "no result"))
    out[types == "executive visit"] = "relationship review"
    out[types == "call"] = np.where(u[types == "call"] < 0.3, "order", "follow-up")
    out[types == "service request"] = "done"
    out[types == "technical request"] = np.where(u[types == "technical request"] < 0.7, "answered", "follow-up")
    out[types == "trial"] = np.where(u[types == "trial"] < 0.5, "successful",
                                     np.where(u[types == "trial"] < 0.8, "ongoing", "not adopted"))
    out[types == "training"] = "attended"
    out[types == "price negotiation"] = np.where(u[types == "price negotiation"] < 0.6, "agreed", "no agreement")
    is_c = types == "complaint"
    reason = it["complaint_reason"].to_numpy() if "complaint_reason" in it else np.full(N, None)
    mean_days = np.where(reason == "quality", 12.0, 5.0)
    days = np.round(rng.gamma(2.0, mean_days / 2.0))
    closed_at = it["date"].to_numpy() + days.astype(int).astype("timedelta64[D]")
    still_open = is_c & (closed_at > end_date)
    c_out = np.array(["resolved", "credit note", "replacement", "returned goods"])[
        rng.choice(4, N, p=[0.5, 0.25, 0.15, 0.10])]
    out[is_c] = c_out[is_c]
    out[still_open] = "open"
    it["outcome"] = out
    it["days_to_resolve"] = np.where(is_c & ~still_open, days, np.nan)
    it.loc[~is_c, "complaint_reason"] = None

    # product for trials and technical requests: the customer's main product; trials of
    # technology customers are on custom grades or the new product
    tp_all = tp[it["_c"].to_numpy()]
    ind = cust["industry"].to_numpy()[it["_c"].to_numpy()]
    custom = np.where(np.isin(ind, ["pharma", "cosmetics"]), "P10", "P09")
    launch = np.datetime64(f"{cfg.end_year - 2}-04-01", "D")
    trial_prod = np.where(it["date"].to_numpy() >= launch - np.timedelta64(90, "D"),
                          np.where(u < 0.5, NEW_PRODUCT, custom), custom)
    pid = it["product_id"].to_numpy() if "product_id" in it else np.full(N, None, dtype=object)
    pid = np.where(types == "trial", trial_prod, pid)
    pid = np.where(types == "technical request", tp_all, pid)
    it["product_id"] = pid

    am = cust["account_manager"].to_numpy()[it["_c"].to_numpy()]
    staff = np.where(np.isin(types, ["complaint", "service request"]),
                     np.array(SERVICE_STAFF)[rng.integers(0, 2, N)],
                     np.where(np.isin(types, ["technical request", "trial", "training"]),
                              np.array(TECH_STAFF)[rng.integers(0, 2, N)],
                              np.where(types == "executive visit",
                                       np.array(EXECUTIVES)[rng.integers(0, 2, N)], am)))
    it["handled_by"] = staff
    it["interaction_id"] = _ids("I", np.arange(first_id, first_id + N), 7)
    it["customer_id"] = cust["customer_id"].to_numpy()[it["_c"].to_numpy()]
    return it


# ----------------------------------------------------------------------------- contacts


def _contacts(cfg, rng, cust, lines, first_id: int = 1):
    n = len(cust)
    end_date = np.datetime64(f"{cfg.end_year}-12-31", "D")
    pct = cust["_pct"].to_numpy()
    k = np.clip(2 + np.floor(pct * 4) + rng.poisson(0.4, n), 2, 7).astype(int)
    cc = np.repeat(np.arange(n), k)
    pos = pd.Series(cc).groupby(cc).cumcount().to_numpy()
    roles_seq = np.array(["purchasing", "management", "technical", "production", "quality",
                          "technical", "production"])
    role = roles_seq[pos]
    ind = cust["industry"].to_numpy()[cc]
    dm = (role == "management") | ((role == "purchasing") & (ind == "distributor"))
    infl = pd.Series(role).map({"management": 5, "purchasing": 4, "technical": 3,
                                "production": 2, "quality": 2}).to_numpy()
    infl = np.clip(infl + rng.integers(-1, 1, len(cc)) * (role != "management"), 1, 5)
    tech_i = cust["_technology"].to_numpy()[cc]
    grow = cust["_grow"].to_numpy()[cc]
    dec = cust["_decay"].to_numpy()[cc]
    strength = np.clip(np.round(3 + 0.8 * rng.standard_normal(len(cc)) + grow
                                - 1.0 * dec + (tech_i > 0.5) * (role == "technical")), 1, 5)
    # last contact: recent for most; decision makers of decaying accounts not for months
    last_order = lines.groupby("_c")["order_date"].max().reindex(np.arange(n))
    last_order = last_order.fillna(pd.Timestamp(end_date)).to_numpy().astype("datetime64[D]")
    base_date = np.minimum(last_order[cc] + np.timedelta64(20, "D"), end_date)
    gap = rng.exponential(35, len(cc)).astype(int)
    gap = np.where(dec & dm, rng.integers(150, 400, len(cc)), gap)
    gap = np.where(dec & ~dm, gap + rng.integers(40, 150, len(cc)), gap)
    last = base_date - gap.astype("timedelta64[D]")
    first = np.array(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), len(cc))]
    lastn = np.array(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), len(cc))]
    stem = pd.Series(cust["customer_name"].to_numpy()[cc]).str.split(" ").str[0].str.lower()
    email = (pd.Series(first).str.lower().str[0] + "." + pd.Series(lastn).str.lower()
             + "@" + stem + ".example")
    return pd.DataFrame({
        "contact_id": _ids("K", np.arange(first_id, first_id + len(cc)), 6),
        "customer_id": cust["customer_id"].to_numpy()[cc],
        "contact_name": pd.Series(first) + " " + pd.Series(lastn),
        "email": email,
        "role": role,
        "is_decision_maker": dm,
        "influence": infl.astype(int),
        "relationship_strength": strength.astype(int),
        "last_contact_date": last,
    })


# ----------------------------------------------------------------------------- assessments


def _assessments(cfg, rng, cust, extras):
    n = len(cust)
    Y = cfg.years
    pct = cust["_pct"].to_numpy()
    grow = cust["_grow"].to_numpy()
    dec = cust["_decay"].to_numpy()
    loss = cust["_loss"].to_numpy()
    assessed = (pct >= 0.4) | grow
    act_y = extras["active"].reshape(n, Y, 12).mean(axis=2)
    # expected yearly volume before decay (what the customer uses)
    exp_vol = (cust["_size"].to_numpy()[:, None, None]
               * extras["level_before_decay"].reshape(n, Y, 12)
               * extras["season"][None, None, :] / 12.0).sum(axis=2)
    sow0 = rng.uniform(0.35, 0.85, n)
    sow0 = np.where(grow, rng.uniform(0.30, 0.45, n), sow0)
    # growing customers: their total use grows less than our volume (we win share)
    yrs = np.arange(Y)
    use = exp_vol / sow0[:, None]
    use = np.where(grow[:, None], use * np.exp(-0.5 * np.log(exp_vol / exp_vol[:, -1:])), use)
    use = use * np.exp(0.08 * rng.standard_normal((n, Y)))
    use = np.round(use / 100) * 100
    cy_c, cy_y = np.nonzero(assessed[:, None] & (act_y > 0.5))
    late = (yrs >= Y - 2)[cy_y]

    def score(base, noise=0.7):
        return np.clip(np.round(base + noise * rng.standard_normal(len(cy_c))), 1, 5).astype(int)

    g = grow[cy_c].astype(float)
    d = (dec[cy_c] & late).astype(float)
    comp = np.array(COMPETITORS)[rng.integers(0, len(COMPETITORS), n)]
    comp = np.where(sow0 > 0.82, "", comp)
    return pd.DataFrame({
        "customer_id": cust["customer_id"].to_numpy()[cy_c],
        "year": cfg.start_year + cy_y,
        "information_sharing": score(3.0 + 1.6 * g - 1.2 * d - 0.5 * loss[cy_c]),
        "cooperation": score(3.2 + 1.6 * g - 1.3 * d, 0.5),
        "strategic_fit": score(3.0 + 0.6 * pct[cy_c] + 0.8 * g),
        "growth_potential": score(2.8 + 1.8 * g - 1.0 * d),
        "estimated_annual_use_kg": use[cy_c, cy_y],
        "main_competitor": comp[cy_c],
    })


# ----------------------------------------------------------------------------- rebates


def _rebates(cfg, cust, lines):
    """The company's current programme: a retroactive rebate on yearly volume (1 % from
    50 t, 2 % from 150 t, 3 % from 300 t of revenue), +1 point for the loss makers.
    The year of a sale is the year it was delivered (kamlib.schema.SALES_CONVENTION)."""
    d = lines.loc[lines["actual_delivery_date"].notna()]
    y = d["actual_delivery_date"].dt.year
    g = pd.DataFrame({"_c": d["_c"], "year": y,
                      "kg": d["delivered_kg"], "rev": d["delivered_kg"] * d["net_price_per_kg"]})
    cy = g.groupby(["_c", "year"]).sum().reset_index()
    rate = np.select([cy["kg"] >= 300_000, cy["kg"] >= 150_000, cy["kg"] >= 50_000],
                     [0.03, 0.02, 0.01], 0.0)
    rate = rate + np.where(cust["_loss"].to_numpy()[cy["_c"].to_numpy()], LOSS_REBATE_BONUS, 0.0)
    cy["rebate_paid"] = np.round(cy["rev"] * rate, 2)
    cy = cy.loc[cy["rebate_paid"] > 0]
    return pd.DataFrame({
        "customer_id": cust["customer_id"].to_numpy()[cy["_c"].to_numpy()],
        "year": cy["year"].to_numpy(),
        "rebate_paid": cy["rebate_paid"].to_numpy(),
    }).sort_values(["customer_id", "year"]).reset_index(drop=True)


# ----------------------------------------------------------------------------- main


#: Above this many customers the generator works in blocks of this many customers
#: (each block with its own seeded random stream), so memory stays bounded: about
#: 1.3 GB peak whatever the number of customers. Up to it (the bundled sample) all
#: customers are generated in one piece.
BLOCK_CUSTOMERS = 5000


def generate(cfg: GeneratorConfig = GeneratorConfig()) -> dict[str, pd.DataFrame]:
    """Generate all tables. Returns a dict: the tables of ``kamlib.schema`` (columns in
    schema order) and ``answer_key``. (Above :data:`BLOCK_CUSTOMERS` customers the
    blocks of :func:`generate_blocks` are put together.)"""
    if cfg.n_customers > BLOCK_CUSTOMERS:
        blocks = list(generate_blocks(cfg))
        return {name: pd.concat([b[name] for b in blocks], ignore_index=True)
                if name != "products" else blocks[0][name] for name in blocks[0]}
    rng = np.random.default_rng(cfg.seed)
    month_start = _month_starts(cfg)
    cust = _customers(cfg, rng)
    return _tables(cfg, rng, cust, month_start)


def generate_blocks(cfg: GeneratorConfig):
    """The tables block by block: yields dicts like :func:`generate`'s, each for a
    block of at most :data:`BLOCK_CUSTOMERS` customers (in customer id order).

    All customers (sizes, planted groups, account managers) and the market's list-price
    and cost indices are drawn once for the whole population; each block's order lines,
    interactions, contacts and assessments come from its own random stream (seed,
    block number), so the result is deterministic and the memory is one block's. Ids of
    orders, interactions and contacts run on across blocks; order ids are numbered by
    date within a block. Up to :data:`BLOCK_CUSTOMERS` customers this yields
    :func:`generate`'s one piece.
    """
    if cfg.n_customers <= BLOCK_CUSTOMERS:
        yield generate(cfg)
        return
    rng = np.random.default_rng(cfg.seed)
    month_start = _month_starts(cfg)
    everyone = _customers(cfg, rng).sort_values("customer_id", kind="stable")
    prices = _price_indices(cfg, np.random.default_rng([cfg.seed, 0]))
    ids = {"order": 1, "interaction": 1, "contact": 1}
    for b, start in enumerate(range(0, len(everyone), BLOCK_CUSTOMERS)):
        cust = everyone.iloc[start:start + BLOCK_CUSTOMERS].reset_index(drop=True)
        out = _tables(cfg, np.random.default_rng([cfg.seed, b + 1]), cust, month_start,
                      prices=prices, first_ids=dict(ids))
        ids["order"] += out["orders"]["order_id"].nunique()
        ids["interaction"] += len(out["interactions"])
        ids["contact"] += len(out["contacts"])
        yield out
        del out


def _tables(cfg, rng, cust, month_start, prices=None, first_ids=None) -> dict:
    """Every table for the customers ``cust`` (all of them, or one block)."""
    first_ids = first_ids or {"order": 1, "interaction": 1, "contact": 1}
    lines, extras = _orders(cfg, rng, cust, month_start, prices, first_ids["order"])
    inter = _interactions(cfg, rng, cust, lines, month_start, first_ids["interaction"])
    contacts = _contacts(cfg, rng, cust, lines, first_ids["contact"])
    assess = _assessments(cfg, rng, cust, extras)
    rebates = _rebates(cfg, cust, lines)

    # first order date: before the history for existing customers, else the first order
    first_seen = lines.groupby("_c")["order_date"].min().reindex(np.arange(len(cust)))
    before = pd.Timestamp(f"{cfg.start_year}-01-01") - pd.to_timedelta(
        rng.integers(30, 365 * 15, len(cust)), unit="D")
    first_order = np.where(cust["_new"].to_numpy() & first_seen.notna().to_numpy(),
                           first_seen.to_numpy(), before.to_numpy())
    customers = cust.assign(first_order_date=pd.to_datetime(first_order))
    customers = customers.sort_values("customer_id").reset_index(drop=True)

    products = PRODUCTS.copy()
    products["launch_date"] = products["launch_date"].replace("NEW", f"{cfg.end_year - 2}-04-01")
    products["launch_date"] = pd.to_datetime(products["launch_date"])

    key = pd.DataFrame({
        "customer_id": cust["customer_id"],
        "sensitivity": cust["_sensitivity"],
        "mixed_types": cust["_mixed_types"],
        "price_elasticity": cust["_elasticity"].round(3),
        "is_decaying": cust["_decay"],
        "is_loss_making_large": cust["_loss"],
        "is_growing": cust["_grow"],
        "is_churned": cust["_churn"],
        "is_new": cust["_new"],
    }).sort_values("customer_id").reset_index(drop=True)

    tables = {
        "customers": customers,
        "products": products,
        "orders": lines,
        "interactions": inter,
        "contacts": contacts.sort_values("contact_id").reset_index(drop=True),
        "assessments": assess.sort_values(["customer_id", "year"]).reset_index(drop=True),
        "rebates": rebates,
    }
    out = {}
    for name, df in tables.items():
        cols = schema.TABLES[name].standard_columns
        for c in cols:
            if c not in df.columns:
                df = df.assign(**{c: schema.TABLES[name].column(c).default})
        out[name] = df[cols].reset_index(drop=True)
    out["answer_key"] = key
    return out


def csv_ready(df: pd.DataFrame) -> pd.DataFrame:
    """A copy ready for CSV: dates as YYYY-MM-DD, booleans as yes/no, float columns that
    hold only whole numbers (kg, minutes, days) as integers, without ``.0``. The bundled
    sample and the export profiles (:mod:`kamlib.profiles`) are written with it."""
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[c] = s.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(s):
            out[c] = np.where(s, "yes", "no")
        elif pd.api.types.is_float_dtype(s):
            a = s.to_numpy(dtype="float64", na_value=np.nan)
            fin = a[np.isfinite(a)]
            if len(fin) and (fin == np.round(fin)).all():
                out[c] = s.astype("Int64")
    return out


def _append_parquet(writers: dict, path: Path, df: pd.DataFrame) -> None:
    """Append ``df`` to the Parquet file at ``path`` (opened on first use; later blocks
    take the first block's column types)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    w = writers.get(path)
    if w is None:
        t = pa.Table.from_pandas(df, preserve_index=False)
        writers[path] = w = pq.ParquetWriter(path, t.schema)
    else:
        t = pa.Table.from_pandas(df, schema=w.schema, preserve_index=False)
    w.write_table(t)


def write_dataset(cfg: GeneratorConfig, out_dir: Path, *, answer_key_dir: Path | None = None,
                  parquet: bool = False, csv: bool = True) -> list[Path]:
    """Generate and write the dataset. Returns the files written.

    Tables go to ``out_dir`` (``<table>.csv`` and/or ``<table>.parquet``), the answer key
    to ``answer_key_dir`` (default: ``out_dir/../answer_key`` next to it, never inside
    the tables' folder), plus ``GENERATED_BY.txt`` recording the command.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    key_dir = Path(answer_key_dir) if answer_key_dir else out_dir.parent / "answer_key"
    key_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    writers: dict = {}  # Parquet writers, one per table, appended block by block
    try:
        for b, tables in enumerate(generate_blocks(cfg)):
            for name, df in tables.items():
                if b and name == "products":
                    continue  # the same for every block
                target_dir = key_dir if name == "answer_key" else out_dir
                table = schema.TABLES.get(name)
                if csv or name == "answer_key":
                    p = target_dir / f"{name}.csv"
                    # the answer key keeps True/False (read back as booleans by pandas)
                    out = csv_ready(df) if table is not None else df
                    out.to_csv(p, index=False, lineterminator="\n", mode="a" if b else "w",
                               header=not b)
                    if not b:
                        written.append(p)
                if parquet and name != "answer_key":
                    p = target_dir / f"{name}.parquet"
                    _append_parquet(writers, p, df)
                    if not b:
                        written.append(p)
            del tables
    finally:
        for w in writers.values():
            w.close()
    p = out_dir / "GENERATED_BY.txt"
    p.write_text(
        "Generated by the KAM Playbook's seeded generator. Do not edit by hand.\n"
        f"kam data generate --customers {cfg.n_customers} --years {cfg.years} "
        f"--end-year {cfg.end_year} --seed {cfg.seed}\n",
        encoding="utf-8",
    )
    written.append(p)
    return written
