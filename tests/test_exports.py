"""Other companies' exports (issue 10): minimal and flat files, their own headers, the
representation of what is absent, the column map, plausibility notes. Hand-made files
with hand-computed answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kamlib import data, schema


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


MINIMAL = """\
Customer,Billing Date,Net value
A1,2024-01-05,100
A1,2024-01-05,50
B2,2024-03-01,300
"""


def test_minimal_export_loads_with_its_own_headers_and_says_what_it_read(tmp_path):
    p = _write(tmp_path, "sales.csv", MINIMAL)
    r = data.check(p)
    assert r.ok, r.text()
    notes = r.summary.notes
    assert "sales.csv: read 'Customer' as customer_id (customer who ordered)." in notes
    assert any("read 'Billing Date' as order_date" in n for n in notes)
    assert any("read 'Net value' as net_amount" in n for n in notes)
    assert r.summary.revenue == 450.0
    text = r.text()
    assert "What the data allows:" in text and "To unlock more, add:" in text
    assert "chapter 01 (choosing key customers): without cost of goods" in text

    kd = data.load(p)
    o = kd.orders
    assert o["revenue"].tolist() == [100.0, 50.0, 300.0]
    # one order per customer and day, lines numbered in file order
    assert o["order_id"].tolist() == ["A1-20240105", "A1-20240105", "B2-20240301"]
    assert o["order_line"].tolist() == [1, 2, 1]
    # absent columns are empty, measures that need them NaN / <NA>
    assert o["quantity_kg"].isna().all() and o["list_revenue"].isna().all()
    assert o["cost_of_goods"].isna().all() and o["gross_margin"].isna().all()
    assert o["discount_pct"].isna().all()
    assert o["product_id"].isna().all()
    assert o["is_delivered"].all() and o["on_time_in_full"].isna().all()
    assert str(o["on_time"].dtype) == "boolean"
    # customers derived from the lines, the id as name
    c = kd.customers
    assert c["customer_id"].tolist() == ["A1", "B2"]
    assert c["customer_name"].tolist() == ["A1", "B2"]
    assert c["region"].tolist() == ["", ""]
    assert kd.available == frozenset()
    assert not kd.has("costs") and kd.missing("costs", "quantities") == ["costs",
                                                                          "quantities"]
    assert "cost or the margin of each line" in kd.missing_text("costs")
    with pytest.raises(ValueError, match="Did you mean 'costs'"):
        kd.has("cost")
    assert kd.interactions.empty and list(kd.interactions.columns) == \
        schema.INTERACTIONS.column_names


def test_sample_has_every_capability_and_same_revenue(sample):
    assert sample.available == frozenset(schema.CAPABILITIES)
    o = sample.orders
    assert np.allclose(o["revenue"], o["delivered_kg"] * o["net_price_per_kg"])
    assert np.allclose(o["net_amount"], o["revenue"])


def test_amounts_give_prices_list_values_and_costs(tmp_path):
    # qty 10 kg, net 90 -> 9/kg; discount 10 % -> list value 100; margin 30 -> cost 60
    text = ("Sold-to party;Document Date;Qty;Net Amount;Discount %;Gross profit\n"
            "K1;01.02.2024;10;90;10;30\n"
            "K1;02.02.2024;0;0;0;0\n")
    p = _write(tmp_path, "export.csv", text)
    kd = data.load(p)
    o = kd.orders
    assert o["order_date"].tolist() == [pd.Timestamp("2024-02-01"),
                                        pd.Timestamp("2024-02-02")]
    assert o["net_price_per_kg"].iloc[0] == pytest.approx(9.0)
    assert np.isnan(o["net_price_per_kg"].iloc[1])  # nothing delivered
    assert o["list_revenue"].tolist() == pytest.approx([100.0, 0.0])
    assert o["discount_pct"].iloc[0] == pytest.approx(0.10)
    assert o["cost_of_goods"].tolist() == pytest.approx([60.0, 0.0])
    assert o["list_price_per_kg"].iloc[0] == pytest.approx(10.0)
    assert o["unit_cost_per_kg"].iloc[0] == pytest.approx(6.0)
    assert {"quantities", "list_prices", "costs"} <= kd.available
    assert "discount_share" not in o.columns and "margin_amount" not in o.columns
    assert any("read as percent" in n for n in kd.notes)
    assert any("quantity is taken as delivered in full" in n for n in kd.notes)


def test_two_candidates_for_one_column_are_a_problem_and_the_column_map_settles_it(
        tmp_path):
    text = ("Customer Number,Billing Date,Document Date,Revenue\n"
            "A,2024-01-05,2024-01-03,10\n")
    p = _write(tmp_path, "sales.csv", text)
    r = data.check(p)
    assert not r.ok
    (prob,) = r.problems
    assert prob.column == "order_date"
    assert "'Billing Date' and 'Document Date'" in prob.message
    assert "does not guess" in prob.message
    assert '[columns] order_date = "Billing Date"' in prob.fix
    kd = data.load(p, columns={"order_date": "Document Date"})
    assert kd.orders["order_date"].tolist() == [pd.Timestamp("2024-01-03")]
    assert any("'Billing Date' (which could be order_date) was ignored" in n
               for n in kd.notes)
    assert any("as the column map of the settings says" in n for n in kd.notes)


def test_column_map_names_unknown_headers_and_rejects_unknown_columns(tmp_path):
    text = "KUNNR,FKDAT,NETWR\nA,2024-01-05,10\n"
    p = _write(tmp_path, "vbrk.csv", text)
    assert not data.check(p).ok
    cmap = {"customer_id": "KUNNR", "orders.order_date": "FKDAT", "net_amount": "netwr"}
    kd = data.load(p, columns=cmap)
    assert kd.orders["revenue"].tolist() == [10.0]
    r = data.check(p, columns={**cmap, "custmer_name": "NAME1"})
    (prob,) = r.problems
    assert prob.file == "the settings file" and "Did you mean customer_name?" in \
        prob.message


def test_exact_name_wins_over_a_synonym_with_a_note(tmp_path):
    text = "customer_id,Customer,order_date,net_amount\nA,Alpha,2024-01-05,10\n"
    kd = data.load(_write(tmp_path, "sales.csv", text))
    assert kd.orders["customer_id"].tolist() == ["A"]
    assert any("'Customer' (which could be customer_id) was ignored" in n for n in kd.notes)


def test_no_value_column_is_a_clear_problem(tmp_path):
    p = _write(tmp_path, "sales.csv", "Customer,Date,Net price\nA,2024-01-05,9.5\n")
    (prob,) = data.check(p).problems
    assert prob.column == "net_amount"
    assert "net price per unit but no quantity" in prob.message
    assert "Net value" in prob.fix


def test_flat_file_derives_customers_and_reports_conflicting_attributes(tmp_path):
    text = ("Account ID,Account Name,Sales Region,Account Owner,Close Date,Amount\n"
            "A,Alpha,North,Eva,2024-01-05,10\n"
            "B,Beta,South,Tom,2024-02-01,20\n"
            "A,Alpha,South,Eva,2024-06-01,30\n"
            "A,Alpha,North,Eva,2024-03-01,5\n")
    p = _write(tmp_path, "deals.csv", text)
    r = data.check(p)
    assert r.ok, r.text()
    conflict = [n for n in r.summary.notes if "different region values" in n]
    assert conflict == ["deals.csv: 1 customer has different region values on different "
                        "lines (A: 'North', 'South'); the value on the latest order is "
                        "used. Check that one customer_id is not used for two customers."]
    kd = data.load(p)
    c = kd.customers.set_index("customer_id")
    assert c.loc["A", "region"] == "South"  # latest order: 2024-06-01
    assert c.loc["B", "customer_name"] == "Beta" and c.loc["B", "account_manager"] == "Tom"
    assert {"customer_names", "regions", "account_managers"} <= kd.available
    assert "industries" not in kd.available
    assert "region" not in kd.orders.columns  # carried attributes live in customers


def test_flat_excel_sheet_is_read_as_the_orders(tmp_path):
    p = tmp_path / "export.xlsx"
    pd.DataFrame({"Kunde": ["A", "B"], "Rechnungsdatum": pd.to_datetime(
        ["2024-01-05", "2024-02-01"]), "Umsatz": [10.0, 20.0]}).to_excel(
        p, sheet_name="Tabelle1", index=False)
    kd = data.load(p)
    assert kd.orders["revenue"].tolist() == [10.0, 20.0]
    assert any("read the first sheet 'Tabelle1' as the order lines" in n for n in kd.notes)


def test_unsafe_customer_ids_and_plausibility_are_notes(tmp_path):
    text = ("customer_id,order_date,quantity_kg,delivered_kg,net_price_per_kg\n"
            "../etc,2024-01-05,10,10,1\n"
            "A/B,2024-01-05,10,30,1\n"
            "C,2099-01-05,10,10,1\n")
    r = data.check(_write(tmp_path, "sales.csv", text))
    assert r.ok, r.text()
    notes = " ".join(r.summary.notes)
    assert "2 customer ids hold characters that could make a file path" in notes
    assert "'../etc', 'A/B'" in notes
    assert "1 order line is dated after the file was written" in notes
    assert "1 order line delivered more than 1.5 times the quantity ordered (rows 3)" in notes


def test_synonyms_are_unambiguous_within_each_table():
    from kamlib.data.headers import _keys, reading_table

    for name in schema.TABLES:
        own = reading_table(name).column_names
        seen: dict[str, str] = {}
        for t in schema.TABLES.values():
            for c in t.columns:
                if c.name not in own:
                    continue
                for s in c.synonyms:
                    k = _keys(s)[0]
                    assert seen.setdefault(k, c.name) == c.name, (name, s, c.name,
                                                                  seen[k])


def _sheet(path: Path, rows: list[list], merge: str | None = None) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Export"
    for r in rows:
        ws.append(r)
    if merge:
        ws.merge_cells(merge)
    wb.save(path)
    return path


def test_excel_header_below_a_title_is_found_and_rows_keep_excel_numbers(tmp_path):
    p = _sheet(tmp_path / "sales.xlsx", [
        ["Sales 2024, exported 2025-01-02"], [],
        ["Customer", "Invoice Date", "Turnover"],
        ["A", "2024-01-05", 10], ["B", "2024-02-01", -5]])
    r = data.check(p)
    assert any("the header is on row 3; the 2 rows above it (a title?) were skipped" in n
               for n in r.summary.notes)
    (prob,) = r.problems  # the negative amount, on Excel row 5
    assert prob.column == "net_amount" and prob.rows == (5,)


def test_excel_formula_without_saved_value_is_named(tmp_path):
    # openpyxl writes formulas without cached results, as a program would
    p = _sheet(tmp_path / "sales.xlsx", [
        ["Customer", "Order date", "Quantity", "Net price", "Net value"],
        ["A", "2024-01-05", 10, 2, "=C2*D2"], ["B", "2024-02-01", 5, 2, 10]])
    r = data.check(p)
    probs = [x for x in r.problems if "formula" in x.message]
    assert len(probs) == 1
    assert "E2 '=C2*D2'" in probs[0].message and probs[0].rows == (2,)
    assert "save it" in probs[0].fix


def test_excel_merged_header_cells_are_reported(tmp_path):
    p = _sheet(tmp_path / "sales.xlsx", [
        ["Customer", None, "Order date", "Net value"],
        ["A", "Alpha", "2024-01-05", 10]], merge="A1:B1")
    r = data.check(p)
    probs = [x for x in r.problems if "merged" in x.message]
    assert len(probs) == 1 and "Header cells A1:B1 are merged ('Customer' spans 2 " \
        "columns)" in probs[0].message


def test_cli_check_uses_the_column_map_of_the_settings_file(tmp_path, capsys):
    from kamlib import cli, settings

    p = _write(tmp_path, "vbrk.csv", "KUNNR,FKDAT,NETWR\nA,2024-01-05,10\n")
    toml = _write(tmp_path, "kam_settings.toml",
                  '[columns]\ncustomer_id = "KUNNR"\norder_date = "FKDAT"\n'
                  'net_amount = "NETWR"\n')
    assert settings.load(toml).columns == {"customer_id": "KUNNR", "order_date": "FKDAT",
                                           "net_amount": "NETWR"}
    assert cli.main(["data", "check", str(p), "--settings", str(toml)]) == 0
    out = capsys.readouterr().out
    assert "column 'NETWR' read as net_amount, as the column map of the settings says" \
        in out
    assert cli.main(["data", "check", str(p), "--settings", str(tmp_path / "none")]) == 1


def test_cli_generate_writes_a_profile(tmp_path, capsys):
    from kamlib import cli

    assert cli.main(["data", "generate", "--profile", "minimal", "--out",
                     str(tmp_path / "m")]) == 0
    out = capsys.readouterr().out
    assert f"kam data check {tmp_path / 'm' / 'sales.csv'}" in out
    head = (tmp_path / "m" / "sales.csv").read_text().splitlines()[0]
    assert head == "Customer,Order date,Quantity,Amount"
