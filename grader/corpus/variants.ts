/**
 * A corpus of realistic student submissions, each made from the tutorial's own server.py/client.py
 * (test/fixtures/tutorial) or from this template's committed tree, with its fair verdict for every
 * rubric item written down here, before any grading: what a real client (one that shows frames and
 * plays sound in real time) sees. corpus-run.ts grades them all and compares item by item.
 *
 * A verdict is 'pass' or 'fail', or an object when a plain comparison would be dishonest:
 * - `either`: the fair verdict is given, but the other one is also accepted, for the reason stated
 *   (a figure at the rubric's limit on a shared machine, a screenshot racing a server that dies).
 * Repos are committed to a fresh git repo with no remote: "pushed" fails for all.
 *
 * Corrected after the first run (the rest stands as declared before it):
 * - mandatory.submodule: pass, not fail. The check asks whether `git submodule add <this repo>`
 *   would work, which a local repo with no remote satisfies; the declaration misread the check.
 * - template-slow screenshot.live: fail, not pass. The template's client drops frames that come
 *   late against its audio clock, so with video 20 % slow its RECEIVING VIDEO window stops; a
 *   user sees the same frozen window. Later runs under load also saw it pass (the grab came before
 *   every frame was late), so the other verdict is accepted, with that reason.
 * - tutorial server.py audioPaced: fail, not pass. Its audio thread sends as fast as sendall()
 *   returns and relies on the client's blocking write for pace; the rubric item asks the server to
 *   pace its own sound (the audio-paced variant does), and the real-time probe says so.
 * - tutorial server.py A/V and drift, no-pacing's end: `either` (see each reason), after seeing
 *   how much they move with the machine's load and the player's buffer.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GRADER_ROOT } from '../run/reference.ts';

const exec = promisify(execFile);
const TUTORIAL = fileURLToPath(new URL('../../test/fixtures/tutorial/', import.meta.url));

export type ItemId =
  | 'mandatory.screenshot'
  | 'mandatory.gitignore'
  | 'mandatory.pushed'
  | 'mandatory.submodule'
  | 'server.streams'
  | 'server.fps'
  | 'server.jitter'
  | 'server.drift'
  | 'server.freezes'
  | 'server.audioPaced'
  | 'server.avsync'
  | 'client.works'
  | 'client.fps'
  | 'client.audio'
  | 'screenshot.live';

export type Verdict = 'pass' | 'fail' | { fair: 'pass' | 'fail'; either: string };

export interface Variant {
  name: string;
  /** What the student did, and what a real client sees. */
  about: string;
  kind: 'python' | 'node';
  make(dir: string): Promise<void>;
  expected: Record<ItemId, Verdict>;
}

export function fairVerdict(v: Verdict): 'pass' | 'fail' {
  return typeof v === 'string' ? v : v.fair;
}

/** Replaces `from` (which must occur) with `to`, so a corpus that no longer matches its source fails loudly. */
function patch(text: string, from: string | RegExp, to: string): string {
  const found = typeof from === 'string' ? text.includes(from) : from.test(text);
  if (!found) throw new Error(`corpus: ${String(from)} not found in the tutorial source`);
  return typeof from === 'string' ? text.split(from).join(to) : text.replace(from, to);
}

async function tutorial(file: 'server.py' | 'client.py'): Promise<string> {
  return readFile(join(TUTORIAL, file), 'utf8');
}

const PY_GITIGNORE = '__pycache__/\n*.pyc\ntemp.wav\n*.log\n.env\n';

function pythonVariant(edit: {
  server?: (s: string) => string;
  client?: (s: string) => string;
  extra?: (dir: string) => Promise<void>;
}): (dir: string) => Promise<void> {
  return async (dir) => {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'server.py'), (edit.server ?? ((s) => s))(await tutorial('server.py')));
    await writeFile(join(dir, 'client.py'), (edit.client ?? ((s) => s))(await tutorial('client.py')));
    await writeFile(join(dir, '.gitignore'), PY_GITIGNORE);
    await edit.extra?.(dir);
  };
}

