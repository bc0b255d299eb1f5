// The one stylesheet, served as /ui/style.css. Colours come from variables so dark mode is a second palette.
export const STYLE_CSS = `
:root { color-scheme: light dark; --bg:#fff; --fg:#1d2329; --muted:#5b6570; --line:#d5dae0; --card:#f6f8fa; --link:#0b5cad;
  --p1:#c62828; --p2:#e65100; --p3:#1565c0; --ok:#2e7d32; --focus:#f9a825; --bad-bg:#fdecea; }
@media (prefers-color-scheme: dark) { :root { --bg:#14171a; --fg:#e3e7eb; --muted:#9aa5b1; --line:#333b44; --card:#1d2228; --link:#7fb6ff;
  --p1:#ef5350; --p2:#ffa040; --p3:#64b5f6; --ok:#66bb6a; --focus:#ffd54f; --bad-bg:#3b1f1f; } }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, sans-serif; background:var(--bg); color:var(--fg); }
a { color:var(--link); }
:focus-visible { outline:3px solid var(--focus); outline-offset:2px; }
header { display:flex; flex-wrap:wrap; gap:.5em 1.2em; align-items:center; padding:.6em 1em; border-bottom:1px solid var(--line); }
header .brand { font-weight:700; font-size:1.1em; }
nav a { margin-right:1em; text-decoration:none; }
nav a[aria-current=page] { font-weight:700; text-decoration:underline; }
main { padding:1em; max-width:1400px; }
h1 { font-size:1.3em; margin:.2em 0 .6em; }
h2 { font-size:1.1em; margin:1em 0 .4em; }
input, select, textarea, button { font:inherit; color:inherit; background:var(--bg); border:1px solid var(--line); border-radius:4px; padding:.3em .5em; }
button, .button { cursor:pointer; background:var(--card); text-decoration:none; display:inline-block; border:1px solid var(--line); border-radius:4px; padding:.2em .6em; color:var(--fg); }
button:hover, .button:hover { border-color:var(--muted); }
form.inline { display:inline; }
.filter { display:flex; flex-wrap:wrap; gap:.5em; align-items:center; margin-bottom:1em; }
.filter input[type=text] { flex:1 1 30em; font-family:ui-monospace, monospace; }
.error { background:var(--bad-bg); border-left:4px solid var(--p1); padding:.4em .7em; margin:.4em 0; }
.notice { border-left:4px solid var(--ok); padding:.4em .7em; margin:.4em 0; }
.muted { color:var(--muted); }
.mono { font-family:ui-monospace, monospace; }
.label { display:inline-block; border:1px solid var(--line); border-radius:10px; padding:0 .5em; margin:1px 2px; font-size:.9em; white-space:nowrap; }
.group { border:1px solid var(--line); border-left:6px solid var(--muted); border-radius:6px; background:var(--card); margin:.7em 0; padding:.5em .8em; }
.group.sev-P1 { border-left-color:var(--p1); } .group.sev-P2 { border-left-color:var(--p2); } .group.sev-P3 { border-left-color:var(--p3); }
.group > .head { display:flex; flex-wrap:wrap; gap:.4em; align-items:center; }
.alert { border-top:1px solid var(--line); padding:.4em 0; }
.alert .actions { display:flex; flex-wrap:wrap; gap:.4em; margin-top:.25em; align-items:center; }
.sev { font-weight:700; }
.sev-P1 .sev, td.sev-P1 { color:var(--p1); } .sev-P2 .sev, td.sev-P2 { color:var(--p2); } .sev-P3 .sev, td.sev-P3 { color:var(--p3); }
.state-suppressed { opacity:.7; }
.badge { display:inline-block; border-radius:3px; padding:0 .4em; font-size:.85em; background:var(--line); }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; border-bottom:1px solid var(--line); padding:.3em .5em; vertical-align:top; }
.tree ul { list-style:none; padding-left:1.4em; border-left:1px dashed var(--line); margin:.2em 0; }
.tree li { margin:.3em 0; }
.tree .node { display:inline-block; border:1px solid var(--line); border-radius:5px; padding:.15em .5em; background:var(--card); }
.tree .node.hit { border:2px solid var(--ok); }
.token { display:flex; gap:.4em; align-items:center; margin-left:auto; }
.timeline { list-style:none; padding:0; border-left:3px solid var(--line); }
.timeline li { padding:.3em .8em; }
.field { display:block; margin:.5em 0; }
.field > span { display:block; font-weight:600; }
.field input[type=text], .field textarea { width:min(50em, 100%); }
.presets { display:flex; gap:.4em; flex-wrap:wrap; margin:.3em 0; }
.runbook { max-width:60em; } .runbook pre { background:var(--card); padding:.6em; overflow:auto; }
#rule-graph { margin:1em 0; } #rule-graph svg { width:100%; max-width:900px; height:220px; border:1px solid var(--line); } #rule-graph polyline { fill:none; stroke-width:1.5; } #rule-graph text { fill:var(--muted); font-size:11px; }
.review-frame { width:100%; height:80vh; border:1px solid var(--line); }
`;
