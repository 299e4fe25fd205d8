"""Loading and checking a company's data (kamlib.data): every validation rule is tested
with a deliberately broken export, asserting the file, column, row numbers and that the
message is in plain words; CSV, Excel and Parquet load the same data; input files are
never modified; odd inputs never raise.

The small valid export used throughout (``VALID``) is written by hand; its row numbers
as Excel shows them (header = row 1):

- orders.csv: row 2 = SO1 line 1, row 3 = SO1 line 2, row 4 = SO2, row 5 = SO3;
- customers.csv: row 2 = C1, row 3 = C2, row 4 = C3.

Known answers, by hand: revenue = delivered_kg x net price = 1000 x 9.00 + 400 x 8.00
+ 0 x 8.50 + 1500 x 8.50 = 9,000 + 3,200 + 0 + 12,750 = EUR 24,950 (2024: 12,200;
2025: 12,750); delivered volume 2,900 kg; 3 orders, 4 order lines; 3 customers of which
2 ordered; rebates paid EUR 1,200.50.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kamlib import data, schema

VALID = {
    "customers": """\
customer_id,customer_name,industry,region,country,size_band,account_manager,first_order_date
C1,Nordfeed GmbH,feed premix,Central Europe,Germany,large,Anna Berg,2019-03-18
C2,Umbria Foods,food & beverage,Western Europe,Italy,medium,Claire Dubois,2020-06-12
C3,Kyoto Pharma,pharma,Asia,Japan,,Mei Tanaka,
""",
    "products": """\
product_id,product_name,product_family,grade,purity_pct,is_economy_grade,is_custom,pack_type,pack_size_kg,list_price_per_kg,unit_cost_per_kg,packaging_cost_per_kg,launch_date
P1,"Niacin feed grade 99.5%, 25 kg bag",niacin,feed,99.5,no,no,bag,25,9.80,6.90,0.14,2008-01-01
P2,"Niacin economy grade, 500 kg big bag",niacin,feed,98,yes,no,big bag,500,8.50,6.20,0.04,2012-06-01
""",
    "orders": """\
order_id,order_line,customer_id,product_id,order_date,quantity_kg,list_price_per_kg,net_price_per_kg,unit_cost_per_kg,promised_delivery_date,actual_delivery_date,delivered_kg,deal_type
SO1,1,C1,P1,2024-05-13,1000,9.80,9.00,6.90,2024-05-27,2024-05-29,1000,none
SO1,2,C1,P2,2024-05-13,500,8.50,8.00,6.20,2024-05-27,2024-05-27,400,promotion
SO2,1,C2,P1,2024-07-01,2000,9.80,8.50,6.90,2024-07-15,,0,off-season
SO3,1,C2,P2,2025-01-10,1500,8.50,8.50,6.20,2025-01-20,2025-01-18,1500,none
""",
    "interactions": """\
interaction_id,customer_id,date,type,effort_minutes,outcome,complaint_reason,days_to_resolve,product_id,handled_by
I1,C1,2024-06-02,complaint,180,resolved,late delivery,4,P1,Anna Berg
I2,C2,2024-08-01,visit,240,order,,,,Claire Dubois
""",
    "contacts": """\
contact_id,customer_id,contact_name,email,role,is_decision_maker,influence,relationship_strength,last_contact_date
K1,C1,Jonas Weber,j.weber@nordfeed.example,purchasing,yes,4,3,2025-10-14
K2,C2,Maria Rossi,m.rossi@umbria.example,technical,no,2,,2025-03-01
""",
    "assessments": """\
customer_id,year,information_sharing,cooperation,strategic_fit,growth_potential,estimated_annual_use_kg,main_competitor
C1,2024,4,4,3,5,42000,Vitarion
C2,2024,2,3,3,2,,
""",
    "rebates": """\
customer_id,year,rebate_paid
C1,2024,1200.50
""",
}


def write_export(folder: Path, files: dict[str, str | bytes | None], *,
                 encoding: str = "utf-8") -> Path:
    """Write ``<table>.csv`` files; a value of None leaves the table out."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        if text is None:
            continue
        raw = text if isinstance(text, bytes) else text.encode(encoding)
        (folder / f"{name}.csv").write_bytes(raw)
    return folder


def export(tmp_path: Path, **changes) -> Path:
    """The valid export with some tables replaced (text, bytes, or None = left out)."""
    files = dict(VALID)
    files.update(changes)
    return write_export(tmp_path / "export", files)


def replace(table: str, old: str, new: str) -> str:
    text = VALID[table]
    assert old in text, old
    return text.replace(old, new)


def only(report: data.CheckReport, file: str | None = None,
         column: str | None = None) -> list[data.Problem]:
    return [p for p in report.problems
            if (file is None or p.file == file) and (column is None or p.column == column)]


def one(report: data.CheckReport, file: str, column: str) -> data.Problem:
    found = only(report, file, column)
    assert len(found) == 1, report.text()
    return found[0]


# --------------------------------------------------------------------- valid data


def test_valid_export_loads_typed_with_hand_computed_measures(tmp_path):
    kd = data.load(export(tmp_path))
    o = kd.orders
    assert list(o["order_id"]) == ["SO1", "SO1", "SO2", "SO3"]
    assert str(o["order_id"].dtype) == "string"
    assert o["order_line"].dtype == "Int64"
    assert pd.api.types.is_datetime64_any_dtype(o["actual_delivery_date"])
    assert o["actual_delivery_date"].isna().tolist() == [False, False, True, False]
    assert o["revenue"].tolist() == pytest.approx([9000.0, 3200.0, 0.0, 12750.0])
    assert o["deal_type"].tolist() == ["none", "promotion", "off-season", "none"]
    assert kd.products["is_economy_grade"].tolist() == [False, True]
    assert kd.contacts["is_decision_maker"].tolist() == [True, False]
    assert kd.contacts["relationship_strength"].isna().tolist() == [False, True]
    assert kd.assessments["year"].tolist() == [2024, 2024]
    assert kd.customers["size_band"].tolist() == ["large", "medium", ""]
    assert kd.interactions["complaint_reason"].isna().tolist() == [False, True]
    assert kd.years == [2024, 2025]


