"""Workshop widget of the segmentation chapter: move the rule's threshold, see how many
key accounts land in each segment and where they sit on the segment map, save the
decision to the settings file.

ipywidgets is imported here only (the library itself does not need it).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from kamlib import segmentation
from kamlib.widgets import interactive


@interactive
def segment_explorer(kd, s, customers=None, settings_file: str | Path | None = None):
    """A slider for ``stand_out`` (the family score a driver needs), a choice of the
    mixed rule and of the reference group; the segments are recomputed with kamlib's
    rule on each change (the indicators are computed once) and shown as counts and as
    the segment map. "Save to settings file" writes the three values to
    ``settings_file`` (``kamlib.settings.replace`` + ``save``).

    ``kd``: KamData; ``s``: Settings; ``customers``: ids (None = the key accounts).
    Returns an ``ipywidgets.VBox``. Builds and displays without waiting for input, so it
    runs headless (papermill).
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from IPython.display import display

    from kamlib import settings as settings_mod
    from kamlib.plots import segmentation as seg_plots

    seg0, years = segmentation._sections(s, kd)
    ids = segmentation._customer_ids(kd, s, customers)
    allind = segmentation._all_indicators(kd, seg0, years)

    stand_out = w.FloatSlider(value=seg0.stand_out, min=0.1, max=1.5, step=0.05,
                              description="stand-out", continuous_update=False,
                              readout_format=".2f")
    rule = w.Dropdown(options=[("every family that stands out", "stand_out"),
                               (f"only within {seg0.mixed_margin:g} of the top family", "margin")],
                      value=seg0.mixed_rule, description="drivers",
                      layout=w.Layout(width="380px"))
    reference = w.Dropdown(options=[("all active customers", "active"),
                                    ("only these customers", "classified")],
                           value=seg0.reference, description="compare with",
                           layout=w.Layout(width="380px"))
    summary = w.HTML()
    picture = w.Output()
    save = w.Button(description="Save to settings file", icon="save",
                    disabled=settings_file is None)
    saved = w.HTML()
    state = {}

    def recompute(*_):
        seg = dataclasses.replace(seg0, stand_out=float(stand_out.value),
                                  mixed_rule=rule.value, reference=reference.value)
        table = segmentation._segments_from(allind, ids, seg)
        state["seg"] = seg
        counts = table["segment"].value_counts()
        parts = [f"{name}: <b>{int(counts.get(name, 0))}</b>"
                 for name in segmentation.SEGMENTS]
        summary.value = (f"{len(table)} customers - " + ", ".join(parts)
                         + f". Median confidence {table['confidence'].median():.2f}.")
        saved.value = ""
        picture.clear_output(wait=True)
        with picture:
            ax = seg_plots.segment_map(table)
            display(ax.figure)
            plt.close(ax.figure)

    def on_save(_):
        seg = state["seg"]
        s2 = s
        for key in ("stand_out", "mixed_rule", "reference"):
            s2 = settings_mod.replace(s2, f"segmentation.{key}", getattr(seg, key))
        path = settings_mod.save(s2, settings_file)
        saved.value = f"Saved to <code>{path}</code>."

    for control in (stand_out, rule, reference):
        control.observe(recompute, names="value")
    save.on_click(on_save)
    recompute()
    return w.VBox([stand_out, rule, reference, summary, picture, w.HBox([save, saved])])
