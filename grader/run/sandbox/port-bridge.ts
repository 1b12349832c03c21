/**
 * A TCP port of the grader's network namespace that leads to the same port inside a submission's sandbox
 * (its private loopback): the screenshot's browser runs outside and must load the pages a sandboxed
 * Node server and client serve. The grader listens on 127.0.0.1:0 here and hands the listening
 * socket over IPC to a small process started inside the sandbox's network namespace, which accepts
 * on it and connects to 127.0.0.1:PORT there — a socket keeps the namespace it was made in.
 */
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { startChild } from '../../../src/process/children.ts';
import { withTimeout } from '../../../src/timing/wait.ts';
import type { CommandWrap } from './sandbox.ts';

const CHILD = fileURLToPath(new URL('./port-bridge-child.mjs', import.meta.url));

export interface Bridge {
  /** The port on the grader's 127.0.0.1. */
  port: number;
  close(): Promise<void>;
}

export async function bridgePort(joinNetwork: CommandWrap, targetPort: number, timeoutMs = 10_000): Promise<Bridge> {
  // The same port number as inside when it is free here (it usually is: the grader reserved it):
  // pages that refuse a Host header naming another port (DNS-rebinding protection) still load.
  const listen = (port: number): Promise<net.Server> =>
    new Promise((resolve, reject) => {
      const s = net.createServer({ pauseOnConnect: true });
      s.once('error', reject).listen(port, '127.0.0.1', () => resolve(s));
    });
  const server = await listen(targetPort).catch(() => listen(0));
  const port = (server.address() as net.AddressInfo).port;
  const { command, args } = joinNetwork(process.execPath, [CHILD, String(targetPort)]);
  const child = startChild(command, args, {
    name: `port bridge ${port}→${targetPort}`,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    detached: true,
    stopTimeoutsMs: [300, 300],
  });
  const close = async (): Promise<void> => {
    server.close();
    await child.stop();
  };
  try {
    const died = child.exited.then((e) => {
      throw new Error(`the port bridge exited (${e.signal ?? e.code}): ${child.stderrTail(1).trim()}`);
    });
    died.catch(() => {}); // it exits at close() too: that is not an error
    // Ready, or the bridge's death (passed on as a rejection), whichever comes first.
    const ready = new Promise<void>((resolve, reject) => {
      died.catch(reject);
      child.process.on('message', (m) => m === 'ready' && resolve());
      child.process.send('server', server);
    });
    await withTimeout(ready, timeoutMs, 'starting the port bridge');
    // Only the bridge accepts from now on; our copy of the listening socket is not needed.
    server.close();
    return { port, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The same page through bridges: `urls` rewritten to bridged ports (same-origin pages keep working). */
export async function bridgeUrls(joinNetwork: CommandWrap, urls: string[]): Promise<{ urls: string[]; close(): Promise<void> }> {
  const bridges: Bridge[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(bridges.map((b) => b.close()));
  };
  try {
    const out: string[] = [];
    for (const u of urls) {
      const url = new URL(u);
      const b = await bridgePort(joinNetwork, Number(url.port || 80));
      bridges.push(b);
      url.port = String(b.port);
      out.push(url.toString());
    }
    return { urls: out, close };
  } catch (error) {
    await close();
    throw error;
  }
}
