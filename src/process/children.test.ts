import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChildExitError, ChildStartError, listChildren, startChild, stopAllChildren } from './children.ts';
import { StderrTail } from './stderr-tail.ts';
import { isRunning } from '../platform/processes.ts';

const node = process.execPath;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterEach(async () => {
  await stopAllChildren();
});

describe('startChild / stop', () => {
  it('starts a child, reports its exit, and leaves the registry', async () => {
    const child = startChild(node, ['-e', 'process.exit(0)'], { name: 'ok' });
    await child.started;
    expect(child.pid).toBeGreaterThan(0);
    await expect(child.exited).resolves.toEqual({ code: 0, signal: null });
    await child.done;
    await vi.waitFor(() => expect(listChildren()).not.toContain(child));
  });

  it('stop() ends a cooperative child with SIGINT, and is idempotent', async () => {
    const child = startChild(node, ['-e', 'setInterval(() => {}, 1000)'], { name: 'sleeper' });
    await child.started;
    const a = child.stop();
    const b = child.stop();
    expect(a).toBe(b);
    await a;
    await child.stop();
    expect((await child.exited).signal).toBe('SIGINT'); // ended by the first step, not by an escalation
    await expect(child.done).resolves.toBeUndefined(); // stopped by us: not an error
  });

  it('stop() runs afterStop once, after the child has exited, however often it is called', async () => {
    const seen: Array<number | null> = [];
    const child = startChild(node, ['-e', 'setInterval(() => {}, 1000)'], {
      name: 'with afterStop',
      afterStop: async () => {
        seen.push((await child.exited).code ?? -1);
        expect(alive(child.pid!)).toBe(false);
      },
    });
    await child.started;
    await Promise.all([child.stop(), child.stop()]);
    await child.stop();
    expect(seen).toHaveLength(1);
  });

  it('escalates to SIGTERM and then SIGKILL for a child that ignores SIGINT and SIGTERM', async () => {
    const child = startChild(
      node,
      ['-e', "process.on('SIGINT', () => {}); process.on('SIGTERM', () => {}); console.error('ready'); setInterval(() => {}, 1000)"],
      { name: 'stubborn', stopTimeoutsMs: [200, 200] },
    );
    await vi.waitFor(() => expect(child.stderrTail()).toContain('ready'));
    const t0 = performance.now();
    await child.stop();
    const took = performance.now() - t0;
    expect((await child.exited).signal).toBe('SIGKILL');
    expect(took).toBeGreaterThanOrEqual(380);
    expect(took).toBeLessThan(5000);
  });

  it('with detached: true, stop() kills the whole group, grandchildren included', async () => {
    const script =
      "const { spawn } = require('node:child_process');" +
      "const g = spawn(process.execPath, ['-e', \"process.on('SIGINT', () => {}); setInterval(() => {}, 1000)\"], { stdio: 'ignore' });" +
      'console.log(g.pid); setInterval(() => {}, 1000);';
    const child = startChild(node, ['-e', script], {
      name: 'parent',
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      stopTimeoutsMs: [200, 200],
    });
    let out = '';
    child.process.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await vi.waitFor(() => expect(out).toMatch(/^\d+\n/));
    const grandchild = Number(out.trim());
    expect(alive(grandchild)).toBe(true);
    await child.stop();
    // The grandchild ignored SIGINT, so the group got SIGTERM; it is gone (or a zombie awaiting init).
    await vi.waitFor(async () => expect(await isRunning(grandchild)).toBe(false));
  });

  it('a program that does not exist is a ChildStartError, not an exit error', async () => {
    const child = startChild('/nonexistent/avsock-no-such-tool', [], { name: 'ghost' });
    const error = await child.started.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChildStartError);
    expect((error as ChildStartError).code).toBe('E_CHILD_START');
    expect((error as Error).message).toMatch(/ghost failed to start: .*ENOENT/);
    await expect(child.exited).rejects.toBeInstanceOf(ChildStartError);
    await expect(child.done).rejects.toBeInstanceOf(ChildStartError);
    await child.stop(); // harmless
  });

  it('a non-zero exit is a ChildExitError with pid, code and the stderr tail', async () => {
    const child = startChild(node, ['-e', "for (let i = 0; i < 200; i++) console.error('line ' + i); process.exit(3)"], { name: 'failing' });
    const error = (await child.done.catch((e: unknown) => e)) as ChildExitError;
    expect(error).toBeInstanceOf(ChildExitError);
    expect(error.exitCode).toBe(3);
    expect(error.signal).toBeNull();
    expect(error.pid).toBe(child.pid);
    expect(error.message).toBe(`failing (pid ${child.pid}) exited with code 3: line 199`);
    const lines = error.stderrTail.split('\n');
    expect(lines).toHaveLength(50); // bounded
    expect(lines[49]).toBe('line 199');
    expect(child.stderrTail(2)).toBe('line 198\nline 199');
  });

  it('stopAllChildren() stops every registered child', async () => {
    const kids = [1, 2, 3].map((i) => startChild(node, ['-e', 'setInterval(() => {}, 1000)'], { name: `k${i}` }));
    await Promise.all(kids.map((k) => k.started));
    await stopAllChildren();
    for (const k of kids) expect((await k.exited).signal).not.toBeNull();
    await vi.waitFor(() => expect(listChildren()).toHaveLength(0));
  });
});

describe('StderrTail', () => {
  it('keeps the last lines, split on \\n, \\r\\n and \\r, across chunk boundaries', () => {
    const t = new StderrTail(3);
    t.push('a\nb');
    t.push('c\r\nd\re\n');
    t.push('f');
    expect(t.text()).toBe('d\ne\nf');
    expect(t.lastLine()).toBe('f');
  });

  it('is bounded in bytes even for one endless line', () => {
    const t = new StderrTail(50, 1024);
    for (let i = 0; i < 1000; i++) t.push('x'.repeat(1000));
    expect(t.text().length).toBeLessThanOrEqual(1024);
    for (let i = 0; i < 100; i++) t.push('y'.repeat(500) + '\n');
    expect(t.text().length).toBeLessThanOrEqual(2048);
  });
});