def test_valid_export_check_summary(tmp_path):
    report = data.check(export(tmp_path))
    assert report.ok, report.text()
    s = report.summary
    assert s.rows == {"customers": 3, "products": 2, "orders": 4, "interactions": 2,
                      "contacts": 2, "assessments": 2, "rebates": 1}
    assert (s.customers, s.customers_with_orders, s.products) == (3, 2, 2)
    assert (s.orders, s.order_lines) == (3, 4)
    assert s.first_order_date == pd.Timestamp("2024-05-13")
    assert s.last_order_date == pd.Timestamp("2025-01-10")
    assert s.revenue == pytest.approx(24_950.0)
    assert s.revenue_by_year == pytest.approx({2024: 12_200.0, 2025: 12_750.0})
    assert s.volume_kg == pytest.approx(2_900.0)
    assert s.rebates_paid == pytest.approx(1_200.50)
    text = report.text()
    assert "No problems found" in text
    assert "24,950" in text and "2024-05-13" in text and "2025-01-10" in text


def test_bundled_sample_checks_clean():
    report = data.check("sample")
    assert report.ok, report.text()
    assert report.summary.rows["customers"] == 300
    assert report.summary.first_order_date.year == 2021
    assert report.summary.last_order_date.year == 2025
    # GENERATED_BY.txt is not a table: ignored with a note, not a problem
    assert any("GENERATED_BY.txt" in n for n in report.summary.notes)


def test_load_sample_same_as_path(sample):
    kd = data.load(data.SAMPLE_DIR)
    pd.testing.assert_frame_equal(kd.orders, sample.orders)
    assert len(sample.customers) == 300


# ------------------------------------------------------ CSV, Excel, Parquet: same data


@pytest.fixture(scope="module")
def three_formats(tmp_path_factory):
    """One small dataset as a CSV folder, a Parquet folder and an Excel workbook."""
    base = tmp_path_factory.mktemp("formats")
    try:
        from kamlib import generate

        cfg = generate.GeneratorConfig(n_customers=40, years=2, seed=11)
        generate.write_dataset(cfg, base / "csv", answer_key_dir=base / "key")
        generate.write_dataset(cfg, base / "parquet", answer_key_dir=base / "key",
                               parquet=True, csv=False)
        tables = {k: v for k, v in generate.generate(cfg).items() if k in schema.TABLES}
    except (ImportError, AttributeError):  # pragma: no cover - before the generator
        write_export(base / "csv", VALID)
        tables = {k: data.coerce_table(pd.read_csv(base / "csv" / f"{k}.csv", dtype=str), t)
                  for k, t in schema.TABLES.items()}
        (base / "parquet").mkdir()
        for k, df in tables.items():
            df.to_parquet(base / "parquet" / f"{k}.parquet", index=False)
    # sheet names in other cases and with spaces: still the tables
    sheet = {"customers": "Customers", "orders": "ORDERS", "products": "Products ",
             "interactions": "interactions", "contacts": "Contacts",
             "assessments": "Assessments", "rebates": " Rebates"}
    with pd.ExcelWriter(base / "book.xlsx", engine="openpyxl") as w:
        for name, df in tables.items():
            df.to_excel(w, sheet_name=sheet[name], index=False)
    return base


def test_csv_excel_parquet_load_the_same_data(three_formats):
    from_csv = data.load(three_formats / "csv")
    from_parquet = data.load(three_formats / "parquet")
    from_excel = data.load(three_formats / "book.xlsx")
    assert len(from_csv.orders) > 500
    for name in schema.TABLES:
        a = getattr(from_csv, name)
        pd.testing.assert_frame_equal(a, getattr(from_parquet, name), obj=f"parquet {name}")
        pd.testing.assert_frame_equal(a, getattr(from_excel, name), obj=f"excel {name}")


def test_formats_are_named_in_the_summary(three_formats):
    assert data.check(three_formats / "csv").summary.kind == "folder of CSV files"
    assert data.check(three_formats / "parquet").summary.kind == "folder of Parquet files"
    r = data.check(three_formats / "book.xlsx")
    assert r.ok, r.text()
    assert r.summary.kind == "Excel workbook"
    assert r.summary.files["orders"] == "book.xlsx, sheet ORDERS"


def test_parquet_preferred_when_both_exist(tmp_path, three_formats):
    folder = tmp_path / "both"
    folder.mkdir()
    for p in (three_formats / "csv").glob("*.csv"):
        (folder / p.name).write_bytes(p.read_bytes())
    (folder / "orders.parquet").write_bytes((three_formats / "parquet" /
                                             "orders.parquet").read_bytes())
    r = data.check(folder)
    assert r.ok, r.text()
    assert r.summary.files["orders"] == "orders.parquet"
    assert any("orders.parquet" in n and "orders.csv" in n for n in r.summary.notes)


# ----------------------------------------------------------------------- columns


def test_misspelt_required_column_suggests_the_closest_name(tmp_path):
    broken = replace("orders", "order_line,customer_id,", "order_line,custmer_id,")
    r = data.check(export(tmp_path, orders=broken))
    p = one(r, "orders.csv", "customer_id")
    assert p.rows == (1,)
    assert "'custmer_id'" in p.message and "Did you mean customer_id?" in p.message
    assert "Rename" in p.fix
    assert not r.ok


