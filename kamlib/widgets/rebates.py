"""Workshop widgets of the rebates and prices chapter: edit a schedule's tiers and rates
and see its cost, customers per tier and break-even update; play with the break-even
arithmetic; save the schedule to the settings file.

ipywidgets is imported here only (the library itself does not need it). Every
callback recomputes through :mod:`kamlib.rebates`.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np

from kamlib import formatting, rebates
from kamlib.widgets import interactive

MAX_TIERS = 5


def _money(x) -> str:
    return formatting.eur(x)


@interactive
def schedule_editor(kd, s, schedule=None, customers=None, year: int | None = None,
                    settings_file: str | Path | None = None, elasticity=None, *,
                    on_change=None, show_near: int = 0):
    """Edit a rebate schedule and see, on the history of ``year`` (default
    ``period.analysis_year``) and ``customers`` (ids; None = everyone with sales):
    its cost (EUR, % of revenue, % of margin), the customers per tier, the customers
    just below a threshold, the break-even volume increase and the margin after the
    customers' response (:func:`kamlib.rebates.compare_schedules`), and where the
    customers sit on the tiers (:func:`kamlib.plots.rebates.customers_on_tiers`).

    ``schedule``: the name (or :class:`kamlib.rebates.RebateSchedule`) to start from
    (None = ``rebates.default_schedule``). ``elasticity``: a Series by customer (e.g.
    ``rebates.elasticities(...)["elasticity_used"]``) or None (computed once). A schedule
    the rules refuse (tiers not ascending, overlapping, rates outside 0-100 %) shows the
    message instead of numbers. "Save to settings file" writes the schedule (and, when
    ticked, makes it the price-sensitive segment's schedule) to ``settings_file`` with
    ``kamlib.settings.replace`` + ``save``.

    ``show_near``: list up to this many customers just below a threshold (name, volume,
    what is missing, what the next tier is worth to them). ``on_change(schedule,
    comparison)``: called after each recomputation with the schedule (None when the
    rules refuse it) and its row of :func:`kamlib.rebates.compare_schedules`; with it
    and no ``settings_file`` the save controls are hidden (the caller saves).

    Returns an ``ipywidgets.VBox``; builds and displays without waiting for input, so
    it runs headless (papermill).
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt
    import pandas as pd

    from kamlib import settings as settings_mod
    from kamlib.plots import rebates as rebate_plots

    rs = rebates._rebate_settings(s)
    start = rs.schedule(schedule)
    sim0 = rebates.simulate(kd, s, start, year, customers)
    ids = sim0.index
    if elasticity is None:
        elasticity = rebates.elasticities(kd, s, ids)["elasticity_used"]
    own = elasticity.reindex(ids) if isinstance(elasticity, pd.Series) else None

    name = w.Text(value=start.name, description="name", layout=w.Layout(width="260px"))
    method = w.Dropdown(options=list(rebates.METHODS), value=start.method,
                        description="method", layout=w.Layout(width="220px"))
    basis = w.Dropdown(options=list(rebates.BASES), value=start.basis, description="basis",
                       layout=w.Layout(width="160px"))
    n_tiers = w.BoundedIntText(value=len(start.tiers), min=1, max=MAX_TIERS,
                               description="tiers", layout=w.Layout(width="140px"))
    thresholds, rates, rows = [], [], []
    for i in range(MAX_TIERS):
        t = start.tiers[i] if i < len(start.tiers) else None
        th = w.FloatText(value=t.threshold if t else 0.0, description=f"tier {i + 1} from",
                         layout=w.Layout(width="230px"), style={"description_width": "80px"})
        rt = w.FloatText(value=round(100 * t.rate, 4) if t else 0.0, description="rate %",
                         layout=w.Layout(width="160px"))
        thresholds.append(th)
        rates.append(rt)
        rows.append(w.HBox([th, rt]))
    use_own = w.Checkbox(value=own is not None, description="each customer's own elasticity",
                         indent=False)
    flat = w.FloatSlider(value=rs.default_elasticity, min=-6.0, max=-0.1, step=0.1,
                         description="elasticity", continuous_update=False,
                         readout_format=".1f")
    reach = w.Checkbox(value=False, indent=False,
                       description="customers just below a threshold reach it")
    summary = w.HTML()
    tiers_table = w.HTML()
    near_table = w.HTML()
    picture = w.Output()
    names = kd.customers.set_index(kd.customers["customer_id"].astype(str))["customer_name"]
    for_price = w.Checkbox(value=True, indent=False,
                           description="use it for the price-sensitive segment")
    save = w.Button(description="Save to settings file", icon="save",
                    disabled=settings_file is None)
    saved = w.HTML()
    state: dict = {}

    def current_schedule():
        k = n_tiers.value
        tiers = [(thresholds[i].value, rates[i].value / 100.0) for i in range(k)]
        return rebates.RebateSchedule(
            name.value.strip() or "my schedule", basis.value, method.value, tiers,
            baseline_years=start.baseline_years, baseline_uplift=start.baseline_uplift,
            interim_months=start.interim_months, interim_share=start.interim_share)

    def recompute(*_):
        for i, r in enumerate(rows):
            r.layout.display = "" if i < n_tiers.value else "none"
        saved.value = ""
        try:
            sc = current_schedule()
        except ValueError as exc:
            state.pop("schedule", None)
            save.disabled = True
            summary.value = (f"<p style='color:#a00'><b>Schedule refused:</b> "
                             f"{html.escape(str(exc))}</p>")
            tiers_table.value = ""
            near_table.value = ""
            picture.clear_output()
            if on_change is not None:
                on_change(None, None)
            return
        state["schedule"] = sc
        save.disabled = settings_file is None
        el = own if (use_own.value and own is not None) else flat.value
        comp = rebates.compare_schedules(kd, s, [sc], year, ids, el,
                                         reach_near_tiers=reach.value).iloc[0]
        sim = rebates.simulate(kd, s, sc, year, ids)
        counts = rebates.tier_counts(sim, sc)
        be = comp["break_even_volume_change"]
        summary.value = (
            f"<b>{html.escape(sc.describe())}</b><br>"
            f"On {int(comp['customers'])} customers' history: rebate "
            f"<b>{_money(comp['rebate'])}</b> = {formatting.pct(comp['rebate_pct_of_revenue'], 1)} "
            f"of revenue, {formatting.pct(comp['rebate_pct_of_margin'], 1)} of gross margin; "
            f"{int(comp['customers_paid'])} customers paid, "
            f"{int(comp['near_threshold'])} just below a threshold.<br>"
            f"Break-even: the group must buy <b>{formatting.pct(be, 1)}</b> more. "
            f"Expected response: {formatting.pct(comp['volume_change'], 1)} more volume; "
            f"margin after rebate vs no rebate: <b>{_money(comp['incremental_margin'])}</b>."
        )
        rows_html = "".join(
            f"<tr><td>{html.escape(str(r['band']))}</td><td style='text-align:right'>"
            f"{int(r['customers'])}</td><td style='text-align:right'>{_money(r['rebate'])}"
            "</td></tr>" for _, r in counts.iterrows())
        tiers_table.value = ("<table><tr><th>band</th><th>customers</th><th>rebate</th></tr>"
                             f"{rows_html}</table>")
        if show_near:
            near_table.value = _near_html(rebates.near_threshold(sim), names, sc, show_near)
        if on_change is not None:
            on_change(sc, comp)
        picture.clear_output(wait=True)
        with picture:
            ax = rebate_plots.customers_on_tiers(sim, sc)
            plt.show()
            plt.close(ax.figure)

    def on_save(_):
        sc = state.get("schedule")
        if sc is None or settings_file is None:
            return
        full = s if hasattr(s, "rebates") else None
        if full is None:
            saved.value = "Pass the whole playbook settings to save."
            return
        new = settings_mod.replace(full, "rebates.schedules",
                                   full.rebates.with_schedule(sc).schedules)
        if for_price.value:
            by_seg = {**new.rebates.schedule_by_segment, "price": sc.name}
            new = settings_mod.replace(new, "rebates.schedule_by_segment", by_seg)
        path = settings_mod.save(new, settings_file)
        saved.value = f"Saved to <code>{html.escape(str(path))}</code>."

    for wd in [name, method, basis, n_tiers, use_own, flat, reach, *thresholds, *rates]:
        wd.observe(recompute, names="value")
    save.on_click(on_save)
    recompute()
    save_row = w.HBox([save, for_price, saved])
    if on_change is not None and settings_file is None:
        save_row.layout.display = "none"
    box = w.VBox([
        w.HBox([name, method, basis, n_tiers]), *rows,
        w.HBox([use_own, flat]), reach, summary, tiers_table, near_table, picture,
        save_row,
    ])
    box.recompute = recompute
    box.controls = {"name": name, "method": method, "basis": basis, "tiers": n_tiers,
                    "thresholds": thresholds, "rates": rates}
    return box


def _near_html(near, names, sc, n: int) -> str:
    """The customers just below a threshold, closest first, as a small HTML table."""
    if not len(near):
        return "<p>No customer is just below a threshold.</p>"
    top = near.head(n)
    rows = "".join(
        f"<tr><td>{html.escape(str(names.get(cid, cid)))}</td>"
        f"<td style='text-align:right'>{_volume(r['basis_volume'], sc.basis)}</td>"
        f"<td style='text-align:right'>{_volume(r['to_next_tier'], sc.basis)}</td>"
        f"<td style='text-align:right'>{formatting.pct(r['next_tier_rate'], 1)}</td>"
        f"<td style='text-align:right'>{_money(r['value_of_next_tier'])}</td></tr>"
        for cid, r in top.iterrows())  # at most n rows: display only
    more = f"<p>... and {len(near) - n} more.</p>" if len(near) > n else ""
    return ("<p><b>Just below a threshold</b> (they will push to reach it):</p>"
            "<table><tr><th>customer</th><th>volume</th><th>missing</th>"
            "<th>next rate</th><th>next tier worth</th></tr>" + rows + "</table>" + more)


def _volume(x, basis: str) -> str:
    return formatting.eur(x) if basis == "EUR" else formatting.kg(x)


@interactive
def break_even_explorer(rebate: float = 0.02, contribution_margin: float = 0.20,
                        elasticity: float = -2.5):
    """Sliders for a rebate (price cut), the contribution margin and the customer's
    elasticity; shows the break-even volume increase −ΔP / (CM + ΔP) (Nagle &
    Müller), the volume the customer gives back (1 + ΔP)^ε − 1, the break-even
    elasticity and the verdict. Returns an ``ipywidgets.VBox``."""
    import ipywidgets as w

    cut = w.FloatSlider(value=100 * rebate, min=0.0, max=15.0, step=0.25,
                        description="rebate %", continuous_update=False)
    cm = w.FloatSlider(value=100 * contribution_margin, min=2.0, max=60.0, step=1.0,
                       description="margin %", continuous_update=False)
    el = w.FloatSlider(value=elasticity, min=-8.0, max=-0.1, step=0.1,
                       description="elasticity", continuous_update=False,
                       readout_format=".1f")
    out = w.HTML()

    def recompute(*_):
        dp, m, e = -cut.value / 100, cm.value / 100, el.value
        be = rebates.break_even_volume_change(dp, m)
        got = rebates.volume_response(dp, e)
        e_star = rebates.break_even_elasticity(dp, m)
        if dp == 0:
            verdict = "No rebate, nothing to earn back."
        elif not np.isfinite(be):
            verdict = "<b>Never pays</b>: the rebate is larger than the margin."
        elif got >= be:
            verdict = "<b>Pays</b>: the customer gives back more volume than needed."
        else:
            verdict = "<b>Does not pay</b>: the extra volume does not cover the rebate."
        out.value = (f"Break-even: <b>{formatting.pct(be, 1)}</b> more volume "
                     f"(−ΔP / (CM + ΔP) = {cut.value / 100:.3f} / {m + dp:.3f}).<br>"
                     f"At ε = {e:.1f} the customer buys {formatting.pct(got, 1)} more. "
                     f"It pays from ε = {e_star:.1f}.<br>{verdict}")

    for wd in (cut, cm, el):
        wd.observe(recompute, names="value")
    recompute()
    return w.VBox([cut, cm, el, out])
