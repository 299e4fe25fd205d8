"""The workshop app: one page a room of account managers uses, no code shown.

``notebooks/workshop.ipynb`` calls :func:`show`; ``kam workshop --data PATH`` serves it
with Voilà (:mod:`kamlib.workshop.serve`). The page has a data bar (a path or an
uploaded workbook) and four steps:

1. **Key accounts** - the scorecard's goal and weights and the thresholds
   (:func:`kamlib.widgets.selection.key_account_workshop`); the list with its reasons
   updates on every move; the room can decide a customer is key (or not) against the
   rule, with a reason.
2. **Segments** - the buying driver of each key account with its evidence
   (:func:`kamlib.segmentation.segments`), under the rule's thresholds the room may
   change (when a driver stands out, when a customer is mixed, the data a verdict
   needs).
3. **Rebate schedule** - the tier editor (:func:`kamlib.widgets.rebates.schedule_editor`)
   on the price-sensitive key accounts: cost, customers just below a threshold,
   break-even.
4. **Save the decisions** - writes the decisions file (:mod:`kamlib.decisions`) that
   ``kam reports --decisions FILE`` reads.

The logic lives in :class:`kamlib.workshop.session.Session`; this module only lays
out widgets. ipywidgets is imported here only. Elements carry CSS classes
(``kam-key-table``, ``kam-cost``, ``kam-save``...) that the browser test finds.
"""

from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path

from kamlib import formatting, segmentation
from kamlib.widgets import interactive

ENV_DATA = "KAM_WORKSHOP_DATA"
ENV_SETTINGS = "KAM_WORKSHOP_SETTINGS"
ENV_DECISIONS = "KAM_WORKSHOP_DECISIONS"
DEFAULT_DECISIONS = "workshop_decisions.toml"
MAX_UPLOAD_MB = 200

STYLE = """
<style>
.kam-app { font-family: "Segoe UI", Helvetica, Arial, sans-serif; font-size: 15px;
           max-width: 1280px; }
.kam-app h1 { font-size: 26px; margin: 4px 0 2px 0; color: #1F4E79; }
.kam-app h2 { font-size: 19px; margin: 14px 0 4px 0; color: #1F4E79; }
.kam-app .kam-hint { color: #555; font-size: 14px; margin: 2px 0 8px 0; }
.kam-app table.kam { border-collapse: collapse; font-size: 13.5px; width: 100%; }
.kam-app table.kam th { background: #1F4E79; color: white; text-align: left;
                        padding: 4px 8px; position: sticky; top: 0; }
.kam-app table.kam td { padding: 3px 8px; border-bottom: 1px solid #ddd;
                        vertical-align: top; }
.kam-app table.kam tr.decided td { background: #FFF2CC; }
.kam-app table.kam td.num { text-align: right; white-space: nowrap; }
.kam-app .kam-scroll { max-height: 460px; overflow-y: auto; border: 1px solid #ccc; }
.kam-app .kam-box { background: #F3F7FB; border-radius: 6px; padding: 8px 12px;
                    margin: 6px 0; }
.kam-app .kam-error { color: #A00; white-space: pre-wrap; font-family: monospace;
                      font-size: 13px; }
.kam-app .kam-ok { color: #1D6B2E; }
.kam-app .widget-label { font-size: 14px; }
.kam-app .widget-html-content { line-height: 1.4; }
.kam-app .lm-TabBar-tab { flex: 0 0 210px !important; max-width: none !important;
                          font-size: 15px; }
.kam-app pre { line-height: 1.3; }
</style>
"""


def _esc(x) -> str:
    return html.escape(str(x))