def test_column_names_match_ignoring_case_and_spaces(tmp_path):
    renamed = replace("customers", "customer_id,customer_name", "Customer ID, Customer Name ")
    r = data.check(export(tmp_path, customers=renamed))
    assert r.ok, r.text()
    assert any("'Customer ID' read as customer_id" in n for n in r.summary.notes)
    kd = data.load(tmp_path / "export")
    assert kd.customers["customer_name"].tolist()[0] == "Nordfeed GmbH"


def test_missing_required_column_without_close_match(tmp_path):
    df = pd.read_csv(pd.io.common.StringIO(VALID["orders"]), dtype=str)
    text = df.drop(columns=["order_date"]).to_csv(index=False)
    r = data.check(export(tmp_path, orders=text))
    p = one(r, "orders.csv", "order_date")
    assert p.rows == (1,)
    assert "required column order_date is missing" in p.message
    assert "Add a column named order_date" in p.fix and "[columns] order_date" in p.fix


def test_missing_optional_column_takes_default_with_a_note(tmp_path):
    df = pd.read_csv(pd.io.common.StringIO(VALID["orders"]), dtype=str)
    r = data.check(export(tmp_path, orders=df.drop(columns=["deal_type"]).to_csv(index=False)))
    assert r.ok, r.text()
    assert any("optional columns not given" in n and "deal_type" in n
               for n in r.summary.notes)
    kd = data.load(tmp_path / "export")
    assert kd.orders["deal_type"].tolist() == ["none"] * 4


def test_missing_order_line_numbers_the_lines(tmp_path):
    df = pd.read_csv(pd.io.common.StringIO(VALID["orders"]), dtype=str)
    kd = data.load(export(tmp_path, orders=df.drop(columns=["order_line"]).to_csv(index=False)))
    assert kd.orders["order_line"].tolist() == [1, 2, 1, 1]


def test_unknown_columns_are_ignored_with_a_note(tmp_path):
    extra = VALID["rebates"].replace("rebate_paid\n", "rebate_paid,comment\n").replace(
        "1200.50\n", "1200.50,paid in March\n")
    r = data.check(export(tmp_path, rebates=extra))
    assert r.ok, r.text()
    assert any("'comment'" in n and "ignored" in n for n in r.summary.notes)


def test_misspelt_optional_column_is_noted_with_suggestion(tmp_path):
    r = data.check(export(tmp_path, orders=replace("orders", ",deal_type\n", ",deal_typ\n")))
    assert r.ok
    assert any("'deal_typ'" in n and "did you mean deal_type?" in n for n in r.summary.notes)


def test_duplicate_column_in_header(tmp_path):
    r = data.check(export(tmp_path, rebates="customer_id,year,rebate_paid,Rebate Paid\n"
                                            "C1,2024,1200.5,1200.5\n"))
    p = one(r, "rebates.csv", "rebate_paid")
    assert p.rows == (1,) and "appears twice" in p.message


# ----------------------------------------------------------------- cell values


def test_text_in_a_number_column_names_rows_and_values(tmp_path):
    broken = (VALID["orders"].replace("2024-05-13,500,", "2024-05-13,abc,")
              .replace("2025-01-10,1500,", "2025-01-10,12 kg,"))
    r = data.check(export(tmp_path, orders=broken))
    p = one(r, "orders.csv", "quantity_kg")
    assert p.rows == (3, 5)
    assert "quantity_kg is not a number" in p.message
    assert "'abc'" in p.message and "'12 kg'" in p.message
    assert "no units" in p.fix


def test_unparseable_dates(tmp_path):
    broken = (VALID["orders"].replace("SO2,1,C2,P1,2024-07-01", "SO2,1,C2,P1,2024-13-45")
              .replace("SO3,1,C2,P2,2025-01-10", "SO3,1,C2,P2,soon"))
    r = data.check(export(tmp_path, orders=broken))
    p = one(r, "orders.csv", "order_date")
    assert p.rows == (4, 5)
    assert "order_date is not a date" in p.message and "'2024-13-45'" in p.message
    assert "YYYY-MM-DD" in p.fix


def test_day_first_dates_are_read_with_a_note(tmp_path):
    broken = VALID["orders"].replace("2024-05-13", "13.05.2024")
    r = data.check(export(tmp_path, orders=broken))
    assert r.ok, r.text()
    assert any("DD.MM.YYYY" in n for n in r.summary.notes)
    kd = data.load(tmp_path / "export")
    assert kd.orders["order_date"].iloc[0] == pd.Timestamp("2024-05-13")
    assert kd.orders["order_date"].iloc[3] == pd.Timestamp("2025-01-10")


def test_year_typo_far_outside_the_period(tmp_path):
    r = data.check(export(tmp_path, contacts=replace("contacts", "2025-03-01", "2205-03-01")))
    p = one(r, "contacts.csv", "last_contact_date")
    assert p.rows == (3,) and "1900-2100" in p.message and "2205-03-01" in p.message


def test_negative_quantities_and_prices(tmp_path):
    broken = (VALID["orders"].replace("2024-05-13,500,", "2024-05-13,-25,")
              .replace("2024-07-01,2000,9.80,8.50", "2024-07-01,2000,9.80,-8.50"))
    r = data.check(export(tmp_path, orders=broken))
    q = one(r, "orders.csv", "quantity_kg")
    assert q.rows == (3,)
    assert q.message == "quantity_kg is negative (-25)."
    assert "credit note" in q.fix
    assert str(q).startswith("orders.csv, row 3: quantity_kg is negative (-25). Quantities "
                             "must be 0 or more")
    p = one(r, "orders.csv", "net_price_per_kg")
    assert p.rows == (4,) and "negative (-8.5)" in p.message


