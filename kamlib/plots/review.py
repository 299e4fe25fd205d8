"""Figures of the review chapter: one account's health components, the health of
decaying and other customers, the threshold curve, the health trend, and a migration
matrix.

Each function takes ``ax=None`` (a new figure when ``None``) and returns the Axes.
Readable in black and white: greys, hatches and markers carry the meaning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from kamlib.plots import new_axes as _ax
from kamlib.review.config import COMPONENT_LABELS, COMPONENTS


def health_components(row: pd.Series, weights: dict[str, float], signal_below: float = 50.0,
                      ax=None, title: str | None = None):
    """One account's component scores (0-100) as horizontal bars, the weight of each in
    its label; components without evidence are drawn hatched at 0 with "no evidence".
    ``row``: a row of :func:`kamlib.review.health` or ``account_review``."""
    ax = _ax(ax, figsize=(7.0, 3.8))
    comps = list(COMPONENTS)[::-1]
    scores = np.array([float(row.get(f"{c}_score", np.nan)) for c in comps])
    y = np.arange(len(comps))
    has = ~np.isnan(scores)
    red = has & (scores < signal_below)
    ax.barh(y[has & ~red], scores[has & ~red], color="0.65", edgecolor="black")
    ax.barh(y[red], scores[red], color="0.15", edgecolor="black")
    ax.barh(y[~has], np.full((~has).sum(), 100.0), color="white", edgecolor="0.6",
            hatch="//")
    for yi, s, h in zip(y, scores, has):
        ax.text(min(s, 100) + 1.5 if h else 50, yi, f"{s:.0f}" if h else "no evidence",
                va="center", ha="left" if h else "center", fontsize=8)
    ax.axvline(signal_below, color="black", linestyle="--", linewidth=1)
    labels = [f"{COMPONENT_LABELS[c]} (w {weights.get(c, 0):g})" for c in comps]
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, 110)
    ax.set_xlabel("Component score (0 = bad end of its scale, 100 = good)")
    hv = row.get("health", np.nan)
    if title is None:
        title = "Health: not enough evidence" if pd.isna(hv) else f"Health {hv:.0f}/100"
    ax.set_title(title)
    handles = [Patch(facecolor="0.65", edgecolor="black", label="score"),
               Patch(facecolor="0.15", edgecolor="black",
                     label=f"in the red (below {signal_below:g})"),
               Patch(facecolor="white", edgecolor="0.6", hatch="//", label="no evidence")]
    # beside the axes: inside, it would sit on the bars and their score labels ("100")
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7)
    return ax


def health_by_truth(health_table: pd.DataFrame, answer_key: pd.DataFrame,
                    threshold: float, ax=None):
    """Health of every customer, planted decaying customers apart from the others
    (jittered dots), with the threshold as a line."""
    ax = _ax(ax, figsize=(7.0, 3.2))
    ak = answer_key.set_index("customer_id") if "customer_id" in answer_key else answer_key
    truth = ak["is_decaying"].astype(str).str.lower().isin(["true", "1"])
    truth.index = truth.index.astype("string")
    t = truth.reindex(health_table.index).fillna(False).to_numpy(bool)
    hv = health_table["health"].to_numpy(float)
    rng = np.random.default_rng(0)
    for k, (mask, marker, face, label) in enumerate(
            ((~t, "o", "white", "other customers"), (t, "s", "black", "planted decaying"))):
        x = hv[mask]
        ax.scatter(x, k + rng.uniform(-0.25, 0.25, len(x)), marker=marker, s=18,
                   facecolor=face, edgecolor="black", linewidth=0.6, label=label)
    ax.axvline(threshold, color="black", linestyle="--", linewidth=1)
    ax.text(threshold + 1, 1.45, f"threshold {threshold:g}", fontsize=8, va="center")
    ax.set_yticks([0, 1], ["other customers", "planted decaying"])
    ax.set_ylim(-0.6, 1.7)
    ax.set_xlim(0, 100)
    ax.set_xlabel("Health (0-100)")
    ax.set_title("Health of the decaying customers and of the others")
    return ax


def threshold_curve(curves: pd.DataFrame, chosen: float, sample: pd.DataFrame | None = None,
                    ax=None):
    """Recall and precision against the health threshold, pooled over the calibration
    companies (``curves`` from :func:`kamlib.review.calibrate`), and on the sample
    (``sample`` from :func:`kamlib.review.threshold_curve`, dashed) when given."""
    ax = _ax(ax, figsize=(6.5, 3.8))
    pooled = curves.groupby("threshold")[["flagged", "caught", "planted"]].sum()
    rec = pooled["caught"] / pooled["planted"]
    prec = pooled["caught"] / pooled["flagged"].where(pooled["flagged"] > 0)
    ax.plot(rec.index, 100 * rec, "k-o", label="recall, calibration companies")
    ax.plot(prec.index, 100 * prec, "k-s", markerfacecolor="white",
            label="precision, calibration companies")
    if sample is not None:
        ax.plot(sample.index, 100 * sample["recall"], color="0.5", linestyle="--",
                label="recall, sample (checked only)")
        ax.plot(sample.index, 100 * sample["precision"], color="0.5", linestyle=":",
                label="precision, sample (checked only)")
    ax.axvline(chosen, color="black", linewidth=1)
    ax.axhline(90, color="0.6", linewidth=0.8)
    ax.set_xlabel("Health threshold")
    ax.set_ylabel("%")
    ax.set_ylim(0, 105)
    ax.set_title(f"Choosing the threshold on other companies: {chosen:g}")
    # beside the axes: inside, every corner has a curve or the chosen threshold's line
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def health_trend(trend: pd.DataFrame, customers, names: pd.Series | None = None,
                 threshold: float | None = None, ax=None):
    """The health at the last quarter ends for ``customers`` (``trend`` from
    :func:`kamlib.review.health_trend`), one line and marker each."""
    ax = _ax(ax, figsize=(6.5, 3.6))
    markers = "osD^v<>px*"
    styles = ["-", "--", ":", "-."]
    for k, cid in enumerate(customers):
        t = trend.loc[trend["customer_id"] == cid].sort_values("as_of")
        label = f"{cid} {names.get(cid, '')}".strip() if names is not None else cid
        ax.plot(t["as_of"].dt.strftime("%Y-%m-%d"), t["health"], color="black",
                marker=markers[k % len(markers)], linestyle=styles[k % len(styles)],
                markerfacecolor="white", label=label)
    if threshold is not None:
        ax.axhline(threshold, color="0.5", linestyle="--", linewidth=1)
    ax.set_ylim(0, 105)  # a health of 100 shows its whole marker
    ax.set_xlabel("Review date (quarter end; each point looks back 12 months)")
    ax.set_ylabel("Health (0-100)")
    ax.set_title("Health over the last quarters")
    # beside the axes: a healthy account's line runs along the top, where it would sit
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return ax


def migration(matrix: pd.DataFrame, ax=None, years: tuple[int, int] | None = None,
              what: str = "class"):
    """A migration matrix as a grid of counts (rows: the earlier year; columns: the
    review year); off-diagonal counts in bold. Darker = more customers (log scale)."""
    ax = _ax(ax, figsize=(5.0, 4.2))
    m = matrix.to_numpy(float)
    ax.imshow(np.log1p(m), cmap="Greys", vmin=0, vmax=max(np.log1p(m.max()) * 1.6, 1))
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            style = "bold" if i != j and m[i, j] > 0 else "normal"
            ax.text(j, i, f"{int(m[i, j])}", ha="center", va="center", fontsize=9,
                    fontweight=style)
    ax.set_xticks(range(m.shape[1]), list(matrix.columns), rotation=30, ha="right")
    ax.set_yticks(range(m.shape[0]), list(matrix.index))
    a, b = years if years else ("the earlier year", "the review year")
    cap = what[:1].upper() + what[1:]
    ax.set_xlabel(f"{cap} in {b}")
    ax.set_ylabel(f"{cap} in {a}")
    ax.set_title(f"Who moved ({what})")
    ax.grid(False)
    return ax
