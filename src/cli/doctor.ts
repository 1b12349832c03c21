/**
 * npm run doctor [-- --json]: one table of what avsock needs on this machine — Node, ffmpeg, ffprobe,
 * a browser (Chrome/Chromium/Edge), audio devices, a display, git — each missing piece with its fix. Exit 1 only when a
 * required tool (node, ffmpeg, ffprobe, git) is missing; the rest have fallbacks.
 */
import * as v from 'valibot';
import { parseJson, type Schema } from '../json.ts';
import { fileURLToPath } from 'node:url';
import { ffmpegFeatures } from '../media/ffmpeg-features.ts';
import { BrowserUnavailableError, findBrowser } from '../platform/browser.ts';
import { git } from '../platform/git.ts';
import { detectSandbox } from '../platform/sandbox-support.ts';
import { runProgram } from '../process/exec.ts';
import { hasDisplay, resolveFfmpeg, resolveFfprobe, type ResolvedTool } from '../platform/tools.ts';
import { describeError, parseOptions, runMain } from './main.ts';

export interface DoctorRow {
  readonly item: string;
  readonly status: 'ok' | 'warn' | 'missing';
  readonly detail: string;
  readonly fix?: string;
  /** avsock cannot run without it. */
  readonly required: boolean;
}

const MIN_NODE = [20, 19] as const;
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs a probe program; a failure to start or a time-out is an exit code of -1 with the reason as stderr. */
function run(
  command: string,
  args: string[],
  opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runProgram(command, args, { ...opts, timeoutMs: opts.timeoutMs ?? 15_000, allowFailure: true }).catch((error: unknown) => ({
    code: -1,
    stdout: '',
    stderr: (error as Error).message,
  }));
}

function checkNode(): DoctorRow {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return ok
    ? { item: 'Node.js', status: 'ok', detail: `${process.version} (${process.execPath})`, required: true }
    : {
        item: 'Node.js',
        status: 'missing',
        detail: `${process.version} is too old`,
        fix: 'install Node.js 20.19 or newer (https://nodejs.org, or nvm install 22)',
        required: true,
      };
}

function toolRow(item: string, resolve: () => ResolvedTool, required: boolean): DoctorRow {
  try {
    const tool = resolve();
    const version = tool.version?.replace(/ Copyright.*$/, '') ?? 'found';
    return { item, status: 'ok', detail: `${version} — ${tool.source}: ${tool.path}`, required };
  } catch (error) {
    return { item, status: 'missing', detail: 'not found', fix: describeError(error), required };
  }
}

/** The ffmpeg row also says which generation it is, since options differ (-fps_mode from 5.1, -vsync before). */
async function ffmpegRow(): Promise<DoctorRow> {
  const row = toolRow('ffmpeg', resolveFfmpeg, true);
  if (row.status !== 'ok') return row;
  try {
    const f = await ffmpegFeatures();
    const gen = f.generation === undefined ? 'generation unknown' : `ffmpeg ${f.generation}.x (libavutil ${f.libavutil})`;
    return { ...row, detail: `${row.detail} — ${gen}, ${f.fpsMode ? '-fps_mode' : '-vsync'}` };
  } catch (error) {
    return {
      ...row,
      status: 'missing',
      detail: `${row.detail} — does not answer -version/-h (${describeError(error)})`,
      fix: 'reinstall ffmpeg, or set FFMPEG_PATH to a working one',
    };
  }
}

const BROWSER_SOURCE = {
  env: 'PUPPETEER_EXECUTABLE_PATH',
  system: 'installed',
  cache: "puppeteer's cache",
  download: 'downloaded now',
} as const;

/** The browser the windows and screenshots will use; looked up without downloading (npm start downloads one if needed). */
async function checkBrowser(): Promise<DoctorRow> {
  try {
    const browser = await findBrowser({ download: false });
    return { item: 'Browser', status: 'ok', detail: `${BROWSER_SOURCE[browser.source]}: ${browser.path}`, required: false };
  } catch (error) {
    const fix = error instanceof BrowserUnavailableError ? error.fix : describeError(error);
    return {
      item: 'Browser',
      status: 'warn',
      detail: 'none found: the first window downloads Chrome for Testing (needs storage.googleapis.com); without one, open the printed ui: URLs yourself',
      fix,
      required: false,
    };
  }
}

/**
 * naudiodon is probed in a child process: PortAudio prints pages of ALSA noise on a machine without
 * a sound card, and a native crash there must not take the doctor down with it.
 */
/** What the device-listing child prints: why naudiodon did not load, or the output devices. */
interface DeviceListing {
  loadError?: string | undefined;
  outputs?: string[] | undefined;
}
const DeviceListingSchema: Schema<DeviceListing> = v.object({ loadError: v.optional(v.string()), outputs: v.optional(v.array(v.string())) });