def test_scores_outside_one_to_five(tmp_path):
    r = data.check(export(
        tmp_path,
        contacts=replace("contacts", "purchasing,yes,4,3", "purchasing,yes,7,3"),
        assessments=replace("assessments", "C2,2024,2,3,3,2", "C2,2024,2,0,3,2"),
    ))
    c = one(r, "contacts.csv", "influence")
    assert c.rows == (2,) and "outside 1-5 (7)" in c.message
    a = one(r, "assessments.csv", "cooperation")
    assert a.rows == (3,) and "outside 1-5 (0)" in a.message
    assert "1 (lowest) to 5 (highest)" in a.fix


def test_score_must_be_whole(tmp_path):
    r = data.check(export(tmp_path, contacts=replace("contacts", "yes,4,3", "yes,3.5,3")))
    p = one(r, "contacts.csv", "influence")
    assert p.rows == (2,) and "3.5" in p.message


def test_category_value_not_on_the_list_suggests_closest(tmp_path):
    r = data.check(export(tmp_path, orders=replace("orders", "0,off-season", "0,offseason")))
    p = one(r, "orders.csv", "deal_type")
    assert p.rows == (4,)
    assert "'offseason' (did you mean 'off-season'?)" in p.message
    assert "none, off-season, promotion, bundle" in p.fix


def test_category_values_match_ignoring_case_and_spaces(tmp_path):
    r = data.check(export(
        tmp_path,
        orders=replace("orders", "0,off-season", "0,Off Season"),
        interactions=replace("interactions", "complaint,180", "Complaint,180"),
    ))
    assert r.ok, r.text()
    kd = data.load(tmp_path / "export")
    assert kd.orders["deal_type"].iloc[2] == "off-season"
    assert kd.interactions["type"].iloc[0] == "complaint"


def test_yes_no_column(tmp_path):
    r = data.check(export(tmp_path, contacts=replace("contacts", "technical,no",
                                                     "technical,maybe")))
    p = one(r, "contacts.csv", "is_decision_maker")
    assert p.rows == (3,) and "'maybe'" in p.message and "yes or no" in p.message


def test_empty_cells_in_required_values(tmp_path):
    r = data.check(export(
        tmp_path, orders=replace("orders", "SO3,1,C2,P2", "SO3,1,,P2")))
    o = one(r, "orders.csv", "customer_id")
    assert o.rows == (5,) and "Every order line needs a customer_id" in o.fix


def test_empty_customer_name_is_the_customer_id_with_a_note(tmp_path):
    folder = export(tmp_path, customers=replace("customers", "C2,Umbria Foods,", "C2,,"))
    r = data.check(folder)
    assert r.ok, r.text()
    assert any("1 customer without a name" in n for n in r.summary.notes), r.summary.notes
    kd = data.load(folder)
    assert kd.customers.set_index("customer_id")["customer_name"].to_dict() == {
        "C1": "Nordfeed GmbH", "C2": "C2", "C3": "Kyoto Pharma"}
    assert kd.has("customer_names")  # the column is given, one cell is empty


def test_empty_cells_in_optional_values_are_fine(tmp_path):
    # VALID already has empty size_band, first_order_date, actual_delivery_date,
    # relationship_strength, estimated_annual_use_kg, complaint_reason...
    assert data.check(export(tmp_path)).ok


# ------------------------------------------------------------- rows and tables


def test_duplicate_ids(tmp_path):
    r = data.check(export(
        tmp_path,
        customers=VALID["customers"] + "C2,Umbria Foods again,pharma,Asia,Japan,,Mei Tanaka,\n",
        orders=VALID["orders"] + "SO1,2,C1,P2,2024-05-13,500,8.50,8.00,6.20,2024-05-27,"
                                 "2024-05-27,400,promotion\n",
    ))
    c = one(r, "customers.csv", "customer_id")
    assert c.rows == (3, 5) and "'C2' (rows 3, 5)" in c.message
    o = one(r, "orders.csv", "order_id, order_line")
    assert o.rows == (3, 6)
    assert "'SO1' order_line 2" in o.message and "appears on more than one row" in o.message


def test_order_lines_for_unknown_customers_and_products(tmp_path):
    broken = (VALID["orders"].replace("SO2,1,C2,P1", "SO2,1,C9,P1")
              .replace("SO3,1,C2,P2", "SO3,1,C9,P7"))
    r = data.check(export(tmp_path, orders=broken))
    c = one(r, "orders.csv", "customer_id")
    assert c.rows == (4, 5)
    assert c.message == "2 order lines refer to a customer_id not in customers.csv: 'C9'."
    assert "customers.csv" in c.fix
    p = one(r, "orders.csv", "product_id")
    assert p.rows == (5,) and "'P7'" in p.message


@pytest.mark.parametrize("table, old, new, row", [
    ("interactions", "I2,C2,", "I2,C8,", 3),
    ("contacts", "K1,C1,", "K1,C8,", 2),
    ("assessments", "C2,2024", "C8,2024", 3),
    ("rebates", "C1,2024", "C8,2024", 2),
])
def test_other_tables_referring_to_unknown_customers(tmp_path, table, old, new, row):
    r = data.check(export(tmp_path, **{table: replace(table, old, new)}))
    p = one(r, f"{table}.csv", "customer_id")
    assert p.rows == (row,) and "'C8'" in p.message and "not in customers.csv" in p.message


def test_interaction_for_unknown_product(tmp_path):
    r = data.check(export(tmp_path, interactions=replace("interactions", "4,P1,", "4,P5,")))
    assert one(r, "interactions.csv", "product_id").rows == (2,)


