"""Figures of the segmentation chapter: a customer's indicator profile, the segment map,
the elasticity fit, family scores against the answer key, the confusion matrix and the
customer-benefit view.

Each function takes ``ax=None`` (a new figure of the default size when ``None``) and
returns the Axes. Readable in black and white: markers, hatches and greys carry the
meaning, not colour alone.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from kamlib import segmentation
from kamlib.plots import new_axes as _ax

FAMILY_STYLE = {
    "price": {"hatch": "", "face": "0.35", "marker": "o", "angle": 90.0},
    "service": {"hatch": "///", "face": "0.85", "marker": "s", "angle": 210.0},
    "technology": {"hatch": "...", "face": "white", "marker": "^", "angle": 330.0},
}
SEGMENT_STYLE = {
    "price": {"marker": "o", "face": "0.3", "size": 40},
    "service": {"marker": "s", "face": "0.75", "size": 38},
    "technology": {"marker": "^", "face": "white", "size": 46},
    "mixed": {"marker": "D", "face": "0.55", "size": 34},
    "unclear": {"marker": "x", "face": "black", "size": 40},
}




def _value_text(indicator: str, v: float) -> str:
    kind = segmentation.INDICATOR[indicator].kind
    if not np.isfinite(v):
        return "n/a"
    if kind == "share":
        return f"{100 * v:.0f}%"
    if kind == "change":
        return f"{100 * v:+.0f}%"
    if kind == "elasticity":
        return f"{v:.1f}"
    return f"{v:.2f}" if abs(v) < 1 else f"{v:.1f}"


def indicator_profile(profile: pd.DataFrame, ax=None, *, stand_out: float | None = None,
                      title: str | None = None):
    """One customer's indicators as standardised bars (+ = more sensitive than the
    typical customer), grouped by family, each labelled with its value and the typical
    value. ``profile``: :func:`kamlib.segmentation.profile`."""
    ax = _ax(ax, (7.0, 5.2))
    p = profile.iloc[::-1]
    y = np.arange(len(p))
    z = p["z"].to_numpy(dtype=float)
    lim = max(3.0, float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 3.0)
    for fam, st in FAMILY_STYLE.items():
        m = (p["family"] == fam).to_numpy()
        ax.barh(y[m], np.nan_to_num(z[m]), color=st["face"], hatch=st["hatch"],
                edgecolor="black", linewidth=0.6, label=f"{fam} indicators")
    for yi, (name, row) in zip(y, p.iterrows()):
        txt = (f"{_value_text(name, row['value'])} (typ. "
               f"{_value_text(name, row['typical'])})")
        zi = row["z"]
        if not np.isfinite(zi):
            ax.text(0.05, yi, "n/a - " + txt, va="center", fontsize=7, color="0.3")
            continue
        x = zi + (0.08 if zi >= 0 else -0.08)
        ax.text(x, yi, txt, va="center", ha="left" if zi >= 0 else "right", fontsize=7)
    ax.axvline(0, color="black", linewidth=0.8)
    if stand_out is not None:
        ax.axvline(stand_out, color="0.4", linestyle="--", linewidth=0.8)
        ax.text(stand_out, len(p) - 0.4, f" stand-out {stand_out:g}", fontsize=7,
                color="0.3", va="bottom")
    ax.set_yticks(y, p["label"].to_list(), fontsize=8)
    ax.set_xlim(-lim - 0.3, lim + 1.6)
    ax.set_xlabel("Standardised value (robust SD from the typical customer; + = more "
                  "sensitive)")
    ax.set_title(title or "Indicator profile")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", fontsize=7)
    return ax


def _project(scores: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each customer pulled towards the families it scores above typical on."""
    x = np.zeros(len(scores))
    y = np.zeros(len(scores))
    for fam, st in FAMILY_STYLE.items():
        f = np.clip(np.nan_to_num(scores[f"{fam}_score"].to_numpy(dtype=float)), 0, None)
        a = np.deg2rad(st["angle"])
        x += f * np.cos(a)
        y += f * np.sin(a)
    return x, y


