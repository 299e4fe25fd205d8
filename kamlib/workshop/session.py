"""The state of one workshop session, without widgets (so it is tested directly).

A :class:`Session` holds the data, the settings the room started from, the settings it
is at now (weights, thresholds), its list overrides with reasons and the rebate
schedule it is designing, and turns them into the tables the app shows and the
decisions file it saves. Every number comes from :mod:`kamlib.selection`,
:mod:`kamlib.segmentation` and :mod:`kamlib.rebates`; nothing is computed here.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from kamlib import decisions, rebates, segmentation, selection
from kamlib import settings as settings_mod


class Session:
    """One room's work on one dataset.

    ``kd``: :class:`kamlib.data.KamData`; ``s``: the settings to start from; ``source``:
    what to call the data in the decisions file (the file name the room knows).
    Attributes: ``facts`` (:func:`kamlib.selection.customer_facts`, computed once),
    ``s`` (the settings now, without overrides), ``segmentation`` (the segmentation
    rule's thresholds the room changed, {key of
    :data:`kamlib.decisions.SEGMENTATION_KEYS`: value}), ``overrides`` ({customer id:
    :class:`kamlib.decisions.Override`}), ``schedule`` (the schedule being designed,
    starting from the price segment's), ``ka`` (the last key-account table).
    """

    def __init__(self, kd, s, source: str = "", *, _prepared: dict | None = None):
        self.kd, self.base, self.source = kd, s, str(source)
        if _prepared is None:
            self.facts = selection.customer_facts(kd, s)
            seg, years = segmentation._sections(s, kd)
            self._indicators = segmentation._all_indicators(kd, seg, years)
        else:
            self.facts, self._indicators = _prepared["facts"], _prepared["indicators"]
        self.s = s
        self.segmentation: dict[str, object] = {}
        self.overrides: dict[str, decisions.Override] = {}
        self.schedule: rebates.RebateSchedule = s.rebates.segment_schedule("price")
        if _prepared is None:
            self.decide(s)
        else:
            self.ka = _prepared["ka"]

    def prepared_state(self) -> dict:
        """What :mod:`kamlib.workshop.prepared` keeps on disk: the data, the starting
        settings and what is computed from them before the room changes anything."""
        return {"kd": self.kd, "settings": self.base, "facts": self.facts,
                "indicators": self._indicators, "ka": selection.decide(self.facts, self.base)}

    @classmethod
    def from_prepared(cls, state: dict, source: str = "") -> "Session":
        """The session of a :meth:`prepared_state` (nothing recomputed)."""
        return cls(state["kd"], state["settings"], source, _prepared=state)

    # -- the key-account list

    def with_overrides(self, s):
        """Settings ``s`` with the session's overrides in force."""
        d = decisions.Decisions(overrides=tuple(self.overrides.values()))
        return decisions.apply_decisions(s, d) if self.overrides else s

    def decide(self, s) -> pd.DataFrame:
        """The key-account table for settings ``s`` (and the overrides); remembered."""
        self.s = s
        self.ka = selection.decide(self.facts, self.with_overrides(s))
        return self.ka

    @property
    def key_ids(self) -> list[str]:
        return [str(i) for i in self.ka.index[self.ka["is_key"].astype(bool)]]

    def key_table(self) -> pd.DataFrame:
        """The key accounts, best score first: ``customer``, ``class``, ``tier``,
        ``score`` (0-100), ``profit (EUR k)``, ``decided`` (the room's reason, '' when
        the rule decided), ``why`` (the reasons of :func:`kamlib.selection.decide`)."""
        k = self.ka.loc[self.ka["is_key"].astype(bool)].sort_values(
            ["score", "revenue"], ascending=False, kind="stable")
        return pd.DataFrame({
            "customer": k["customer_name"].astype(str),
            "class": k["abc_class"],
            "tier": k["pyramid_tier"],
            "score": k["score"].round(0).astype("int64"),
            "profit (EUR k)": (k["profit"] / 1e3).round(0).astype("int64"),
            "decided": k["override_reason"].astype(str),
            "why": k["reasons"].astype(str),
        }, index=k.index)

    def customer_choices(self) -> list[tuple[str, str]]:
        """(label, id) of every customer with sales, by name: for the override picker.
        The label says whether the list has it as key now."""
        a = self.ka.loc[self.ka["is_active"].astype(bool)].sort_values("customer_name")
        state = a["is_key"].map({True: "key now", False: "not key now"})
        labels = a["customer_name"].astype(str) + " (" + a.index.astype(str) + ", " \
            + state + ")"
        return list(zip(labels, a.index.astype(str)))

    def set_override(self, customer_id: str, key: bool, reason: str) -> None:
        """Decide ``customer_id`` is key (or not) for ``reason``; replaces an earlier
        decision about the same customer. Refuses an empty reason or an unknown id."""
        cid = str(customer_id)
        if cid not in self.facts.index:
            raise ValueError(f"{cid} is not a customer in the data")
        name = str(self.facts.at[cid, "customer_name"])
        self.overrides[cid] = decisions.Override(cid, bool(key), str(reason).strip(), name)
        self.decide(self.s)

    def remove_override(self, customer_id: str) -> None:
        self.overrides.pop(str(customer_id), None)
        self.decide(self.s)

    # -- segments

    def segmentation_settings(self):
        """The segmentation section in force: the start's with the room's thresholds."""
        d = decisions.Decisions(segmentation=self.segmentation)
        return decisions.apply_decisions(self.base, d).segmentation

    def set_segmentation(self, **thresholds) -> None:
        """Change thresholds of the segmentation rule (keys of
        :data:`kamlib.decisions.SEGMENTATION_KEYS`); a value back at the start's is
        dropped. Raises ``SettingsError`` (nothing changed) for a value the settings
        refuse, e.g. a coverage above 1."""
        new = {**self.segmentation, **thresholds}
        d = decisions.Decisions(segmentation=new)  # refuses unknown keys
        seg = decisions.apply_decisions(self.base, d).segmentation  # validates the values
        self.segmentation = {k: v for k, v in new.items()
                             if getattr(seg, k) != getattr(self.base.segmentation, k)}

    def segments(self) -> pd.DataFrame:
        """The segments of the key accounts now (:func:`kamlib.segmentation.segments`
        columns), with ``customer`` (name) first; empty when there are none."""
        ids = self.key_ids
        if not ids:
            return pd.DataFrame(columns=["customer", "segment", "mixed_types", "confidence",
                                         "evidence"])
        t = segmentation._segments_from(self._indicators, ids, self.segmentation_settings())
        t.insert(0, "customer", self.ka.loc[t.index, "customer_name"].astype(str))
        return t

    def segment_counts(self, seg: pd.DataFrame | None = None) -> pd.Series:
        seg = self.segments() if seg is None else seg
        return seg["segment"].value_counts().reindex(list(segmentation.SEGMENTS),
                                                     fill_value=0).astype("int64")

    def price_sensitive_ids(self, seg: pd.DataFrame | None = None) -> list[str]:
        """Key accounts whose segment is price, or mixed with price among the drivers:
        the customers a volume rebate is designed for."""
        seg = self.segments() if seg is None else seg
        if not len(seg):
            return []
        m = seg["segment"].eq("price") | (seg["segment"].eq("mixed")
                                          & seg["mixed_types"].astype(str).str.contains("price"))
        return [str(i) for i in seg.index[m]]

    # -- the rebate schedule

    def schedule_result(self, schedule: rebates.RebateSchedule, customers) -> pd.Series:
        """:func:`kamlib.rebates.compare_schedules` of ``schedule`` on ``customers``
        (their own elasticities), one row."""
        return rebates.compare_schedules(self.kd, self.s, [schedule], None, customers).iloc[0]

    # -- the decisions

    def decisions(self, now=None) -> decisions.Decisions:
        """What the room decided: the scorecard, the key-account and segmentation
        thresholds that differ from the start, the overrides, the schedule (for the
        price segment; described as agreed in the workshop when it has no
        description)."""
        s = decisions.apply_decisions(self.s, decisions.Decisions(segmentation=self.segmentation))
        d = decisions.from_state(s, self.base, tuple(self.overrides.values()),
                                 self.schedule, "price", data=self.source, now=now)
        if not self.schedule.description:
            sc = dataclasses.replace(self.schedule, description="Agreed in the workshop of "
                                     + d.workshop["saved"][:10] + ".")
            d = dataclasses.replace(d, schedule=sc)
        return d

    def save(self, path: str | Path, now=None) -> Path:
        return decisions.save_decisions(self.decisions(now), path)

    def settings_now(self):
        """The settings with every decision in force (what the reports will use)."""
        return decisions.apply_decisions(self.base, self.decisions())


def load_session(source, settings_file=None, label: str = "") -> Session:
    """Load the data at ``source`` and the settings (``settings_file`` or defaults) into
    a :class:`Session`. Raises :class:`kamlib.data.DataError` for data that cannot be
    used (every problem listed) and ``SettingsError`` for a bad settings file."""
    from kamlib import data

    kd = data.load(source)
    s = settings_mod.load(settings_file) if settings_file else settings_mod.Settings()
    if kd.years and s.period.analysis_year not in kd.years:
        s = settings_mod.replace(s, "period.analysis_year", int(kd.years[-1]))
    return Session(kd, s, label or str(source))