def test_delivery_before_order(tmp_path):
    r = data.check(export(tmp_path, orders=replace("orders", "2024-05-27,2024-05-29",
                                                   "2024-05-27,2024-05-03")))
    p = one(r, "orders.csv", "actual_delivery_date")
    assert p.rows == (2,)
    assert "actual_delivery_date is before order_date" in p.message
    assert "2024-05-03 before 2024-05-13" in p.message


def test_promised_before_order(tmp_path):
    r = data.check(export(tmp_path, orders=replace("orders", "2025-01-10,1500,8.50,8.50,6.20,"
                                                   "2025-01-20", "2025-01-10,1500,8.50,8.50,"
                                                   "6.20,2025-01-02")))
    p = one(r, "orders.csv", "promised_delivery_date")
    assert p.rows == (5,) and "before order_date" in p.message


def test_missing_required_table_and_misspelt_file_name(tmp_path):
    folder = export(tmp_path, orders=None)
    (folder / "oders.csv").write_text(VALID["orders"], encoding="utf-8")
    r = data.check(folder)
    p = one(r, "orders.csv", "")
    assert "'oders.csv'" in p.message and "Did you mean orders?" in p.message
    assert "Rename" in p.fix


def test_misspelt_customers_file_is_named_in_a_note(tmp_path):
    folder = export(tmp_path, customers=None)
    (folder / "custmers.csv").write_text(VALID["customers"], encoding="utf-8")
    r = data.check(folder)
    assert r.ok, r.text()
    notes = " ".join(r.summary.notes)
    assert "the file 'custmers.csv' looks like it" in notes
    assert "2 customers derived from the order lines of orders.csv" in notes


def test_missing_optional_table_is_a_note_naming_what_is_lost(tmp_path):
    r = data.check(export(tmp_path, interactions=None, rebates=None))
    assert r.ok, r.text()
    notes = " ".join(r.summary.notes)
    assert "No interactions table" in notes and "chapter 02" in notes
    assert "No rebates table" in notes
    kd = data.load(tmp_path / "export")
    assert kd.interactions.empty and list(kd.interactions.columns) == \
        schema.INTERACTIONS.column_names
    assert kd.rebates["rebate_paid"].dtype == "float64"


# ---------------------------------------------------------------------- files


def test_zero_byte_file(tmp_path):
    r = data.check(export(tmp_path, orders=b"", rebates=b""))
    assert one(r, "orders.csv", "").message == "The file is empty (0 bytes)."
    assert one(r, "rebates.csv", "").message == "The file is empty (0 bytes)."


def test_headers_only(tmp_path):
    r = data.check(export(tmp_path, orders=VALID["orders"].splitlines()[0] + "\n",
                          contacts=VALID["contacts"].splitlines()[0] + "\n"))
    p = one(r, "orders.csv", "")
    assert "column names but no rows" in p.message
    assert not only(r, "contacts.csv")  # an optional table may be empty
    assert any("contacts.csv has no rows" in n for n in r.summary.notes)


def test_windows_1252_file_is_accepted_with_a_note(tmp_path):
    text = VALID["contacts"].replace("Jonas Weber", "Jörg Müller")
    folder = export(tmp_path, contacts=text.encode("cp1252"))
    r = data.check(folder)
    assert r.ok, r.text()
    assert any("contacts.csv is not UTF-8" in n and "Windows-1252" in n
               for n in r.summary.notes)
    assert data.load(folder).contacts["contact_name"].iloc[0] == "Jörg Müller"


def test_utf8_with_byte_order_mark(tmp_path):
    folder = export(tmp_path, customers=b"\xef\xbb\xbf" + VALID["customers"].encode())
    r = data.check(folder)
    assert r.ok, r.text()
    assert data.load(folder).customers["customer_id"].tolist() == ["C1", "C2", "C3"]


def test_mixed_encodings_name_the_row(tmp_path):
    raw = (VALID["contacts"].replace("Jonas Weber", "Jörg Weber").encode("utf-8")
           .replace(b"Maria Rossi", "Mária Rossi".encode("cp1252")))
    r = data.check(export(tmp_path, contacts=raw))
    p = one(r, "contacts.csv", "")
    assert p.rows == (3,) and "another encoding" in p.message
    assert "UTF-8" in p.fix


def test_undecodable_bytes_name_the_row(tmp_path):
    raw = VALID["customers"].encode().replace(b"Kyoto", b"Ky\x81oto")
    r = data.check(export(tmp_path, customers=raw))
    p = one(r, "customers.csv", "")
    assert p.rows == (4,) and "neither UTF-8 nor Windows-1252" in p.message


def test_semicolons_and_decimal_commas(tmp_path):
    import re

    text = re.sub(r"(\d)\.(\d\d)\b", r"\1,\2", VALID["orders"].replace(",", ";"))
    text = text.replace(";1000;9,80", ";1.000;9,80", 1)  # thousands point, decimal comma
    text = text.replace("2024-05-13;1.000;9,80", "2024-05-13;1.000,0;9,80")
    folder = export(tmp_path, orders=text)
    r = data.check(folder)
    assert r.ok, r.text()
    assert any("semicolons" in n for n in r.summary.notes)
    o = data.load(folder).orders
    assert o["quantity_kg"].tolist() == [1000.0, 500.0, 2000.0, 1500.0]
    assert o["list_price_per_kg"].tolist() == [9.8, 8.5, 9.8, 8.5]
    assert o["revenue"].sum() == pytest.approx(24_950.0)


