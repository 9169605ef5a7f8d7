/**
 * The status page's stylesheet, inlined into every page (no external assets).
 * Colours follow GitHub Primer's light and dark palettes; every coloured state
 * also carries a text label, so nothing depends on telling colours apart.
 */
export const STYLES = `
:root {
  color-scheme: light dark;
  --bg: #f6f8fa; --panel: #ffffff; --fg: #1f2328; --muted: #59636e; --border: #d1d9e0; --row: #f6f8fa;
  --track: #e6eaef;
  --ok: #1a7f37; --ok-bg: #dafbe1; --ok-bd: #4ac26b;
  --warn: #9a6700; --warn-bg: #fff8c5; --warn-bd: #d4a72c;
  --crit: #cf222e; --crit-bg: #ffebe9; --crit-bd: #ff8182;
  --info: #0969da; --info-bg: #ddf4ff; --info-bd: #54aeff;
  --none-bg: #eff2f5;
  --bar-ok: #2da44e; --bar-warn: #d4a72c; --bar-crit: #cf222e;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --panel: #151b23; --fg: #e6edf3; --muted: #9198a1; --border: #3d444d; --row: #1a2029;
    --track: #2a313c;
    --ok: #3fb950; --ok-bg: rgba(46,160,67,.15); --ok-bd: rgba(46,160,67,.5);
    --warn: #d29922; --warn-bg: rgba(187,128,9,.15); --warn-bd: rgba(187,128,9,.5);
    --crit: #ff7b72; --crit-bg: rgba(248,81,73,.15); --crit-bd: rgba(248,81,73,.55);
    --info: #58a6ff; --info-bg: rgba(56,139,253,.15); --info-bd: rgba(56,139,253,.5);
    --none-bg: #212830;
    --bar-ok: #2ea043; --bar-warn: #bb8009; --bar-crit: #da3633;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); }
body {
  margin: 0; padding: 0 20px 24px;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Helvetica Neue", Arial, sans-serif;
  font-variant-numeric: tabular-nums;
}
a { color: var(--info); }
code, .mono { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
.masthead { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 4px 16px; padding: 14px 0 10px; }
.brand { font-size: 18px; font-weight: 650; letter-spacing: -.01em; margin: 0; }
.brand span { color: var(--muted); font-weight: 450; }
.meta { color: var(--muted); font-size: 13px; margin: 0; }
.state {
  display: flex; flex-wrap: wrap; align-items: center; gap: 6px 14px;
  padding: 12px 16px; border: 1px solid var(--border); border-left-width: 6px; border-radius: 6px; background: var(--panel);
}
.state .label { font-weight: 700; font-size: 12px; letter-spacing: .06em; padding: 2px 8px; border-radius: 4px; border: 1px solid; }
.state .headline { font-size: 20px; font-weight: 650; margin: 0; }
.state.crit .headline { color: var(--crit); }
.state.warn .headline { color: var(--warn); }
.state .detail { color: var(--muted); }
.state.crit { border-color: var(--crit-bd); border-left-color: var(--crit); background: var(--crit-bg); }
.state.warn { border-color: var(--warn-bd); border-left-color: var(--warn); background: var(--warn-bg); }
.state.ok { border-color: var(--ok-bd); border-left-color: var(--ok); background: var(--ok-bg); }
.state.none { border-left-color: var(--muted); }
.state.crit .label { color: var(--crit); border-color: var(--crit); }
.state.warn .label { color: var(--warn); border-color: var(--warn); }
.state.ok .label { color: var(--ok); border-color: var(--ok); }
.state.none .label { color: var(--muted); border-color: var(--muted); }
.counts { display: flex; gap: 14px; flex-wrap: wrap; margin-left: auto; color: var(--muted); font-size: 13px; }
.counts b { color: var(--fg); }
section { margin-top: 22px; }
section.state { margin-top: 0; }
h2 { font-size: 15px; font-weight: 650; margin: 0 0 8px; display: flex; align-items: baseline; gap: 8px; }
h2 .sub { font-weight: 400; }
.scroll { overflow-x: auto; border: 1px solid var(--border); border-radius: 6px; background: var(--panel); }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 6px 9px; text-align: left; vertical-align: top; border-top: 1px solid var(--border); }
thead th { border-top: 0; font-size: 12px; font-weight: 600; color: var(--muted); white-space: nowrap; background: var(--row); vertical-align: bottom; }
thead tr + tr th { border-top: 1px solid var(--border); }
tbody th { font-weight: 400; }
tbody tr:nth-child(even) { background: var(--row); }
td.num, th.num { text-align: right; white-space: nowrap; }
.name { font-weight: 600; }
th.slo { min-width: 230px; }
td.indicator { min-width: 8.5em; }
.sub { display: block; color: var(--muted); font-size: 12px; }
span.sub.inline { display: inline; }
.desc { max-width: 34em; }
.nowrap { white-space: nowrap; }
.center { text-align: center; }
.nodata { color: var(--muted); font-style: italic; white-space: nowrap; }
.t-crit { color: var(--crit); font-weight: 600; }
.t-warn { color: var(--warn); font-weight: 600; }
.t-ok { color: var(--ok); }
.t-hot { font-weight: 600; }
.badge {
  display: inline-block; padding: 0 7px; margin: 1px 4px 1px 0; border-radius: 10px; border: 1px solid;
  font-size: 12px; font-weight: 600; line-height: 18px; white-space: nowrap;
}
.badge.ok { color: var(--ok); background: var(--ok-bg); border-color: var(--ok-bd); }
.badge.warn { color: var(--warn); background: var(--warn-bg); border-color: var(--warn-bd); }
.badge.crit { color: var(--crit); background: var(--crit-bg); border-color: var(--crit-bd); }
.badge.info { color: var(--info); background: var(--info-bg); border-color: var(--info-bd); }
.badge.none { color: var(--muted); background: var(--none-bg); border-color: var(--border); font-weight: 500; }
.budget { display: flex; align-items: center; gap: 8px; min-width: 175px; }
.bar { flex: 1; height: 10px; min-width: 90px; background: var(--track); border-radius: 5px; overflow: hidden; }
.bar > div { height: 100%; border-radius: 5px 0 0 5px; }
.bar > .ok { background: var(--bar-ok); }
.bar > .warn { background: var(--bar-warn); }
.bar > .crit { background: var(--bar-crit); }
.budget .pct { min-width: 4.2em; text-align: right; font-weight: 600; white-space: nowrap; }
tr.row-crit > th:first-child { box-shadow: inset 4px 0 0 var(--crit); }
tr.row-warn > th:first-child { box-shadow: inset 4px 0 0 var(--warn); }
.pairs { margin: 0; padding: 0; list-style: none; }
.pairs li { white-space: nowrap; }
.pairs .holds { font-weight: 600; }
.empty { padding: 10px 12px; color: var(--muted); }
.legend { color: var(--muted); font-size: 12px; margin: 6px 2px 0; }
@media (max-width: 720px) {
  body { padding: 0 10px 16px; }
  .counts { margin-left: 0; }
  th.slo { min-width: 150px; }
  td.indicator { min-width: 0; }
  .desc { display: none; }
  .name { white-space: nowrap; }
  /* The name column stays put while a wide table scrolls sideways. */
  tbody th:first-child { position: sticky; left: 0; z-index: 1; background: var(--panel); }
  tbody tr:nth-child(even) th:first-child { background: var(--row); }
}
footer { margin-top: 24px; color: var(--muted); font-size: 12px; }
.error-box { margin: 0; padding: 12px 16px; border: 1px solid var(--border); border-radius: 6px; background: var(--panel); white-space: pre-wrap; overflow-wrap: anywhere; }
`;
