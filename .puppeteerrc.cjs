// Use a browser that is already installed (Debian's chromium, Google Chrome) and skip puppeteer's
// own download, so `npm install` works offline; on a laptop without one, puppeteer downloads Chrome.
const { existsSync } = require('node:fs');

const systemBrowsers = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
  'C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe',
];

const executablePath = [process.env.PUPPETEER_EXECUTABLE_PATH, ...systemBrowsers].find((p) => p && existsSync(p));

const config = executablePath ? { skipDownload: true, executablePath } : {};
// Not a puppeteer setting: src/platform/tools.ts reads the list from here (one list of browsers).
Object.defineProperty(config, 'systemBrowsers', { value: systemBrowsers, enumerable: false });
module.exports = config;
