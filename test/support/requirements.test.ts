import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installCommand, skipFor } from './requirements.ts';
import { readSkipLog, summarizeSkips } from './skip-summary.ts';

describe('skipFor()', () => {
  let dir: string;
  const saved = { CI: process.env.CI, AVSOCK_ALLOW_MISSING: process.env.AVSOCK_ALLOW_MISSING, AVSOCK_SKIP_LOG: process.env.AVSOCK_SKIP_LOG };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'avsock-skips-'));
    process.env.AVSOCK_SKIP_LOG = join(dir, 'skips.jsonl');
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('off CI: returns a note naming the piece and the install command, and records it for the summary', () => {
    delete process.env.CI;
    const note = skipFor('xvfb', 'Xvfb not on PATH', 'src/ui/windows.test.ts');
    expect(note).toBe('needs Xvfb (a virtual X screen) (Xvfb not on PATH): sudo apt install xvfb xauth');
    expect(readSkipLog(process.env.AVSOCK_SKIP_LOG!)).toEqual([
      { piece: 'xvfb', what: 'Xvfb (a virtual X screen)', install: 'sudo apt install xvfb xauth', file: 'src/ui/windows.test.ts' },
    ]);
  });

  it('in CI a skip is a failure, unless the job lists the piece in AVSOCK_ALLOW_MISSING', () => {
    process.env.CI = 'true';
    delete process.env.AVSOCK_ALLOW_MISSING;
    expect(() => skipFor('browser', 'none installed', 'x.test.ts')).toThrow(/CI=true and a test needs Chrome\/Chromium\/Edge .*a skip is a failure/);
    process.env.AVSOCK_ALLOW_MISSING = 'xvfb, browser';
    expect(skipFor('browser', 'none installed', 'x.test.ts')).toMatch(/^needs Chrome/);
    process.env.CI = 'false';
    delete process.env.AVSOCK_ALLOW_MISSING;
    expect(skipFor('browser', 'none installed', 'x.test.ts')).toMatch(/^needs Chrome/);
  });
});

describe('installCommand()', () => {
  it('gives each OS its own command, and the Debian/Ubuntu one where no other applies', () => {
    expect(installCommand('browser', 'darwin')).toBe('brew install --cask google-chrome');
    expect(installCommand('browser', 'win32')).toBe('winget install Google.Chrome');
    expect(installCommand('python-opencv', 'linux')).toBe('sudo apt install python3-opencv python3-pyaudio python3-numpy');
    expect(installCommand('xvfb', 'freebsd')).toBe('sudo apt install xvfb xauth');
  });
});

describe('summarizeSkips()', () => {
  it('is one line: each piece once, with its file count and install command', () => {
    const line = summarizeSkips([
      { piece: 'browser', what: 'Chrome/Chromium/Edge', install: 'sudo apt install chromium', file: 'a.test.ts' },
      { piece: 'browser', what: 'Chrome/Chromium/Edge', install: 'sudo apt install chromium', file: 'b.test.ts' },
      { piece: 'xvfb', what: 'Xvfb', install: 'sudo apt install xvfb xauth', file: 'a.test.ts' },
    ]);
    expect(line).toBe(
      'Skipped for missing system pieces in 2 test files: Chrome/Chromium/Edge (2 files; sudo apt install chromium); Xvfb (1 file; sudo apt install xvfb xauth)',
    );
    expect(line).not.toContain('\n');
  });

  it('prints nothing when nothing was skipped', () => {
    expect(summarizeSkips([])).toBeUndefined();
  });
});