/** This template's committed tree (git archive HEAD), with the grader's node_modules linked in. */
function templateVariant(edit?: (dir: string) => Promise<void>): (dir: string) => Promise<void> {
  return async (dir) => {
    await mkdir(dir, { recursive: true });
    const tar = join(dir, '..', `${join(dir).split('/').pop()}.tar`);
    await exec('git', ['-C', GRADER_ROOT, 'archive', '--format=tar', '-o', tar, 'HEAD']);
    await exec('tar', ['-xf', tar, '-C', dir]);
    await rm(tar, { force: true });
    // Run in place with the grader's own dependencies (no npm ci: offline and fast): a real
    // node_modules/ folder of links (git refuses paths "beyond a symbolic link"), never committed.
    const modules = join(GRADER_ROOT, 'node_modules');
    await mkdir(join(dir, 'node_modules'));
    for (const entry of await readdir(modules)) await symlink(join(modules, entry), join(dir, 'node_modules', entry));
    await edit?.(dir);
  };
}

const WAIT_KEY = 'key = cv2.waitKey(int(1000*TS)) & 0xFF';
const AUDIO_SEND = `            while True:
                data = wf.readframes(CHUNK)
                a = pickle.dumps(data)
                message = struct.pack("Q",len(a))+a
                client_socket.sendall(message)`;

/** What every tutorial-based variant shares: no committed screenshot, a Python .gitignore, no remote. */
const PY_MANDATORY = { 'mandatory.screenshot': 'fail', 'mandatory.gitignore': 'pass', 'mandatory.pushed': 'fail', 'mandatory.submodule': 'pass' } as const;
const CLIENT_OK = { 'client.works': 'pass', 'client.fps': 'pass', 'client.audio': 'pass' } as const;
const JITTER_AT_LIMIT: Verdict = {
  fair: 'pass',
  either: "the tutorial's own pacing loop measures p99 4.7–4.9 ms with a real-time client on a quiet machine: at the 5 ms limit",
};
const SERVER_DEAD: Record<
  'server.streams' | 'server.fps' | 'server.jitter' | 'server.drift' | 'server.freezes' | 'server.audioPaced' | 'server.avsync',
  'fail'
> = {
  'server.streams': 'fail',
  'server.fps': 'fail',
  'server.jitter': 'fail',
  'server.drift': 'fail',
  'server.freezes': 'fail',
  'server.audioPaced': 'fail',
  'server.avsync': 'fail',
};
const TUTORIAL_DRIFT: Verdict = { fair: 'fail', either: 'a real-time client measures 34 ms of drift against a 20 ms limit: near it' };
/** With no clock of its own for sound, the offset is how much sound the player has queued. */
const TUTORIAL_AV: Verdict = {
  fair: 'pass',
  either: "server.py has no clock for its sound (the client's blocking write paces it), so A/V is the player's buffer depth, not the server's",
};
/** The tutorial's server.py as a real-time client sees it: right rate, steady, 34 ms of drift (over 20), sound not paced by the server itself. */
const TUTORIAL_SERVER = {
  'server.streams': 'pass',
  'server.fps': 'pass',
  'server.jitter': JITTER_AT_LIMIT,
  'server.drift': TUTORIAL_DRIFT,
  'server.freezes': 'pass',
  'server.audioPaced': 'fail',
  'server.avsync': TUTORIAL_AV,
} as const satisfies Partial<Record<ItemId, Verdict>>;

