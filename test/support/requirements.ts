/**
 * Tests that need a system piece the machine may not have (a browser, Xvfb, Python with OpenCV,
 * bubblewrap, an ALSA device …) ask for it here. On a student's machine a missing piece skips the
 * test, naming the piece and the command that brings it, and the run ends with ONE summary line of
 * every skip (test/support/skip-summary.ts). In CI (CI=true) a missing piece fails instead, so CI
 * always runs everything — except the pieces a job declares it cannot have on its OS, listed in
 * AVSOCK_ALLOW_MISSING (e.g. `xvfb,python-opencv` on the macOS and Windows jobs).
 *
 *   const noBrowser = await need('browser');
 *   describe.skipIf(noBrowser)('…', () => { … });
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { findBrowser } from '../../src/platform/browser.ts';
import { resolveFfmpeg, resolveFfprobe } from '../../src/platform/tools.ts';
import { findVirtualDisplayTool } from '../../src/platform/virtual-display.ts';

export type Piece = 'ffmpeg' | 'browser' | 'xvfb' | 'python3' | 'python-opencv' | 'bwrap' | 'alsa';

interface PieceInfo {
  /** What it is, in the summary. */
  readonly what: string;
  /** The command that brings it, per OS (linux: Debian/Ubuntu). */
  readonly install: Partial<Record<NodeJS.Platform, string>> & { readonly linux: string };
  /** undefined when present, else why not (one short phrase). */
  readonly check: () => Promise<string | undefined> | string | undefined;
}

function runs(command: string, args: string[]): string | undefined {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 20_000, windowsHide: true });
  if (r.error) return `${command}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`;
  if (r.status !== 0) return `${command} ${args.join(' ')}: exit ${r.status}${r.stderr ? ` (${r.stderr.trim().split('\n').pop()})` : ''}`;
  return undefined;
}

const PIECES: Record<Piece, PieceInfo> = {
  ffmpeg: {
    what: 'ffmpeg/ffprobe',
    install: {
      linux: 'npm install (ships them) or sudo apt install ffmpeg',
      darwin: 'npm install or brew install ffmpeg',
      win32: 'npm install or winget install ffmpeg',
    },
    check: () => {
      try {
        resolveFfmpeg();
        resolveFfprobe();
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
  },
  browser: {
    what: 'Chrome/Chromium/Edge',
    install: { linux: 'sudo apt install chromium', darwin: 'brew install --cask google-chrome', win32: 'winget install Google.Chrome' },
    // Tests never download one: that is npm start's job, and 150 MB per test run is not a skip.
    check: async () => {
      try {
        await findBrowser({ download: false });
        return undefined;
      } catch {
        return 'none installed';
      }
    },
  },
  xvfb: {
    what: 'Xvfb (a virtual X screen)',
    install: { linux: 'sudo apt install xvfb xauth' },
    // Both: the grader starts Xvfb itself, the window tests wrap a command in xvfb-run.
    check: () => findVirtualDisplayTool('Xvfb').missing ?? findVirtualDisplayTool('xvfb-run').missing,
  },
  python3: {
    what: 'python3',
    install: { linux: 'sudo apt install python3', darwin: 'brew install python', win32: 'winget install Python.Python.3.12' },
    check: () => runs(process.platform === 'win32' ? 'python' : 'python3', ['-c', '']),
  },
  'python-opencv': {
    what: 'python3 with OpenCV, PyAudio and NumPy',
    install: {
      linux: 'sudo apt install python3-opencv python3-pyaudio python3-numpy',
      darwin: 'pip3 install opencv-python pyaudio numpy',
      win32: 'pip install opencv-python pyaudio numpy',
    },
    // The python the grader itself would pick (python3, then /usr/bin/python3: a venv's python3 may lack them).
    check: async () => {
      const { resolvePython } = await import('../../grader/run/python/python.ts');
      const py = resolvePython();
      return py.hasModules ? undefined : py.tried.join('; ');
    },
  },
  bwrap: {
    what: 'bubblewrap (bwrap)',
    install: { linux: 'sudo apt install bubblewrap' },
    check: () =>
      process.platform !== 'linux'
        ? `Linux only (this is ${process.platform})`
        : runs('bwrap', ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-all', 'true']),
  },
  alsa: {
    what: 'naudiodon with ALSA (PortAudio built from npm install)',
    install: { linux: 'sudo apt install build-essential libasound2-dev python3 && npm install' },
    check: () => (process.platform !== 'linux' ? `the ALSA file sink is Linux only (this is ${process.platform})` : undefined),
  },
};

const seen = new Map<Piece, Promise<string | undefined>>();

function present(piece: Piece): Promise<string | undefined> {
  let p = seen.get(piece);
  if (!p) {
    p = Promise.resolve(PIECES[piece].check());
    seen.set(piece, p);
  }
  return p;
}

/** The command that brings `piece` on this OS. */
export function installCommand(piece: Piece, platform: NodeJS.Platform = process.platform): string {
  const i = PIECES[piece].install;
  return i[platform] ?? i.linux;
}

function allowedMissing(): Set<string> {
  return new Set(
    (process.env.AVSOCK_ALLOW_MISSING ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

function inCi(): boolean {
  const ci = process.env.CI ?? '';
  return ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/**
 * Records that tests are skipped for want of `piece` (or, in CI, throws so they fail).
 * Returns the note: "needs <what> (<why>): <install command>".
 */
export function skipFor(piece: Piece, why: string, file = callerFile()): string {
  const note = `needs ${PIECES[piece].what} (${why}): ${installCommand(piece)}`;
  if (inCi() && !allowedMissing().has(piece)) {
    throw new Error(`CI=true and a test ${note}. In CI a skip is a failure; install it, or list "${piece}" in AVSOCK_ALLOW_MISSING if this OS cannot have it.`);
  }
  const log = process.env.AVSOCK_SKIP_LOG;
  if (log) appendFileSync(log, `${JSON.stringify({ piece, what: PIECES[piece].what, install: installCommand(piece), file })}\n`);
  return note;
}

/** The test file asking (from the stack), for the summary. */
function callerFile(): string {
  const line = new Error().stack?.split('\n').find((l) => /\.test\.ts/.test(l)) ?? '';
  return /([\w./\\-]+\.test\.ts)/.exec(line)?.[1]?.replace(/^.*?((src|test|grader|bench)[/\\])/, '$1') ?? '?';
}

/** undefined when every piece is here; else the skip note (truthy, for describe.skipIf / it.skipIf). */
export async function need(...pieces: Piece[]): Promise<string | undefined> {
  const file = callerFile(); // before any await: the stack still shows the test file
  const notes: string[] = [];
  for (const piece of pieces) {
    const why = await present(piece);
    if (why !== undefined) notes.push(skipFor(piece, why, file));
  }
  if (notes.length === 0) return undefined;
  const note = notes.join('; ');
  console.warn(`skipped: ${note}`);
  return note;
}
