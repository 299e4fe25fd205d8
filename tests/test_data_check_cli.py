"""``kam data check PATH``: lists every problem with file, column and row and exits 1, or
prints a short summary and exits 0; never a traceback.

The broken export below is built by hand; as Excel shows it (header = row 1):

- customers.csv: row 3 has no customer_name; C2 appears on rows 3 and 5;
- orders.csv: row 3 a negative quantity (-25), rows 4 and 5 a customer C9 that is not in
  customers.csv, row 5 text in delivered_kg ("n/a kg"), row 2 a delivery before the
  order; the header spells "dael_type" for deal_type (optional: a note, not a problem).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kamlib import cli

CUSTOMERS = """\
customer_id,customer_name,industry,region,country,account_manager
C1,Nordfeed GmbH,feed premix,Central Europe,Germany,Anna Berg
C2,,food & beverage,Western Europe,Italy,Claire Dubois
C3,Kyoto Pharma,pharma,Asia,Japan,Mei Tanaka
C2,Umbria Foods,food & beverage,Western Europe,Italy,Claire Dubois
"""

ORDERS_OK = """\
order_id,order_line,customer_id,product_id,order_date,quantity_kg,list_price_per_kg,net_price_per_kg,unit_cost_per_kg,promised_delivery_date,actual_delivery_date,delivered_kg,deal_type
SO1,1,C1,P1,2024-05-13,1000,9.80,9.00,6.90,2024-05-27,2024-05-29,1000,none
SO1,2,C1,P1,2024-05-13,500,9.80,9.00,6.90,2024-05-27,2024-05-27,500,none
SO2,1,C3,P1,2025-02-01,200,9.80,9.50,6.90,2025-02-10,2025-02-09,200,promotion
"""

ORDERS_BROKEN = """\
order_id,order_line,customer_id,product_id,order_date,quantity_kg,list_price_per_kg,net_price_per_kg,unit_cost_per_kg,promised_delivery_date,actual_delivery_date,delivered_kg,dael_type
SO1,1,C1,P1,2024-05-13,1000,9.80,9.00,6.90,2024-05-27,2024-05-02,1000,none
SO1,2,C1,P1,2024-05-13,-25,9.80,9.00,6.90,2024-05-27,2024-05-27,0,none
SO2,1,C9,P1,2024-07-01,2000,9.80,8.50,6.90,2024-07-15,,0,none
SO3,1,C9,P1,2025-01-10,1500,9.80,8.50,6.90,2025-01-20,2025-01-18,n/a kg,none
"""


def _write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture()
def broken(tmp_path) -> Path:
    return _write(tmp_path / "broken", customers=CUSTOMERS, orders=ORDERS_BROKEN)


@pytest.fixture()
def good(tmp_path) -> Path:
    customers = CUSTOMERS.replace("C2,,", "C2,Umbria Foods,").rsplit("C2,Umbria", 1)[0]
    return _write(tmp_path / "good", customers=customers, orders=ORDERS_OK)


def test_broken_export_lists_each_problem_and_exits_1(broken, capsys):
    rc = cli.main(["data", "check", str(broken)])
    out, err = capsys.readouterr()
    assert rc == 1
    assert err == ""
    assert "Traceback" not in out
    assert out.startswith("5 problems found in ")
    lines = out.splitlines()
    # grouped by file: each file's name on its own line, before its problems
    assert lines.index("customers.csv") < lines.index("orders.csv")
    expected = [
        "  - rows 3, 5: The same customer_id appears on more than one row: 'C2' (rows 3, 5).",
        "  - row 3: quantity_kg is negative (-25).",
        "    Fix: Quantities must be 0 or more; returns belong in a separate credit note, "
        "not as negative order lines.",
        "  - row 5: delivered_kg is not a number ('n/a kg').",
        "  - rows 4, 5: 2 order lines refer to a customer_id not in customers.csv: 'C9'.",
        "  - row 2: actual_delivery_date is before order_date (delivered 2024-05-02 before "
        "2024-05-13).",
    ]
    for line in expected:
        assert line in lines, line
    # the optional column misspelt is a note, with the suggestion
    assert "'dael_type' was ignored; did you mean deal_type?" in out


def test_clean_export_prints_a_summary_and_exits_0(good, capsys):
    rc = cli.main(["data", "check", str(good)])
    out, _ = capsys.readouterr()
    assert rc == 0
    assert out.startswith("No problems found")
    assert "customers              3 rows   customers.csv" in out
    assert "orders                 3 rows   orders.csv" in out
    assert "Orders: 2 orders, 3 order lines, from 2024-05-13 to 2025-02-01." in out
    # 1000 x 9.00 + 500 x 9.00 + 200 x 9.50 = 9,000 + 4,500 + 1,900; not the sample:
    # no currency or unit unless the settings' [company] gives them
    assert "Sales (net value of the lines delivered): 15,400 for 1,700." in out
    assert "EUR" not in out
    assert "No products table (optional)" in out


def test_summary_in_the_company_currency(good, tmp_path, capsys):
    st = tmp_path / "s.toml"
    st.write_text('[company]\ncurrency = "CHF"\nquantity_unit = "l"\n', encoding="utf-8")
    rc = cli.main(["data", "check", str(good), "--settings", str(st)])
    out, _ = capsys.readouterr()
    assert rc == 0
    assert "Sales (net value of the lines delivered): CHF 15,400 for 1,700 l." in out
    assert "EUR" not in out


def test_missing_path_exits_1_with_a_sentence(tmp_path, capsys):
    rc = cli.main(["data", "check", str(tmp_path / "nowhere")])
    out, err = capsys.readouterr()
    assert rc == 1
    assert "There is no file or folder" in out
    assert "Traceback" not in out + err


def test_the_kam_command_itself_never_prints_a_traceback(tmp_path, broken):
    """The real entry point, in a fresh process, on a binary file named orders.csv."""
    (broken / "orders.csv").write_bytes(bytes(range(256)) * 8)
    proc = subprocess.run([sys.executable, "-m", "kamlib.cli", "data", "check", str(broken)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "orders.csv" in proc.stdout and "binary data" in proc.stdout