def key_table_html(table, max_rows: int = 200) -> str:
    """The key accounts (:meth:`Session.key_table`) as an HTML table; rows the room
    decided are highlighted and show the room's reason first."""
    if not len(table):
        return ("<p class='kam-hint'>No key accounts with these settings: lower the "
                "minimum score or widen the classes.</p>")
    head = ("<tr><th>#</th><th>customer</th><th>class</th><th>tier</th><th>score</th>"
            "<th>profit (EUR k)</th><th>why</th></tr>")
    rows = []
    t = table.head(max_rows)
    for i, (cid, r) in enumerate(t.iterrows(), start=1):  # display only, ≤ max_rows
        why = r["why"].split(";")
        first, rest = why[0], "; ".join(x.strip() for x in why[1:3])
        cls = " class='decided'" if r["decided"] else ""
        rows.append(
            f"<tr{cls}><td class='num'>{i}</td><td><b>{_esc(r['customer'])}</b><br>"
            f"<span class='kam-hint'>{_esc(cid)}</span></td><td>{_esc(r['class'])}</td>"
            f"<td>{_esc(r['tier'])}</td><td class='num'>{int(r['score'])}</td>"
            f"<td class='num'>{int(r['profit (EUR k)']):,}</td>"
            f"<td><b>{_esc(first)}</b>; {_esc(rest)}</td></tr>")
    more = (f"<p class='kam-hint'>... and {len(table) - max_rows} more.</p>"
            if len(table) > max_rows else "")
    return (f"<div class='kam-scroll'><table class='kam'>{head}{''.join(rows)}</table>"
            f"</div>{more}")


def segments_html(seg, counts) -> str:
    """Counts per segment and each key account's segment with its evidence."""
    if not len(seg):
        return "<p class='kam-hint'>No key accounts yet: choose them in step 1.</p>"
    parts = ", ".join(f"{_esc(k)} <b>{int(v)}</b>" for k, v in counts.items())
    rows = []
    order = {s: i for i, s in enumerate(segmentation.SEGMENTS)}
    seg = seg.assign(_o=seg["segment"].map(order)).sort_values(
        ["_o", "confidence"], ascending=[True, False], kind="stable")
    for cid, r in seg.iterrows():  # key accounts only: display
        label = r["segment"] + (f" ({r['mixed_types']})" if r["mixed_types"] else "")
        rows.append(f"<tr><td><b>{_esc(r['customer'])}</b></td><td>{_esc(label)}</td>"
                    f"<td class='num'>{formatting.pct(r['confidence'])}</td>"
                    f"<td>{_esc(r['evidence'])}</td></tr>")
    return (f"<div class='kam-box'>{len(seg)} key accounts: {parts}.</div>"
            "<div class='kam-scroll'><table class='kam'><tr><th>customer</th>"
            "<th>segment</th><th>confidence</th><th>evidence</th></tr>"
            + "".join(rows) + "</table></div>")


def cost_html(sc, comp) -> str:
    """The headline of a schedule's cost, for the room (and the browser test)."""
    if sc is None or comp is None:
        return "<div class='kam-box kam-error'>The schedule is not valid: see above.</div>"
    return (f"<div class='kam-box'><b>Cost of '{_esc(sc.name)}'</b>: "
            f"<span class='kam-cost-value'>{formatting.eur(comp['rebate'])}</span> a year on "
            f"{int(comp['customers'])} customer{'' if int(comp['customers']) == 1 else 's'} "
            f"({formatting.pct(comp['rebate_pct_of_revenue'], 1)} of their revenue). "
            f"{int(comp['near_threshold'])} just below a threshold. Break-even: they must "
            f"buy {formatting.pct(comp['break_even_volume_change'], 1)} more.</div>")


