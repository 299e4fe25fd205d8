"""Workshop widget of the service chapter: try visit frequencies and capacity, see
whether the visit plan still fits, save the decision to the settings file.

ipywidgets is imported here only (the library itself does not need it).
"""

from __future__ import annotations

from pathlib import Path

from kamlib import service
from kamlib.widgets import interactive


@interactive
def visit_plan_explorer(accounts, s, customers=None, settings_file: str | Path | None = None):
    """Sliders for the visits a year of classes A, B, C and the weekly capacity; the
    plan is recomputed with :func:`kamlib.service.visit_plan` on each change and
    summarised (visits, accounts that cannot get their frequency, busiest week), with
    the weekly load picture. "Save to settings file" writes the values to
    ``settings_file`` (``kamlib.settings.replace`` + ``save``).

    Returns an ``ipywidgets.VBox``. Builds and displays without waiting for input, so
    it runs headless (papermill).
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt

    from kamlib import settings as settings_mod
    from kamlib.plots import service as service_plots

    vs = s.service.visits
    cycles = [(f"{n} ({name})", n) for n, name in service.VISIT_CYCLES.items()]
    pickers = {
        cls: w.Dropdown(options=cycles, value=vs.per_year_by_class.get(cls, 0),
                        description=f"class {cls}", layout=w.Layout(width="230px"))
        for cls in ("A", "B", "C")
    }
    capacity = w.IntSlider(value=vs.capacity_per_week, min=1, max=20,
                           description="visits/week", continuous_update=False)
    summary = w.HTML()
    picture = w.Output()
    save = w.Button(description="Save to settings file", icon="save",
                    disabled=settings_file is None)
    saved = w.HTML()
    state = {}

    def current_settings():
        per_class = {**vs.per_year_by_class, **{c: p.value for c, p in pickers.items()}}
        s2 = settings_mod.replace(s, "service.visits.per_year_by_class", per_class)
        return settings_mod.replace(s2, "service.visits.capacity_per_week", capacity.value)

    def recompute(*_):
        s2 = current_settings()
        plan = service.visit_plan(accounts, s2, customers=customers)
        state["settings"] = s2
        load = plan.load()
        busiest = int(load.to_numpy().max()) if load.size else 0
        missing = int((plan.unplanned["visits_required"]
                       - plan.unplanned["visits_planned"]).sum()) if len(plan.unplanned) else 0
        summary.value = (
            f"<b>{len(plan.visits)}</b> visits planned for {plan.year}; "
            f"<b>{plan.unplanned['customer_id'].nunique()}</b> accounts cannot get their "
            f"frequency ({missing} visits missing); busiest week: {busiest} visits."
        )
        saved.value = ""
        picture.clear_output(wait=True)
        with picture:
            ax = service_plots.visit_load(plan)
            plt.show()
            plt.close(ax.figure)

    def on_save(_):
        path = settings_mod.save(state["settings"], settings_file)
        saved.value = f"Saved to <code>{path}</code>."

    for p in pickers.values():
        p.observe(recompute, names="value")
    capacity.observe(recompute, names="value")
    save.on_click(on_save)
    recompute()
    return w.VBox([w.HBox(list(pickers.values())), capacity, summary, picture,
                   w.HBox([save, saved])])
