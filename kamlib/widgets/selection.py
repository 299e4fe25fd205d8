"""Workshop widgets of chapter 01, choosing key customers.

The static result always comes first in the chapter; these widgets let a workshop play
with the decisions and save the ones it agrees on to the settings file. Every callback
recomputes through :mod:`kamlib.selection` (no logic lives here).

    from kamlib.widgets import selection as selection_widgets
    selection_widgets.key_account_workshop(kd, s, settings_file="../kam_settings.toml")

ipywidgets is imported inside this module only.
"""

from __future__ import annotations

import dataclasses
import html

import ipywidgets as W
import pandas as pd
from IPython.display import display

from kamlib import costing, selection
from kamlib.widgets import interactive


def _settings_with(s, **changes):
    """Copy of Settings ``s`` with dotted-key changes (validated like the file)."""
    from kamlib import settings as settings_mod

    for key, value in changes.items():
        s = settings_mod.replace(s, key, value)
    return s


def _table_html(df: pd.DataFrame, max_rows: int = 15) -> str:
    """A small, plain HTML table (escaped), for the widgets' output."""
    d = df.head(max_rows)
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{html.escape(str(c))}</th>"
                   for c in ["customer"] + list(d.columns))
    rows = []
    for idx, r in d.iterrows():  # at most max_rows rows: display only
        cells = "".join(f"<td style='padding:2px 8px'>{html.escape(str(v))}</td>"
                        for v in [idx] + list(r.to_numpy()))
        rows.append(f"<tr>{cells}</tr>")
    return (f"<table style='font-size:12px;border-collapse:collapse'><tr>{head}</tr>"
            + "".join(rows) + "</table>")


def _summary(ka: pd.DataFrame) -> str:
    key = ka.loc[ka["is_key"]]
    by_class = key["abc_class"].value_counts().reindex(list(selection.CLASSES), fill_value=0)
    losers = int((ka["is_loss_maker"] & ka["abc_class"].eq("A")).sum())
    return (f"<b>{len(key)} key accounts</b> "
            f"(class A {by_class['A']}, B {by_class['B']}, C {by_class['C']}); "
            f"they bring {key['revenue'].sum() / max(ka['revenue'].sum(), 1):.0%} of revenue "
            f"and {key['profit'].sum() / max(ka['profit'].sum(), 1):.0%} of profit. "
            f"Class A loss makers: {losers}.")


def key_account_table_view(ka: pd.DataFrame, max_rows: int = 15) -> pd.DataFrame:
    """The columns a workshop looks at, for the key accounts, best score first."""
    k = ka.loc[ka["is_key"]].sort_values("score", ascending=False)
    out = pd.DataFrame({
        "name": k["customer_name"],
        "class": k["abc_class"],
        "tier": k["pyramid_tier"],
        "score": k["score"].round(0).astype("int64"),
        "profit (EUR k)": (k["profit"] / 1e3).round(0).astype("int64"),
        "portfolio": k["portfolio_action"],
    })
    return out.head(max_rows)


RULE_LABELS = {
    "abc": "class A or B",
    "abc_and_score": "class A or B; A needs the min score",
    "score_min": "score at least the min score",
    "score_top_n": "the top N scores",
}
"""The key-account rules (:data:`kamlib.selection.KEY_RULES`) in words, for the menu."""


