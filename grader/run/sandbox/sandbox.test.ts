/**
 * The sandbox against a hostile submission run directly in it (grader/testing/hostile/server.py,
 * mode escape): every escape attempt fails, what each one saw is recorded, and the submission's
 * stream is still received by a client that joined only the sandbox's network namespace.
 */
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { need, skipFor } from '../../../test/support/requirements.ts';
import { tempDir } from '../../testing/fixtures.ts';
import { bwrapArgs, DEFAULT_LIMITS, detectSandbox, SANDBOX_HOME, SubmissionSandbox } from './sandbox.ts';
import { launch, markedProcesses } from '../launch/launch.ts';
import { preparePythonScript } from '../python/python.ts';

const HOSTILE_SERVER = new URL('../../testing/hostile/server.py', import.meta.url).pathname;
const GRADER_ROOT = new URL('../../..', import.meta.url).pathname;
const support = detectSandbox();
// A sandbox needs bwrap that can make namespaces here (detectSandbox tries the real recipe).
const noSandbox = (await need('bwrap', 'python3')) ?? (support.ok ? undefined : skipFor('bwrap', support.reason ?? 'cannot make a sandbox'));
const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

describe('bwrapArgs()', () => {
  const args = bwrapArgs({
    mode: 'root',
    uid: 200_000,
    limits: DEFAULT_LIMITS,
    writable: ['/tmp/copy-x'],
    readable: ['/srv/clip.mp4'],
    command: 'python3',
    args: ['-u', 'server.py'],
    netns: true,
  });
  it('binds the system read-only and mounts no HOME or checkout of the instructor', () => {
    expect(args.join(' ')).toContain('--ro-bind /usr /usr');
    const bound = args.flatMap((a, i) => (/^--(ro-)?bind$/.test(a) ? [args[i + 1]!] : []));
    expect(bound).not.toContain(homedir());
    expect(bound.filter((p) => GRADER_ROOT.startsWith(`${p}/`) || p.startsWith(GRADER_ROOT))).toEqual([]);
    expect(args.join(' ')).toContain(`--tmpfs ${SANDBOX_HOME}`);
  });
  it('drops to the given uid under rlimits, in its own pid namespace, and runs the command last', () => {
    expect(args).toContain('--unshare-pid');
    expect(args).toContain('--die-with-parent');
    expect(args).toContain('--reuid=200000');
    expect(args).toContain(`--nproc=${DEFAULT_LIMITS.processes}`);
    expect(args.slice(-3)).toEqual(['python3', '-u', 'server.py']);
  });
  it('stays in the private network namespace unless the host network is asked for', () => {
    expect(args).not.toContain('--share-net');
    expect(
      bwrapArgs({ mode: 'user', uid: undefined, limits: DEFAULT_LIMITS, writable: [], readable: [], command: 'npm', args: ['ci'], netns: false }),
    ).toContain('--share-net');
  });
});

