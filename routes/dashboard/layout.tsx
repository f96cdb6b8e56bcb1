/**
 * The page shell shared by the ops dashboard and the API reference: one light stylesheet inlined in the
 * page (the network may be closed, so nothing is fetched from anywhere) and the navigation between them.
 */
import type { PropsWithChildren } from 'hono/jsx';
import { raw } from 'hono/html';

const CSS = `
:root { --fg:#1d2433; --muted:#5b6577; --line:#dfe3ea; --bg:#f6f7f9; --card:#fff; --accent:#2557d6;
  --ok:#1d7a46; --okbg:#e5f4ec; --warn:#9a5b00; --warnbg:#fdf1dc; --bad:#b42318; --badbg:#fde8e6; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
header.top { background:#fff; border-bottom:1px solid var(--line); padding:10px 24px; display:flex; gap:20px; align-items:baseline; flex-wrap:wrap; }
header.top h1 { font-size:17px; margin:0; }
header.top nav a { margin-right:14px; color:var(--accent); text-decoration:none; }
header.top nav a[aria-current] { font-weight:600; color:var(--fg); }
main { padding:18px 24px 40px; max-width:1280px; }
h2 { font-size:16px; margin:26px 0 10px; }
h3 { font-size:15px; margin:0 0 6px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 16px; margin-bottom:14px; }
.grid { display:grid; grid-template-columns:repeat(auto-fit,minmax(170px,1fr)); gap:10px; }
.stat { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:10px 14px; }
.stat b { display:block; font-size:22px; font-variant-numeric:tabular-nums; }
.stat span { color:var(--muted); font-size:12px; }
.cols { display:flex; gap:18px; flex-wrap:wrap; align-items:flex-start; }
.cols > * { flex:1 1 420px; min-width:0; }
/* The variants table takes the whole row (nine columns do not fit beside the chart); the chart goes below. */
.cols > .scroll { flex-basis:100%; }
table { border-collapse:collapse; width:100%; font-variant-numeric:tabular-nums; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-weight:600; color:var(--muted); font-size:12px; background:#fafbfc; }
td.num, th.num { text-align:right; white-space:nowrap; }
td.fit { text-align:right; min-width:112px; }
table.variants td:first-child { max-width:150px; }
.scroll { overflow-x:auto; }
tr.chosen td { background:#eef3ff; font-weight:600; }
.badge { display:inline-block; padding:1px 7px; border-radius:10px; font-size:12px; font-weight:600; background:#eceff4; color:var(--muted); }
.badge.ok { background:var(--okbg); color:var(--ok); } .badge.warn { background:var(--warnbg); color:var(--warn); }
.badge.bad { background:var(--badbg); color:var(--bad); } .badge.info { background:#e8eefc; color:var(--accent); }
.muted { color:var(--muted); }
.small { font-size:12px; }
form.whatif { display:grid; grid-template-columns:repeat(auto-fill,minmax(150px,1fr)); gap:10px 14px; align-items:end; }
form.whatif label { display:flex; flex-direction:column; font-size:12px; color:var(--muted); gap:3px; }
form.whatif label.check { flex-direction:row; align-items:center; gap:6px; font-size:13px; color:var(--fg); }
input, select { font:inherit; padding:5px 7px; border:1px solid #c8ceda; border-radius:5px; background:#fff; color:var(--fg); }
button { font:inherit; padding:6px 16px; border:0; border-radius:5px; background:var(--accent); color:#fff; cursor:pointer; font-weight:600; }
.error { border-left:4px solid var(--bad); background:var(--badbg); padding:10px 14px; border-radius:6px; margin:12px 0; }
.decision { border-left:4px solid var(--accent); }
dl.kv { display:grid; grid-template-columns:max-content 1fr; gap:3px 14px; margin:8px 0; }
dl.kv dt { color:var(--muted); } dl.kv dd { margin:0; font-variant-numeric:tabular-nums; }
pre { background:#f3f5f8; border:1px solid var(--line); border-radius:6px; padding:10px; overflow:auto; font-size:12px; max-height:480px; }
code { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:12.5px; }
details summary { cursor:pointer; color:var(--accent); }
.method { display:inline-block; min-width:54px; text-align:center; padding:2px 6px; border-radius:4px; font-weight:700; font-size:12px; color:#fff; background:#5b6577; }
.method.get { background:#2f7d4f; } .method.post { background:#2557d6; }
svg text { font-family:system-ui,sans-serif; }
`;

export interface PageProps {
  title: string;
  /** Which nav entry is the current page. */
  current: 'dashboard' | 'docs';
}

/** A whole HTML document with the shared stylesheet and navigation. */
export function Page({ title, current, children }: PropsWithChildren<PageProps>) {
  return (
    <>
      {raw('<!doctype html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{title}</title>
          {/* An inline icon, so browsers do not ask the gateway for /favicon.ico. */}
          <link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%232557d6'/%3E%3C/svg%3E" />
          <style>{raw(CSS)}</style>
        </head>
        <body>
          <header class="top">
            <h1>Edge inference gateway</h1>
            <nav>
              <a href="/dashboard" {...(current === 'dashboard' ? { 'aria-current': 'page' } : {})}>Dashboard</a>
              <a href="/docs" {...(current === 'docs' ? { 'aria-current': 'page' } : {})}>API reference</a>
              <a href="/openapi.json">openapi.json</a>
              <a href="/metrics">/metrics</a>
            </nav>
          </header>
          <main>{children}</main>
        </body>
      </html>
    </>
  );
}