def test_thousands_point_is_decided_per_column_never_cell_by_cell(tmp_path):
    # the issue's case: '2.000' beside '3.525,0' in one column is 2000, not 2.0
    text = ("customer_id;order_date;quantity_kg;net_price_per_kg\n"
            "C1;2024-01-02;2.000;1,5\nC1;2024-01-03;3.525,0;1\nC1;2024-01-04;500;2\n")
    kd = data.load(write_export(tmp_path / "e", {"orders": text}))
    assert kd.orders["quantity_kg"].tolist() == [2000.0, 3525.0, 500.0]
    assert kd.orders["revenue"].sum() == pytest.approx(3000 + 3525 + 1000)
    # a column with only '2.000'-like values follows the file's other columns
    text = ("customer_id;order_date;quantity_kg;net_price_per_kg\n"
            "C1;2024-01-02;2.000;1,5\nC1;2024-01-03;12.500;1\n")
    r = data.check(write_export(tmp_path / "f", {"orders": text}))
    assert ("orders.csv: quantity_kg has numbers such as '2.000' that could be read two "
            "ways; read '2.000' as 2000 because the file's other columns write decimal "
            "commas.") in r.summary.notes
    # in a comma-separated file with decimal points elsewhere, 2.000 is 2.0
    text = ("customer_id,order_date,quantity_kg,net_price_per_kg\n"
            "C1,2024-01-02,2.000,1.5\nC1,2024-01-03,12.500,1.25\n")
    kd = data.load(write_export(tmp_path / "g", {"orders": text}))
    assert kd.orders["quantity_kg"].tolist() == [2.0, 12.5]


def test_a_column_mixing_decimal_commas_and_points_is_refused(tmp_path):
    text = ("customer_id;order_date;quantity_kg;net_price_per_kg\n"
            "C1;2024-01-02;10;9,80\nC1;2024-01-03;10;8.75\n")
    r = data.check(write_export(tmp_path / "e", {"orders": text}))
    p = one(r, "orders.csv", "net_price_per_kg")
    assert "mixes decimal commas and decimal points ('9,80' and '8.75')" in p.message
    assert "cannot be read without guessing" in p.message


def test_tab_separated(tmp_path):
    folder = export(tmp_path, customers=VALID["customers"].replace(",", "\t"))
    r = data.check(folder)
    assert r.ok, r.text()
    assert any("customers.csv is separated by tabs" in n for n in r.summary.notes)


def test_comma_decimal_in_comma_separated_file_is_read_by_its_column(tmp_path):
    folder = export(tmp_path, rebates='customer_id,year,rebate_paid\nC1,2024,"1200,50"\n')
    r = data.check(folder)
    assert r.ok, r.text()
    assert data.load(folder).rebates["rebate_paid"].tolist() == [1200.5]
    assert any("1 number in rebate_paid written with thousands separators or a decimal "
               "comma was read as a number" in n for n in r.summary.notes)


def test_unreadable_number_with_comma_in_comma_file_is_explained(tmp_path):
    r = data.check(export(tmp_path, rebates='customer_id,year,rebate_paid\nC1,2024,"1200,50 EUR"\n'))
    p = one(r, "rebates.csv", "rebate_paid")
    assert p.rows == (2,) and "'1200,50 EUR'" in p.message and "write 9.80, not 9,80" in p.fix


def test_rows_with_too_many_values_and_row_numbers_after_them(tmp_path):
    broken = (VALID["customers"].replace("C2,Umbria Foods,", "C2,Umbria Foods, Srl,")
              + ",Lima Feed,feed premix,Americas,Peru,,,\n")
    r = data.check(export(tmp_path, customers=broken))
    p = [x for x in only(r, "customers.csv") if "more values" in x.message]
    assert len(p) == 1 and p[0].rows == (3,)
    assert "quotes" in p[0].fix
    # the row after the skipped one keeps its own number (5), as Excel shows it
    assert one(r, "customers.csv", "customer_id").rows == (5,)


def test_blank_lines_keep_row_numbers(tmp_path):
    broken = VALID["orders"].replace("SO2,", "\nSO2,").replace("2025-01-10,1500,",
                                                              "2025-01-10,-1,")
    r = data.check(export(tmp_path, orders=broken))
    assert one(r, "orders.csv", "quantity_kg").rows == (6,)


def test_many_rows_are_listed_briefly(tmp_path):
    lines = [VALID["rebates"].splitlines()[0]]
    lines += [f"C1,{1900 + i},-{i + 1}" for i in range(40)]
    r = data.check(export(tmp_path, rebates="\n".join(lines) + "\n"))
    p = one(r, "rebates.csv", "rebate_paid")
    assert p.n_rows == 40 and p.rows[:3] == (2, 3, 4)
    assert p.where == "rows 2, 3, 4, 5, 6 and 35 more rows"
    assert "and 35 more rows" in r.text()
    assert "-1, -2, -3, -4, -5 and 35 other values" in p.message


def test_problems_are_grouped_by_file_in_the_text(tmp_path):
    r = data.check(export(
        tmp_path,
        customers=replace("customers", "Claire Dubois,2020-06-12", "Claire Dubois,2020-13-45"),
        orders=replace("orders", "2024-05-13,500,", "2024-05-13,-25,"),
    ))
    text = r.text()
    assert text.startswith("2 problems found in")
    assert text.index("\ncustomers.csv\n") < text.index("first_order_date is not a date")
    assert text.index("\norders.csv\n") < text.index("quantity_kg is negative (-25)")
    assert "Fix: Quantities must be 0 or more" in text
    assert "header is row 1" in text


# ------------------------------------------------------------ Excel and Parquet


def _typed_tables() -> dict[str, pd.DataFrame]:
    return {n: data.coerce_table(pd.read_csv(pd.io.common.StringIO(VALID[n]), dtype=str), t)
            for n, t in schema.TABLES.items()}


