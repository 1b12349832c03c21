// puppeteer never downloads at `npm install`: an install must need no host but the npm registry
// (its postinstall exits 1 without a route to the browser host, which aborts the whole install).
// The browser is chosen at run time instead (src/platform/browser.ts): PUPPETEER_EXECUTABLE_PATH,
// an installed Chrome/Chromium/Edge, puppeteer's cache, else a download then, with a progress bar.
module.exports = { skipDownload: true };
