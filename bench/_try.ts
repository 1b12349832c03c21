import { probeServer } from '../grader/measure/probe.ts';
import { benchClip, startServer } from './launch.ts';
import { pacingClip } from './sections/pacing.ts';
import { processTree, parseProcStat } from './proc.ts';
import { readFileSync, readdirSync } from 'node:fs';
const require_tasks = (p: number) => readdirSync(`/proc/${p}/task`).map((t) => `${p}/task/${t}`);
import { stopAllChildren } from '../src/process/children.ts';
const clients = Number(process.argv[2] ?? 1);
const wire = (process.argv[3] ?? 'tutorial') as 'tutorial' | 'framed';
try {
  const file = await benchClip(pacingClip('30', 6));
  const server = await startServer({ file, wire, pacing: 'deadline', loop: true, nodeArgs: ["--cpu-prof", "--cpu-prof-dir=/tmp/prof"] });
  const snap = () => new Map([...processTree(server.pid).flatMap((p) => require_tasks(p))].map((p) => { const s = parseProcStat(readFileSync(`/proc/${p}/stat`, 'utf8')); return [p, { comm: s.comm, t: s.utime + s.stime, u: s.utime, s: s.stime }]; }));
  const probes = Array.from({ length: clients }, () => probeServer({ host: server.host, videoPort: server.videoPort, audioPort: server.audioPort, wire, seconds: 8, maxKeptJpegBytes: 0, maxKeptPcmBytes: 0 }));
  await new Promise((r) => setTimeout(r, 2000));
  const a = snap(); const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 5000));
  const b = snap(); const dt = (performance.now() - t0) / 1000;
  for (const [pid, v] of b) { const w = a.get(pid); if (w) console.log(pid, v.comm, ((v.t - w.t) / dt).toFixed(1) + '%', 'user', ((v.u - w.u) / dt).toFixed(1), 'sys', ((v.s - w.s) / dt).toFixed(1)); }
  await Promise.all(probes);
  await server.child.stop();
} finally { await stopAllChildren(); }