async function checkAudio(): Promise<DoctorRow> {
  const script = `
    let n;
    try { const m = await import('naudiodon'); n = m.default ?? m; }
    catch (e) { console.log(JSON.stringify({ loadError: String(e && e.message || e).split('\\n')[0] })); process.exit(0); }
    const devices = n.getDevices();
    console.log(JSON.stringify({ outputs: devices.filter((d) => d.maxOutputChannels > 0).map((d) => d.name) }));
    process.exit(0);`;
  const result = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, timeoutMs: 20_000 });
  const line = result.stdout.trim().split('\n').pop() ?? '';
  let parsed: DeviceListing | undefined;
  try {
    parsed = parseJson(line, DeviceListingSchema, 'the device listing');
  } catch {
    parsed = undefined;
  }
  if (!parsed) {
    return {
      item: 'Audio',
      status: 'warn',
      detail: `naudiodon crashed while listing devices (exit ${result.code})`,
      fix: 'sound plays in the browser window instead (--audio browser)',
      required: false,
    };
  }
  if (parsed.loadError) {
    return {
      item: 'Audio',
      status: 'warn',
      detail: `naudiodon not usable (${parsed.loadError.slice(0, 80)})`,
      fix: 'sound plays in the browser window instead; to build naudiodon: Linux apt install build-essential libasound2-dev, Windows the VS C++ build tools; then npm install',
      required: false,
    };
  }
  const outputs = parsed.outputs ?? [];
  if (outputs.length === 0) {
    return {
      item: 'Audio',
      status: 'warn',
      detail: 'naudiodon loaded, 0 output devices (no sound card)',
      fix: 'sound goes to the browser window or a null sink (--audio browser|null)',
      required: false,
    };
  }
  return { item: 'Audio', status: 'ok', detail: `${outputs.length} output device(s), e.g. ${outputs[0]}`, required: false };
}

function checkDisplay(): DoctorRow {
  if (hasDisplay()) {
    const which = process.env.DISPLAY
      ? `DISPLAY=${process.env.DISPLAY}`
      : process.env.WAYLAND_DISPLAY
        ? `WAYLAND_DISPLAY=${process.env.WAYLAND_DISPLAY}`
        : process.platform;
    return { item: 'Display', status: 'ok', detail: which, required: false };
  }
  return {
    item: 'Display',
    status: 'warn',
    detail: 'none (no DISPLAY or WAYLAND_DISPLAY)',
    fix: 'windows cannot open: run under xvfb-run -a, or use --no-window and open the printed ui: URL',
    required: false,
  };
}

async function checkGit(): Promise<DoctorRow> {
  const result = await git(process.cwd(), ['--version'], { allowFail: true, timeoutMs: 10_000 }).catch(() => undefined);
  return result?.code === 0
    ? { item: 'git', status: 'ok', detail: result.stdout.trim(), required: true }
    : { item: 'git', status: 'missing', detail: 'not found', fix: 'install git (apt install git / brew install git / https://git-scm.com)', required: true };
}

/** The grader's sandbox for other people's code (bubblewrap): tried for real, since userns may be refused. */
async function checkSandbox(): Promise<DoctorRow> {
  const s = detectSandbox();
  return s.ok
    ? {
        item: 'Sandbox',
        status: 'ok',
        detail: `bubblewrap works (${s.mode === 'root' ? 'as root: a uid of its own per submission' : 'unprivileged user namespaces'})`,
        required: false,
      }
    : {
        item: 'Sandbox',
        status: 'warn',
        detail: `${s.reason}: npm run grade -- class and --practice refuse to run`,
        ...(s.fix ? { fix: s.fix } : {}),
        required: false,
      };
}

export async function runDoctor(): Promise<DoctorRow[]> {
  const [browser, audio, gitRow] = await Promise.all([checkBrowser(), checkAudio(), checkGit()]);
  return [checkNode(), await ffmpegRow(), toolRow('ffprobe', resolveFfprobe, true), browser, audio, checkDisplay(), gitRow, await checkSandbox()];
}

export function formatDoctor(rows: readonly DoctorRow[]): string {
  const w = Math.max(...rows.map((r) => r.item.length));
  const label = { ok: 'ok     ', warn: 'warn   ', missing: 'MISSING' } as const;
  const lines = rows.flatMap((r) => {
    const row = `${r.item.padEnd(w)}  ${label[r.status]}  ${r.detail}`;
    return r.fix ? [row, `${' '.repeat(w + 11)}fix: ${r.fix}`] : [row];
  });
  const missing = rows.filter((r) => r.required && r.status === 'missing');
  lines.push(missing.length ? `Missing required: ${missing.map((r) => r.item).join(', ')}.` : 'Everything required is here.');
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runMain('doctor', async (argv) => {
    const { values } = parseOptions('doctor', argv, { json: { type: 'boolean' }, help: { type: 'boolean' }, debug: { type: 'boolean' } });
    if (values.help) {
      process.stdout.write(
        'Usage: npm run doctor [-- --json]\nShows whether Node, ffmpeg, ffprobe, a browser, audio, a display and git are usable, and how to fix what is not.\n',
      );
      return 0;
    }
    const rows = await runDoctor();
    process.stdout.write(values.json ? `${JSON.stringify(rows, null, 2)}\n` : formatDoctor(rows));
    return rows.some((r) => r.required && r.status === 'missing') ? 1 : 0;
  });
}
