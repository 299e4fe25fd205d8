"""kamlib.analysis and ``kam analyse``: the pipeline gives the same tables as the
modules' own calls, computes each stage once, and writes Parquet, CSV (and Excel)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from kamlib import analysis, cli, rebates, selection, service, settings


@pytest.fixture(scope="module")
def run(sample):
    return analysis.Analysis(sample, settings.Settings()).run()


def test_same_tables_as_the_modules_own_calls(run, sample, default_settings):
    s = default_settings
    pd.testing.assert_frame_equal(run.key_accounts, selection.key_accounts(sample, s))
    pd.testing.assert_frame_equal(run.account_table, service.key_account_table(sample, s))
    pd.testing.assert_frame_equal(run.rebate_projection,
                                  rebates.account_projection(sample, s))
    plan = service.visit_plan(service.key_account_table(sample, s), s,
                              customers=sample.customers)
    pd.testing.assert_frame_equal(run.visit_plan.visits, plan.visits)
    from kamlib import review

    pd.testing.assert_frame_equal(run.review, review.account_review(sample, s))


def test_each_stage_computed_once(run):
    run.tables()
    run.run()
    stages = [t.stage for t in run.timings if t.stage != "write"]
    assert len(stages) == len(set(stages))
    assert {"facts", "key_accounts", "segments", "account_table", "rebate_projection",
            "visit_plan"} <= set(stages)
    assert set(run.segments.index) == set(run.key_ids)


def test_duckdb_engine_gives_the_same_results(sample):
    a = analysis.Analysis("sample", settings.Settings(), engine="pandas").run()
    b = analysis.Analysis("sample", settings.Settings(), engine="duckdb").run()
    assert not a.use_duckdb and b.use_duckdb
    # the order lines stay in their file when every stage can read aggregates
    assert b.data.lazy == analysis._lazy_ready() and not a.data.lazy
    pd.testing.assert_frame_equal(a.facts, b.facts, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(a.key_accounts, b.key_accounts, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(a.segments, b.segments, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(a.rebate_projection, b.rebate_projection,
                                  check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(a.account_table, b.account_table, check_exact=False,
                                  rtol=1e-9)


def test_fingerprint_follows_year_and_settings(sample):
    s = settings.Settings()
    f = analysis.Analysis("sample", s).fingerprint
    assert analysis.Analysis("sample", s).fingerprint == f
    assert analysis.Analysis("sample", s, year=2024).fingerprint != f
    other = s.__class__(period=s.period.__class__(analysis_year=2025, history_years=3))
    assert analysis.Analysis("sample", other).fingerprint != f


def test_year_option_sets_the_analysis_year(sample):
    a = analysis.Analysis(sample, None, year=2024)
    assert a.year == 2024 and a.key_accounts.attrs["analysis_year"] == 2024


def test_kam_analyse_writes_the_tables(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["analyse", "--data", "sample", "--out", str(out), "--excel"]) == 0
    printed = capsys.readouterr().out
    for stage in ("data", "facts", "key_accounts", "segments", "visit_plan"):
        assert f"\n{stage} " in printed
    assert "peak memory" in printed.splitlines()[-1]
    ka = pd.read_parquet(out / "key_accounts.parquet")
    from kamlib import data, selection, settings

    kd = data.load("sample")
    n_key = int(selection.key_accounts(kd, settings.for_data(settings.load(None), kd))[
        "is_key"].sum())
    assert len(ka) == 300 and ka["is_key"].sum() == n_key > 40
    assert len(pd.read_csv(out / "key_accounts.csv")) == 300
    facts = pd.read_csv(out / "customer_year_facts.csv")
    assert list(facts.columns[:3]) == ["customer_id", "year", "volume_kg"]
    sheets = pd.ExcelFile(out / "analysis.xlsx").sheet_names
    assert "key_accounts" in sheets and "visit_plan" in sheets
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tables"]["segments"] == n_key and manifest["analysis_year"] == 2025


def test_kam_analyse_year_without_orders_is_a_sentence(tmp_path, capsys):
    assert cli.main(["analyse", "--out", str(tmp_path), "--year", "2019"]) == 1
    err = capsys.readouterr().err
    assert "no orders in 2019" in err and "Traceback" not in err


def test_excel_refused_when_a_table_is_too_big(run, tmp_path, monkeypatch):
    monkeypatch.setattr(analysis, "EXCEL_MAX_ROWS", 100)
    with pytest.raises(ValueError, match="customer_year_facts.*more rows than Excel"):
        run.write(tmp_path, excel=True)
    assert not (tmp_path / "analysis.xlsx").exists()


@pytest.fixture(scope="module")
def european_export(tmp_path_factory):
    """Another company's shape: 24 customers, 2017-2019, CSV with semicolons, decimal
    commas and spelled-out headers ("Customer ID"), no optional tables but products."""
    from kamlib import generate

    root = tmp_path_factory.mktemp("eu")
    cfg = generate.GeneratorConfig(n_customers=24, years=3, end_year=2019, seed=3)
    generate.write_dataset(cfg, root / "plain", answer_key_dir=root / "key")
    out = root / "export"
    out.mkdir()
    for name in ("customers", "products", "orders"):
        t = pd.read_csv(root / "plain" / f"{name}.csv", dtype=str, keep_default_na=False)
        t.columns = [c.replace("_", " ").title().replace("Id", "ID") for c in t.columns]
        t = t.apply(lambda col: col.str.replace(".", ",", regex=False)
                    if col.str.fullmatch(r"-?\d+\.\d+").any() else col)
        t.to_csv(out / f"{name}.csv", sep=";", index=False)
    return root


def test_kam_analyse_on_another_companys_export(european_export, tmp_path, capsys,
                                                 monkeypatch):
    from kamlib import data, engine, measures

    folder = european_export / "export"
    plain = data.load(european_export / "plain")
    kd = data.load(folder)
    assert len(kd.orders) == len(plain.orders)
    # auto engine, forced to DuckDB by a low threshold: DuckDB cannot read decimal
    # commas as the loader does, so the facts fall back to pandas, with a note
    monkeypatch.setattr(engine, "AUTO_THRESHOLD_BYTES", 10)
    out = tmp_path / "a"
    assert cli.main(["analyse", "--data", str(folder), "--out", str(out),
                     "--year", "2019"]) == 0
    printed = capsys.readouterr().out
    assert "note: facts by pandas instead of DuckDB" in printed
    facts = pd.read_parquet(out / "customer_year_facts.parquet").set_index(
        ["customer_id", "year"])
    expected = measures.customer_year(plain.orders)
    assert facts["revenue"].sum() == pytest.approx(expected["revenue"].sum())
    ka = pd.read_parquet(out / "key_accounts.parquet")
    assert len(ka) == 24
    # the same list as the selection computes on the export loaded by the loader
    from kamlib import selection, settings

    s19 = settings.for_data(settings.load(None), kd, 2019)
    expected_key = selection.key_accounts(kd, s19)
    assert ka.set_index("customer_id")["is_key"].sort_index().tolist() == \
        expected_key["is_key"].sort_index().tolist()
    visits = pd.read_csv(out / "visit_plan.csv")
    assert "customer_id" in visits.columns
    assert len(pd.read_parquet(out / "segments.parquet")) == int(expected_key["is_key"].sum())
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["engine"] == "pandas" and manifest["analysis_year"] == 2019
    # asked for DuckDB explicitly: a sentence, not silently other numbers
    assert cli.main(["analyse", "--data", str(folder), "--out", str(tmp_path / "b"),
                     "--year", "2019", "--engine", "duckdb"]) == 1
    assert "--engine pandas" in capsys.readouterr().err


def test_duckdb_facts_on_a_plain_export_agree(european_export):
    a = analysis.Analysis(european_export / "plain", None, year=2019, engine="duckdb")
    assert a.facts["line_count"].sum() == len(a.data.orders)
    assert a.use_duckdb and not a.notes


def test_stages_can_be_left_out(tmp_path, capsys):
    out = tmp_path / "o"
    assert cli.main(["analyse", "--out", str(out), "--without", "review",
                     "--without", "visit_plan"]) == 0
    printed = capsys.readouterr().out
    assert "\nreview " not in printed and "\nvisit_plan " not in printed
    assert not (out / "visit_plan.csv").exists() and not (out / "account_review.csv").exists()
    assert (out / "rebate_projection.csv").exists()
    assert json.loads((out / "manifest.json").read_text())["left_out"] == [
        "review", "visit_plan"]
    assert cli.main(["analyse", "--out", str(out), "--without", "segments"]) == 2
    assert "only review, rebate_projection, visit_plan" in capsys.readouterr().err


def test_activity_counts_only_the_years_the_stages_need(run, sample):
    """The activity counts cover the analysis year, the one before (last year's key
    accounts) and the review's windows - not every year of the data - and the results
    above (compared with the modules' own calls) are the same."""
    y = run.year
    ys = run.activity_years
    assert {y - 1, y} <= set(ys)
    assert run.activity.years == tuple(ys)
    assert len(ys) < len(sample.years)  # the sample has more years than are needed
    assert min(ys) >= y - 2
