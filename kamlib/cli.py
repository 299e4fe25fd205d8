"""The ``kam`` command.

    kam data generate --customers 300 --years 5 --seed 7 --out data/sample
    kam data check PATH            # exit 1 and a list of problems, or 0 and a summary
    kam data dictionary            # rewrite data/README.md from kamlib/schema.py
    kam data template --out F.xlsx [--sample]   # the Excel input template
    kam workshop --data PATH       # serve the workshop app (Voila) on 127.0.0.1
    kam settings init | show       # create / print the settings file (kam_settings.toml)
    kam calendars --out DIR        # each account manager's visit plan as .ics
    kam analyse --data PATH --out DIR   # the whole analysis as Parquet/CSV tables
    kam review --out FILE          # the periodic review of the key accounts (.csv/.xlsx)
    kam chapters --out build       # execute the playbook chapters on the bundled data
    kam exercises --out build/exercises   # learners' copies, solutions removed
    kam pair [--check]             # the chapters' py:percent pairs (jupytext)
    kam site --out build/site      # the offline course site, links checked
    kam demo                       # the main job: chapters (and reports) into build/

Errors the user can fix are printed as one clear message (exit 1 or 2), never as a
traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _cmd_generate(a: argparse.Namespace) -> int:
    from kamlib import generate

    if a.profile:
        from kamlib import profiles

        target = profiles.write_profile(a.profile, Path(a.out))
        print(f"Wrote the bundled data as the export profile '{a.profile}' "
              f"({profiles.PROFILES[a.profile].description}).")
        print(f"Check it with: kam data check {target}")
        return 0

    cfg = generate.GeneratorConfig(
        n_customers=a.customers, years=a.years, end_year=a.end_year, seed=a.seed
    )
    written = generate.write_dataset(
        cfg,
        Path(a.out),
        answer_key_dir=Path(a.answer_key) if a.answer_key else None,
        parquet=a.parquet,
        csv=not a.no_csv,
    )
    for p in written:
        print(p)
    return 0


def _sample_is_ambiguous(value: str) -> str:
    """The message when ``value`` is ``sample`` and the working folder has its own
    ``./sample`` (which is not the bundled one), else ``""``."""
    from kamlib import data

    local = Path("sample")
    if str(value) != "sample" or not local.exists():
        return ""
    try:
        if local.resolve() == Path(data.SAMPLE_DIR).resolve():
            return ""
    except OSError:
        pass
    return (f"'sample' is ambiguous here: it names the bundled sample data "
            f"({data.SAMPLE_DIR}), and this folder has its own ./sample. Write "
            "`./sample` for the folder here, or the full path above for the bundled data.")


def _cmd_check(a: argparse.Namespace) -> int:
    from kamlib import data

    ambiguous = _sample_is_ambiguous(a.path)
    if ambiguous:
        print(f"kam data check: {ambiguous}", file=sys.stderr)
        return 2
    from kamlib import settings

    s = settings.load(a.settings) if a.settings else settings.Settings()
    report = data.check(a.path, columns=s.columns if a.settings else {})
    # amounts in the company's currency and unit ([company]; the sample's on the sample)
    print(report.text(settings.company_for(s, a.path)))
    ok = report.ok
    if report.ok:
        from kamlib.workshop import template

        left = template.leftover_examples(a.path)
        if left:
            print(f"\nProblem: {Path(a.path).name}: row 2 of the sheet(s) "
                  f"{', '.join(left)} is still the template's example row (customer "
                  "C0042, ...): it would be read as real data. Overwrite it with your "
                  "own first row, or delete the row.")
            ok = False
    return 0 if ok else 1


def _cmd_template(a: argparse.Namespace) -> int:
    from kamlib.workshop import template

    out = Path(a.out)
    if a.check:
        want = template.template_bytes(None)
        if not out.exists() or out.read_bytes() != want:
            print(f"{out} is out of date: run `kam data template --out {out}`.")
            return 1
        print(f"{out} is up to date.")
        return 0
    try:
        path = template.write_template(out, sample="sample" if a.sample else None)
    except ValueError as exc:
        print(f"kam data template: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


def _cmd_dictionary(a: argparse.Namespace) -> int:
    from kamlib import schema

    target = Path(a.out)
    text = schema.data_dictionary_markdown()
    if a.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{target} is out of date: run `kam data dictionary`.")
            return 1
        print(f"{target} is up to date.")
        return 0
    target.write_text(text, encoding="utf-8")
    print(target)
    return 0


def _cmd_chapters(a: argparse.Namespace) -> int:
    from kamlib import runner

    results = runner.run_chapters(Path(a.out), workers=a.workers, data_source=a.data,
                                  settings_file=a.settings, analysis_year=a.year)
    return 0 if all(r.ok for r in results) else 1


def _cmd_exercises(a: argparse.Namespace) -> int:
    from kamlib import runner

    for p in runner.write_exercise_copies(Path(a.out)):
        print(p)
    return 0


def _cmd_pair(a: argparse.Namespace) -> int:
    from kamlib.course import pairing

    if a.check:
        problems = pairing.check_pairs()
        for line in problems:
            print(line)
        if problems:
            return 1
        print("Every chapter's py:percent pair is in sync with its notebook.")
        return 0
    for p in pairing.write_pairs():
        print(p)
    return 0


def _cmd_site(a: argparse.Namespace) -> int:
    from kamlib.course import site

    result = site.build(Path(a.out), chapters_dir=a.chapters)
    print(f"Wrote {len(result.pages)} pages into {a.out} ({len(result.copied)} linked "
          f"repository files under {site.FILES_DIR}/): open {Path(a.out) / 'index.html'}")
    if result.external_links:
        print(f"{len(result.external_links)} link(s) to other sites (not followed).")
    for path in result.announced:
        print(f"Announced in the learning path, not written yet (shown unlinked): {path}")
    for line in result.problems:
        print(f"PROBLEM {line}", file=sys.stderr)
    if result.problems:
        print(f"{len(result.problems)} problem(s): broken links, outside loads or raw TeX.",
              file=sys.stderr)
        return 1
    print("Links work, nothing is loaded from outside, no formula is left as TeX.")
    return 0


def _cmd_demo(a: argparse.Namespace) -> int:
    from kamlib import runner

    return runner.demo(Path(a.out), workers=a.workers)


def _cmd_calendars(a: argparse.Namespace) -> int:
    from kamlib import calendar_export, data, service, settings

    kd = data.load(a.data)
    s = settings.for_data(settings.load(a.settings), kd)
    plan = service.visit_plan(service.key_account_table(kd, s), s, customers=kd.customers)
    for p in calendar_export.write_ics(plan, Path(a.out)):
        print(p)
    if len(plan.unplanned):
        print(f"{len(plan.unplanned)} account(s) cannot get their visit frequency within "
              "the capacity: see chapter 04 or raise service.visits capacity.")
    return 0


def _cmd_analyse(a: argparse.Namespace) -> int:
    import time

    from kamlib import analysis, decisions

    t0 = time.perf_counter()
    try:
        settings = a.settings
        if a.decisions:  # a workshop's decisions over the settings, as `kam reports` does
            settings = decisions.settings_in_force(a.decisions, a.settings)
        an = analysis.Analysis(a.data, settings=settings, year=a.year, engine=a.engine,
                               progress=print, without=tuple(a.without or ()))
        if a.decisions:
            decisions.check_against_data(decisions.load_decisions(a.decisions), an.data)
            print(f"kam analyse: decisions of {a.decisions} applied")
    except (ValueError, FileNotFoundError) as exc:
        print(f"kam analyse: {exc}", file=sys.stderr)
        return 2
    asked = an._year_asked or "the latest complete year of the data"
    print(f"kam analyse: {a.data} (analysis year {asked}; facts by "
          f"{'DuckDB' if an.use_duckdb else 'pandas'})")
    try:
        written = an.write(Path(a.out), excel=a.excel)
    except ValueError as exc:  # no orders in the analysis year, too big for Excel...
        print(f"kam analyse: {exc}", file=sys.stderr)
        return 1
    print(f"analysis year {an.year}: wrote {len(written)} files to {a.out}")
    print(f"done in {time.perf_counter() - t0:.1f} s, peak memory "
          f"{an.peak_bytes / 2**30:.2f} GB")
    return 0

def _cmd_workshop(a: argparse.Namespace) -> int:
    from kamlib.workshop import serve

    try:
        return serve.run(a.data, a.port, settings_file=a.settings,
                         decisions_file=a.decisions, ip=a.ip, preheat=a.preheat,
                         cull_idle=a.cull_idle)
    except serve.ServeError as exc:
        print(f"kam workshop: {exc}", file=sys.stderr)
        return 2


REVIEW_COLUMNS = ["customer_name", "account_manager", "abc_class", "health", "decision",
                  "decaying", "reasons", "action", "health_trend", "selected_for",
                  "still_holds", "no_longer_holds", "selection_note"]
"""Columns of ``kam review`` (after ``customer_id``), then every component's score and
evidence."""


def _cmd_review(a: argparse.Namespace) -> int:
    from kamlib import data, formatting, review, settings
    from kamlib.review.config import COMPONENTS

    out = Path(a.out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        print(f"kam review: --out {out} must end in .csv or .xlsx", file=sys.stderr)
        return 2
    kd = data.load(a.data)
    s = settings.for_data(settings.load(a.settings), kd, a.year)
    try:
        with formatting.using(settings.company_for(s, kd)):  # evidence in its units
            table = review.account_review(kd, s)
    except ValueError as exc:
        print(f"kam review: {exc}", file=sys.stderr)
        return 1
    cols = REVIEW_COLUMNS + [f"{c}_{k}" for c in COMPONENTS for k in ("score", "evidence")]
    table = table[cols].copy()
    table["health"] = table["health"].round(1)
    for c in COMPONENTS:
        table[f"{c}_score"] = table[f"{c}_score"].round(1)
    table = table.reset_index()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    if suffix == ".csv":
        table.to_csv(tmp, index=False, encoding="utf-8")
    else:
        with pd_excel_writer(tmp) as w:
            table.to_excel(w, sheet_name="review", index=False)
    tmp.replace(out)
    counts = table["decision"].value_counts()
    summary = ", ".join(f"{k} {int(counts.get(k, 0))}" for k in review.DECISIONS)
    print(f"{out}: {len(table)} key accounts reviewed ({summary}; "
          f"{int(table['decaying'].sum())} decaying)")
    return 0


def pd_excel_writer(path: Path):
    import pandas as pd

    return pd.ExcelWriter(path, engine="openpyxl")


def _cmd_settings(a: argparse.Namespace) -> int:
    from kamlib import settings

    path = Path(a.path)
    if a.settings_command == "init":
        if path.exists() and not a.force:
            print(f"{path} exists already; use --force to overwrite it with the defaults.")
            return 1
        settings.save(settings.Settings(), path)
        print(path)
        return 0
    print(settings.dumps(settings.load(path)), end="")
    return 0


def _profile_names() -> list[str]:
    from kamlib.profiles import PROFILES

    return list(PROFILES)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kam", description="KAM Playbook command line.")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("data", help="generate, check and document data")
    dsub = d.add_subparsers(dest="data_command", required=True)

    g = dsub.add_parser("generate", help="write a seeded sample dataset")
    g.add_argument("--customers", type=int, default=300)
    g.add_argument("--years", type=int, default=5)
    g.add_argument("--end-year", type=int, default=2025)
    g.add_argument("--seed", type=int, default=4)
    g.add_argument("--out", required=True, help="folder for the tables")
    g.add_argument("--answer-key", default=None,
                   help="folder for answer_key.csv (default: OUT/../answer_key)")
    g.add_argument("--parquet", action="store_true", help="also write Parquet files")
    g.add_argument("--no-csv", action="store_true", help="write Parquet only")
    g.add_argument("--profile", default=None, choices=_profile_names(),
                   help="write the bundled data the way another company exports it "
                   "(see kamlib/profiles.py); the other options are then ignored")
    g.set_defaults(func=_cmd_generate)

    c = dsub.add_parser("check", help="check a company export; exit 1 if it has problems")
    c.add_argument("path", help="folder of CSV/Parquet files, an Excel workbook, or one "
                   "sales file (CSV, Excel, Parquet)")
    c.add_argument("--settings", default=str(PROJECT_ROOT / "kam_settings.toml"),
                   help="settings file whose [columns] map names the export's headers "
                   "and whose [company] gives the currency and unit of the summary")
    c.set_defaults(func=_cmd_check)

    tp = dsub.add_parser("template", help="write the Excel input template (one sheet "
                         "per table, a README sheet)")
    tp.add_argument("--out", default=str(PROJECT_ROOT / "data" / "templates" /
                                         "kam_input.xlsx"), help="the .xlsx to write")
    tp.add_argument("--sample", action="store_true",
                    help="write the bundled sample data into it (instead of example rows)")
    tp.add_argument("--check", action="store_true",
                    help="only check that OUT is what the generator writes")
    tp.set_defaults(func=_cmd_template)

    dd = dsub.add_parser("dictionary", help="write data/README.md from the schema")
    dd.add_argument("--out", default=str(PROJECT_ROOT / "data" / "README.md"))
    dd.add_argument("--check", action="store_true", help="only check it is up to date")
    dd.set_defaults(func=_cmd_dictionary)

    st = sub.add_parser("settings", help="create or show the settings file")
    ssub = st.add_subparsers(dest="settings_command", required=True)
    for name, text in (("init", "write a settings file with the defaults"),
                       ("show", "print the settings in force (file + defaults)")):
        x = ssub.add_parser(name, help=text)
        x.add_argument("--path", default=str(PROJECT_ROOT / "kam_settings.toml"))
        if name == "init":
            x.add_argument("--force", action="store_true")
        x.set_defaults(func=_cmd_settings)

    ca = sub.add_parser("calendars", help="write each account manager's visit plan "
                        "as an iCalendar (.ics) file")
    ca.add_argument("--data", default="sample", help="'sample' or the path of an export")
    ca.add_argument("--settings", default=str(PROJECT_ROOT / "kam_settings.toml"))
    ca.add_argument("--out", default="build/calendars")
    ca.set_defaults(func=_cmd_calendars)

    an = sub.add_parser("analyse", help="the whole analysis without notebooks: facts, "
                        "key accounts, segments, rebate projections, visit plan as "
                        "Parquet and CSV tables")
    an.add_argument("--data", default="sample", help="'sample' or the path of an export")
    an.add_argument("--out", required=True, help="folder for the tables")
    an.add_argument("--settings", default=str(PROJECT_ROOT / "kam_settings.toml"))
    an.add_argument("--year", type=int, default=None,
                    help="analysis year (default: period.analysis_year of the settings)")
    an.add_argument("--decisions", default=None,
                    help="a workshop's decisions file (TOML, saved by the workshop app): its "
                    "weights, thresholds, list overrides and schedule win over the settings")
    an.add_argument("--excel", action="store_true",
                    help="also one workbook analysis.xlsx (when every table fits Excel)")
    an.add_argument("--engine", choices=("auto", "duckdb", "pandas"), default="auto",
                    help="who computes the facts from the order lines (auto: DuckDB "
                    "for large files)")
    an.add_argument("--without", action="append", metavar="STAGE",
                    help="leave out a stage: review, rebate_projection or visit_plan "
                    "(repeat for several)")
    an.set_defaults(func=_cmd_analyse)

    ws = sub.add_parser("workshop", help="serve the workshop app (Voila) on this computer")
    ws.add_argument("--data", default="sample",
                    help="'sample', a folder of CSV files or a filled .xlsx template")
    ws.add_argument("--port", type=int, default=8866)
    ws.add_argument("--ip", default="127.0.0.1",
                    help="address to listen on (default: this computer only)")
    ws.add_argument("--settings", default=None,
                    help="settings to start from (default: kam_settings.toml of the project)")
    ws.add_argument("--decisions", default="workshop_decisions.toml",
                    help="where 'Save the decisions' writes (default: "
                         "./workshop_decisions.toml)")
    ws.add_argument("--preheat", type=int, default=0,
                    help="kernels kept started and executed ahead of visitors (0 = none)")
    ws.add_argument("--cull-idle", type=int, default=900,
                    help="seconds after which a kernel without activity and without an "
                         "open page is shut down")
    ws.set_defaults(func=_cmd_workshop)

    rv = sub.add_parser("review", help="the periodic review of the key accounts: health, "
                        "decay, keep / develop / downgrade / drop (.csv or .xlsx)")
    rv.add_argument("--data", default="sample", help="'sample' or the path of an export")
    rv.add_argument("--settings", default=str(PROJECT_ROOT / "kam_settings.toml"))
    rv.add_argument("--year", type=int, default=None,
                    help="the review year (default: period.analysis_year)")
    rv.add_argument("--out", required=True, help="the table to write: FILE.csv or FILE.xlsx")
    rv.set_defaults(func=_cmd_review)

    ch = sub.add_parser("chapters", help="execute the playbook chapters")
    ch.add_argument("--out", default="build/chapters")
    ch.add_argument("--workers", type=int, default=2)
    ch.add_argument("--data", default="sample", help="'sample' or the path of an export")
    ch.add_argument("--settings", default=None,
                    help="settings file (default: kam_settings.toml of the project)")
    ch.add_argument("--year", type=int, default=None,
                    help="analysis year (default: the settings', else the latest complete "
                         "year in the data)")
    ch.set_defaults(func=_cmd_chapters)

    ex = sub.add_parser("exercises", help="write learners' copies without solutions")
    ex.add_argument("--out", default="build/exercises")
    ex.set_defaults(func=_cmd_exercises)

    pa = sub.add_parser("pair", help="write the chapters' py:percent pairs (jupytext)")
    pa.add_argument("--check", action="store_true",
                    help="only check the pairs are in sync; exit 1 if not")
    pa.set_defaults(func=_cmd_pair)

    si = sub.add_parser("site", help="render the chapters, glossary and background "
                        "as an offline site, and check its links")
    si.add_argument("--out", default="build/site")
    si.add_argument("--chapters", default=None,
                    help="folder of executed chapters (default: the committed notebooks)")
    si.set_defaults(func=_cmd_site)

    de = sub.add_parser("demo", help="the main job on the bundled data")
    de.add_argument("--out", default="build")
    de.add_argument("--workers", type=int, default=2)
    de.set_defaults(func=_cmd_demo)

    try:  # the reports command lives with the reports module
        from kamlib import reports

        reports.add_cli(sub)
    except Exception as exc:  # noqa: BLE001 - the other commands must keep working
        r = sub.add_parser("reports", help="(unavailable: see the message)")
        r.set_defaults(func=lambda a, _e=exc: _unavailable("reports", _e))
    return p


def _unavailable(command: str, exc: Exception) -> int:
    print(f"kam {command}: cannot start, the module failed to load: {exc!r}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    from kamlib.data import DataError
    from kamlib.settings import SettingsError

    parser = build_parser()
    a = parser.parse_args(argv)
    try:
        return a.func(a)
    except (DataError, SettingsError) as exc:
        print(f"kam: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # a batch inside another command (kam demo)
        from kamlib.batch_guard import FolderError
        from kamlib.reports import BatchStopped, ReportError

        if not isinstance(exc, (ReportError, FolderError)):
            raise
        print(f"kam: {exc}", file=sys.stderr)
        return exc.exit_code if isinstance(exc, BatchStopped) else 2
    except OSError as exc:  # the environment: permissions, a full or read-only disk
        from kamlib.batch_guard import describe_os_error

        if exc.errno is None:  # one of ours, with its own sentence
            print(f"kam: {exc}", file=sys.stderr)
            return 1
        where = f" {exc.filename}" if exc.filename else ""
        print(f"kam: {describe_os_error(exc, f'reading or writing{where}')}.",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # pragma: no cover
        print("kam: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
