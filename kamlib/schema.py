"""The data model of the KAM Playbook: tables, columns, types, units, meanings.

This module is the single source of the data dictionary. ``kamlib.data`` validates
against it, ``kamlib.generate`` writes it, and ``data/README.md`` is generated from it
(``kam data dictionary``; a test checks that the file is up to date).

Conventions
-----------
- One currency for all money columns: EUR (``CURRENCY``).
- Quantities are kilograms of product (``_kg``); prices and costs are EUR per kg
  (``_per_kg``); efforts are minutes.
- Dates are ISO ``YYYY-MM-DD``. Booleans are ``yes``/``no`` in files (``true``/``false``,
  ``1``/``0`` are accepted too) and ``bool`` in DataFrames.
- ``customer_id`` names a customer everywhere; ``product_id`` a product.
- Columns marked *personal* hold personal details of people (contacts). They never
  appear in shared outputs unless explicitly asked for.

Sales are invoiced on the delivered quantity: revenue of an order line is
``delivered_kg * net_price_per_kg`` (see ``kamlib.data.add_order_measures``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

CURRENCY = "EUR"

# Kinds of columns, and how they are parsed and shown in the dictionary.
KINDS = {
    "id": "text (identifier)",
    "text": "text",
    "category": "text (one of a list)",
    "date": "date (YYYY-MM-DD)",
    "int": "whole number",
    "float": "number",
    "bool": "yes/no",
    "score": "whole number 1-5",
}


@dataclass(frozen=True)
class Column:
    """One column of a table.

    ``required``: the column must be present in the file. Optional columns that are
    missing are added with ``default``. ``nullable``: empty cells are allowed.
    ``allowed``: the closed list of values (for ``category`` columns that logic depends
    on). ``minimum``/``maximum``: inclusive bounds for numbers.
    """

    name: str
    kind: str
    meaning: str
    unit: str = ""
    required: bool = True
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    default: object = None
    personal: bool = False
    example: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name}: unknown kind {self.kind!r}")


@dataclass(frozen=True)
class Table:
    """One table of the data model (one CSV file, Excel sheet or Parquet file)."""

    name: str
    meaning: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = False
    references: dict[str, str] = field(default_factory=dict)  # column -> table

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


INDUSTRIES = ("feed premix", "pharma", "food & beverage", "cosmetics", "distributor")
INTERACTION_TYPES = (
    "visit",
    "executive visit",
    "call",
    "complaint",
    "service request",
    "technical request",
    "trial",
    "training",
    "price negotiation",
)
CONTACT_ROLES = ("purchasing", "technical", "production", "quality", "management")
DEAL_TYPES = ("none", "off-season", "promotion", "bundle")
COMPLAINT_REASONS = (
    "late delivery",
    "short delivery",
    "quality",
    "packaging",
    "documentation",
)

CUSTOMERS = Table(
    name="customers",
    meaning="One row per customer (active or not) of the company.",
    key=("customer_id",),
    required=True,
    columns=(
        Column("customer_id", "id", "Customer number, unique.", example="C0042"),
        Column("customer_name", "text", "Company name of the customer.",
               example="Nordfeed Premix GmbH"),
        Column("industry", "text", "What the customer makes with our product. Usual "
               "values: " + ", ".join(INDUSTRIES) + ".", example="feed premix"),
        Column("region", "text", "Sales region (used to group visits on routes).",
               example="Central Europe"),
        Column("country", "text", "Country of the customer's site we deliver to.",
               example="Germany"),
        Column("size_band", "text", "The customer's own size, from the CRM: small, "
               "medium, large or enterprise.", required=False, nullable=True,
               default="", example="large"),
        Column("account_manager", "text", "Our salesperson responsible for the account.",
               example="Anna Berg"),
        Column("first_order_date", "date", "Date of the customer's first order with us.",
               required=False, nullable=True, example="2014-03-18"),
    ),
)

PRODUCTS = Table(
    name="products",
    meaning="One row per product (grade and pack) we sell.",
    key=("product_id",),
    columns=(
        Column("product_id", "id", "Product number, unique.", example="P01"),
        Column("product_name", "text", "Name as on the price list.",
               example="Niacin feed grade 99.5%, 25 kg bag"),
        Column("product_family", "text", "The substance: niacin, niacinamide, ...",
               required=False, default="", example="niacin"),
        Column("grade", "text", "Feed, food, pharma, cosmetic, technical or custom.",
               required=False, default="", example="feed"),
        Column("purity_pct", "float", "Purity of the substance.", unit="%",
               required=False, nullable=True, minimum=0, maximum=100, example="99.5"),
        Column("is_economy_grade", "bool", "A cheaper, lower-purity grade.",
               required=False, default=False, example="no"),
        Column("is_custom", "bool", "Made to the customer's specification.",
               required=False, default=False, example="no"),
        Column("pack_type", "text", "bag, big bag or drum.", required=False, default="",
               example="bag"),
        Column("pack_size_kg", "float", "Net content of one pack.", unit="kg",
               required=False, nullable=True, minimum=0, example="25"),
        Column("list_price_per_kg", "float", "Current list price.", unit="EUR/kg",
               required=False, nullable=True, minimum=0, example="9.80"),
        Column("unit_cost_per_kg", "float", "Current standard cost of goods "
               "(production + packaging).", unit="EUR/kg", required=False,
               nullable=True, minimum=0, example="6.90"),
        Column("packaging_cost_per_kg", "float", "Packaging material cost, part of the "
               "unit cost.", unit="EUR/kg", required=False, nullable=True, minimum=0,
               example="0.12"),
        Column("launch_date", "date", "When the product was introduced.",
               required=False, nullable=True, example="2023-04-01"),
    ),
)

ORDERS = Table(
    name="orders",
    meaning="One row per order line: what a customer ordered, at which price, and how "
    "it was delivered.",
    key=("order_id", "order_line"),
    required=True,
    references={"customer_id": "customers", "product_id": "products"},
    columns=(
        Column("order_id", "id", "Sales order number.", example="SO000123"),
        Column("order_line", "int", "Line number within the order.", minimum=1,
               required=False, default=1, example="1"),
        Column("customer_id", "id", "Customer who ordered (see customers).",
               example="C0042"),
        Column("product_id", "id", "Product ordered (see products).", example="P01"),
        Column("order_date", "date", "Date the order was placed.", example="2024-05-13"),
        Column("quantity_kg", "float", "Quantity ordered.", unit="kg", minimum=0,
               example="1000"),
        Column("list_price_per_kg", "float", "List price on the order date.",
               unit="EUR/kg", minimum=0, example="9.80"),
        Column("net_price_per_kg", "float", "Price invoiced after discounts and deals "
               "(before annual rebates).", unit="EUR/kg", minimum=0, example="8.95"),
        Column("unit_cost_per_kg", "float", "Cost of goods sold on the order date.",
               unit="EUR/kg", minimum=0, example="6.90"),
        Column("promised_delivery_date", "date", "Delivery date confirmed to the "
               "customer.", example="2024-05-27"),
        Column("actual_delivery_date", "date", "Date the goods arrived; empty while "
               "not delivered.", nullable=True, example="2024-05-29"),
        Column("delivered_kg", "float", "Quantity delivered (short delivery when below "
               "quantity_kg).", unit="kg", minimum=0, example="1000"),
        Column("deal_type", "category", "Special price the line was bought on.",
               allowed=DEAL_TYPES, required=False, default="none", example="off-season"),
    ),
)

INTERACTIONS = Table(
    name="interactions",
    meaning="One row per contact with the customer: visits, calls, complaints, "
    "technical requests, trials, trainings, price negotiations.",
    key=("interaction_id",),
    references={"customer_id": "customers", "product_id": "products"},
    columns=(
        Column("interaction_id", "id", "Unique number of the interaction.",
               example="I000981"),
        Column("customer_id", "id", "Customer concerned.", example="C0042"),
        Column("date", "date", "When it happened (complaints: when received).",
               example="2024-06-02"),
        Column("type", "category", "What kind of interaction.",
               allowed=INTERACTION_TYPES, example="complaint"),
        Column("effort_minutes", "float", "Our staff time spent on it, all people "
               "together.", unit="minutes", minimum=0, example="180"),
        Column("outcome", "text", "Result in a few words (order, resolved, open, "
               "follow-up, no result...).", required=False, nullable=True, default="",
               example="resolved"),
        Column("complaint_reason", "category", "For complaints: what went wrong.",
               allowed=COMPLAINT_REASONS, required=False, nullable=True, default=None,
               example="late delivery"),
        Column("days_to_resolve", "float", "For complaints: days from receipt to "
               "closure; empty while open.", unit="days", required=False,
               nullable=True, minimum=0, default=None, example="4"),
        Column("product_id", "id", "Product concerned, if any.", required=False,
               nullable=True, default=None, example="P01"),
        Column("handled_by", "text", "Who handled it (our staff).", required=False,
               nullable=True, default="", example="Anna Berg"),
    ),
)

CONTACTS = Table(
    name="contacts",
    meaning="The buying centre: the people at each customer we deal with. Fictional "
    "in the sample data; personal details stay out of shared outputs.",
    key=("contact_id",),
    references={"customer_id": "customers"},
    columns=(
        Column("contact_id", "id", "Unique number of the contact.", example="K00017"),
        Column("customer_id", "id", "Customer the person works for.", example="C0042"),
        Column("contact_name", "text", "Name of the person.", personal=True,
               required=False, nullable=True, default="", example="Jonas Weber"),
        Column("email", "text", "E-mail of the person.", personal=True, required=False,
               nullable=True, default="", example="j.weber@nordfeed.example"),
        Column("role", "category", "Role in the buying centre.", allowed=CONTACT_ROLES,
               example="purchasing"),
        Column("is_decision_maker", "bool", "Takes or signs the buying decision.",
               example="yes"),
        Column("influence", "score", "Weight in the buying decision, 1 (none) to 5 "
               "(decides).", minimum=1, maximum=5, required=False, nullable=True,
               example="4"),
        Column("relationship_strength", "score", "How well we know and are trusted, "
               "1 (stranger) to 5 (ally).", minimum=1, maximum=5, required=False,
               nullable=True, example="3"),
        Column("last_contact_date", "date", "Last time we met or spoke.",
               required=False, nullable=True, example="2025-10-14"),
    ),
)

ASSESSMENTS = Table(
    name="assessments",
    meaning="The account manager's yearly assessment of an account, and the "
    "customer's estimated total use of the product (for share of wallet).",
    key=("customer_id", "year"),
    references={"customer_id": "customers"},
    columns=(
        Column("customer_id", "id", "Customer assessed.", example="C0042"),
        Column("year", "int", "Calendar year the assessment is for.", minimum=1900,
               maximum=2200, example="2025"),
        Column("information_sharing", "score", "Shares forecasts, stocks and plans "
               "with us (1-5).", minimum=1, maximum=5, nullable=True, example="4"),
        Column("cooperation", "score", "Cooperation and loyalty (1-5).", minimum=1,
               maximum=5, nullable=True, example="4"),
        Column("strategic_fit", "score", "Fit with our strategy and products (1-5).",
               minimum=1, maximum=5, nullable=True, example="3"),
        Column("growth_potential", "score", "Room for the customer's business to grow "
               "(1-5).", minimum=1, maximum=5, nullable=True, example="5"),
        Column("estimated_annual_use_kg", "float", "The customer's total use of the "
               "product in the year, all suppliers together.", unit="kg", minimum=0,
               nullable=True, example="42000"),
        Column("main_competitor", "text", "Main other supplier at the customer; empty "
               "when none.", required=False, nullable=True, default="",
               example="Vitarion"),
    ),
)

REBATES = Table(
    name="rebates",
    meaning="Annual rebates actually paid to customers (from accounting).",
    key=("customer_id", "year"),
    references={"customer_id": "customers"},
    columns=(
        Column("customer_id", "id", "Customer paid.", example="C0042"),
        Column("year", "int", "Year the rebate was earned for.", minimum=1900,
               maximum=2200, example="2024"),
        Column("rebate_paid", "float", "Total rebate paid for the year.", unit="EUR",
               minimum=0, example="12500"),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (CUSTOMERS, PRODUCTS, ORDERS, INTERACTIONS, CONTACTS, ASSESSMENTS, REBATES)
}
"""All tables, in the order they are documented and checked."""

PERSONAL_COLUMNS = {
    t.name: [c.name for c in t.columns if c.personal] for t in TABLES.values()
}
"""Columns holding personal details, per table. Kept out of shared outputs."""


SALES_CONVENTION = (
    "Sales are counted when delivered: a line's revenue, volume and margin belong to the "
    "year and month of its `actual_delivery_date` (the way invoices, rebate programmes and "
    "the customer's own books count them); a line delivered without a delivery date in the "
    "export is counted at its `order_date`. A line not yet delivered when the data ends "
    "(no `actual_delivery_date`, nothing delivered) belongs to the open order book, shown "
    "apart and counted in no year's sales: orders still open at the end of an export are "
    "not a fall in sales. When customers order (seasonality of orders, off-season deals, "
    "order frequency) is read from `order_date`. The first year of an export taken by "
    "order date lacks the deliveries of orders placed before it starts. The analysis year "
    "is, unless set (`period.analysis_year`), the latest complete year in the data: the "
    "latest year the data reaches to its December; a later, partial year is said and not "
    "analysed."
)
"""The cut-off and analysis-year conventions, stated once (also in kamlib.measures)."""


def data_dictionary_markdown() -> str:
    """Render the data dictionary as Markdown (the body of ``data/README.md``)."""
    out = [
        "# Data dictionary",
        "",
        "<!-- Generated from kamlib/schema.py by `kam data dictionary`. "
        "Do not edit by hand. -->",
        "",
        "The KAM Playbook reads a company's data as a set of tables: a folder of CSV "
        "files (`customers.csv`, `orders.csv`, ...), an Excel workbook with one sheet "
        "per table (sheet names = table names), or a folder of Parquet files. "
        "`customers` and `orders` are required; the other tables are optional and "
        "unlock more of the playbook. Check a company export with "
        "`kam data check PATH`.",
        "",
        f"All money is in {CURRENCY}. Quantities are kg; prices and costs are EUR per kg; "
        "dates are `YYYY-MM-DD`; yes/no columns accept yes/no, true/false or 1/0.",
        "Sales are invoiced on the delivered quantity: revenue of a line is "
        "`delivered_kg × net_price_per_kg`.",
        "",
        "## How sales are counted: the cut-off",
        "",
        SALES_CONVENTION,
        "",
        "Columns marked **personal** hold personal details of people. They never appear "
        "in shared outputs (reports) unless explicitly asked for.",
        "",
        "## The bundled sample data",
        "",
        "`data/sample/` is a fictional niacin (vitamin B3) manufacturer, *Auronia "
        "Nutrichem*, and its industrial customers (feed premix makers, pharma, food, "
        "cosmetics, distributors), five years of history. It is made by the seeded "
        "generator (`kam data generate`, parameters in `data/sample/GENERATED_BY.txt`) "
        "and never edited by hand. The hidden truth the generator planted (each "
        "customer's buying sensitivity, decaying relationships, ...) is in "
        "`data/answer_key/answer_key.csv`, away from the tables a learner analyses.",
        "",
    ]
    for t in TABLES.values():
        req = "required" if t.required else "optional"
        out += [f"## `{t.name}` ({req})", "", t.meaning, "",
                f"Key: {', '.join('`' + k + '`' for k in t.key)}."]
        if t.references:
            refs = ", ".join(f"`{c}` → `{r}`" for c, r in t.references.items())
            out.append(f"References: {refs}.")
        out += ["", "| column | type | unit | meaning | allowed values | column needed? |",
                "|---|---|---|---|---|---|"]
        for c in t.columns:
            allowed = ", ".join(c.allowed) if c.allowed else ""
            bounds = []
            if c.minimum is not None:
                bounds.append(f"≥ {c.minimum:g}")
            if c.maximum is not None:
                bounds.append(f"≤ {c.maximum:g}")
            if bounds and not allowed:
                allowed = ", ".join(bounds)
            if c.nullable:
                allowed = (allowed + "; " if allowed else "") + "may be empty"
            need = "yes" if c.required else "no"
            meaning = c.meaning + (" **personal**" if c.personal else "")
            if c.example:
                meaning += f" E.g. `{c.example}`."
            out.append(f"| `{c.name}` | {KINDS[c.kind]} | {c.unit} | {meaning} | "
                       f"{allowed} | {need} |")
        out.append("")
    out += [
        "## The answer key (sample data only)",
        "",
        "`data/answer_key/answer_key.csv`, one row per customer: the truth the "
        "generator planted, for checking the playbook's methods (never an input to "
        "them).",
        "",
        "| column | meaning |",
        "|---|---|",
        "| `customer_id` | customer |",
        "| `sensitivity` | what drives its buying: price, service, technology, or "
        "mixed |",
        "| `mixed_types` | for mixed customers, the two drivers, e.g. `price+service` |",
        "| `price_elasticity` | the volume response to its net price the generator "
        "used (%ΔQ/%ΔP) |",
        "| `is_decaying` | the relationship was planted to decay over the last two "
        "years |",
        "| `is_loss_making_large` | a large customer planted to lose money after "
        "discounts, rebates and cost to serve |",
        "| `is_growing` | a mid-size customer planted to grow ≥ 10 % a year over the "
        "last years |",
        "| `is_churned` | stopped buying before the last year (inactive) |",
        "| `is_new` | first order during the history |",
        "",
    ]
    return "\n".join(out)
