// Use a browser that is already installed (Debian's chromium, Google Chrome) and skip puppeteer's
// own download, so `npm install` works offline; on a laptop without one, puppeteer downloads Chrome.
const { existsSync } = require('node:fs');

const candidates = [
  process.env.PUPPETEER_EXECUTABLE_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
  'C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe',
].filter(Boolean);

const executablePath = candidates.find((p) => existsSync(p));

module.exports = executablePath ? { skipDownload: true, executablePath } : {};