export const VARIANTS: readonly Variant[] = [
  {
    name: 'tutorial-verbatim',
    about: "the tutorial's server.py and client.py, unchanged",
    kind: 'python',
    make: pythonVariant({}),
    expected: { ...PY_MANDATORY, ...TUTORIAL_SERVER, ...CLIENT_OK, 'screenshot.live': 'pass' },
  },
  {
    name: 'no-pacing',
    about: 'waitKey(1) instead of the TS delay: ~178 fps, the 20 s clip is sent in ~3.4 s, then vid.read() returns None and the reader thread os._exit(1)s',
    kind: 'python',
    make: pythonVariant({ server: (s) => patch(s, WAIT_KEY, 'key = cv2.waitKey(1) & 0xFF') }),
    expected: {
      ...PY_MANDATORY,
      ...SERVER_DEAD,
      'server.streams': {
        fair: 'fail',
        either: 'at ~178 fps the 20 s clip lasts ~3.4 s; on a busy machine the unpaced loop runs slower and outlasts a 5 s window',
      },
      'server.freezes': { fair: 'fail', either: 'the same: no freeze while it lasts the window' },
      ...CLIENT_OK,
      'screenshot.live': { fair: 'pass', either: 'both windows are live for ~3 s before server.py exits: the grab races that' },
    },
  },
  {
    name: 'sleep-fps',
    about:
      'time.sleep(1/FPS) after each send instead of the adaptive TS: slower than the file (sleep + encode + imshow per frame), drifting further every second',
    kind: 'python',
    make: pythonVariant({ server: (s) => patch(s, WAIT_KEY, 'time.sleep(1/FPS)\n            key = cv2.waitKey(1) & 0xFF') }),
    expected: {
      ...PY_MANDATORY,
      'server.streams': 'pass',
      'server.fps': 'fail',
      'server.jitter': { fair: 'pass', either: 'sleep() wakes late by scheduler noise; p99 sits near the 5 ms limit' },
      'server.drift': 'fail',
      'server.freezes': 'pass',
      'server.audioPaced': 'fail',
      'server.avsync': 'fail',
      ...CLIENT_OK,
      'screenshot.live': 'pass',
    },
  },
  {
    name: 'audio-paced',
    about: 'the audio thread sleeps until t0 + k·CHUNK/44100 before each chunk, instead of relying on the client',
    kind: 'python',
    make: pythonVariant({
      server: (s) =>
        patch(
          s,
          AUDIO_SEND,
          `            t0 = time.monotonic()
            k = 0
            while True:
                data = wf.readframes(CHUNK)
                a = pickle.dumps(data)
                message = struct.pack("Q",len(a))+a
                client_socket.sendall(message)
                k += 1
                time.sleep(max(0, t0 + k*CHUNK/44100 - time.monotonic()))`,
        ),
    }),
    expected: { ...PY_MANDATORY, ...TUTORIAL_SERVER, 'server.audioPaced': 'pass', ...CLIENT_OK, 'screenshot.live': 'pass' },
  },
  {
    name: 'no-audio-thread',
    about: 'the audio thread is never started: video fine, no sound',
    kind: 'python',
    make: pythonVariant({ server: (s) => patch(s, '    executor.submit(audio_stream)\n', '') }),
    expected: {
      ...PY_MANDATORY,
      'server.streams': 'fail',
      'server.fps': 'pass',
      'server.jitter': JITTER_AT_LIMIT,
      'server.drift': TUTORIAL_DRIFT,
      'server.freezes': 'pass',
      'server.audioPaced': 'fail',
      'server.avsync': 'fail',
      ...CLIENT_OK,
      'screenshot.live': 'pass',
    },
  },
  {
    name: 'crash-mid-stream',
    about: 'a ZeroDivisionError after 90 frames (3 s) ends server.py (traceback, exit 1)',
    kind: 'python',
    make: pythonVariant({
      server: (s) =>
        patch(
          s,
          'server_socket.sendto(message,client_addr)\n',
          `server_socket.sendto(message,client_addr)
            sent_frames = globals().get('sent_frames', 0) + 1
            globals()['sent_frames'] = sent_frames
            if sent_frames == 90:
                try:
                    ratio = sent_frames / (cnt - cnt)
                except ZeroDivisionError:
                    import traceback
                    traceback.print_exc()
                    os._exit(1)
`,
        ),
    }),
    expected: {
      ...PY_MANDATORY,
      ...SERVER_DEAD,
      ...CLIENT_OK,
      'screenshot.live': { fair: 'pass', either: 'both windows are live for 3 s before server.py exits: the grab races that' },
    },
  },
  {
    name: 'upper-case-port',
    about: 'HOST and PORT = 9999 in upper case, in both scripts: works on its own port',
    kind: 'python',
    make: pythonVariant({
      server: (s) => patch(patch(s, /\bhost_ip\b/g, 'HOST'), /\bport\b/g, 'PORT').replace('PORT = 9688', 'PORT = 9999'),
      client: (s) => patch(patch(s, /\bhost_ip\b/g, 'HOST'), /\bport\b/g, 'PORT').replace('PORT = 9688', 'PORT = 9999'),
    }),
    expected: { ...PY_MANDATORY, ...TUTORIAL_SERVER, ...CLIENT_OK, 'screenshot.live': 'pass' },
  },
  {
    name: 'client-raises',
    about: "client.py sends 'Hello' as str: sendto() raises TypeError at start, nothing is shown or played",
    kind: 'python',
    make: pythonVariant({ client: (s) => patch(s, "message = b'Hello'", "message = 'Hello'") }),
    expected: { ...PY_MANDATORY, ...TUTORIAL_SERVER, 'client.works': 'fail', 'client.fps': 'fail', 'client.audio': 'fail', 'screenshot.live': 'fail' },
  },
  {
    name: 'slow-client',
    about:
      'client.py waits 50 ms per frame (waitKey(50)): its window shows ~20 of the 30 frames sent each second, the rest are dropped from a full socket buffer; sound is fine',
    kind: 'python',
    make: pythonVariant({ client: (s) => patch(s, 'key = cv2.waitKey(1) & 0xFF', 'key = cv2.waitKey(50) & 0xFF') }),
    expected: { ...PY_MANDATORY, ...TUTORIAL_SERVER, ...CLIENT_OK, 'client.fps': 'fail', 'screenshot.live': 'pass' },
  },
  {
    name: 'other-resolution',
    about: 'pictures resized to 320 px wide instead of 400 (both WIDTH constants)',
    kind: 'python',
    make: pythonVariant({ server: (s) => patch(s, /WIDTH=400/g, 'WIDTH=320') }),
    expected: { ...PY_MANDATORY, ...TUTORIAL_SERVER, ...CLIENT_OK, 'screenshot.live': 'pass' },
  },
  {
    name: 'stale-temp-wav',
    about: 'the tutorial with a 3 s temp.wav of silence committed (ffmpeg will not overwrite it with stdin closed)',
    kind: 'python',
    make: pythonVariant({
      extra: async (dir) => {
        await exec('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=stereo', '-t', '3', '-y', join(dir, 'temp.wav')]);
        await writeFile(join(dir, '.gitignore'), '__pycache__/\n*.pyc\n*.log\n.env\n');
      },
    }),
    // temp.wav is committed, so tracked.ignored/gitignore.effective fail; the grader removes it from its copy.
    expected: { ...PY_MANDATORY, 'mandatory.gitignore': 'fail', ...TUTORIAL_SERVER, ...CLIENT_OK, 'screenshot.live': 'pass' },
  },
  {
    name: 'template-unchanged',
    about: "this template as committed, its own screenshot included: streams well, but the screenshot is not the student's",
    kind: 'node',
    make: templateVariant(),
    expected: {
      'mandatory.screenshot': 'fail',
      'mandatory.gitignore': 'pass',
      'mandatory.pushed': 'fail',
      'mandatory.submodule': 'pass',
      'server.streams': 'pass',
      'server.fps': 'pass',
      'server.jitter': 'pass',
      'server.drift': 'pass',
      'server.freezes': 'pass',
      'server.audioPaced': 'pass',
      'server.avsync': 'pass',
      ...CLIENT_OK,
      'screenshot.live': 'pass',
    },
  },
  {
    name: 'template-slow',
    about:
      'the template with every video deadline stretched by 1.25 (24 fps for a 30 fps file, audio on time): the picture falls behind the sound by 1 s every 4 s',
    kind: 'node',
    make: templateVariant(async (dir) => {
      const file = join(dir, 'src', 'server', 'stream-server.ts');
      const text = await readFile(file, 'utf8');
      // Where each frame's send time is decided: queued with its deadline for the sender thread
      // (this template now), or awaited on the main loop (older trees).
      const stretched = text.includes('let dueMs = base + ptsUs / 1000;')
        ? patch(text, 'let dueMs = base + ptsUs / 1000;', 'let dueMs = base + (ptsUs * 1.25) / 1000;')
        : patch(text, 'await pacer.waitFor(ptsUs, signal);', 'await pacer.waitFor(ptsUs * 1.25, signal);');
      await writeFile(file, stretched);
    }),
    expected: {
      'mandatory.screenshot': 'fail',
      'mandatory.gitignore': 'pass',
      'mandatory.pushed': 'fail',
      'mandatory.submodule': 'pass',
      'server.streams': 'pass',
      'server.fps': 'fail',
      'server.jitter': 'pass',
      'server.drift': 'fail',
      'server.freezes': 'pass',
      'server.audioPaced': 'pass',
      'server.avsync': 'fail',
      ...CLIENT_OK,
      'screenshot.live': {
        fair: 'fail',
        either:
          'the client drops frames once they are late against its audio clock; whether they all are when the grab happens (the lag grows 0.2 s a second) depends on when the screenshot phase gets the slot',
      },
    },
  },
];

