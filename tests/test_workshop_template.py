"""The Excel input template: generated from the schema, deterministic, validated, and a
filled copy checked by ``kam data check`` with sheet, column and row."""

from __future__ import annotations

import datetime as dt
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

from kamlib import cli, data, generate, schema
from kamlib.workshop import template


def test_committed_template_is_what_the_generator_writes():
    assert template.TEMPLATE_FILE.exists(), "run `kam data template`"
    assert template.TEMPLATE_FILE.read_bytes() == template.template_bytes(), (
        "data/templates/kam_input.xlsx is out of date: run `kam data template`")


def test_two_writes_are_byte_identical_with_fixed_times(tmp_path):
    a = template.write_template(tmp_path / "a.xlsx")
    b = template.write_template(tmp_path / "b.xlsx")
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as z:
        assert {i.date_time for i in z.infolist()} == {(2025, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert "2025-01-01T00:00:00Z" in core
    wb = load_workbook(a)
    assert wb.properties.modified == dt.datetime(2025, 1, 1)


def test_one_sheet_per_table_with_headers_and_a_consistent_example_row():
    wb = load_workbook(template.TEMPLATE_FILE)
    assert wb.sheetnames == ["README"] + list(schema.TABLES)
    for name, t in schema.TABLES.items():
        rows = list(wb[name].iter_rows(values_only=True))
        assert list(rows[0]) == t.column_names
        assert len(rows) == 2  # header + one example row
    orders = dict(zip(*list(wb["orders"].iter_rows(values_only=True))))
    assert orders["customer_id"] == "C0042" and orders["product_id"] == "P01"
    assert orders["quantity_kg"] == 1000.0
    assert orders["order_date"] == dt.datetime(2024, 5, 13)
    # required headers are dark with white text, optional ones light
    head = {c.value: c for c in wb["orders"][1]}
    assert head["order_date"].font.color.rgb.endswith("FFFFFF")  # required of every export
    assert not head["deal_type"].font.color.rgb.endswith("FFFFFF")


def _validations(ws) -> dict[str, tuple]:
    """column letter -> (type, formula1, formula2)."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in str(dv.sqref).split():
            out[rng.split(":")[0].rstrip("0123456789")] = (dv.type, dv.formula1, dv.formula2)
    return out


def test_validation_lists_where_values_are_fixed():
    wb = load_workbook(template.TEMPLATE_FILE)
    orders = _validations(wb["orders"])
    # deal_type is column M (13th), a closed list
    assert orders["M"] == ("list", '"none,off-season,promotion,bundle"', None)
    assert len(orders) == 1  # no other fixed-value column in orders
    inter = _validations(wb["interactions"])
    assert inter["D"][1] == '"' + ",".join(schema.INTERACTION_TYPES) + '"'
    assert inter["G"][1] == '"' + ",".join(schema.COMPLAINT_REASONS) + '"'
    contacts = _validations(wb["contacts"])
    assert contacts["F"] == ("list", '"yes,no"', None)  # is_decision_maker
    assert contacts["G"] == ("whole", "1", "5")  # influence, a score
    products = _validations(wb["products"])
    assert products["F"][1] == '"yes,no"' and products["G"][1] == '"yes,no"'
    assert _validations(wb["customers"]) == {}


def test_readme_explains_every_column_and_what_optional_tables_unlock():
    wb = load_workbook(template.TEMPLATE_FILE)
    rows = list(wb["README"].iter_rows(values_only=True))
    cols = {(r[0], r[1]): r for r in rows if r[0] in schema.TABLES and r[1] in
            schema.TABLES[r[0]].column_names}
    expected = {(t.name, c.name) for t in schema.TABLES.values() for c in t.columns}
    assert set(cols) == expected
    r = cols[("orders", "deal_type")]
    assert r[2] == "no" and r[6] == "none, off-season, promotion, bundle"
    assert cols[("contacts", "email")][5].endswith("kept out of shared reports.")
    tables = {r[0]: r for r in rows if r[0] in schema.TABLES and r[1] in
              ("required", "optional")}
    assert tables["orders"][3].startswith("Required")
    assert tables["interactions"][3].startswith("Optional. Without it, cost to serve")


def _fill(path, sheets: dict[str, list[list]]):
    """Overwrite the example rows of the template copy at ``path`` with ``sheets``."""
    wb = load_workbook(path)
    for name, rows in sheets.items():
        ws = wb[name]
        ws.delete_rows(2, ws.max_row)
        for r in rows:
            ws.append(r)
    for name in schema.TABLES:
        if name not in sheets:
            wb[name].delete_rows(2, wb[name].max_row)  # optional table left empty
    wb.save(path)


CUSTOMERS = [["K1", "Alpha Feed", "feed premix", "North", "Norway", "", "Ola", None],
             ["K2", "Beta Pharma", "pharma", "South", "Spain", "large", "Ana", None]]


def _order(line_id, cust, qty, deal="none"):
    d = dt.datetime(2024, 3, 1)
    return [line_id, 1, cust, "P01", d, qty, 10.0, 9.0, 6.0, d, d, qty, deal]


def test_kam_data_check_on_a_filled_copy(tmp_path, capsys):
    good = tmp_path / "good.xlsx"
    good.write_bytes(template.TEMPLATE_FILE.read_bytes())
    _fill(good, {"customers": CUSTOMERS,
                 "orders": [_order("S1", "K1", 1000), _order("S2", "K2", 250, "bundle")]})
    assert cli.main(["data", "check", str(good)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("No problems found")
    # 1000 x 9 + 250 x 9
    assert "11,250 for a quantity of 1,250." in out
    kd = data.load(good)
    assert list(kd.orders["deal_type"]) == ["none", "bundle"]

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(template.TEMPLATE_FILE.read_bytes())
    _fill(bad, {"customers": CUSTOMERS,
                "orders": [_order("S1", "K1", 1000), _order("S2", "K3", -5, "promo")]})
    assert cli.main(["data", "check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "bad.xlsx, sheet orders" in out
    assert "row 3: quantity_kg is negative (-5)." in out
    assert "'K3'" in out and "promo" in out


def test_example_rows_left_in_are_a_problem(tmp_path, capsys):
    f = tmp_path / "kam_input.xlsx"
    f.write_bytes(template.TEMPLATE_FILE.read_bytes())
    assert template.leftover_examples(f) == list(schema.TABLES)
    assert cli.main(["data", "check", str(f)]) == 1
    out = capsys.readouterr().out
    assert "still the template's example row" in out
    assert template.TEMPLATE_FILE.read_bytes() == f.read_bytes()  # input not modified


def test_sample_written_into_the_template_reads_back_identically(tmp_path):
    """Other data than the bundled sample: 20 customers ending in 2019."""
    src = tmp_path / "other"
    generate.write_dataset(generate.GeneratorConfig(n_customers=20, years=2, end_year=2019,
                                                    seed=3), src, answer_key_dir=tmp_path / "k")
    out = template.write_template(tmp_path / "filled.xlsx", sample=src)
    assert template.leftover_examples(out) == []
    a, b = data.load(out), data.load(src)
    for name in schema.TABLES:
        pd.testing.assert_frame_equal(getattr(a, name).reset_index(drop=True),
                                      getattr(b, name).reset_index(drop=True),
                                      check_dtype=False, obj=name)


def test_cli_template_refuses_a_non_xlsx_name(tmp_path, capsys):
    assert cli.main(["data", "template", "--out", str(tmp_path / "x.csv")]) == 2
    assert "ending in .xlsx" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("flag", [[], ["--sample"]])
def test_cli_template_writes(tmp_path, flag, capsys):
    if flag:  # the bundled sample: its orders sheet holds every order line
        out = tmp_path / "s.xlsx"
        assert cli.main(["data", "template", *flag, "--out", str(out)]) == 0
        wb = load_workbook(out, read_only=True)
        n = wb["orders"].max_row - 1
        wb.close()
        assert n == len(data.load("sample").orders)
    else:
        out = tmp_path / "t.xlsx"
        assert cli.main(["data", "template", "--out", str(out)]) == 0
        assert out.read_bytes() == template.TEMPLATE_FILE.read_bytes()