describe.skipIf(noSandbox)('a submission in the sandbox', () => {
  it('every escape attempt fails while its stream is still received through the shared namespace', async () => {
    const dir = await tempDir('avsock-sandbox-');
    made.push(dir);
    const copy = join(dir, 'copy');
    const home = join(dir, 'home');
    const neighbour = join(dir, 'other-student');
    await Promise.all([mkdir(copy), mkdir(join(home, '.ssh'), { recursive: true }), mkdir(neighbour)]);
    const secret = join(home, '.ssh', 'id_ed25519');
    await writeFile(secret, 'PRIVATE KEY of the instructor\n', { mode: 0o644 });
    await copyFile(HOSTILE_SERVER, join(copy, 'server.py'));
    await writeFile(
      join(copy, 'frame.jpg'),
      await sharp({ create: { width: 64, height: 36, channels: 3, background: { r: 9, g: 9, b: 9 } } })
        .jpeg()
        .toBuffer(),
    );
    const knocks: string[] = [];
    const listener = net.createServer((s) => {
      knocks.push('connection');
      s.on('data', (d) => knocks.push(d.toString()));
      s.on('error', () => {});
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const port = (listener.address() as net.AddressInfo).port;
    const checkoutFile = join(GRADER_ROOT, `.sandbox-escape-${process.pid}`);
    const write = [join(home, 'pwned'), join(neighbour, 'pwned'), checkoutFile, join(dir, 'outside')];
    await writeFile(join(copy, 'hostile.json'), JSON.stringify({ mode: 'escape', write, secret, port, forks: 2000, fill_mb: 1024 }));
    await preparePythonScript(join(copy, 'server.py'), { port: 47_000 });

    const box = await SubmissionSandbox.open({
      writable: [copy],
      readable: [],
      limits: { dataBytes: 512 * 1024 * 1024, processes: 64, fileBytes: 32 * 1024 * 1024, tmpBytes: 16 * 1024 * 1024 },
    });
    const server = launch('server.py', '/usr/bin/python3', ['-u', join(copy, 'server.py')], { cwd: copy, wrap: box.untrusted() });
    // A plain tutorial client, run by the grader in the sandbox's network namespace only.
    const client = `
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(60)
u.sendto(b'Hello', ('127.0.0.1', 47000))
t = socket.create_connection(('127.0.0.1', 46999), timeout=60)
n = 0
while n < 10:
    u.recvfrom(65536); n += 1
print('received', n, 'frames', flush=True)`;
    let probe: ReturnType<typeof launch> | undefined;
    try {
      await expect.poll(() => server.out.text, { timeout: 60_000, interval: 200 }).toMatch(/Listening at/);
      probe = launch('client', 'python3', ['-c', client], { cwd: dir, wrap: box.joinNetwork });
      await expect
        .poll(() => probe!.out.text + (probe!.exit ? `exit ${probe!.exit.code}` : ''), { timeout: 60_000, interval: 200 })
        .toMatch(/received 10 frames|exit/);
      expect(probe.out.text).toContain('received 10 frames');
      const seen = JSON.parse(await readFile(join(copy, 'escape.json'), 'utf8')) as Record<string, string | number>;
      console.info(
        `figures sandbox escape attempts (sandbox start-up ${box.startupMs.toFixed(0)} ms):\n${Object.entries(seen)
          .map(([k, v]) => `  ${k}: ${v}`)
          .join('\n')}`,
      );
      for (const [k, v] of Object.entries(seen)) if (typeof v === 'string' && !['home', 'cwd', 'daemon'].includes(k)) expect(v, k).toMatch(/^failed: /);
      expect(seen['memory hog']).toMatch(/MemoryError/);
      expect(seen['fork bomb']).toMatch(/after \d+ processes/);
      expect(seen['fill own folder']).toMatch(/File too large|after 3\d MiB/);
      expect(seen['fill /tmp']).toMatch(/No space left on device after 1\d MiB/);
      expect(seen.home).toBe(SANDBOX_HOME);
      expect(seen.daemon).toMatch(/^forked/);
      for (const p of write) expect(existsSync(p), p).toBe(false);
    } finally {
      await Promise.all([server.handle.stop(), probe?.handle.stop()]);
      await box.close();
      listener.close();
      await rm(checkoutFile, { force: true });
    }
    expect(knocks).toEqual([]);
    // The daemon it forked lived in the sandbox's pid namespace: gone with it.
    expect(await markedProcesses(`${process.pid}-`, { prefix: true })).toEqual([]);
  }, 120_000);
});

// As root, the same sandbox is tried the way an unprivileged instructor gets it (user namespaces,
// nsenter -U into the holder's): the grader process itself runs as another uid.
const asUser = typeof process.geteuid === 'function' && process.geteuid() === 0 && !noSandbox;
describe.skipIf(!asUser)('a submission in the sandbox of an unprivileged grader', () => {
  it('cannot write outside its copy or reach the host loopback, and the grader still reaches it', async () => {
    const dir = await tempDir('avsock-sandbox-user-');
    made.push(dir);
    const { chown, chmod } = await import('node:fs/promises');
    const { spawn } = await import('node:child_process');
    const uid = 4000 + (process.pid % 1000);
    await chown(dir, uid, uid);
    await chmod(dir, 0o755);
    const listener = net.createServer((s) => s.destroy());
    let knocked = 0;
    listener.on('connection', () => knocked++);
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const port = (listener.address() as net.AddressInfo).port;
    const script = `
      import { SubmissionSandbox } from ${JSON.stringify(new URL('./sandbox.ts', import.meta.url).pathname)};
      import { launch } from ${JSON.stringify(new URL('../launch/launch.ts', import.meta.url).pathname)};
      import { mkdtemp } from 'node:fs/promises';
      const copy = await mkdtemp(${JSON.stringify(join(dir, 'copy-'))});
      const box = await SubmissionSandbox.open({ writable: [copy], readable: [] });
      const py = \`import os, socket
      out = []
      for p in [${JSON.stringify(join(dir, 'outside'))}, os.path.join(\${JSON.stringify(copy)}, 'inside')]:
          try: open(p, 'w').write('x'); out.append('wrote')
          except OSError as e: out.append(type(e).__name__)
      try: socket.create_connection(('127.0.0.1', ${port}), timeout=2); out.append('host reached')
      except OSError as e: out.append(type(e).__name__)
      s = socket.socket(); s.bind(('127.0.0.1', 47001)); s.listen()
      print('uid', os.getuid(), ' '.join(out), flush=True)
      s.accept()\`.replace(/\\n {6}/g, '\\n');
      const server = launch('py', '/usr/bin/python3', ['-c', py], { cwd: copy, wrap: box.untrusted() });
      await server.out.waitForLine(/^uid/, 30000);
      const probe = launch('probe', '/usr/bin/python3', ['-c', "import socket; socket.create_connection(('127.0.0.1', 47001), timeout=5); print('joined')"], { cwd: copy, wrap: box.joinNetwork });
      await probe.handle.exited.catch(() => {});
      console.log(box.mode, server.out.text.trim(), probe.out.text.trim());
      await server.handle.stop(); await box.close();
      process.exit(0);`;
    const file = join(dir, 'as-user.mts');
    await writeFile(file, script);
    await chown(file, uid, uid);
    const child = spawn('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', join(GRADER_ROOT, 'node_modules', '.bin', 'tsx'), file], {
      cwd: dir,
      env: { PATH: '/usr/bin:/bin', HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await new Promise((r) => child.on('close', r));
    } finally {
      child.kill('SIGKILL');
      listener.close();
    }
    // Outside its copy it may write only into its own private tmpfs (the parents bwrap made): never the host's folder.
    expect(out).toMatch(new RegExp(`^user uid ${uid} \\w+ wrote ConnectionRefusedError joined`, 'm'));
    expect(knocked).toBe(0);
    expect(existsSync(join(dir, 'outside'))).toBe(false);
  }, 60_000);
});
