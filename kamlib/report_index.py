"""The batch's ``index.html`` and its plan tables (``actions.csv``, ``objectives.csv``).

``index.html`` is for the analyst running the batch: every account with a link, its
headline figures and strategy, filters (account manager, class, segment, strategy,
health or decision, alerts), portfolio totals of the accounts shown, and the failed
accounts with their error. Self-contained: an inline style sheet and a small inline
script (sorting, filtering, totals); without scripts the table still reads, in revenue
order, with the totals of all accounts.

``actions.csv`` and ``objectives.csv`` are the action plans and objectives of every
planned account of the batch (:meth:`kamlib.plan.Plan.actions_csv`,
:meth:`kamlib.plan.Plan.objectives_csv`), ready to import as CRM tasks.
"""

from __future__ import annotations

import re
from pathlib import Path

ACTIONS_CSV = "actions.csv"
OBJECTIVES_CSV = "objectives.csv"
RUN_LOG = "run.log"

_SCRIPT = """
(function () {
  var table = document.querySelector('table.sortable');
  if (!table) { return; }
  var body = table.tBodies[0];
  table.querySelectorAll('thead th').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var asc = th.getAttribute('aria-sort') !== 'ascending';
      table.querySelectorAll('thead th').forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute('data-v'), y = b.cells[col].getAttribute('data-v');
        var nx = parseFloat(x), ny = parseFloat(y), r;
        if (!isNaN(nx) && !isNaN(ny)) { r = nx - ny; }
        else { r = String(x).localeCompare(String(y)); }
        return asc ? r : -r;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  var filters = document.querySelectorAll('select.filter');
  var totals = document.getElementById('totals');
  var cur = totals ? (totals.getAttribute('data-currency') || '') : '';
  function money(x) {
    var a = Math.abs(x), s = (x < 0 ? '-' : '') + (cur ? cur + ' ' : '');
    if (a >= 1e6) { return s + (a / 1e6).toFixed(2) + ' m'; }
    if (a >= 1e3) { return s + (a / 1e3).toFixed(0) + ' k'; }
    return s + a.toFixed(0);
  }
  function apply() {
    var n = 0, tot = {};
    Array.prototype.forEach.call(body.rows, function (r) {
      var show = true;
      filters.forEach(function (f) {
        var v = f.value, key = f.getAttribute('data-key');
        if (!v) { return; }
        var have = r.getAttribute('data-' + key) || '';
        if (key === 'alerts') { show = show && ((v === 'yes') === (parseFloat(have) > 0)); }
        else { show = show && have === v; }
      });
      r.hidden = !show;
      if (show) {
        n += 1;
        ['revenue', 'plan', 'profit', 'alerts'].forEach(function (k) {
          var x = parseFloat(r.getAttribute('data-' + k));
          if (!isNaN(x)) { tot[k] = (tot[k] || 0) + x; }
        });
      }
    });
    var t = document.getElementById('totals');
    if (t) {
      t.querySelector('[data-t=n]').textContent = n;
      ['revenue', 'plan', 'profit'].forEach(function (k) {
        t.querySelector('[data-t=' + k + ']').textContent = money(tot[k] || 0);
      });
      t.querySelector('[data-t=alerts]').textContent = (tot.alerts || 0).toFixed(0);
    }
  }
  filters.forEach(function (f) { f.addEventListener('change', apply); });
})();
"""


def plain_note(note: str) -> str:
    """The batch runner's note on the accounts chosen, in plain words (no module names):
    ``"key accounts of kamlib.selection.key_accounts: 55"`` -> ``"55 key accounts"``."""
    m = re.match(r"key accounts of [\w.]+: (\d+)", note or "")
    if m:
        return f"{m.group(1)} key accounts"
    m = re.match(r"STAND-IN .*?the top (\d+) customers by revenue in (\d+)", note or "")
    if m:
        return (f"the {m.group(1)} largest customers by revenue in {m.group(2)} (the "
                "key-account list could not be made)")
    return re.sub(r"\s*\(?kamlib\.[\w.]+\)?", "", note or "").strip()


def _num(x):
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if v == v else None


