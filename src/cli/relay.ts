/**
 * `npm run relay -- --to HOST:PORT --profile P|SPEC [--listen PORT]`: the impairment relay on its
 * own, in front of any server of either wire — the tutorial's server.py included — so a client
 * (client.py, unchanged, on the tutorial's port) plays through a lossy, late or narrow network.
 * stdout: `relay: …` with the ports (read by scripts); stderr: notices, the status, the summary.
 */
import { isIP } from 'node:net';
import { UsageError } from '../errors.ts';
import { formatSpec, parseNet, parseSpec, PROFILES, type NetSetting } from '../net/spec.ts';
import { numberOption, parseOptions, runMain } from './main.ts';
import { startNetSession } from './net-session.ts';
import { consoleIo } from './sessions.ts';
import { finish, onStopSignal } from './signals.ts';
import { DEFAULT_PORT } from './stream-options.ts';

const OPTIONS = {
  to: { type: 'string' },
  'to-audio-port': { type: 'string' },
  profile: { type: 'string' },
  up: { type: 'string' },
  listen: { type: 'string' },
  'listen-audio-port': { type: 'string' },
  'listen-host': { type: 'string' },
  duration: { type: 'string' },
  stats: { type: 'string' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HELP = `Usage: npm run relay -- --to HOST:PORT --profile P [options]

Sits between a client and a server (UDP video on PORT, TCP audio on PORT − 1, as the tutorial) and
impairs the path: video datagrams are lost, late, reordered, duplicated or cut short; the TCP audio
loses nothing but arrives late. Seeded: the same profile and traffic give the same decisions.
Point the client at the relay's ports instead of the server's.

  --to HOST:PORT            the server's UDP video port (its TCP audio port is PORT − 1)
  --to-audio-port N         the server's TCP audio port, when not PORT − 1
  --profile P               a profile or a spec (below); a profile takes overrides: lossy,seed=7
  --up SPEC                 impair the client → server direction too (default: the profile's delay only)
  --listen N                UDP port for clients (default ${DEFAULT_PORT}, the tutorial's: client.py needs no change);
                            TCP on N − 1
  --listen-audio-port N     TCP port for clients, when not N − 1
  --listen-host ADDR        address to listen on (default 127.0.0.1; 0.0.0.0 for a LAN)
  --duration S              stop after S seconds
  --stats FILE              write what the relay did as JSON at exit
  --debug                   stack traces
  -h, --help                this text

Profiles (server → client; the other way gets the same delay, nothing lost):
${PROFILES.map((p) => `  ${p.name.padEnd(10)} ${formatSpec(p.down)}\n  ${''.padEnd(10)} ${p.summary}`).join('\n')}

Spec fields (tc-netem's units), comma-separated:
  loss=P%        packets lost (each IP fragment of a datagram); burst=N  mean loss run (1 = independent)
  delay=T        one-way delay (us, ms, s);  jitter=T  ± uniform;  overtake=yes  jitter may reorder
  reorder=P%     datagrams held back and sent after the next;  dup=P%  sent twice
  truncate=P%    datagrams cut short;  rate=R  bottleneck (kbit, mbit, gbit);  queue=S  its size (kb, mb)
  mtu=B          path MTU: a larger datagram is lost if any of its fragments is;  seed=N
`;

/** HOST:PORT, [v6]:PORT or localhost:PORT. */
function targetOption(raw: string | undefined): { host: string; port: number } {
  if (raw === undefined) throw new UsageError("--to is required: the server's address and UDP video port, e.g. --to 127.0.0.1:9700");
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(raw.trim());
  const host = m ? (m[1] ?? m[2]!) : '';
  if (!m || (isIP(host) === 0 && host !== 'localhost'))
    throw new UsageError(`--to must be HOST:PORT with an IP address, e.g. 127.0.0.1:9700 or [::1]:9700, got "${raw}"`);
  const port = numberOption('to', m[3], 0, { min: 2, max: 65535, integer: true });
  return { host: host === 'localhost' ? '127.0.0.1' : host, port };
}

function netOptions(profile: string | undefined, up: string | undefined): NetSetting {
  if (profile === undefined)
    throw new UsageError(`--profile is required: one of ${PROFILES.map((p) => p.name).join(', ')}, or a spec such as loss=2%,delay=40ms`);
  const net = parseNet(profile, '--profile');
  return up === undefined ? net : Object.freeze({ ...net, up: parseSpec(up, '--up') });
}

runMain('relay', async (argv) => {
  const { values: v } = parseOptions('relay', argv, OPTIONS);
  if (v.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const to = targetOption(v.to);
  const net = netOptions(v.profile, v.up);
  const toAudioPort = numberOption('to-audio-port', v['to-audio-port'], to.port - 1, { min: 1, max: 65535, integer: true });
  const listen = numberOption('listen', v.listen, DEFAULT_PORT, { min: 0, max: 65535, integer: true });
  const listenAudio = numberOption('listen-audio-port', v['listen-audio-port'], listen === 0 ? 0 : listen - 1, { min: 0, max: 65535, integer: true });
  const listenHost = v['listen-host'] ?? '127.0.0.1';
  if (isIP(listenHost) === 0) throw new UsageError(`--listen-host must be an IP address such as 127.0.0.1 or 0.0.0.0, got "${listenHost}"`);
  const durationS = v.duration === undefined ? undefined : numberOption('duration', v.duration, 0, { min: 0.1, max: 7 * 24 * 3600 });

  const { status, io } = consoleIo(v.debug ?? false);
  let session;
  try {
    session = await startNetSession(
      net,
      { listenHost, videoPort: listen, audioPort: listenAudio, serverHost: to.host, serverVideoPort: to.port, serverAudioPort: toAudioPort },
      io,
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new UsageError(`port ${listen} (UDP) or ${listenAudio} (TCP) on ${listenHost} is taken (is the server on it?); give the relay another --listen`);
    throw error;
  }
  io.out(
    `relay: udp ${listenHost}:${session.relay.videoPort} tcp ${listenHost}:${session.relay.audioPort} → udp ${to.host}:${to.port} tcp ${to.host}:${toAudioPort} (net ${net.label}: ${formatSpec(net.down) || 'no impairment'})`,
  );
  let wake: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => (wake = resolve));
  const removeSignals = onStopSignal(() => wake?.());
  const timer = durationS === undefined ? undefined : setTimeout(() => wake?.(), durationS * 1000);
  try {
    status.start(() => `relay: ${session.status()}`);
    await stopped;
  } finally {
    if (timer) clearTimeout(timer);
    status.stop();
    removeSignals();
    const report = await session.close(); // prints the summary
    if (v.stats) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(v.stats, `${JSON.stringify(report, null, 2)}\n`);
    }
  }
  return finish(0);
});
