/**
 * Phase 4: the grader's own screenshot of the submission's pair (its client on its server), both
 * windows live. Node: the two pages (ui: lines) in Chromium; Python: a fresh server.py/client.py
 * pair on the grader's Xvfb (server.py streams only to its first client, so the measured one is
 * spent), cropped where the scripts put their windows. Saved in the report folder and, unless
 * --no-save, in <repo>/screenshots/.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BrowserUnavailableError } from '../../src/platform/browser.ts';
import { git } from '../../src/platform/git.ts';
import type { WireName } from '../../src/wire/index.ts';
import type { NodeSubmission, PythonSubmission, Submission } from '../run/kinds.ts';
import { allocateStreamPorts, releasePorts, type StreamPorts } from '../run/launch/ports.ts';
import { UI_LINE, type Launched } from '../run/launch/launch.ts';
import { bridgeUrls } from '../run/sandbox/port-bridge.ts';
import { withTimingSlot } from '../run/launch/timing-slot.ts';
import { lineBeforeExit, why } from '../run/launch/watch.ts';
import { sleep } from '../../src/timing/wait.ts';
import { grabPages } from '../screenshot/capture.ts';
import { composeScreenshot, screenshotName, ScreenshotRefusedError, type WindowShot } from '../screenshot/compose.ts';
import { grabLiveWindows } from '../screenshot/opencv.ts';
import { failed, failedOurs, succeeded, type Outcome } from './runner.ts';
import { pythonWindowRegions } from './python-windows.ts';
import { findVirtualDisplayTool } from '../../src/platform/virtual-display.ts';

export interface ScreenshotInput {
  submission: Submission;
  clip: string;
  wire: WireName | undefined;
  display: string | undefined;
  /** The Node server measured in phase 2, still running. */
  live: { server: Launched; ports: StreamPorts } | undefined;
  /** Lines under the pictures (the measured figures). */
  caption: string[];
  /** The clip's frame rate: how long the tutorial's FPS overlay takes to show a figure. */
  sourceFps: number;
  startTimeoutMs: number;
  out: string;
  noSave: boolean;
}

/**
 * The tutorial's client.py counts frames_to_count = 20 frames before it first computes its FPS,
 * and that first figure is 0 (its start time is 0, so it divides by the time since 1970); only the
 * second count shows the real rate. A screenshot taken as soon as the windows are live would show
 * "FPS: 0": the windows are grabbed again once the client has shown two counts' worth of frames.
 */
const TUTORIAL_FPS_COUNT = 20;

function tutorialFpsSettleMs(sourceFps: number): number {
  return Math.ceil(((2 * TUTORIAL_FPS_COUNT) / sourceFps) * 1000) + 300;
}

export interface Screenshot {
  reportCopy: string;
  savedTo?: string;
  fps?: { server?: number; client?: number };
}

type Shot = Outcome<{ windows: WindowShot[]; fps?: Screenshot['fps'] }>;

async function nodePair(input: ScreenshotInput, sub: NodeSubmission): Promise<Shot> {
  const live = input.live;
  if (!live || live.server.exit) return failed(why(live?.server, 'the server is not running'));
  const serverUi = await live.server.out.waitForLine(UI_LINE, 5000);
  if (!serverUi) return failed(why(live.server, "the server printed no 'ui: http://127.0.0.1:PORT/' line"));
  const clientPorts = await allocateStreamPorts();
  let client: Launched | undefined;
  try {
    client = await sub.startClient({ ports: live.ports, ...(input.wire ? { wire: input.wire } : {}), mode: { kind: 'window', uiPort: clientPorts.uiPort } });
    const clientUi = await lineBeforeExit(client, UI_LINE, input.startTimeoutMs);
    if (!clientUi) return failed(why(client, "the client printed no 'ui: http://127.0.0.1:PORT/' line"));
    // Sandboxed pages listen on the sandbox's own loopback: the browser reaches them through bridges.
    const pages = sub.sandbox
      ? await bridgeUrls(sub.sandbox.joinNetwork, [serverUi[1]!, clientUi[1]!])
      : { urls: [serverUi[1]!, clientUi[1]!], close: async () => {} };
    const grabs = await grabPages([
      { url: pages.urls[0]!, title: 'TRANSMITTING VIDEO' },
      { url: pages.urls[1]!, title: 'RECEIVING VIDEO' },
    ])
      .finally(() => pages.close())
      .catch((error: unknown) => {
        if (error instanceof BrowserUnavailableError) return `not run: no browser; fix: ${error.fix}`;
        throw error;
      });
    if (typeof grabs === 'string') return failedOurs(grabs);
    const fps = { ...(grabs[0]?.fps !== undefined ? { server: grabs[0].fps } : {}), ...(grabs[1]?.fps !== undefined ? { client: grabs[1].fps } : {}) };
    const bad = grabs.find((g) => !g.png || !g.live || g.frozen);
    if (bad) return failed(bad.problem ?? `${bad.title}: no picture`);
    return succeeded({ windows: grabs.map((g) => ({ title: g.title, png: g.png!, ...(g.fps !== undefined ? { fps: g.fps } : {}) })), fps });
  } finally {
    await client?.handle.stop();
    releasePorts(clientPorts);
  }
}

