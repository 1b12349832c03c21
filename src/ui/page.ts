/**
 * The window page: HTML and CSS here, its script in page-script.js (served as /page.js), no bundler
 * and nothing fetched from the network.
 */
import { readFileSync } from 'node:fs';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Picture width the layout is made for (the tutorial's imutils.resize(frame, width=400)). */
export const PAGE_PICTURE_WIDTH = 400;

/** Where the page loads its script from. */
export const PAGE_SCRIPT_PATH = '/page.js';

/** The page's script, read once (a browser module: plain JavaScript, checked by tsc through JSDoc). */
export const pageScript: Buffer = readFileSync(new URL('./page-script.js', import.meta.url));

export function pageHtml(cfg: { title: string; audio: boolean }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>${escapeHtml(cfg.title)}</title>
<style>
  html, body { margin: 0; background: #111; color: #ddd; font: 11px/1.35 system-ui, sans-serif; overflow: hidden; }
  body { width: 420px; padding: 6px 10px; box-sizing: border-box; }
  canvas { display: block; width: ${PAGE_PICTURE_WIDTH}px; height: auto; background: #222; }
  #wrap { position: relative; width: ${PAGE_PICTURE_WIDTH}px; }
  /* The window title, inside the page too: app windows under a bare X server (Xvfb, kiosk) have no title bar. */
  #title { font-weight: 700; letter-spacing: .04em; color: #eee; margin-bottom: 3px; }
  #stats { display: grid; grid-template-columns: repeat(2, auto 1fr); gap: 0 8px; margin-top: 3px; }
  #stats .k { color: #888; white-space: nowrap; }
  #stats .v { color: #eee; font-variant-numeric: tabular-nums; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  #status { position: absolute; right: 4px; bottom: 3px; color: #ccc; background: rgba(0,0,0,.45); padding: 0 4px; font-size: 10px; }
</style>
<script type="module" src="${PAGE_SCRIPT_PATH}"></script></head>
<body data-audio="${cfg.audio}" data-picture-width="${PAGE_PICTURE_WIDTH}">
<div id="title">${escapeHtml(cfg.title)}</div>
<div id="wrap"><canvas id="pic" width="${PAGE_PICTURE_WIDTH}" height="226"></canvas><div id="status">connecting…</div></div>
<div id="stats"></div>
</body></html>
`;
}
