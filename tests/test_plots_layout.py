"""Figure layout with known answers: no label on a title or a tick label, each value
labelled at its own curve (kamlib.plots.selection)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from kamlib import selection  # noqa: E402
from kamlib.plots import alt_text  # noqa: E402
from kamlib.plots import selection as plots  # noqa: E402


def _text_box(t, r):
    """The box of a text's letters (an annotation's own extent includes its leader line)."""
    return Text.get_window_extent(t, r)


def _boxes(ax):
    fig = ax.figure
    fig.canvas.draw()
    return fig.canvas.get_renderer()


@pytest.fixture(autouse=True)
def _close():
    from kamlib import notebook

    notebook.setup()  # the chapters' look: font sizes, bold titles, dpi
    yield
    plt.close("all")


def test_waterfall_title_is_clear_of_the_top_label():
    # the chapter's worst customer on the sample, where the trainee saw the overlap
    row = pd.Series({"list_revenue": 9_344e3, "discount": 3_198e3, "cost_of_goods": 6_887e3,
                     "rebate": 307e3, "cost_to_serve": 153e3, "profit": -1_201e3,
                     "gross_margin": -741e3, "customer_name": "Farrow Food Solutions S.L."})
    ax = plots.profit_waterfall(row)
    r = _boxes(ax)
    title = ax.title.get_window_extent(r)
    labels = [t for t in ax.texts if t.get_text()]
    assert [t.get_text() for t in labels][0] == "9,344"
    for t in labels:
        box = _text_box(t, r)
        assert not box.overlaps(title), t.get_text()
        frame = ax.get_window_extent(r)
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1, t.get_text()  # inside the axes
    # the highest label is inside the axes with clear space above it, well under the title
    top = max((_text_box(t, r) for t in labels), key=lambda b: b.y1)
    assert ax.get_window_extent(r).y1 - top.y1 >= 0.5 * top.height
    assert title.y0 - top.y1 >= 1.0 * top.height


def _ka(n=60):
    rng = np.random.default_rng(1)
    profit = rng.normal(0, 50e3, n)
    profit[:5] = [-1_500e3, -1_200e3, -600e3, -400e3, -300e3]  # the loss makers named
    future = profit * 1.1
    quad = np.where(profit > 2e3, np.where(future > 2e3, "best", "keep"),
                    np.where(future > 2e3, "invest", "worst"))
    names = [f"Customer number {i} Ingredients S.A." for i in range(n)]
    ka = pd.DataFrame({"profit": profit, "future_profit": future,
                       "profitability_quadrant": quad, "customer_name": names},
                      index=[f"C{i:03d}" for i in range(n)])
    ka.attrs["thresholds"] = {"profit_now": 2e3}
    return ka


def test_now_future_names_stay_inside_the_axes_and_off_the_tick_labels():
    ka = _ka()
    ax = plots.now_future(ka, highlight=list(ka.index[:5]))
    r = _boxes(ax)
    frame = ax.get_window_extent(r)
    names = [t for t in ax.texts if t.get_text().startswith("Customer")]
    assert len(names) == 5
    ticks = [t.get_window_extent(r) for t in ax.get_xticklabels() + ax.get_yticklabels()
             if t.get_text()]
    boxes = [_text_box(t, r) for t in names]
    for t, box in zip(names, boxes):
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 + 40, t.get_text()
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1, t.get_text()
        assert not any(box.overlaps(tb) for tb in ticks), t.get_text()
        assert not box.overlaps(ax.xaxis.label.get_window_extent(r))
    for i in range(len(boxes) - 1):  # stacked, not on top of each other
        assert not any(boxes[i].overlaps(b) for b in boxes[i + 1:])
    # in the points' vertical order: the lowest point has the lowest label
    by_point = sorted(names, key=lambda t: t.xy[1])
    assert [_text_box(t, r).y0 for t in by_point] == sorted(b.y0 for b in boxes)


def test_margin_multiple_labels_sit_at_their_own_curve():
    d = 0.10
    ax = plots.margin_multiples(d, marks=(0.8, 0.9))
    r = _boxes(ax)
    inv = ax.transData.inverted()
    curves = {"end": lambda p: p / (1 + d - p), "start": lambda p: (1 + d) / (1 + d - p)}
    labels = [t for t in ax.texts if str(t.get_gid()).startswith("margin-multiple-")]
    assert sorted(t.get_text() for t in labels) == ["2.7×", "3.7×", "4.5×", "5.5×"]
    for t in labels:
        own = t.get_gid().removeprefix("margin-multiple-")
        other = "start" if own == "end" else "end"
        # the value shown is the one of the point it labels, on its own curve
        x, y = t.xy
        assert y == pytest.approx(curves[own](x / 100))
        assert t.get_text() == f"{selection.margin_multiple(x / 100, d, own):.1f}×"
        box = _text_box(t, r)
        cx, cy = inv.transform(((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2))
        p = min(cx / 100, 0.95)
        assert abs(cy - curves[own](p)) < abs(cy - curves[other](p)), t.get_text()


def test_figure_description_does_not_double_a_full_stop():
    row = pd.Series({"list_revenue": 1e6, "discount": 1e5, "cost_of_goods": 5e5, "rebate": 1e4,
                     "cost_to_serve": 1e4, "profit": 3.8e5, "gross_margin": 4e5,
                     "customer_name": "Farrow S.L."})
    ax = plots.profit_waterfall(row)
    assert alt_text.describe(ax.figure).startswith("From list price to profit: Farrow S.L. y: ")


def test_health_components_legend_is_off_the_score_labels():
    from kamlib import review
    from kamlib.plots import review as review_plots

    # the sample's C0072: full scores at the bottom, where the legend used to sit
    scores = {"volume": 14, "share_of_wallet": 0, "margin": 100, "complaints": 0,
              "resolution": 73, "contacts": 0.4, "delivery": 8, "service_gap": 100}
    row = pd.Series({f"{c}_score": v for c, v in scores.items()} | {"health": 26})
    ax = review_plots.health_components(row, {c: 1.0 for c in review.COMPONENTS})
    r = _boxes(ax)
    legend = ax.get_legend().get_window_extent(r)
    labels = [t for t in ax.texts if t.get_text()]
    assert sorted(t.get_text() for t in labels).count("100") == 2
    for t in labels:
        assert not _text_box(t, r).overlaps(legend), t.get_text()
    for patch in ax.patches:  # nor on a bar
        assert not patch.get_window_extent(r).overlaps(legend)


def _line_points(ax, r):
    """Points along the data lines (their segments too, 20 per segment), in pixels."""
    out = []
    for ln in ax.get_lines():
        xy = ln.get_transform().transform(np.asarray(ln.get_xydata(), dtype=float))
        if len(xy) < 3 and ln.get_marker() in ("None", ""):
            continue  # a reference line (threshold), not data
        t = np.linspace(0, 1, 20)[:, None]
        out.append(np.vstack([a + t * (b - a) for a, b in zip(xy[:-1], xy[1:])] or [xy]))
    return np.vstack(out)


def test_health_trend_legend_is_off_a_line_at_100():
    from kamlib.plots import review as review_plots

    dates = pd.to_datetime(["2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31"])
    trend = pd.DataFrame({"customer_id": ["C0018"] * 4 + ["C0105"] * 4,
                          "as_of": list(dates) * 2,
                          "health": [39, 51, 50, 45, 98, 97.5, 98, 100]})
    ax = review_plots.health_trend(trend, ["C0018", "C0105"], threshold=50)
    r = _boxes(ax)
    legend = ax.get_legend().get_window_extent(r)
    for x, y in _line_points(ax, r):
        assert not legend.contains(x, y)
    top = ax.transData.transform((0, 100))[1]
    assert top < ax.get_window_extent(r).y1  # a marker at 100 is not cut by the frame


def test_threshold_curve_legend_is_off_the_curves():
    from kamlib.plots import review as review_plots

    th = np.arange(35, 80, 5)
    recall = np.array([55, 75, 89, 94, 97, 99, 99, 100, 100]) / 100
    precision = np.array([100, 98, 95, 92, 80, 63, 47, 35, 26]) / 100
    curves = pd.DataFrame({"threshold": th, "planted": 100, "caught": recall * 100,
                           "flagged": recall * 100 / precision})
    ax = review_plots.threshold_curve(curves, 50)
    r = _boxes(ax)
    legend = ax.get_legend().get_window_extent(r)
    for x, y in _line_points(ax, r):
        assert not legend.contains(x, y)
    chosen = ax.transData.transform((50, 50))[0]  # nor across the chosen threshold's line
    assert not legend.x0 <= chosen <= legend.x1