def segment_map(seg_table: pd.DataFrame, ax=None, *, label: list[str] | None = None,
                title: str | None = None):
    """The segment map: each customer is a point pulled towards the families it scores
    above typical on (price up, service lower left, technology lower right; distance =
    the family score). One-driver customers sit on an axis, mixed ones between two,
    unclear ones near the centre. Markers show the assigned segment.
    ``seg_table``: :func:`kamlib.segmentation.segments`; ``label``: ids to annotate."""
    ax = _ax(ax, (6.4, 5.6))
    x, y = _project(seg_table)
    r = max(1.5, float(np.nanmax(np.hypot(x, y))) * 1.1 if len(x) else 1.5)
    for fam, st in FAMILY_STYLE.items():
        a = np.deg2rad(st["angle"])
        ax.plot([0, r * np.cos(a)], [0, r * np.sin(a)], color="0.6", linewidth=0.8,
                linestyle="--", zorder=1)
        ax.text(1.04 * r * np.cos(a), 1.04 * r * np.sin(a), fam, ha="center",
                va="center", fontsize=10, fontweight="bold")
    segs = seg_table["segment"].astype(str).to_numpy()
    for sname, st in SEGMENT_STYLE.items():
        m = segs == sname
        if not m.any():
            continue
        kw = {"facecolors": st["face"], "edgecolors": "black"} if st["marker"] != "x" \
            else {"c": "black"}
        ax.scatter(x[m], y[m], s=st["size"], marker=st["marker"], linewidths=0.7,
                   label=f"{sname} ({int(m.sum())})", zorder=3, **kw)
    for cid in label or []:
        if cid in seg_table.index:
            i = seg_table.index.get_loc(cid)
            ax.annotate(str(cid), (x[i], y[i]), xytext=(4, 4), textcoords="offset points",
                        fontsize=8)
    ax.set_xlim(-1.25 * r, 1.25 * r)
    ax.set_ylim(-0.85 * r, 1.2 * r)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("distance from the centre along an axis = that family's score "
                  "(scores below 0 count as 0)", fontsize=8)
    ax.set_title(title or "Segment map of the key accounts")
    ax.legend(loc="upper left", fontsize=8, title="assigned segment", title_fontsize=8)
    return ax


def elasticity_fit(points: pd.DataFrame, elasticity: float | None = None,
                   se: float | None = None, ax=None, *, title: str | None = None):
    """The log-log fit behind a customer's price elasticity: season-adjusted log price
    index (x) against season-adjusted log volume (y), one point per quarter, with the
    fitted slope. ``points``: :func:`kamlib.segmentation.elasticity_points`."""
    ax = _ax(ax, (6.0, 4.0))
    x = points["log_price"].to_numpy(dtype=float)
    y = points["log_volume"].to_numpy(dtype=float)
    ax.scatter(100 * x, 100 * y, marker="o", facecolors="white", edgecolors="black", s=30)
    if elasticity is not None and np.isfinite(elasticity):
        xs = np.linspace(x.min(), x.max(), 2)
        lab = f"slope = elasticity {elasticity:.1f}"
        if se is not None and np.isfinite(se):
            lab += f" ± {se:.1f}"
        ax.plot(100 * xs, 100 * elasticity * xs, color="black", linewidth=1.2, label=lab)
        ax.legend(loc="upper right", fontsize=8)
    else:
        ax.text(0.5, 0.92, "no elasticity: not enough price variation or history",
                transform=ax.transAxes, ha="center", fontsize=8)
    ax.axhline(0, color="0.6", linewidth=0.6)
    ax.axvline(0, color="0.6", linewidth=0.6)
    ax.set_xlabel("Price index vs its usual level for that quarter (%, log scale)")
    ax.set_ylabel("Volume vs its usual level for that quarter (%, log scale)")
    ax.set_title(title or "Does volume follow price? (one point per quarter)")
    return ax