@interactive
def key_account_workshop(kd, s, settings_file: str | None = None, facts=None,
                         show_chart: bool = True, *, on_change=None, prepare=None,
                         table_html=None):
    """Sliders for the scorecard weights and the key-account thresholds; the list, a
    summary and the score breakdown of the best ten update on every change.

    ``kd``: the data; ``s``: the whole Settings; ``settings_file``: where "Save to
    settings file" writes (none: the button is disabled); ``facts``:
    :func:`selection.customer_facts` if already computed. Returns the widget.

    For an app built around it (the workshop app): ``prepare(settings) -> settings``
    is applied before each decision (e.g. to add the list overrides);
    ``on_change(settings, key_account_table)`` is called after each; ``table_html(ka)``
    replaces the table's HTML. With ``on_change`` and no ``settings_file`` the save
    button is hidden (the app saves). The returned box has ``refresh()`` (recompute
    now, e.g. after the overrides changed) and ``controls`` (the widgets by name).
    """
    facts = selection.customer_facts(kd, s) if facts is None else facts
    state = {"s": s, "busy": False}
    sc = s.selection.scorecard

    goal = W.Dropdown(options=list(selection.GOAL_PRESETS) + ["custom"], value=sc.goal,
                      description="Goal", style={"description_width": "70px"})
    raw = sc.weights if sc.goal == "custom" else selection.GOAL_PRESETS[sc.goal]
    sliders = {}
    for c, crit in selection.CRITERIA.items():
        sliders[c] = W.FloatSlider(value=float(raw.get(c, 0.0)), min=0, max=5, step=0.5,
                                   description=crit.label, continuous_update=False,
                                   tooltip=f"{crit.label}: {crit.meaning}",
                                   style={"description_width": "125px"},
                                   layout=W.Layout(width="305px"))
    families = [W.VBox([W.HTML(f"<b>{fam}</b>")]
                       + [sl for c, sl in sliders.items()
                          if selection.CRITERIA[c].family == fam])
                for fam in selection.FAMILIES]
    ka_s, ab = s.selection.key_accounts, s.selection.abc
    rule = W.Dropdown(options=[(RULE_LABELS.get(r, r), r) for r in selection.KEY_RULES],
                      value=ka_s.rule, description="Rule",
                      style={"description_width": "110px"}, layout=W.Layout(width="300px"))
    min_score = W.FloatSlider(value=ka_s.min_score, min=0, max=100, step=1,
                              description="Min score", continuous_update=False,
                              style={"description_width": "110px"})
    top_n = W.IntSlider(value=ka_s.top_n, min=0, max=150, description="Top N (score)",
                        continuous_update=False, style={"description_width": "110px"})
    loss = W.Dropdown(options=[("not key", "exclude"), ("key, flagged", "flag"),
                               ("key", "include")], value=ka_s.loss_makers,
                      description="Loss makers", style={"description_width": "110px"},
                      layout=W.Layout(width="300px"))
    top_share = W.FloatSlider(value=ab.top_share, min=0.05, max=0.5, step=0.01,
                              description="A: top share", readout_format=".0%",
                              continuous_update=False, style={"description_width": "110px"})
    growth_min = W.FloatSlider(value=ab.growth_min, min=0.0, max=0.5, step=0.01,
                               description="B: growth ≥", readout_format=".0%",
                               continuous_update=False, style={"description_width": "110px"})
    loyalty_min = W.FloatSlider(value=ab.loyalty_min, min=1, max=5, step=0.5,
                                description="B: cooperation ≥", continuous_update=False,
                                style={"description_width": "110px"})
    thresholds = W.VBox([W.HTML("<b>Thresholds</b>"), rule, min_score, top_n, loss,
                         top_share, growth_min, loyalty_min])
    save = W.Button(description="Save to settings file", icon="save",
                    disabled=settings_file is None,
                    tooltip=str(settings_file) if settings_file else "no settings file given")
    status = W.HTML()
    summary = W.HTML()
    table = W.HTML()
    chart = W.Output()

    def current_settings():
        weights = {c: sl.value for c, sl in sliders.items() if sl.value > 0}
        changes = {
            "selection.key_accounts.rule": rule.value,
            "selection.key_accounts.min_score": float(min_score.value),
            "selection.key_accounts.top_n": int(top_n.value),
            "selection.key_accounts.loss_makers": loss.value,
            "selection.abc.top_share": float(top_share.value),
            "selection.abc.growth_min": float(growth_min.value),
            "selection.abc.loyalty_min": float(loyalty_min.value),
        }
        new = _settings_with(s, **changes)
        if goal.value == "custom":
            return selection.with_goal(new, "custom", weights)
        return selection.with_goal(new, goal.value)

    def refresh(*_):
        if state["busy"]:
            return
        try:
            new = current_settings()
        except ValueError as exc:  # SettingsError: say what is wrong, keep the last result
            status.value = f"<span style='color:#a00'>{html.escape(str(exc))}</span>"
            return
        if prepare is not None:
            try:
                new = prepare(new)
            except ValueError as exc:
                status.value = f"<span style='color:#a00'>{html.escape(str(exc))}</span>"
                return
        state["s"] = new
        ka = selection.decide(facts, new)
        status.value = ""
        summary.value = _summary(ka)
        table.value = (table_html(ka) if table_html is not None
                       else _table_html(key_account_table_view(ka)))
        if on_change is not None:
            on_change(new, ka)
        if show_chart:  # matplotlib imported only here: the workshop app shows no chart
            import matplotlib.pyplot as plt

            from kamlib.plots import selection as plots

            chart.clear_output(wait=True)
            with chart:
                best = ka.loc[ka["is_active"]].sort_values("score", ascending=False).index[:10]
                ax = plots.score_breakdown(selection.score_breakdown(facts, new, best),
                                           ka["customer_name"], hatched=False)
                display(ax.figure)
                plt.close(ax.figure)

    def on_goal(change):
        if change["new"] != "custom":
            state["busy"] = True
            preset = selection.GOAL_PRESETS[change["new"]]
            for c, sl in sliders.items():
                sl.value = float(preset.get(c, 0.0))
            state["busy"] = False
        refresh()

    def on_slider(_):
        if state["busy"]:
            return
        if goal.value != "custom":
            state["busy"] = True
            goal.value = "custom"
            state["busy"] = False
        refresh()

    def on_save(_):
        from kamlib import settings as settings_mod

        try:
            path = settings_mod.save(state["s"], settings_file)
        except OSError as exc:
            status.value = f"<span style='color:#a00'>Could not save: {html.escape(str(exc))}</span>"
            return
        status.value = f"Saved to {html.escape(str(path))}."

    goal.observe(on_goal, names="value")
    for sl in sliders.values():
        sl.observe(on_slider, names="value")
    for w in (rule, min_score, top_n, loss, top_share, growth_min, loyalty_min):
        w.observe(refresh, names="value")
    save.on_click(on_save)
    if on_change is not None and settings_file is None:
        save.layout.display = "none"
    refresh()
    controls = W.HBox(families + [thresholds])
    box = W.VBox([goal, controls, W.HBox([save, status]), summary, table, chart])
    box.refresh = refresh
    box.controls = {"goal": goal, "rule": rule, "min_score": min_score, "top_n": top_n,
                    "loss_makers": loss, "abc_top_share": top_share,
                    "abc_growth_min": growth_min, "abc_loyalty_min": loyalty_min,
                    **{f"weight_{c}": sl for c, sl in sliders.items()}}
    return box