class WorkshopApp:
    """The widget tree of the app. ``data_source``: a path (or ``"sample"``) to load at
    start, or None (the room picks one); ``settings_file``: the settings to start
    from; ``decisions_file``: where "Save the decisions" writes by default."""

    def __init__(self, data_source=None, settings_file=None, decisions_file=None):
        import ipywidgets as W

        self.W = W
        self.settings_file = settings_file or None
        self.session = None
        self.key_widget = None
        self.schedule_widget = None
        self._schedule_ids = None
        self.title = W.HTML(STYLE + "<h1>Key account workshop</h1>"
                            "<p class='kam-hint'>Load the company's data, then work "
                            "through the four steps. Nothing is saved until step 4.</p>")
        self.path = W.Text(value="" if data_source is None else str(data_source),
                           placeholder="folder or .xlsx workbook, or 'sample'",
                           description="Data:", layout=W.Layout(width="520px"))
        self.load_button = W.Button(description="Load", button_style="primary",
                                    icon="folder-open")
        self.upload = W.FileUpload(accept=".xlsx", multiple=False,
                                   description="Upload workbook")
        self.data_status = W.HTML()
        self.data_status.add_class("kam-data-status")
        self.tabs = W.Tab(children=[W.VBox(), W.VBox(), W.VBox(), W.VBox()])
        self.tabs.titles = ("1. Key accounts", "2. Segments", "3. Rebate schedule",
                            "4. Save the decisions")
        self.tabs.layout.display = "none"
        self.load_button.on_click(lambda _: self.load_path(self.path.value))
        self.upload.observe(self._on_upload, names="value")
        self.tabs.observe(self._on_tab, names="selected_index")
        self.decisions_path = W.Text(
            value=str(decisions_file or Path.cwd() / DEFAULT_DECISIONS),
            description="File:", layout=W.Layout(width="620px"))
        self.root = W.VBox([self.title, W.HBox([self.path, self.load_button, self.upload]),
                            self.data_status, self.tabs])
        self.root.add_class("kam-app")
        if data_source:
            self.load_path(data_source)

    # -- data

    def load_path(self, source, label: str = "") -> bool:
        from kamlib import data
        from kamlib.errors import SettingsError
        from kamlib.workshop.prepared import load_session

        source = str(source).strip()
        if not source:
            self.data_status.value = "<p class='kam-error'>Type the path of the data first.</p>"
            return False
        self.data_status.value = f"<p class='kam-hint'>Loading {_esc(label or source)} ...</p>"
        try:
            session = load_session(source, self.settings_file, label or source)
        except data.DataError as exc:
            self.data_status.value = (f"<p class='kam-error'>The data cannot be used yet:\n"
                                      f"{_esc(exc)}</p>")
            return False
        except (SettingsError, FileNotFoundError, ValueError) as exc:
            self.data_status.value = f"<p class='kam-error'>{_esc(exc)}</p>"
            return False
        self._start(session)
        return True

    def _on_upload(self, change):
        files = change["new"]
        if not files:
            return
        f = files[0]
        if len(f["content"]) > MAX_UPLOAD_MB * 1e6:
            self.data_status.value = (f"<p class='kam-error'>{_esc(f['name'])} is larger than "
                                      f"{MAX_UPLOAD_MB} MB: give its path instead.</p>")
            return
        # written to a private temporary folder only for reading, removed right after
        with tempfile.TemporaryDirectory(prefix="kam-upload-") as tmp:
            p = Path(tmp) / "upload.xlsx"
            p.write_bytes(bytes(f["content"]))
            self.load_path(str(p), label=f["name"])

    def _start(self, session) -> None:
        W = self.W
        self.session = session
        kd = session.kd
        self.data_status.value = (
            f"<div class='kam-box kam-ok'>Loaded <b>{_esc(session.source)}</b>: "
            f"{len(kd.customers):,} customers, {len(kd.orders):,} order lines, "
            f"{kd.years[0]}-{kd.years[-1]}; analysis year {session.s.period.analysis_year}."
            "</div>")
        self._build_key_tab()
        self._build_segment_tab()
        self.tabs.children[2].children = [W.HTML(
            "<p class='kam-hint'>Open this step to design the schedule.</p>")]
        self._schedule_ids = None
        self._build_save_tab()
        self.tabs.layout.display = ""
        self.tabs.selected_index = 0

    # -- step 1

    def _build_key_tab(self) -> None:
        from kamlib import selection
        from kamlib.widgets import selection as selection_widgets

        W, ss = self.W, self.session
        self.key_summary = W.HTML()
        self.key_table = W.HTML()
        self.key_table.add_class("kam-key-table")

        def on_change(s, ka):  # s: with the overrides (prepare kept them apart in ss.s)
            ss.ka = ka
            self.key_table.value = key_table_html(ss.key_table())
            self._refresh_pickers()
            self._refresh_segments()

        def prepare(s):
            ss.s = s
            return ss.with_overrides(s)

        self.key_widget = selection_widgets.key_account_workshop(
            ss.kd, ss.s, facts=ss.facts, show_chart=False, on_change=on_change,
            prepare=prepare, table_html=lambda ka: "")
        goals = "".join(f"<li><b>{_esc(g)}</b>: {_esc(m)}</li>"
                        for g, m in selection.GOAL_MEANING.items())
        help_box = W.HTML(
            "<h2>Which customers are key?</h2><p class='kam-hint'>Pick the company's goal "
            "(it sets the weights), or move the weights yourselves (0 = does not count). "
            "The list below updates on every change. Goals:</p>"
            f"<ul class='kam-hint'>{goals}</ul>")
        self.pick = W.Dropdown(description="Customer:", layout=W.Layout(width="520px"))
        self.pick_key = W.ToggleButtons(options=[("is key", True), ("is not key", False)],
                                        value=True)
        self.pick_reason = W.Text(placeholder="why the room decides so (required)",
                                  description="Reason:", layout=W.Layout(width="520px"))
        self.pick_add = W.Button(description="Add this decision", icon="check",
                                 button_style="warning")
        self.pick_status = W.HTML()
        self.decided = W.Dropdown(description="Decided:", layout=W.Layout(width="520px"))
        self.decided_remove = W.Button(description="Undo this decision", icon="undo")
        self.pick_add.on_click(self._add_override)
        self.decided_remove.on_click(self._remove_override)
        overrides = W.VBox([
            W.HTML("<h2>Decide against the rule</h2><p class='kam-hint'>The room knows "
                   "things the data does not. Make a customer key (or not) and say why: "
                   "the reason goes into the account plans.</p>"),
            self.pick, W.HBox([self.pick_key]), self.pick_reason,
            W.HBox([self.pick_add, self.pick_status]),
            W.HBox([self.decided, self.decided_remove])])
        self.tabs.children[0].children = [
            help_box, self.key_widget,
            W.HTML("<h2>The key-account list</h2><p class='kam-hint'>Best score first. "
                   "Yellow rows: decided by the room.</p>"),
            self.key_table, overrides]
        self._refresh_pickers()  # the widget's first refresh ran before they existed

    def _refresh_pickers(self) -> None:
        ss = self.session
        if not hasattr(self, "pick"):
            return
        keep = self.pick.value
        self.pick.options = ss.customer_choices()
        if keep in [v for _, v in self.pick.options]:
            self.pick.value = keep
        self.decided.options = [(f"{o.customer_name} ({cid}): "
                                 f"{'key' if o.key else 'not key'} - {o.reason}", cid)
                                for cid, o in ss.overrides.items()]
        self.decided_remove.disabled = not ss.overrides

    def _add_override(self, _=None) -> None:
        ss = self.session
        reason = self.pick_reason.value.strip()
        if not reason:
            self.pick_status.value = ("<span class='kam-error'>Give a reason: the account "
                                      "plans will show it.</span>")
            return
        try:
            ss.set_override(self.pick.value, self.pick_key.value, reason)
        except ValueError as exc:
            self.pick_status.value = f"<span class='kam-error'>{_esc(exc)}</span>"
            return
        self.pick_reason.value = ""
        self.pick_status.value = "<span class='kam-ok'>Added.</span>"
        self.key_widget.refresh()

    def _remove_override(self, _=None) -> None:
        if self.decided.value is None:
            return
        self.session.remove_override(self.decided.value)
        self.pick_status.value = "<span class='kam-ok'>Undone.</span>"
        self.key_widget.refresh()

    # -- step 2

    def _build_segment_tab(self) -> None:
        W = self.W
        sg = self.session.segmentation_settings()
        self.segment_view = W.HTML()
        self.segment_view.add_class("kam-segments")
        wide = {"style": {"description_width": "190px"}, "layout": W.Layout(width="560px")}
        self.seg_stand_out = W.FloatSlider(
            value=sg.stand_out, min=0.1, max=2.0, step=0.05, readout_format=".2f",
            continuous_update=False, description="A driver stands out at:", **wide)
        self.seg_rule = W.Dropdown(
            options=[("every driver that stands out", "stand_out"),
                     ("only drivers close to the strongest", "margin")],
            value=sg.mixed_rule, description="Mixed counts:", **wide)
        self.seg_margin = W.FloatSlider(
            value=sg.mixed_margin, min=0.0, max=3.0, step=0.1, readout_format=".1f",
            continuous_update=False, description="Close means within:", **wide)
        self.seg_coverage = W.FloatSlider(
            value=sg.min_coverage, min=0.0, max=1.0, step=0.05, readout_format=".0%",
            continuous_update=False, description="Data needed for a verdict:", **wide)
        self.seg_status = W.HTML()
        self.seg_status.add_class("kam-seg-status")
        for w in (self.seg_stand_out, self.seg_rule, self.seg_margin, self.seg_coverage):
            w.observe(self._on_segmentation, names="value")
        self.seg_margin.disabled = sg.mixed_rule != "margin"
        rule = W.VBox([
            W.HTML("<p class='kam-hint'><b>The rule</b> (saved with the decisions): a "
                   "buying driver counts when the customer's figures of that kind are on "
                   "average this many typical spreads above the typical customer's "
                   "(higher = fewer drivers, more 'unclear'). Two drivers make a customer "
                   "'mixed'; with 'close to the strongest' a much weaker second one does "
                   "not count. Below the share of data needed the verdict is "
                   "'unclear'.</p>"),
            self.seg_stand_out, self.seg_rule, self.seg_margin, self.seg_coverage,
            self.seg_status])
        rule.add_class("kam-seg-rule")
        self.tabs.children[1].children = [
            W.HTML("<h2>What drives each key account?</h2><p class='kam-hint'>Price, "
                   "service or technology, from how the customer buys (chapter 02). The "
                   "evidence names the figures that decided it, with the typical value "
                   "of other customers. Low confidence: ask the account manager.</p>"),
            rule, self.segment_view]
        self._refresh_segments()

    def _on_segmentation(self, _=None) -> None:
        from kamlib.errors import SettingsError

        self.seg_margin.disabled = self.seg_rule.value != "margin"
        try:
            self.session.set_segmentation(
                stand_out=round(float(self.seg_stand_out.value), 2),
                mixed_rule=self.seg_rule.value,
                mixed_margin=round(float(self.seg_margin.value), 2),
                min_coverage=round(float(self.seg_coverage.value), 2))
        except SettingsError as exc:
            self.seg_status.value = f"<span class='kam-error'>{_esc(exc)}</span>"
            return
        changed = self.session.segmentation
        self.seg_status.value = ("<span class='kam-hint'>The rule as the settings start."
                                 "</span>" if not changed else
                                 "<span class='kam-ok'>Changed: " + _esc(", ".join(
                                     f"{k.replace('_', ' ')} {v}" for k, v in changed.items()))
                                 + "</span>")
        self._refresh_segments()

    def _refresh_segments(self) -> None:
        if not hasattr(self, "segment_view"):
            return
        seg = self.session.segments()
        self._segments = seg
        self.segment_view.value = segments_html(seg, self.session.segment_counts(seg))

    # -- step 3

    def _on_tab(self, change) -> None:
        if change["new"] == 2 and self.session is not None:
            self._build_schedule_tab()
        if change["new"] == 3 and self.session is not None:
            self._refresh_save_preview()

    def _build_schedule_tab(self) -> None:
        from kamlib.widgets import rebates as rebate_widgets

        W, ss = self.W, self.session
        seg = getattr(self, "_segments", None)
        ids = ss.price_sensitive_ids(seg)
        who = "the price-sensitive key accounts"
        if not ids:
            ids, who = ss.key_ids, "all key accounts (none is price-sensitive)"
        if ids == self._schedule_ids and self.schedule_widget is not None:
            return
        self._schedule_ids = ids
        self.cost = W.HTML()
        self.cost.add_class("kam-cost")
        if not ids:
            self.tabs.children[2].children = [W.HTML(
                "<p class='kam-hint'>No key accounts: choose them in step 1.</p>")]
            return

        def on_change(sc, comp):
            if sc is not None:
                ss.schedule = sc
            self.cost.value = cost_html(sc, comp)

        self.schedule_widget = rebate_widgets.schedule_editor(
            ss.kd, ss.settings_now(), schedule=ss.schedule, customers=ids,
            on_change=on_change, show_near=10)
        self.tabs.children[2].children = [
            W.HTML(f"<h2>Design the volume rebate</h2><p class='kam-hint'>On {len(ids)} "
                   f"customer{'s' if len(ids) != 1 else ''}: {who}, last year's volumes. Change a threshold or a rate "
                   "(press Enter): the cost, the customers just below a threshold and the "
                   "break-even update. 'retroactive' pays the rate on all the volume once "
                   "a threshold is reached; 'marginal' only on the volume above it.</p>"),
            self.cost, self.schedule_widget]

    # -- step 4

    def _build_save_tab(self) -> None:
        W = self.W
        self.save_button = W.Button(description="Save the decisions", icon="save",
                                    button_style="success",
                                    layout=W.Layout(width="220px", height="40px"))
        self.save_button.add_class("kam-save")
        self.save_status = W.HTML()
        self.save_status.add_class("kam-save-status")
        self.preview = W.HTML()
        self.preview.add_class("kam-save-preview")
        self.file_text = W.HTML()
        file_box = W.Accordion(children=[self.file_text])
        file_box.set_title(0, "Show the file itself")
        file_box.selected_index = None
        self.save_button.on_click(self._save)
        self.tabs.children[3].children = [
            W.HTML("<h2>Save what the room agreed</h2><p class='kam-hint'>The weights, the "
                   "thresholds, the segmentation rule, the customers decided against the "
                   "rule (with reasons) and the rebate schedule go into one small file. "
                   "The account plans are then made with it: <code>kam reports "
                   "--decisions FILE</code> (the tables: <code>kam analyse --decisions "
                   "FILE</code>).</p>"),
            self.preview, self.decisions_path, self.save_button, self.save_status, file_box]

    def _refresh_save_preview(self) -> None:
        from kamlib import decisions

        d = self.session.decisions()
        items = "".join(f"<li>{_esc(x)}</li>" for x in decisions.summary_lines(d))
        self.preview.value = (
            f"<div class='kam-box'><b>What will be saved</b> "
            f"({len(self.session.key_ids)} key accounts):<ul>{items}</ul></div>")
        self.file_text.value = f"<pre style='font-size:12.5px'>{_esc(decisions.dumps(d))}</pre>"

    def _save(self, _=None) -> None:
        path = Path(self.decisions_path.value.strip() or DEFAULT_DECISIONS).expanduser()
        if path.suffix.lower() != ".toml":
            self.save_status.value = ("<p class='kam-error'>The decisions file name must end "
                                      "in .toml</p>")
            return
        try:
            written = self.session.save(path)
        except OSError as exc:
            self.save_status.value = f"<p class='kam-error'>Could not save: {_esc(exc)}</p>"
            return
        n = len(self.session.overrides)
        self.save_status.value = (
            f"<div class='kam-box kam-ok'>Saved to <b>{_esc(written.resolve())}</b>: "
            f"{len(self.session.key_ids)} key accounts ({n} decided against the rule), "
            f"schedule '{_esc(self.session.schedule.name)}'.</div>")
        self._refresh_save_preview()


@interactive
def workshop_app(data_source=None, settings_file=None, decisions_file=None):
    """The app's root widget (see the module docstring). Empty arguments fall back to
    the environment set by ``kam workshop`` (``KAM_WORKSHOP_DATA``,
    ``KAM_WORKSHOP_SETTINGS``, ``KAM_WORKSHOP_DECISIONS``)."""
    app = WorkshopApp(data_source or os.environ.get(ENV_DATA) or None,
                      settings_file or os.environ.get(ENV_SETTINGS) or None,
                      decisions_file or os.environ.get(ENV_DECISIONS) or None)
    box = app.root
    box.app = app
    return box


def show(data_source="", settings_file="", decisions_file=""):
    """Display the app (the notebook's one call)."""
    from IPython.display import display

    display(workshop_app(data_source, settings_file, decisions_file))
