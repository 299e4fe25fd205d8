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

Sales are invoiced on the delivered quantity: revenue of an order line is its
``net_amount``, or ``delivered_kg * net_price_per_kg`` (see
``kamlib.data.add_order_measures``).

Besides the tables, this module describes what other systems' exports look like and
what the data allows: each column's ``synonyms`` (headers of ERP, CRM and shop exports)
and ``unlocks``, the columns a flat sales file may carry (:data:`CARRIED`), how an order
line's value is completed (:data:`ORDER_VALUE_RULES`), the :data:`CAPABILITIES` the data
may allow, and which chapter or report section uses which (:data:`USES`).
"""

from __future__ import annotations

import dataclasses
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
    missing are added with ``default`` (``None``: empty, i.e. NaN / NaT / <NA>).
    ``nullable``: empty cells are allowed (in a column that is given; a column that is
    not nullable but has no default must then be filled on every row).
    ``allowed``: the closed list of values (for ``category`` columns that logic depends
    on). ``minimum``/``maximum``: inclusive bounds for numbers.
    ``synonyms``: headers other systems' exports use for the column (ERP, CRM, shop),
    recognised ignoring case, spaces and punctuation (``kamlib.data.headers``).
    ``unlocks``: what the playbook can do when the column is given (shown in the data
    dictionary and by ``kam data check``).
    ``alternative_to``: another way of giving the value of that column (an amount
    instead of a price per kg); converted by the loader, see :data:`ORDER_VALUE_RULES`.
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
    synonyms: tuple[str, ...] = ()
    unlocks: str = ""
    alternative_to: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name}: unknown kind {self.kind!r}")
        if isinstance(self.synonyms, str):
            object.__setattr__(self, "synonyms", (self.synonyms,))


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

    @property
    def standard_columns(self) -> list[str]:
        """The columns of the table as the playbook writes it (without the alternative
        input forms such as ``net_amount``)."""
        return [c.name for c in self.columns if not c.alternative_to]


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
    columns=(
        Column("customer_id", "id", "Customer number, unique.", example="C0042",
               synonyms=("customer", "customer number", "customer no", "customer nr",
                         "customer code", "customer key", "cust id", "cust no",
                         "client id", "client number", "client", "account id",
                         "account number", "account no", "sold-to party", "sold-to",
                         "sold to party", "sold-to number", "debtor", "debtor number",
                         "debitor", "kunde", "kundennummer", "kunden nr", "buyer id",
                         "company id", "payer")),
        Column("customer_name", "text", "Company name of the customer. When not given, "
               "the customer id is used as the name.", required=False, nullable=True,
               example="Nordfeed Premix GmbH",
               synonyms=("customer name", "account name", "company", "company name",
                         "client name", "name of sold-to party", "sold-to name",
                         "sold-to party name", "customer description", "kundenname",
                         "organisation", "organization", "account"),
               unlocks="names in tables and report titles instead of customer ids"),
        Column("industry", "text", "What the customer makes with our product. Usual "
               "values: " + ", ".join(INDUSTRIES) + ".", required=False, nullable=True,
               default="", example="feed premix",
               synonyms=("sector", "segment", "customer segment", "branch", "vertical",
                         "industry key", "industry sector", "branche", "market segment",
                         "customer group"),
               unlocks="comparisons with peers of the same industry"),
        Column("region", "text", "Sales region (used to group visits on routes).",
               required=False, nullable=True, default="", example="Central Europe",
               synonyms=("sales region", "territory", "sales territory", "area",
                         "sales area", "sales district", "sales office", "gebiet"),
               unlocks="visit routes grouped by region (chapter 04)"),
        Column("country", "text", "Country of the customer's site we deliver to.",
               required=False, nullable=True, default="", example="Germany",
               synonyms=("country key", "ship-to country", "country/region",
                         "billing country", "shipping country", "country code", "land",
                         "country name"),
               unlocks="the country in account plans and peer comparisons"),
        Column("size_band", "text", "The customer's own size, from the CRM: small, "
               "medium, large or enterprise.", required=False, nullable=True,
               default="", example="large",
               synonyms=("size", "company size", "size class", "customer size")),
        Column("account_manager", "text", "Our salesperson responsible for the account.",
               required=False, nullable=True, default="", example="Anna Berg",
               synonyms=("account owner", "owner", "sales rep", "sales representative",
                         "salesperson", "sales person", "sales employee", "company owner",
                         "key account manager", "kam", "responsible", "sales manager",
                         "account executive", "contact owner", "deal owner",
                         "vertriebsmitarbeiter", "betreuer"),
               unlocks="visit plans and calendars per account manager (chapter 04)"),
        Column("first_order_date", "date", "Date of the customer's first order with us.",
               required=False, nullable=True, example="2014-03-18",
               synonyms=("customer since", "first order", "first purchase date",
                         "first order date")),
    ),
)

PRODUCTS = Table(
    name="products",
    meaning="One row per product (grade and pack) we sell.",
    key=("product_id",),
    columns=(
        Column("product_id", "id", "Product number, unique.", example="P01",
               synonyms=("product", "product number", "product no", "product code",
                         "material", "material number", "material no", "sku", "item",
                         "item code", "item id", "item number", "article",
                         "article number", "artikel", "artikelnummer", "part number",
                         "variant sku", "lineitem sku", "product sku")),
        Column("product_name", "text", "Name as on the price list.", required=False,
               nullable=True, default="", example="Niacin feed grade 99.5%, 25 kg bag",
               synonyms=("material description", "item name", "item description",
                         "article name", "lineitem name", "product description",
                         "description", "artikelbezeichnung", "product title")),
        Column("product_family", "text", "The substance: niacin, niacinamide, ...",
               required=False, default="", example="niacin",
               synonyms=("product group", "material group", "product line",
                         "product category", "category", "warengruppe")),
        Column("grade", "text", "Feed, food, pharma, cosmetic, technical or custom.",
               required=False, default="", example="feed",
               synonyms=("quality", "product grade", "quality grade")),
        Column("purity_pct", "float", "Purity of the substance.", unit="%",
               required=False, nullable=True, minimum=0, maximum=100, example="99.5",
               synonyms=("purity", "assay")),
        Column("is_economy_grade", "bool", "A cheaper, lower-purity grade.",
               required=False, default=False, example="no",
               synonyms=("economy grade", "economy")),
        Column("is_custom", "bool", "Made to the customer's specification.",
               required=False, default=False, example="no",
               synonyms=("custom", "custom grade", "customer specific")),
        Column("pack_type", "text", "bag, big bag or drum.", required=False, default="",
               example="bag", synonyms=("pack", "packaging", "package type")),
        Column("pack_size_kg", "float", "Net content of one pack.", unit="kg",
               required=False, nullable=True, minimum=0, example="25",
               synonyms=("pack size", "package size", "packing size")),
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
    "it was delivered. The least an export needs: the customer, the order date and "
    "the line's value (a net amount, or a quantity and a net price per unit).",
    key=("order_id", "order_line"),
    required=True,
    references={"customer_id": "customers", "product_id": "products"},
    columns=(
        Column("order_id", "id", "Sales order number. When not given, the lines of one "
               "customer on one day are taken as one order.", required=False,
               example="SO000123",
               synonyms=("order", "order number", "order no", "order nr", "sales order",
                         "sales order number", "sales document", "document number",
                         "invoice number", "invoice no", "invoice", "billing document",
                         "order reference", "transaction id", "auftrag",
                         "auftragsnummer", "belegnummer", "rechnungsnummer"),
               unlocks="counting orders (cost to serve per order) as the system does"),
        Column("order_line", "int", "Line number within the order.", minimum=1,
               required=False, default=1, example="1",
               synonyms=("line", "line no", "line number", "order line", "position",
                         "pos", "item position", "sales document item",
                         "billing item", "line item", "positionsnummer")),
        Column("customer_id", "id", "Customer who ordered (see customers).",
               example="C0042"),
        Column("product_id", "id", "Product ordered (see products).", required=False,
               example="P01",
               unlocks="the product mix of each customer; with a products table: "
               "grades, packs, economy and custom grades (chapters 02, 03)"),
        Column("order_date", "date", "Date the order was placed (or invoiced, in a "
               "billing export).", example="2024-05-13",
               synonyms=("date", "billing date", "invoice date", "document date",
                         "order created", "created on", "created at", "posting date",
                         "sales date", "transaction date", "close date", "date ordered",
                         "purchase date", "auftragsdatum", "belegdatum",
                         "rechnungsdatum", "fakturadatum")),
        Column("quantity_kg", "float", "Quantity ordered.", unit="kg", minimum=0,
               required=False, example="1000",
               synonyms=("quantity", "qty", "billed quantity", "order quantity",
                         "ordered quantity", "sales quantity", "quantity ordered",
                         "volume", "kg", "weight", "net weight", "units", "menge",
                         "lineitem quantity", "invoiced quantity", "fakturierte menge"),
               unlocks="volumes, prices per unit, volume rebate tiers and price "
               "elasticity (chapters 02, 03)"),
        Column("list_price_per_kg", "float", "List price on the order date.",
               unit="EUR/kg", minimum=0, required=False, example="9.80",
               synonyms=("list price", "gross price", "catalogue price", "catalog price",
                         "price list price", "listenpreis", "compare at price",
                         "bruttopreis"),
               unlocks="discount depth and price realisation (chapters 02, 03)"),
        Column("net_price_per_kg", "float", "Price invoiced after discounts and deals "
               "(before annual rebates).", unit="EUR/kg", minimum=0, required=False,
               example="8.95",
               synonyms=("net price", "unit price", "price", "net unit price",
                         "selling price", "price per unit", "sales price",
                         "lineitem price", "nettopreis", "net price per unit"),
               ),
        Column("unit_cost_per_kg", "float", "Cost of goods sold on the order date.",
               unit="EUR/kg", minimum=0, required=False, example="6.90",
               synonyms=("unit cost", "cost price", "cost per unit", "standard cost",
                         "cogs per unit", "cost per kg", "herstellkosten"),
               unlocks="gross margin and profitability: whale curve, Shapiro matrix, "
               "customer lifetime value, rebate break-even (chapters 01, 03)"),
        Column("promised_delivery_date", "date", "Delivery date confirmed to the "
               "customer.", required=False, example="2024-05-27",
               synonyms=("promised date", "promised delivery", "confirmed delivery date",
                         "confirmed date", "requested delivery date", "requested date",
                         "planned delivery date", "due date", "commit date",
                         "wunschlieferdatum", "bestaetigtes lieferdatum"),
               unlocks="with actual_delivery_date: on-time-in-full (OTIF), service "
               "sensitivity and supply priority (chapters 02, 04)"),
        Column("actual_delivery_date", "date", "Date the goods arrived; empty while "
               "not delivered.", nullable=True, required=False, example="2024-05-29",
               synonyms=("delivery date", "actual delivery", "goods issue date",
                         "goods issue", "ship date", "shipped date", "shipping date",
                         "delivered on", "date delivered", "fulfilled at",
                         "warenausgangsdatum", "lieferdatum"),
               unlocks="with promised_delivery_date: on-time-in-full (OTIF); the open "
               "order book at the end of the data"),
        Column("delivered_kg", "float", "Quantity delivered (short delivery when below "
               "quantity_kg). When not given, the quantity is taken as delivered in "
               "full.", unit="kg", minimum=0, required=False, example="1000",
               synonyms=("delivered quantity", "delivered qty", "shipped quantity",
                         "quantity delivered", "quantity shipped", "delivery quantity",
                         "liefermenge"),
               unlocks="short deliveries (the 'in full' of OTIF)"),
        Column("deal_type", "category", "Special price the line was bought on.",
               allowed=DEAL_TYPES, required=False, default="none", example="off-season",
               synonyms=("deal", "promotion type", "price type", "special price"),
               unlocks="off-season, promotion and bundle buying (chapters 02, 03)"),
        Column("net_amount", "float", "The line's net value invoiced (after discounts, "
               "before annual rebates). Instead of a net price per kg, or with it.",
               unit="EUR", minimum=0, required=False, alternative_to="net_price_per_kg",
               example="8950",
               synonyms=("net value", "net amount", "turnover", "revenue", "sales",
                         "net sales", "amount", "value", "sales amount", "sales value",
                         "line total", "line amount", "total", "subtotal", "net revenue",
                         "invoice amount", "billed amount", "net invoice value",
                         "umsatz", "nettowert", "nettobetrag", "lineitem total")),
        Column("list_amount", "float", "The line's value at list prices (before "
               "discounts). Instead of a list price per kg.", unit="EUR", minimum=0,
               required=False, alternative_to="list_price_per_kg", example="9800",
               synonyms=("gross value", "gross amount", "list value", "gross sales",
                         "gross revenue", "bruttowert", "bruttobetrag"),
               unlocks="discount depth and price realisation (chapters 02, 03)"),
        Column("discount_amount", "float", "Discount on the line, as an amount: the "
               "list value is net amount + discount.", unit="EUR", minimum=0,
               required=False, alternative_to="list_price_per_kg", example="850",
               synonyms=("discount", "discount value", "discounts", "total discount",
                         "rabatt", "rabattbetrag", "lineitem discount"),
               unlocks="discount depth and price realisation (chapters 02, 03)"),
        Column("discount_share", "float", "Discount on the line, as a share of the list "
               "value (0.08 or 8 for 8 %; decided per column: values above 1 are read "
               "as percent).", minimum=0, maximum=100, required=False,
               alternative_to="list_price_per_kg", example="0.087",
               synonyms=("discount pct", "discount percent", "discount percentage",
                         "discount rate", "discount share", "rabatt pct",
                         "rabattsatz"),
               unlocks="discount depth and price realisation (chapters 02, 03)"),
        Column("cost_amount", "float", "Cost of goods of the line, as an amount. Instead "
               "of a unit cost per kg.", unit="EUR", minimum=0, required=False,
               alternative_to="unit_cost_per_kg", example="6900",
               synonyms=("cost of goods", "cogs", "cost of sales", "cost amount",
                         "cost value", "total cost", "cost of goods sold",
                         "wareneinsatz"),
               unlocks="gross margin and profitability (chapters 01, 03)"),
        Column("margin_amount", "float", "Gross margin (profit) of the line, as an "
               "amount: the cost of goods is net amount − margin. May be negative.",
               unit="EUR", required=False, alternative_to="unit_cost_per_kg",
               example="2050",
               synonyms=("margin", "gross margin", "profit", "gross profit",
                         "contribution margin", "margin amount", "deckungsbeitrag",
                         "rohertrag"),
               unlocks="gross margin and profitability (chapters 01, 03)"),
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
               nullable=True, example="42000",
               synonyms=("estimated annual use", "annual use", "total use",
                         "annual consumption", "estimated consumption", "total demand",
                         "potential volume")),
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

_MORE_SYNONYMS = {
    "interactions": {
        "interaction_id": ("activity id", "activity number", "ticket id", "case number",
                           "event id"),
        "date": ("activity date", "interaction date", "created date", "date received"),
        "type": ("activity type", "interaction type", "event type"),
        "effort_minutes": ("duration", "duration minutes", "minutes", "effort",
                           "time spent", "duration min"),
        "outcome": ("result", "status"),
        "complaint_reason": ("reason", "complaint type", "cause"),
        "days_to_resolve": ("resolution days", "days open", "time to resolve"),
        "handled_by": ("assigned to", "activity owner", "handler"),
    },
    "contacts": {
        "contact_id": ("contact", "contact number", "person id", "contact record id"),
        "contact_name": ("full name", "contact full name", "person"),
        "email": ("e-mail", "email address", "e-mail address"),
        "role": ("buying role", "contact role", "job role"),
        "is_decision_maker": ("decision maker", "decider"),
        "influence": ("influence score",),
        "relationship_strength": ("relationship", "relationship score"),
        "last_contact_date": ("last activity date", "last contacted", "last contact",
                              "last meeting"),
    },
    "assessments": {
        "year": ("assessment year", "fiscal year"),
        "main_competitor": ("competitor", "main supplier"),
    },
    "rebates": {
        "year": ("rebate year", "fiscal year", "bonus year"),
        "rebate_paid": ("rebate", "rebate amount", "rebates paid", "bonus", "annual bonus",
                        "rebate value", "bonus paid"),
    },
}


def _with_synonyms(table: Table) -> Table:
    more = _MORE_SYNONYMS.get(table.name, {})
    if not more:
        return table
    cols = tuple(dataclasses.replace(c, synonyms=c.synonyms + more.get(c.name, ()))
                 for c in table.columns)
    return dataclasses.replace(table, columns=cols)


INTERACTIONS, CONTACTS, ASSESSMENTS, REBATES = (
    _with_synonyms(t) for t in (INTERACTIONS, CONTACTS, ASSESSMENTS, REBATES))

TABLES: dict[str, Table] = {
    t.name: t
    for t in (CUSTOMERS, PRODUCTS, ORDERS, INTERACTIONS, CONTACTS, ASSESSMENTS, REBATES)
}
"""All tables, in the order they are documented and checked."""

CARRIED = {
    "customers": ("customer_name", "industry", "region", "country", "size_band",
                  "account_manager", "first_order_date"),
    "products": ("product_name", "product_family", "grade", "purity_pct",
                 "is_economy_grade", "is_custom", "pack_type", "pack_size_kg"),
}
"""Columns of other tables a flat sales export may carry on every order line (one file
with the customer's name, region, account manager... on each line). The loader derives
the ``customers`` (and ``products``) table from them when that table is not given."""

ORDER_VALUE_RULES = (
    "Each order line needs its value: `net_amount`, or `net_price_per_kg` with "
    "`quantity_kg` or `delivered_kg`.",
    "`delivered_kg` not given: the quantity is taken as delivered in full; "
    "`quantity_kg` not given: the delivered quantity is taken as the quantity ordered.",
    "`net_amount` not given: delivered_kg × net_price_per_kg; `net_price_per_kg` not "
    "given: net_amount / delivered_kg (empty where nothing was delivered).",
    "List value: `list_amount`, else delivered_kg × `list_price_per_kg`, else "
    "net_amount + `discount_amount`, else net_amount / (1 − `discount_share`).",
    "Cost of goods: `cost_amount`, else delivered_kg × `unit_cost_per_kg`, else "
    "net_amount − `margin_amount`.",
    "`order_id` not given: the lines of one customer on one day form one order "
    "(`<customer_id>-<YYYYMMDD>`); `order_line` not given: 1, 2, 3... in file order.",
    "The customers table not given: one row per customer id of the orders, with the "
    "attributes the order lines carry (the value on the customer's latest order when "
    "they differ); `customer_name` not given: the customer id.",
)
"""How the loader completes an order line from what an export gives (data dictionary)."""


@dataclass(frozen=True)
class Capability:
    """Something the playbook can do when the data holds what it needs.

    ``given_by``: alternatives, each a tuple of ``"table.column"`` or ``"table"`` items
    that must all be given; the capability is available when any alternative is.
    ``unlocks``: the methods it allows; ``add``: what to add to the export for it."""

    name: str
    meaning: str
    given_by: tuple[tuple[str, ...], ...]
    unlocks: str
    add: str


CAPABILITIES: dict[str, Capability] = {c.name: c for c in (
    Capability("quantities", "quantities sold",
               (("orders.quantity_kg",), ("orders.delivered_kg",)),
               "volumes, prices per unit, volume rebate tiers, price elasticity",
               "a quantity column (quantity_kg: 'Quantity', 'Billed Quantity', 'Qty')"),
    Capability("list_prices", "list prices or discounts",
               (("orders.list_price_per_kg",), ("orders.list_amount",),
                ("orders.discount_amount",), ("orders.discount_share",)),
               "discount depth, price realisation, price sensitivity",
               "the list price or the discount of each line (list_price_per_kg, "
               "list_amount, discount_amount or discount_share)"),
    Capability("costs", "cost of goods",
               (("orders.unit_cost_per_kg",), ("orders.cost_amount",),
                ("orders.margin_amount",)),
               "gross margin, profitability (whale curve, Shapiro matrix), customer "
               "lifetime value, rebate break-even",
               "the cost or the margin of each line (unit_cost_per_kg, cost_amount or "
               "margin_amount)"),
    Capability("deliveries", "promised and actual delivery dates",
               (("orders.promised_delivery_date", "orders.actual_delivery_date"),),
               "on-time-in-full (OTIF), service sensitivity, supply priority, the open "
               "order book",
               "promised_delivery_date and actual_delivery_date"),
    Capability("order_numbers", "order numbers", (("orders.order_id",),),
               "orders counted as the system counts them (otherwise one order per "
               "customer and day)", "an order number column (order_id)"),
    Capability("products", "the product of each line", (("orders.product_id",),),
               "each customer's product mix", "a product column (product_id: "
               "'Material', 'SKU', 'Item')"),
    Capability("product_details", "a products table",
               (("orders.product_id", "products.grade"),
                ("orders.product_id", "products.is_economy_grade"),
                ("orders.product_id", "products.pack_type")),
               "economy and custom grades, packs and big bags, bundles",
               "a products table (products.csv) with grade, pack and economy grade"),
    Capability("deal_types", "deal types", (("orders.deal_type",),),
               "off-season, promotion and bundle buying", "deal_type on the order lines"),
    Capability("customer_names", "customer names", (("customers.customer_name",),),
               "names instead of ids in tables and report titles",
               "customer_name (in customers.csv or on every order line)"),
    Capability("industries", "industries", (("customers.industry",),),
               "peer comparisons by industry", "industry (or 'Segment', 'Sector')"),
    Capability("regions", "regions", (("customers.region",),),
               "visit routes by region", "region (or 'Sales region', 'Territory')"),
    Capability("account_managers", "account managers",
               (("customers.account_manager",),),
               "visit plans and calendars per account manager",
               "account_manager (or 'Account owner', 'Sales rep')"),
    Capability("interactions", "interactions", (("interactions",),),
               "cost to serve from visits, calls and complaints; service and technology "
               "sensitivity; visit and complaint history", "an interactions table"),
    Capability("contacts", "contacts", (("contacts",),),
               "the buying centre: who decides, who has not been seen",
               "a contacts table"),
    Capability("assessments", "assessments", (("assessments",),),
               "the growth class B, relationship criteria of the scorecard, share of "
               "wallet", "an assessments table"),
    Capability("rebates", "rebates paid", (("rebates",),),
               "profitability after the rebates actually paid", "a rebates table"),
)}
"""What the data can allow, and what gives it (``KamData.available`` names these)."""


@dataclass(frozen=True)
class Use:
    """A chapter or report section and the capabilities it uses (all optional: each
    runs on the least export; without a capability its methods say so and skip)."""

    name: str
    title: str
    uses: tuple[str, ...]


USES: tuple[Use, ...] = (
    Use("chapter 00", "tour of the data", ("quantities", "products", "industries",
                                            "regions", "customer_names")),
    Use("chapter 01", "choosing key customers", ("costs", "interactions", "assessments",
                                                 "rebates", "order_numbers",
                                                 "deliveries")),
    Use("chapter 02", "segmenting by sensitivity", ("quantities", "list_prices",
                                                    "deliveries", "interactions",
                                                    "product_details", "deal_types")),
    Use("chapter 03", "rebates and prices", ("quantities", "list_prices", "costs",
                                             "rebates", "product_details", "deal_types")),
    Use("chapter 04", "service and visits", ("account_managers", "regions",
                                             "interactions", "contacts", "deliveries",
                                             "assessments")),
    Use("report", "at a glance, history", ("quantities", "customer_names")),
    Use("report", "profile and buying centre", ("industries", "contacts",
                                                "assessments")),
    Use("report", "position (share of wallet)", ("assessments", "quantities")),
    Use("report", "sensitivity", ("quantities", "list_prices", "deliveries",
                                  "interactions")),
    Use("report", "rebates", ("quantities", "rebates", "costs")),
    Use("report", "service, visits and objectives", ("interactions", "deliveries",
                                                     "account_managers", "assessments")),
    Use("report", "risks", ("contacts", "interactions", "deliveries")),
)
"""Which capabilities each chapter and report section uses (``kam data check`` says
which run fully, which partly, and what to add)."""


PERSONAL_COLUMNS = {
    t.name: [c.name for c in t.columns if c.personal] for t in TABLES.values()
}
"""Columns holding personal details, per table. Kept out of shared outputs."""


def _shared_synonyms(name: str) -> tuple[str, ...]:
    """Synonyms listed for a column of the same name in another table."""
    for t in TABLES.values():
        for c in t.columns:
            if c.name == name and c.synonyms:
                return c.synonyms
    return ()

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
        "per table (sheet names = table names), a folder of Parquet files, or **one "
        "sales file** (CSV, Excel or Parquet) with a line per order line and the "
        "customer's attributes on every line. Only `orders` is required, and of it "
        "only the customer, the order date and the line's value; everything else is "
        "optional and unlocks more of the playbook (see *What the data allows* below). "
        "Check a company export with `kam data check PATH`: it lists every problem, "
        "says how each header was read, and ends with what the data allows.",
        "",
        f"Money is in {CURRENCY} in the sample. Quantities are kg; prices and costs are "
        "per kg; dates are `YYYY-MM-DD` (day-first forms such as `13.05.2024` are read "
        "with a note); yes/no columns accept yes/no, true/false, 1/0, ja/nein. Numbers "
        "may use decimal commas and thousands separators (`1.234,5`, `1 234,5`, "
        "`1'234.5`): how a column writes its numbers is decided from all its values, "
        "never cell by cell; a column mixing decimal commas and points is refused.",
        "Sales are invoiced on the delivered quantity: revenue of a line is its "
        "`net_amount`, or `delivered_kg × net_price_per_kg`.",
        "",
        "## The least an export needs, and what the loader derives",
        "",
        *[f"- {r}" for r in ORDER_VALUE_RULES],
        "",
        "A column that is not given is empty after loading (NaN, or empty text); a "
        "table that is not given is empty. `KamData.available` names what the data "
        "allows (the capabilities below) and every method that lacks its data says so.",
        "",
        "## Your own headers",
        "",
        "Headers are matched ignoring case, spaces and punctuation (`Customer ID` is "
        "`customer_id`), and by the names other systems' exports use (ERP, CRM, shop): "
        "each column's *also read from* list below. A trailing unit or currency is "
        "dropped (`Amount (EUR)`, `Qty kg`) and `%` reads as `pct` (`Discount %`). "
        "Every header read under another name is said in the notes. When two columns "
        "could be the same one (`Billing Date` and `Document Date`), the check says so "
        "and does not guess.",
        "",
        "A **column map** in the settings file (`kam_settings.toml`) completes or "
        "overrides the recognition: the playbook's column on the left, your export's "
        "header on the right; `table.column` limits an entry to one table.",
        "",
        "```toml",
        "[columns]",
        'customer_id = "KUNNR"',
        'net_amount = "Netwr"',
        '"orders.order_date" = "Billing Date"',
        "```",
        "",
        "`kam data check PATH --settings kam_settings.toml` uses it; in Python, "
        "`data.load(PATH, columns=settings.columns)`.",
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
        req = "required" if t.required else (
            "optional: derived from the order lines when not given" if t.name == "customers"
            else "optional")
        out += [f"## `{t.name}` ({req})", "", t.meaning, "",
                f"Key: {', '.join('`' + k + '`' for k in t.key)}."]
        if t.references:
            refs = ", ".join(f"`{c}` → `{r}`" for c, r in t.references.items())
            out.append(f"References: {refs}.")
        out += ["", "| column | type | unit | meaning | allowed values | column needed? "
                "| also read from |", "|---|---|---|---|---|---|---|"]
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
            if c.unlocks:
                meaning += f" Unlocks: {c.unlocks}."
            syn = ", ".join(c.synonyms or _shared_synonyms(c.name))
            out.append(f"| `{c.name}` | {KINDS[c.kind]} | {c.unit} | {meaning} | "
                       f"{allowed} | {need} | {syn} |")
        out.append("")
    out += ["## What the data allows", "",
            "`kam data check` ends with which chapters and report sections run fully, "
            "which partly, and what to add. A capability is there when the data gives "
            "any one of its alternatives.", "",
            "| capability | given by | unlocks |", "|---|---|---|"]
    for cap in CAPABILITIES.values():
        alts = " or ".join(" + ".join(f"`{x}`" for x in alt) for alt in cap.given_by)
        out.append(f"| {cap.name} ({cap.meaning}) | {alts} | {cap.unlocks} |")
    out += ["", "| chapter or report section | uses |", "|---|---|"]
    for u in USES:
        out.append(f"| {u.name}: {u.title} | {', '.join(u.uses)} |")
    out += [
        "",
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
