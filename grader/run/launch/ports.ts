/**
 * Free loopback ports for a submission: a UDP video port P with TCP P−1 free for audio (the
 * tutorial's port−1 convention), and a TCP port for each window page. Ports handed out by this
 * process are remembered (a PortPool; the grader process has one), so parallel jobs (--jobs) never
 * get the same one even before their server binds it; each is also checked by really binding it.
 */
import dgram from 'node:dgram';
import net from 'node:net';

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Below Linux's ephemeral range (32768–60999), so the OS never hands one of ours to a client socket. */
const LOW = 20_000;
const HIGH = 32_000;

export interface StreamPorts {
  videoPort: number;
  audioPort: number;
  uiPort: number;
}

/** Ports handed out and not yet released: one pool per grader process (`gradingPorts`). */
export class PortPool {
  readonly #reserved = new Set<number>();

  async #pick(check: (p: number) => Promise<boolean>, span: number): Promise<number> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const base = LOW + Math.floor(Math.random() * (HIGH - LOW - span));
      let ok = true;
      for (let p = base; p < base + span; p++) if (this.#reserved.has(p)) ok = false;
      if (!ok || !(await check(base))) continue;
      for (let p = base; p < base + span; p++) this.#reserved.add(p);
      return base;
    }
    throw new Error(`no free loopback ports between ${LOW} and ${HIGH}`);
  }

  /** audioPort = videoPort − 1 (TCP), videoPort (UDP), uiPort (TCP). */
  async allocateStreamPorts(): Promise<StreamPorts> {
    const audioPort = await this.#pick(async (p) => (await tcpFree(p)) && (await udpFree(p + 1)) && (await tcpFree(p + 1)), 2);
    const uiPort = await this.#pick(tcpFree, 1);
    return { audioPort, videoPort: audioPort + 1, uiPort };
  }

  release(ports: StreamPorts): void {
    this.#reserved.delete(ports.audioPort);
    this.#reserved.delete(ports.videoPort);
    this.#reserved.delete(ports.uiPort);
  }
}

/** The grader process's one pool. */
export const gradingPorts = new PortPool();

/** gradingPorts.allocateStreamPorts(). */
export function allocateStreamPorts(): Promise<StreamPorts> {
  return gradingPorts.allocateStreamPorts();
}

/** gradingPorts.release(). */
export function releasePorts(ports: StreamPorts): void {
  gradingPorts.release(ports);
}
