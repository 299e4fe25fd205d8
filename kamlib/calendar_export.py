"""The visit plan as iCalendar files (.ics), one per account manager.

An account manager imports the file into Outlook, Google Calendar or Apple Calendar
and has the year's visits as all-day events::

    from kamlib import service, calendar_export
    plan = service.visit_plan(accounts, s, customers=kd.customers)
    calendar_export.write_ics(plan, "build/calendars")     # one file per manager

The files follow RFC 5545 (Internet Calendaring and Scheduling): lines end in CRLF,
lines longer than 75 octets are folded (CRLF + one space), and text values escape
backslash, semicolon, comma and newline. They are deterministic: the same plan gives
the same bytes (``DTSTAMP`` is fixed to the start of the plan year, ``UID`` is built
from the plan year, customer, visit type and number), so re-importing a corrected plan
updates the events instead of duplicating them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from kamlib import paths

PRODID = "-//KAM Playbook//kamlib visit plan//EN"
UID_DOMAIN = "kam-playbook"


def escape_text(value) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11): ``\\`` ``;`` ``,`` and newlines."""
    text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold_line(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 §3.1).

    Continuation lines start with one space, which counts in their 75 octets. A fold
    never splits a UTF-8 character or an escape such as ``\\,`` (RFC 5545 allows
    both, but some calendar programs read them wrongly).
    """
    parts = []
    current = b""
    for unit in re.findall(r"\\.|.", line, flags=re.DOTALL):
        b = unit.encode("utf-8")
        if len(current) + len(b) > 75:
            parts.append(current.decode("utf-8"))
            current = b" "
        current += b
    parts.append(current.decode("utf-8"))
    return "\r\n".join(parts)


def _slug(text: str) -> str:
    """A file-name and UID part: ``"Ben Ødegård"`` → ``"ben-odegard"``
    (:func:`kamlib.paths.slug`)."""
    return paths.slug(text, max_len=200)


def _visits(plan) -> tuple[pd.DataFrame, int | None]:
    if hasattr(plan, "visits"):
        return plan.visits, getattr(plan, "year", None)
    if isinstance(plan, pd.DataFrame):
        return plan, None
    raise TypeError("expected a VisitPlan (kamlib.service.visit_plan) or its visits table")


def to_ics(plan, account_manager: str, *, calendar_name: str | None = None) -> str:
    """The iCalendar text of one account manager's visits.

    ``plan``: a :class:`kamlib.service.VisitPlan` or its ``visits`` table (columns
    ``account_manager``, ``customer_id``, ``date``, ``visit_type``, ``purpose``;
    ``customer_name``, ``region``, ``country``, ``visit_number`` used when present).
    Each visit is an all-day event (``DTSTART;VALUE=DATE``, ``DTEND`` the next day)
    with the customer in ``SUMMARY``, the purpose in ``DESCRIPTION``, the country and
    region in ``LOCATION`` and the visit type in ``CATEGORIES``.
    Raises ``ValueError`` when the manager has no visit in the plan.
    """
    visits, year = _visits(plan)
    v = visits.loc[visits["account_manager"] == account_manager]
    if v.empty:
        managers = sorted(visits["account_manager"].dropna().astype(str).unique())
        raise ValueError(
            f"no visit planned for account manager '{account_manager}'. Managers in "
            f"the plan: {', '.join(managers) or '(none)'}"
        )
    v = v.sort_values(["date", "customer_id", "visit_type"], kind="stable")
    dates = pd.to_datetime(v["date"])
    if year is None:
        year = int(dates.dt.year.min())
    stamp = f"{year}0101T000000Z"
    name = calendar_name or f"Visit plan {year} - {account_manager}"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    number = v["visit_number"] if "visit_number" in v.columns else (
        v.groupby(["customer_id", "visit_type"]).cumcount() + 1)
    cname = v["customer_name"] if "customer_name" in v.columns else v["customer_id"]
    for (_, row), day, n, cn in zip(v.iterrows(), dates, number, cname, strict=True):
        start = day.strftime("%Y%m%d")
        end = (day + pd.Timedelta(days=1)).strftime("%Y%m%d")
        kind = str(row["visit_type"])
        uid = f"{year}-{row['customer_id']}-{_slug(kind)}-{int(n):02d}@{UID_DOMAIN}"
        title = "Executive visit" if kind == "executive visit" else "Visit"
        where = ", ".join(str(row[c]) for c in ("country", "region")
                          if c in v.columns and pd.notna(row[c]))
        desc = f"{row.get('purpose', '')}\nCustomer {row['customer_id']}"
        if where:
            desc += f", {where}"
        desc += f"\nAccount manager: {account_manager}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{escape_text(uid)}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{start}",
            f"DTEND;VALUE=DATE:{end}",
            "SUMMARY:" + escape_text(f"{title}: {cn} ({row['customer_id']})"),
            f"DESCRIPTION:{escape_text(desc)}",
        ]
        if where:
            lines.append(f"LOCATION:{escape_text(where)}")
        lines += [
            f"CATEGORIES:{escape_text(kind)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold_line(ln) + "\r\n" for ln in lines)


def write_ics(plan, out_dir: str | Path) -> list[Path]:
    """Write one ``visits_<year>_<manager>.ics`` per account manager into ``out_dir``.

    ``<manager>`` is a slug of the name (:func:`kamlib.paths.safe_path`: ASCII, no
    path characters, unique, always inside ``out_dir``); the name itself is in the file.

    Returns the paths written, in the order of the managers' names.
    """
    visits, year = _visits(plan)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if year is None and len(visits):
        year = int(pd.to_datetime(visits["date"]).dt.year.min())
    written = []
    taken: set = set()  # two managers whose names slug alike get different files
    for am in sorted(visits["account_manager"].dropna().astype(str).unique()):
        # the manager's name comes from the data: a slug, inside out_dir (kamlib.paths)
        path = paths.safe_path(out, f"visits_{year}", am, suffix=".ics", taken=taken)
        path.write_bytes(to_ics(plan, am).encode("utf-8"))
        written.append(path)
    return written