/** Makes a variant in `dir` and commits it to a fresh git repo (no remote). */
export async function makeVariant(v: Pick<Variant, 'name' | 'make'>, dir: string): Promise<void> {
  await v.make(dir);
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'student',
    GIT_AUTHOR_EMAIL: 's@example.com',
    GIT_COMMITTER_NAME: 'student',
    GIT_COMMITTER_EMAIL: 's@example.com',
  };
  await exec('git', ['init', '-q', '-b', 'main'], { cwd: dir, env });
  await exec('git', ['add', '-A'], { cwd: dir, env });
  // The stale temp.wav is committed on purpose (force past any ignore rule).
  if (existsSync(join(dir, 'temp.wav'))) await exec('git', ['add', '-f', 'temp.wav'], { cwd: dir, env });
  await exec('git', ['commit', '-q', '-m', v.name], { cwd: dir, env });
}

export type RobustnessItemId = 'robustness.clientRuns' | 'robustness.clientShows' | 'robustness.clientAudio' | 'robustness.serverPace';

/** A submission graded through impaired networks (the rubric's robustness phase), with its fair verdicts declared before the run. */
export interface RobustnessVariant {
  name: string;
  about: string;
  kind: 'python' | 'node';
  make(dir: string): Promise<void>;
  /** The rubric's robustness profiles for this grading. */
  profiles: string[];
  expected: Record<RobustnessItemId, Verdict>;
  /** What the report must say when the client fails to keep running. */
  failsBecause?: RegExp;
}