def test_excel_problems_name_the_sheet_and_the_excel_row(tmp_path):
    tables = _typed_tables()
    tables["orders"].loc[2, "quantity_kg"] = -5.0  # third data row = Excel row 4
    book = tmp_path / "export.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as w:
        for name, df in tables.items():
            df.to_excel(w, sheet_name="Order lines" if name == "orders" else name,
                        index=False)
    r = data.check(book)
    p = one(r, "export.xlsx, sheet Order lines", "quantity_kg")
    assert p.rows == (4,) and "negative (-5)" in p.message


def test_excel_missing_sheet_suggests_closest(tmp_path):
    book = tmp_path / "export.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as w:
        for name, df in _typed_tables().items():
            df.to_excel(w, sheet_name="Orderz" if name == "orders" else name, index=False)
    r = data.check(book)
    p = one(r, "export.xlsx", "")
    assert "no sheet named 'orders'" in p.message and "'Orderz'" in p.message


def test_excel_text_cells_in_number_and_date_columns(tmp_path):
    tables = _typed_tables()
    o = tables["orders"].astype({"quantity_kg": object, "order_date": object})
    o.loc[1, "quantity_kg"] = "lots"
    o.loc[3, "order_date"] = "next week"
    tables["orders"] = o
    book = tmp_path / "export.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as w:
        for name, df in tables.items():
            df.to_excel(w, sheet_name=name, index=False)
    r = data.check(book)
    assert one(r, "export.xlsx, sheet orders", "quantity_kg").rows == (3,)
    assert one(r, "export.xlsx, sheet orders", "order_date").rows == (5,)


def test_parquet_problems_use_the_same_row_numbers(tmp_path):
    tables = _typed_tables()
    tables["orders"].loc[3, "delivered_kg"] = -1.0  # fourth record = row 5
    folder = tmp_path / "pq"
    folder.mkdir()
    for name, df in tables.items():
        df.to_parquet(folder / f"{name}.parquet", index=False)
    r = data.check(folder)
    p = one(r, "orders.parquet", "delivered_kg")
    assert p.rows == (5,) and "credit note" in p.fix


def test_parquet_with_text_columns_and_numeric_ids(tmp_path):
    """Parquet written by other tools: numbers stored as text, ids as integers."""
    tables = _typed_tables()
    folder = tmp_path / "pq"
    folder.mkdir()
    for name, df in tables.items():
        df.to_parquet(folder / f"{name}.parquet", index=False)
    o = tables["orders"].copy()
    o["quantity_kg"] = o["quantity_kg"].map(lambda v: f"{v:g}").astype(object)
    o["order_date"] = o["order_date"].dt.strftime("%Y-%m-%d").astype(object)
    o.to_parquet(folder / "orders.parquet", index=False)
    kd = data.load(folder)
    assert kd.orders["quantity_kg"].tolist() == [1000.0, 500.0, 2000.0, 1500.0]
    assert kd.orders["order_date"].iloc[0] == pd.Timestamp("2024-05-13")


def test_parquet_dataset_folder(tmp_path):
    """A table written as a folder of part files (Spark, Dask) is one table."""
    folder = export(tmp_path)
    orders = pd.read_csv(folder / "orders.csv", dtype=str)
    (folder / "orders.csv").unlink()
    (folder / "orders.parquet").mkdir()
    orders.iloc[:2].to_parquet(folder / "orders.parquet" / "part-0.parquet", index=False)
    orders.iloc[2:].to_parquet(folder / "orders.parquet" / "part-1.parquet", index=False)
    kd = data.load(folder)
    assert kd.orders["revenue"].sum() == pytest.approx(24_950.0)


# ------------------------------------------------------- odd inputs: never raise


@pytest.mark.parametrize("case", [
    "binary_orders", "directory_customers", "headers_only", "no_such_path", "single_file",
    "empty_folder", "junk_workbook", "junk_parquet", "only_blank_lines", "unclosed_quote",
    "one_column", "old_excel", "empty_parquet_folder", "empty_sheet",
])
def test_odd_inputs_are_reported_never_raised(tmp_path, case):
    folder = export(tmp_path)
    target: Path = folder
    if case == "binary_orders":
        rng = np.random.default_rng(1)
        (folder / "orders.csv").write_bytes(rng.integers(0, 256, 4000, dtype=np.uint8)
                                            .tobytes() + b"\x00")
    elif case == "directory_customers":
        (folder / "customers.csv").unlink()
        (folder / "customers.csv").mkdir()
    elif case == "headers_only":
        for name in VALID:
            (folder / f"{name}.csv").write_text(VALID[name].splitlines()[0] + "\n")
    elif case == "no_such_path":
        target = tmp_path / "nowhere"
    elif case == "single_file":
        target = folder / "customers.csv"
    elif case == "empty_folder":
        target = tmp_path / "empty"
        target.mkdir()
    elif case == "junk_workbook":
        target = tmp_path / "book.xlsx"
        target.write_bytes(b"this is not a workbook")
    elif case == "junk_parquet":
        (folder / "orders.csv").unlink()
        (folder / "orders.parquet").write_bytes(b"PAR1 but nothing else")
    elif case == "only_blank_lines":
        (folder / "orders.csv").write_text("\n\n  \n")
    elif case == "unclosed_quote":
        (folder / "customers.csv").write_text(VALID["customers"] + 'C9,"Open quote,x\n')
    elif case == "one_column":
        (folder / "customers.csv").write_text("customer_id customer_name\nC1 Nordfeed\n")
    elif case == "old_excel":
        target = tmp_path / "book.xls"
        target.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    elif case == "empty_parquet_folder":
        (folder / "orders.csv").unlink()
        (folder / "orders.parquet").mkdir()
    elif case == "empty_sheet":
        target = tmp_path / "book.xlsx"
        with pd.ExcelWriter(target, engine="openpyxl") as w:
            _typed_tables()["customers"].to_excel(w, sheet_name="customers", index=False)
            pd.DataFrame().to_excel(w, sheet_name="orders", index=False)
    r = data.check(target)
    assert not r.ok
    assert r.problems[0].message and r.problems[0].fix
    assert "Traceback" not in r.text() and "bug in kamlib" not in r.text()
    with pytest.raises(data.DataError) as err:
        data.load(target)
    assert err.value.problems
    assert r.problems[0].message in str(err.value)


