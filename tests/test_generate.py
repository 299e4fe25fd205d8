"""The generator: deterministic, schema-shaped, and the bundled data is its output."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kamlib import data, generate, schema

SMALL = generate.GeneratorConfig(n_customers=40, years=3, end_year=2025, seed=11)


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_same_bytes(tmp_path):
    a = generate.write_dataset(SMALL, tmp_path / "a" / "tables", parquet=True)
    b = generate.write_dataset(SMALL, tmp_path / "b" / "tables", parquet=True)
    assert [p.name for p in a] == [p.name for p in b]
    csv_a = {k: v for k, v in _digests(tmp_path / "a" / "tables").items() if k.endswith(".csv")}
    csv_b = {k: v for k, v in _digests(tmp_path / "b" / "tables").items() if k.endswith(".csv")}
    assert csv_a == csv_b
    assert _digests(tmp_path / "a" / "answer_key") == _digests(tmp_path / "b" / "answer_key")


def test_other_seed_other_data():
    a = generate.generate(SMALL)["orders"]
    b = generate.generate(generate.GeneratorConfig(n_customers=40, years=3, seed=12))["orders"]
    assert not a.equals(b)


def test_bundled_sample_is_the_generators_output(tmp_path):
    """data/sample was made by the generator with the recorded command, never edited."""
    cmd = (data.SAMPLE_DIR / "GENERATED_BY.txt").read_text().splitlines()[1].split()
    args = dict(zip(cmd[3::2], cmd[4::2]))
    cfg = generate.GeneratorConfig(
        n_customers=int(args["--customers"]), years=int(args["--years"]),
        end_year=int(args["--end-year"]), seed=int(args["--seed"]))
    generate.write_dataset(cfg, tmp_path / "sample", answer_key_dir=tmp_path / "key")
    assert _digests(tmp_path / "sample") == _digests(data.SAMPLE_DIR)
    assert _digests(tmp_path / "key") == _digests(data.ANSWER_KEY_FILE.parent)


def test_tables_follow_the_schema():
    t = generate.generate(SMALL)
    for name, table in schema.TABLES.items():
        assert list(t[name].columns) == table.standard_columns, name
    ids = set(t["customers"]["customer_id"])
    assert len(ids) == SMALL.n_customers
    for name in ("orders", "interactions", "contacts", "assessments", "rebates"):
        assert set(t[name]["customer_id"]) <= ids, name
    o = t["orders"]
    assert set(o["product_id"]) <= set(t["products"]["product_id"])
    assert not o.duplicated(["order_id", "order_line"]).any()
    assert (o["quantity_kg"] > 0).all() and (o["delivered_kg"] >= 0).all()
    assert (o["delivered_kg"] <= o["quantity_kg"]).all()
    assert (o["promised_delivery_date"] > o["order_date"]).all()
    delivered = o["actual_delivery_date"].notna()
    assert (o.loc[delivered, "actual_delivery_date"] > o.loc[delivered, "order_date"]).all()
    assert set(o["deal_type"]) <= set(schema.DEAL_TYPES)
    assert set(t["interactions"]["type"]) <= set(schema.INTERACTION_TYPES)
    assert o["order_date"].dt.year.between(SMALL.start_year, SMALL.end_year).all()
    assert t["interactions"]["interaction_id"].is_unique
    assert t["contacts"]["contact_id"].is_unique


def test_answer_key_is_kept_out_of_the_tables(tmp_path):
    generate.write_dataset(SMALL, tmp_path / "tables")
    assert not (tmp_path / "tables" / "answer_key.csv").exists()
    key = pd.read_csv(tmp_path / "answer_key" / "answer_key.csv")
    assert set(key["sensitivity"]) <= {"price", "service", "technology", "mixed"}
    for name in schema.TABLES:
        cols = set(pd.read_csv(tmp_path / "tables" / f"{name}.csv", nrows=0).columns)
        assert not cols & {"sensitivity", "is_decaying", "is_growing", "is_loss_making_large"}


def test_no_customer_name_contains_another():
    """Needed by the privacy scan of the reports (a name must not hide inside another)."""
    names = generate.generate(generate.GeneratorConfig())["customers"]["customer_name"]
    assert names.is_unique
    s = sorted(names, key=len)
    for i, short in enumerate(s):
        assert not any(short in longer for longer in s[i + 1:]), short


def test_parquet_equals_csv(tmp_path):
    generate.write_dataset(SMALL, tmp_path / "t", parquet=True)
    for name in ("customers", "orders"):
        a = pd.read_parquet(tmp_path / "t" / f"{name}.parquet")
        b = pd.read_csv(tmp_path / "t" / f"{name}.csv")
        assert len(a) == len(b)
        assert list(a.columns) == list(b.columns)
    o = pd.read_parquet(tmp_path / "t" / "orders.parquet")
    c = pd.read_csv(tmp_path / "t" / "orders.csv")
    np.testing.assert_allclose(o["net_price_per_kg"], c["net_price_per_kg"])


@pytest.mark.parametrize("bad", [dict(n_customers=5), dict(years=1), dict(years=40)])
def test_config_refuses_impossible_sizes(bad):
    with pytest.raises(ValueError):
        generate.GeneratorConfig(**bad)


@pytest.mark.parametrize("n", [generate.MIN_CUSTOMERS, 12, 25])
def test_small_companies_generate_and_load_clean(tmp_path, n):
    """Issue 16: ``--customers 12`` ended in a traceback. Every count from the minimum
    up makes a company that loads without a problem, with each planted kind present
    and the planted customers a minority."""
    cfg = generate.GeneratorConfig(n_customers=n, years=3, seed=7)
    generate.write_dataset(cfg, tmp_path / "t", answer_key_dir=tmp_path / "k")
    report = data.check(tmp_path / "t")
    assert report.ok, report.problems
    kd = data.load(tmp_path / "t")
    assert len(kd.customers) == n and len(kd.orders) > 0
    key = pd.read_csv(tmp_path / "k" / "answer_key.csv")
    kinds = ["is_loss_making_large", "is_growing", "is_decaying", "is_churned", "is_new"]
    counts = key[kinds].sum()
    assert (counts >= 1).all(), counts.to_dict()
    assert key[kinds].any(axis=1).sum() <= n / 2


def test_too_few_customers_is_refused_with_a_sentence(tmp_path, capsys):
    from kamlib import cli

    with pytest.raises(ValueError, match=f"at least {generate.MIN_CUSTOMERS}"):
        generate.GeneratorConfig(n_customers=generate.MIN_CUSTOMERS - 1)
    rc = cli.main(["data", "generate", "--customers", "3", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert rc == 1
    assert "--customers 3 is too few" in err and "Traceback" not in err
    assert f"at least {generate.MIN_CUSTOMERS}" in err
    assert not (tmp_path / "x").exists()  # nothing half-written
    rc = cli.main(["data", "generate", "--years", "1", "--out", str(tmp_path / "y")])
    assert rc == 1 and "between 2 and 30" in capsys.readouterr().err


def test_cli_generate(tmp_path, capsys):
    from kamlib import cli

    rc = cli.main(["data", "generate", "--customers", "25", "--years", "2", "--seed", "3",
                   "--out", str(tmp_path / "x")])
    assert rc == 0
    assert (tmp_path / "x" / "orders.csv").exists()
    assert (tmp_path / "answer_key" / "answer_key.csv").exists()
    assert "orders.csv" in capsys.readouterr().out


# --------------------------------------------------------------- blocks (large sizes)


@pytest.fixture()
def small_blocks(monkeypatch):
    """Blocks of 30 customers, so 70 customers make three blocks (30, 30, 10)."""
    monkeypatch.setattr(generate, "BLOCK_CUSTOMERS", 30)
    return generate.GeneratorConfig(n_customers=70, years=3, end_year=2020, seed=5)


def test_blocks_cover_every_customer_once_with_unique_ids(small_blocks):
    blocks = list(generate.generate_blocks(small_blocks))
    assert [len(b["customers"]) for b in blocks] == [30, 30, 10]
    t = generate.generate(small_blocks)
    assert t["customers"]["customer_id"].is_unique and len(t["customers"]) == 70
    assert t["customers"]["customer_id"].is_monotonic_increasing   # blocks in id order
    assert not t["orders"].duplicated(["order_id", "order_line"]).any()
    assert t["interactions"]["interaction_id"].is_unique
    assert t["contacts"]["contact_id"].is_monotonic_increasing
    assert t["contacts"]["contact_id"].is_unique
    assert set(t["orders"]["customer_id"]) <= set(t["customers"]["customer_id"])
    assert len(t["answer_key"]) == 70
    # each block's customers buy only in their own block
    for b in blocks:
        assert set(b["orders"]["customer_id"]) <= set(b["customers"]["customer_id"])


def test_blocks_are_deterministic(small_blocks):
    a, b = generate.generate(small_blocks), generate.generate(small_blocks)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])


def test_written_in_blocks_loads_clean_and_equals_generate(small_blocks, tmp_path):
    generate.write_dataset(small_blocks, tmp_path / "csv", answer_key_dir=tmp_path / "k")
    generate.write_dataset(small_blocks, tmp_path / "pq", answer_key_dir=tmp_path / "k",
                           parquet=True, csv=False)
    t = generate.generate(small_blocks)
    for kind in ("csv", "pq"):
        kd = data.load(tmp_path / kind)
        for name in ("customers", "orders", "interactions", "contacts", "assessments",
                     "rebates"):
            assert len(getattr(kd, name)) == len(t[name]), (kind, name)
        assert kd.orders["revenue"].sum() == pytest.approx(
            (t["orders"]["delivered_kg"] * t["orders"]["net_price_per_kg"]).sum())
    assert len(pd.read_csv(tmp_path / "k" / "answer_key.csv")) == 70