/** Every truncated datagram reaches client.py whole or cut (no fragments lost), one in ten of them cut short. */
const TRUNCATING = 'truncate=10%,mtu=65535';
const ROBUST = {
  'robustness.clientRuns': 'pass',
  'robustness.clientShows': 'pass',
  'robustness.clientAudio': 'pass',
  'robustness.serverPace': 'pass',
} as const satisfies Record<RobustnessItemId, Verdict>;
/** server.py's own sleep-paced loop keeps the rate on a quiet machine (×1.00–1.01) and falls behind beside other work (×0.92 with two busy loops). */
const PY_SERVER_PACE: Verdict = {
  fair: 'pass',
  either: "server.py's sleep-paced loop reads ×0.92 of the clip's rate with two busy loops beside it: a timing figure",
};
/** The tutorial's client.py, its server.py unchanged: as ROBUST, the server's pace a timing figure. */
const PY_ROBUST = { ...ROBUST, 'robustness.serverPace': PY_SERVER_PACE } as const satisfies Record<RobustnessItemId, Verdict>;
/** A client whose video loop dies on the first datagram that does not decode: its sound and its server are fine. */
const VIDEO_DIES = { ...PY_ROBUST, 'robustness.clientRuns': 'fail', 'robustness.clientShows': 'fail' } as const satisfies Record<RobustnessItemId, Verdict>;

export const ROBUSTNESS_VARIANTS: readonly RobustnessVariant[] = [
  {
    name: 'template-hostile-path',
    about:
      "this template through 5 % loss on a 1500-byte path, then duplicated, reordered and truncated datagrams: the framed wire's receiver counts what it loses and shows the rest",
    kind: 'node',
    make: templateVariant(),
    profiles: ['lossy', 'loss=1%,dup=2%,reorder=2%,truncate=5%,delay=5ms,mtu=1500'],
    expected: ROBUST,
  },
  {
    name: 'tutorial-verbatim-lossy',
    about:
      "the tutorial's client.py through 5 % loss on a 1500-byte path: a lost fragment loses the whole datagram, and client.py shows the next one that arrives",
    kind: 'python',
    make: pythonVariant({}),
    profiles: ['lossy'],
    expected: PY_ROBUST,
  },
  {
    name: 'tutorial-verbatim-truncated',
    about:
      "the tutorial's client.py given datagrams cut short: base64 raises binascii.Error, the video thread ends, and ThreadPoolExecutor keeps the exception to itself — the window freezes while the sound plays on",
    kind: 'python',
    make: pythonVariant({}),
    profiles: [TRUNCATING],
    expected: VIDEO_DIES,
    failsBecause: /showed nothing new for the last [\d.]+ s while frames kept arriving/,
  },
  {
    name: 'client-threads-truncated',
    about:
      'client.py with plain threads instead of the ThreadPoolExecutor (a common rewrite): the first datagram cut short prints a traceback from the video thread, which stops; the sound plays on',
    kind: 'python',
    make: pythonVariant({
      client: (s) =>
        patch(
          s,
          `with ThreadPoolExecutor(max_workers=2) as executor:
	executor.submit(audio_stream)
	executor.submit(video_stream)`,
          `threads = [threading.Thread(target=audio_stream), threading.Thread(target=video_stream)]
for t in threads: t.start()
for t in threads: t.join()`,
        ),
    }),
    profiles: [TRUNCATING],
    expected: VIDEO_DIES,
    failsBecause: /traceback.*(binascii|padding|base64)/i,
  },
];