def scores_by_type(seg_table: pd.DataFrame, answer_key: pd.DataFrame, ax=None, *,
                   stand_out: float | None = None, title: str | None = None):
    """Family scores of the customers, grouped by their true type (answer key): one row
    per true type, one marker per family. Shows how well each family separates."""
    ax = _ax(ax, (7.0, 4.2))
    ak = answer_key.set_index("customer_id") if "customer_id" in answer_key.columns \
        else answer_key
    truth = ak["sensitivity"].astype(str).where(ak["sensitivity"] != "mixed",
                                                 "mixed: " + ak.get("mixed_types",
                                                                    "").astype(str))
    j = seg_table.join(truth.rename("truth"), how="inner")
    types = [t for t in ["price", "service", "technology", "mixed: price+service",
                         "mixed: price+technology", "mixed: service+technology"]
             if t in set(j["truth"])]
    rng = np.random.default_rng(0)
    for k, (fam, st) in enumerate(FAMILY_STYLE.items()):
        for i, t in enumerate(types):
            v = j.loc[j["truth"] == t, f"{fam}_score"].to_numpy(dtype=float)
            yy = i + (k - 1) * 0.22 + rng.uniform(-0.06, 0.06, len(v))
            ax.scatter(v, yy, marker=st["marker"], facecolors=st["face"],
                       edgecolors="black", s=22, linewidths=0.6,
                       label=f"{fam} score" if i == 0 else None)
    if stand_out is not None:
        ax.axvline(stand_out, color="0.3", linestyle="--", linewidth=0.9,
                   label=f"stand-out {stand_out:g}")
    ax.axvline(0, color="0.7", linewidth=0.6)
    ax.set_yticks(range(len(types)), [f"true: {t}" for t in types], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("Family score (robust SD above the typical customer)")
    ax.set_title(title or "Family scores by true type (answer key)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=4, fontsize=8)
    ax.grid(axis="y", visible=False)
    return ax


def confusion_matrix(table: pd.DataFrame, ax=None, *, title: str | None = None,
                     row_label: str = "true type", col_label: str = "assigned segment"):
    """A contingency table as a grid of counts (diagonal shaded): true type × assigned
    segment (:func:`kamlib.segmentation.confusion`) or rule × clusters
    (:func:`kamlib.segmentation.compare`; totals are dropped)."""
    t = table.drop(index="total", columns="total", errors="ignore")
    ax = _ax(ax, (1.1 * t.shape[1] + 2.2, 0.6 * t.shape[0] + 1.6))
    m = t.to_numpy()
    nr, nc = m.shape
    for i in range(nr):
        for j in range(nc):
            same = str(t.index[i]) == str(t.columns[j])
            ax.add_patch(Rectangle((j, nr - 1 - i), 1, 1, facecolor="0.75" if same else "white",
                                   hatch="" if same or m[i, j] == 0 else "..",
                                   edgecolor="0.5", linewidth=0.5))
            ax.text(j + 0.5, nr - 1 - i + 0.5, str(int(m[i, j])), ha="center", va="center",
                    fontsize=11, fontweight="bold" if same else "normal",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5}
                    if not same and m[i, j] else None)
    ax.set_xlim(0, nc)
    ax.set_ylim(0, nr)
    ax.set_xticks(np.arange(nc) + 0.5, [str(c) for c in t.columns], fontsize=9)
    ax.set_yticks(np.arange(nr) + 0.5, [str(r) for r in t.index[::-1]], fontsize=9)
    ax.set_xlabel(col_label)
    ax.set_ylabel(row_label)
    ax.grid(False)
    ax.set_title(title or "Confusion matrix (counts; diagonal = agreement)")
    return ax


def benefit_map(view: pd.DataFrame, ax=None, *, title: str | None = None):
    """Which lever raises the customer's benefit V = U + B + R − C − T for which segment:
    ΔV per lever (rows) and segment (columns), darker = larger; the best segment of
    each lever in bold. ``view``: :func:`kamlib.segmentation.benefit_view`."""
    fams = list(segmentation.FAMILIES)
    v = view[fams]
    ax = _ax(ax, (7.0, 0.36 * len(v) + 1.4))
    m = v.to_numpy(dtype=float)
    top = max(float(np.nanmax(m)), 1e-9)
    nr = len(v)
    for i in range(nr):
        best = int(np.nanargmax(m[i]))
        for j in range(len(fams)):
            shade = 1.0 - 0.75 * max(m[i, j], 0) / top
            ax.add_patch(Rectangle((j, nr - 1 - i), 1, 1, facecolor=str(round(shade, 3)),
                                   edgecolor="white", linewidth=1))
            ax.text(j + 0.5, nr - 1 - i + 0.5, f"{m[i, j]:+.2f}", ha="center", va="center",
                    fontsize=8, color="white" if shade < 0.5 else "black",
                    fontweight="bold" if j == best else "normal")
    ax.set_xlim(0, len(fams))
    ax.set_ylim(0, nr)
    ax.set_xticks(np.arange(len(fams)) + 0.5, [f"{f}\nsegment" for f in fams], fontsize=9)
    ax.xaxis.tick_top()
    ax.set_yticks(np.arange(nr) + 0.5, [str(r) for r in v.index[::-1]], fontsize=8)
    ax.grid(False)
    ax.set_title(title or "Gain in customer benefit ΔV per lever (segment weights)",
                 pad=28)
    return ax