def index_html(records: list[dict], result, *, note: str = "", year: int | None = None,
               company: str = "") -> str:
    """``index.html`` (see the module's text). ``records``: the manifest records of the
    accounts (``headline`` figures from :func:`kamlib.report_sections.headline`);
    ``result``: the :class:`kamlib.reports.BatchResult`."""
    from kamlib import formatting as fmt
    from kamlib import report_html as H
    from kamlib import report_sections

    ok = [r for r in records if r.get("status") == "ok"]
    bad = [r for r in records if r.get("status") != "ok"]
    y = f" {year}" if year else ""
    y1 = f" {year + 1}" if year else ""
    has_review = any((r.get("headline") or {}).get("health") or
                     (r.get("headline") or {}).get("decision") for r in ok)

    def cell(text, value=None, num=False):
        v = text if value is None else value
        cls = ' class="num"' if num else ""
        return f'<td{cls} data-v="{H.esc(v)}">{H.esc(text)}</td>'

    cols = [("Customer", False), ("Account manager", False), ("Class · tier", False),
            ("Buying driver", False), ("Strategy", False)]
    if has_review:
        cols.append(("Health · decision", False))
    cols += [(f"Revenue{y}", True), ("Change", True), (f"Plan revenue{y1}", True),
             ("Profit", True), ("Share of wallet", True), ("Alerts", True),
             ("Most urgent action", False), ("Files", False)]
    head = "".join(f'<th scope="col"{" class=num" if n else ""} title="click to sort">'
                   f"{H.esc(c)}</th>" for c, n in cols)
    rows = []
    values: dict[str, set] = {"am": set(), "class": set(), "segment": set(),
                              "strategy": set(), "decision": set()}
    totals = {"revenue": 0.0, "plan": 0.0, "profit": 0.0, "alerts": 0}
    for r in ok:
        h = r.get("headline") or {}
        files = r.get("files", {})
        main = files.get("html") or files.get("pdf") or ""
        name = r.get("customer_name") or h.get("customer_name") or r["customer_id"]
        link = (f'<a href="{H.esc(main)}">{H.esc(name)}</a> <span class="id">'
                f'{H.esc(r["customer_id"])}</span>')
        links = " · ".join(f'<a href="{H.esc(v)}">{H.esc(k.upper())}</a>'
                           for k, v in sorted(files.items()))
        am = str(h.get("account_manager", ""))
        cls = str(h.get("abc_class") or "")
        seg = str(h.get("segment") or "")
        strat = str(h.get("strategy") or "")
        dec = " · ".join(x for x in (str(h.get("health") or ""), str(h.get("decision") or ""))
                         if x)
        decision = str(h.get("decision") or "")
        for k, v in (("am", am), ("class", cls), ("segment", seg), ("strategy", strat),
                     ("decision", decision)):
            if v:
                values[k].add(v)
        rev, plan, profit = _num(h.get("revenue")), _num(h.get("plan_revenue")), \
            _num(h.get("profit"))
        alerts = int(h.get("alerts") or 0)
        for k, v in (("revenue", rev), ("plan", plan), ("profit", profit)):
            totals[k] += v or 0.0
        totals["alerts"] += alerts
        data = {"am": am, "class": cls, "segment": seg, "strategy": strat,
                "decision": decision,
                "alerts": alerts, "revenue": rev if rev is not None else "",
                "plan": plan if plan is not None else "",
                "profit": profit if profit is not None else ""}
        attrs = " ".join(f'data-{k}="{H.esc(v)}"' for k, v in data.items())
        tier = " · ".join(x for x in (cls, str(h.get("tier") or "")) if x)
        row = [f'<tr {attrs}><td data-v="{H.esc(name)}">{link}</td>', cell(am),
               cell(tier or h.get("status", "")), cell(seg), cell(strat)]
        if has_review:
            row.append(cell(dec))
        row += [
            cell(fmt.eur(rev), rev if rev is not None else "", True),
            cell("n/a" if h.get("revenue_change") is None else
                 report_sections.change(1 + h["revenue_change"], 1),
                 h.get("revenue_change") if h.get("revenue_change") is not None else "", True),
            cell(fmt.eur(plan), plan if plan is not None else "", True),
            cell(fmt.eur(profit), profit if profit is not None else "", True),
            cell(fmt.pct(h.get("share_of_wallet")), h.get("share_of_wallet") or "", True),
            cell(str(alerts), alerts, True), cell(h.get("first_action", "")),
            f"<td>{links}</td></tr>"]
        rows.append("".join(row))

    def select(key, label, options):
        opts = "".join(f'<option value="{H.esc(o)}">{H.esc(o)}</option>' for o in options)
        return (f'<label>{H.esc(label)} <select class="filter" data-key="{key}">'
                f'<option value="">all</option>{opts}</select></label>')

    filters = [select("am", "Account manager", sorted(values["am"])),
               select("class", "Class", sorted(values["class"])),
               select("segment", "Buying driver", sorted(values["segment"])),
               select("strategy", "Strategy", sorted(values["strategy"]))]
    if has_review:
        filters.append(select("decision", "Review decision", sorted(values["decision"])))
    filters.append('<label>Alerts <select class="filter" data-key="alerts"><option value="">'
                   'all</option><option value="yes">with alerts</option><option value="no">'
                   "none</option></select></label>")
    money = fmt.eur
    total = (f'<p class="totals" id="totals" data-currency="'
             f'{H.esc(fmt.current_company().currency)}">Shown: <strong data-t="n">{len(ok)}</strong> '
             f'accounts · revenue{H.esc(y)} <strong data-t="revenue">{H.esc(money(totals["revenue"]))}'
             f'</strong> · plan revenue{H.esc(y1)} <strong data-t="plan">'
             f'{H.esc(money(totals["plan"]))}</strong> · profit after cost to serve '
             f'<strong data-t="profit">{H.esc(money(totals["profit"]))}</strong> · alerts '
             f'<strong data-t="alerts">{totals["alerts"]}</strong></p>')
    failed_rows = "".join(
        f'<tr><td>{H.esc(r["customer_id"])}</td><td>{H.esc(r.get("customer_name", ""))}'
        f'</td><td>{H.esc(r.get("error", ""))}'
        + (f' <span class="id">(executed notebook kept: {H.esc(r["kept_notebook"])})</span>'
           if r.get("kept_notebook") else "")
        + "</td></tr>" for r in bad)
    who = plain_note(note)
    summary = (f"{len(ok)} plan(s) ready ({len(result.written)} written now, "
               f"{len(result.skipped)} already up to date), {len(bad)} failed, in "
               f"{result.seconds:.0f} s" + (f"; accounts: {who}" if who else "") + ".")
    body = [
        f"<h1>Key account plans{H.esc(' - ' + company) if company else ''}{H.esc(y1)}</h1>",
        f'<p class="subtitle">{H.esc(summary)} Every action with owner and date: '
        f'<a href="{ACTIONS_CSV}">{ACTIONS_CSV}</a>; every objective: '
        f'<a href="{OBJECTIVES_CSV}">{OBJECTIVES_CSV}</a>; run log: '
        f'<a href="{RUN_LOG}">{RUN_LOG}</a>.</p>',
        '<p class="confidential">For the analyst: this page lists every account. Send '
        "each account manager only the plans of their own accounts.</p>",
    ]
    if bad:
        body.append(f'<h2 id="failed">Failed ({len(bad)})</h2>'
                    '<table class="data"><thead><tr><th>Customer</th><th>Name</th>'
                    f"<th>Error</th></tr></thead><tbody>{failed_rows}</tbody></table>")
    body.append(f"<h2>Accounts ({len(ok)})</h2>"
                f'<div class="filters">{"".join(filters)}</div>{total}'
                '<p class="note">Choose filters to narrow the list; the totals follow. '
                "Click a column header to sort.</p>"
                f'<table class="data sortable"><thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table>")
    css = (".id{color:var(--muted);font-size:.8rem} th{cursor:pointer}"
           " body{max-width:96rem} .filters{display:flex;flex-wrap:wrap;gap:.4rem 1rem;"
           "margin:.4rem 0;font-size:.9rem} .totals{margin:.4rem 0}")
    page = H.document("Key account plans", "\n".join(body), extra_css=css)
    # the index (not a report) may use a small inline script; still nothing remote
    page = page.replace("default-src 'none';", "default-src 'none'; script-src "
                        "'unsafe-inline';")
    return page.replace("</body>", f"<script>{_SCRIPT}</script>\n</body>")


def write_plan_tables(out: Path, portfolio, customer_ids, write) -> list[Path]:
    """Write ``actions.csv`` and ``objectives.csv`` for ``customer_ids`` (those with a
    plan) into ``out`` with ``write(path, text)`` (the runner's atomic write). Returns
    the paths written; none when the portfolio has no plan."""
    plan = getattr(portfolio, "tables", {}).get("plan") if portfolio is not None else None
    if plan is None:
        return []
    ids = {str(i) for i in customer_ids}
    paths = []
    for name, table in ((ACTIONS_CSV, plan.actions_csv()),
                        (OBJECTIVES_CSV, plan.objectives_csv())):
        t = table.loc[table["customer_id"].astype(str).isin(ids)]
        path = Path(out) / name
        write(path, t.to_csv(index=False))
        paths.append(path)
    return paths