def test_binary_file_message(tmp_path):
    folder = export(tmp_path, orders=b"PK\x03\x04" + b"\x00" * 50)
    p = one(data.check(folder), "orders.csv", "")
    assert "Excel workbook" in p.message


def test_no_such_path_message(tmp_path):
    r = data.check(tmp_path / "nowhere")
    assert "There is no file or folder" in r.problems[0].message


# ------------------------------------------------------------- files untouched


def _fingerprint(paths: list[Path]) -> dict[str, tuple[str, int]]:
    return {str(p): (hashlib.sha256(p.read_bytes()).hexdigest(), os.stat(p).st_mtime_ns)
            for p in paths}


def test_input_files_are_never_modified(tmp_path, three_formats):
    broken = export(tmp_path, orders=replace("orders", "2024-05-13,500,", "2024-05-13,-25,"),
                    contacts=VALID["contacts"].replace("Jonas", "Jörg").encode("cp1252"))
    sources = [three_formats / "csv", three_formats / "parquet", three_formats / "book.xlsx",
               broken]
    files = [p for s in sources for p in ([s] if s.is_file() else sorted(s.iterdir()))]
    before = _fingerprint(files)
    listing = {s: sorted(x.name for x in s.iterdir()) for s in sources if s.is_dir()}
    for s in sources:
        data.check(s)
    for s in (three_formats / "csv", three_formats / "parquet", broken):
        try:
            data.load(s)
        except data.DataError:
            pass
    assert _fingerprint(files) == before
    assert {s: sorted(x.name for x in s.iterdir()) for s in sources if s.is_dir()} == listing


# --------------------------------------------------------- errors and the API


def test_load_raises_data_error_listing_every_problem(tmp_path):
    folder = export(tmp_path,
                    customers=replace("customers", "Claire Dubois,2020-06-12",
                                      "Claire Dubois,2020-13-45"),
                    orders=replace("orders", "2024-05-13,500,", "2024-05-13,-25,"))
    with pytest.raises(data.DataError) as err:
        data.load(folder)
    e = err.value
    assert isinstance(e, ValueError)
    assert len(e.problems) == 2
    msg = str(e)
    assert "customers.csv" in msg and "row 3: first_order_date is not a date" in msg
    assert "orders.csv" in msg and "row 3: quantity_kg is negative (-25)." in msg


def test_problem_is_frozen_and_counts_rows():
    p = data.Problem("orders.csv", "quantity_kg", (412, 977), "quantity_kg is negative "
                     "(-25).", "Quantities must be 0 or more.")
    assert p.n_rows == 2 and p.where == "rows 412, 977"
    assert str(p) == ("orders.csv, rows 412, 977: quantity_kg is negative (-25). "
                      "Quantities must be 0 or more.")
    with pytest.raises(AttributeError):
        p.rows = ()  # type: ignore[misc]


def test_coerce_and_empty_table_keep_their_contract():
    e = data.empty_table(schema.ORDERS)
    assert list(e.columns) == schema.ORDERS.column_names and len(e) == 0
    df = pd.DataFrame({"customer_id": [42.0, " C2 "], "customer_name": ["A", "B"],
                       "industry": ["pharma"] * 2, "region": ["R"] * 2,
                       "country": ["X"] * 2, "account_manager": ["M"] * 2,
                       "first_order_date": [pd.Timestamp("2020-01-02"), None]})
    c = data.coerce_table(df, schema.CUSTOMERS)
    assert c["customer_id"].tolist() == ["42", "C2"]
    assert c["size_band"].tolist() == ["", ""]
    assert c["first_order_date"].iloc[0] == pd.Timestamp("2020-01-02")
    assert pd.isna(c["first_order_date"].iloc[1])


@pytest.mark.parametrize("ids, lines, dups", [
    # sorted by order_id: the fast path
    (["SO1", "SO1", "SO2", "SO3"], [1, 1, 1, 1], [True, True, False, False]),
    (["SO1", "SO1", "SO2", "SO3"], [1, 2, 1, 1], [False, False, False, False]),
    (["SO1", "SO1", "SO1", "SO2"], [2, 1, 2, 1], [True, False, True, False]),
    # ids of growing length (SO9, SO10): still the fast path
    (["SO8", "SO9", "SO10", "SO10"], [1, 1, 1, 1], [False, False, True, True]),
    # not sorted: the general path
    (["SO9", "SO10", "SO11", "SO10"], [1, 1, 1, 1], [False, True, False, True]),
    (["SO9", "SO10", "SO11", "SO10"], [1, 2, 1, 1], [False, False, False, False]),
])
def test_duplicated_fast_and_general_paths(ids, lines, dups):
    df = pd.DataFrame({"order_id": pd.array(ids, dtype="string"),
                       "order_line": pd.array(lines, dtype="Int64")})
    assert data._duplicated(df, ["order_id", "order_line"]).tolist() == dups
    as_object = df.astype({"order_id": object})
    assert data._duplicated(as_object, ["order_id", "order_line"]).tolist() == dups