@interactive
def cost_to_serve_workshop(kd, s, customers=None):
    """Sliders for the unit minutes of each activity and the freight per delivery; shows
    the cost to serve and profit of ``customers`` (default: the five largest) and the
    number of loss makers. Returns the widget."""
    c0 = s.selection.cost_to_serve
    rates = costing.activity_rates(c0)
    year = s.period.analysis_year
    base = selection.customer_facts(kd, s)
    if customers is None:
        customers = base.loc[base["is_active"]].sort_values("revenue", ascending=False).index[:5]
    customers = list(customers)
    sliders = {a: W.FloatSlider(value=float(rates.loc[a, "unit_minutes"]), min=0,
                                max=max(60.0, float(rates.loc[a, "unit_minutes"]) * 3), step=5,
                                description=a, continuous_update=False,
                                style={"description_width": "120px"})
               for a in costing.ACTIVITIES}
    freight = W.FloatSlider(value=c0.freight_per_delivery, min=0, max=500, step=10,
                            description="freight/delivery", continuous_update=False,
                            style={"description_width": "120px"})
    out = W.HTML()

    def refresh(*_):
        minutes = {a: sl.value for a, sl in sliders.items()}
        cs = dataclasses.replace(c0, unit_minutes=minutes,
                                 freight_per_delivery=float(freight.value))
        cts = costing.cost_to_serve(kd, cs, [year])["cost_to_serve"].reindex(base.index)
        profit = base["profit"] + base["cost_to_serve"] - cts
        t = pd.DataFrame({
            "name": base.loc[customers, "customer_name"],
            "revenue (EUR k)": (base.loc[customers, "revenue"] / 1e3).round(0).astype("int64"),
            "cost to serve (EUR k)": (cts[customers] / 1e3).round(1),
            "profit (EUR k)": (profit[customers] / 1e3).round(0).astype("int64"),
        })
        n_loss = int(((profit < 0) & (base["is_active"] | (cts > 0))).sum())
        out.value = (f"<b>{n_loss} customers lose money</b> at these unit times "
                     f"(total cost to serve EUR {cts.sum() / 1e6:.2f} m).<br>"
                     + _table_html(t, max_rows=len(customers)))

    for w in list(sliders.values()) + [freight]:
        w.observe(refresh, names="value")
    refresh()
    left = list(sliders.values())
    return W.VBox([W.HBox([W.VBox(left[:6]), W.VBox(left[6:] + [freight])]), out])


@interactive
def lifetime_value_explorer(margin: float = 50_000.0, s=None):
    """Sliders for retention, discount rate and the timing convention; shows the margin
    multiple and the lifetime value of a customer earning ``margin`` EUR a year."""
    lv = (s.selection.lifetime_value if s is not None else selection.LifetimeValueSettings())
    r = W.FloatSlider(value=lv.retention, min=0.0, max=0.98, step=0.01, description="retention",
                      readout_format=".0%", continuous_update=False)
    d = W.FloatSlider(value=lv.discount_rate, min=0.0, max=0.3, step=0.01,
                      description="discount rate", readout_format=".0%",
                      continuous_update=False)
    conv = W.ToggleButtons(options=[("first margin in a year", "end"),
                                    ("first margin now", "start")], value=lv.convention)
    out = W.HTML()

    def refresh(*_):
        k = selection.margin_multiple(r.value, d.value, conv.value)
        out.value = (f"Margin multiple <b>{k:.2f}</b>: a customer earning EUR {margin:,.0f} a "
                     f"year is worth <b>EUR {margin * k:,.0f}</b> today.")

    for w in (r, d, conv):
        w.observe(refresh, names="value")
    refresh()
    return W.VBox([r, d, conv, out])