async function pythonPair(input: ScreenshotInput, sub: PythonSubmission): Promise<Shot> {
  if (!input.display)
    return failedOurs(`no virtual screen to draw the OpenCV windows on (${findVirtualDisplayTool('Xvfb').missing ?? 'Xvfb did not start'}): no screenshot`);
  if (!sub.client) return failed('no client.py beside server.py: no RECEIVING VIDEO window');
  const display = input.display;
  const ports = await allocateStreamPorts();
  const started: Launched[] = [];
  try {
    const server = await sub.startServer({ clip: input.clip, ports, display });
    started.push(server);
    // audio_stream() prints this once its TCP socket listens (the UDP one is bound before).
    if (!(await lineBeforeExit(server, /listening at/i, input.startTimeoutMs))) return failed(why(server, "server.py did not start (no 'listening at')"));
    const client = await sub.startClient({ ports, display, mode: { kind: 'window', uiPort: 0 } });
    started.push(client);
    const stopped = (): string | undefined => (server.exit ? why(server, 'server.py stopped') : client.exit ? why(client, 'client.py stopped') : undefined);
    const regions = await pythonWindowRegions(input.clip, sub.facts, sub.clientFacts);
    let grabs = await grabLiveWindows(display, regions, { timeoutMs: 20_000, stop: stopped });
    if (grabs.every((g) => g.live)) {
      // Live since (at least) the first of the two grabs: wait out the rest of the FPS overlay's start.
      await sleep(tutorialFpsSettleMs(input.sourceFps));
      const settled = await grabLiveWindows(display, regions, { timeoutMs: 10_000, stop: stopped });
      if (settled.every((g) => g.live)) grabs = settled;
    }
    const bad = grabs.find((g) => !g.live || !g.png);
    if (bad) return failed(bad.problem ?? `${bad.title}: no picture`);
    // The windows draw their own FPS (the tutorial's putText); the title bars carry none.
    return succeeded({ windows: grabs.map((g) => ({ title: g.title, png: g.png! })) });
  } finally {
    await Promise.all(started.map((l) => l.handle.stop()));
    releasePorts(ports);
  }
}

async function save(input: ScreenshotInput, png: Buffer): Promise<Screenshot> {
  const reportCopy = join(input.out, 'screenshot.png');
  await writeFile(reportCopy, png);
  if (input.noSave) return { reportCopy };
  const savedTo = join(input.submission.repo, 'screenshots', screenshotName());
  await mkdir(dirname(savedTo), { recursive: true });
  await copyFile(reportCopy, savedTo);
  return { reportCopy, savedTo };
}

export async function takeScreenshot(input: ScreenshotInput): Promise<Outcome<Screenshot>> {
  const sub = input.submission;
  // In the timing slot too: Chromium or a second pair of OpenCV windows with ffmpeg grabbing the
  // screen kept both cores 90–100 % busy, which another submission's window would measure as its own.
  const shot = await withTimingSlot(() => (sub.kind === 'python' ? pythonPair(input, sub) : nodePair(input, sub)));
  if (!shot.ok) return shot.ours ? failedOurs(shot.reason) : failed(shot.reason);
  try {
    const png = await composeScreenshot(shot.value.windows, input.caption);
    const saved = await save(input, png);
    const result = shot.value.fps ? { ...saved, fps: shot.value.fps } : saved;
    return succeeded(result, saved.savedTo ?? saved.reportCopy);
  } catch (error) {
    if (error instanceof ScreenshotRefusedError) return failed(error.message);
    throw error;
  }
}

/** The caption's first line: when, which repo at which commit, which wire (git run asynchronously). */
export async function captionHead(repo: string, wire: WireName | undefined): Promise<string> {
  const head = await git(repo, ['rev-parse', 'HEAD'], { allowFail: true, timeoutMs: 5000 }).catch(() => undefined);
  const commit = head && head.code === 0 ? head.stdout.trim() : undefined;
  return `avsock · ${new Date().toLocaleString('sv-SE')} · ${basename(repo)}${commit ? ` @ ${commit.slice(0, 10)}` : ''} · wire ${wire ?? '?'}`;
}
