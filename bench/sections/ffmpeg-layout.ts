/**
 * What the media changes save: CPU (% of a core, process tree: Node reader + ffmpeg) of reading a
 * 720p30 clip's frames and sound at real time, in the old layout (two ffmpeg processes), in one
 * ffmpeg with two outputs, and in one with the thread counts the server uses
 * (bench/ffmpeg-variant.ts). The steady part only: from 1.5 s after start to the end. The layouts
 * are measured in interleaved rounds (measureLayouts) and each is the median of its rounds, so a
 * burst of load on the machine does not land on one layout only.
 */
import { startChild } from '../../src/process/children.ts';
import { REPO_ROOT, benchClip } from '../start-programs.ts';
import { TreeSampler } from '../proc.ts';
import { pacingClip } from './pacing.ts';

export const LAYOUTS = ['two', 'one', 'one-sized'] as const;
export type Layout = (typeof LAYOUTS)[number];

export const LAYOUT_LABEL: Record<Layout, string> = {
  two: 'two ffmpeg processes, default threads (before)',
  one: 'one ffmpeg, two outputs, default threads',
  'one-sized': 'one ffmpeg, two outputs, sized threads (now)',
};

export interface LayoutResult {
  layout: Layout;
  cpuPct: number;
  peakRssMb: number;
  seconds: number;
}

export async function measureLayout(layout: Layout, seconds: number, log: (msg: string) => void): Promise<LayoutResult> {
  const spec = pacingClip('30', seconds);
  const file = await benchClip(spec, log);
  const child = startChild(process.execPath, ['--import', 'tsx', 'bench/ffmpeg-variant.ts', layout, file, spec.fps, String(seconds)], {
    name: `ffmpeg layout ${layout}`,
    cwd: REPO_ROOT,
    detached: true,
  });
  await child.started;
  const sampler = new TreeSampler(child.pid!, 100).start();
  const t0 = performance.timeOrigin + performance.now();
  try {
    await child.done;
    sampler.stop();
    // The last sample before the tree went away closes the window.
    const last = sampler.samples.at(-1)!.atMs;
    return { layout, cpuPct: sampler.cpuPct(t0 + 1500, last), peakRssMb: sampler.peakRssMb, seconds: (last - t0 - 1500) / 1000 };
  } finally {
    sampler.stop();
    await child.stop();
  }
}

/** Every layout once per round, `rounds` rounds, interleaved; the median per layout. */
export async function measureLayouts(rounds: number, seconds: number, log: (msg: string) => void): Promise<LayoutResult[][]> {
  const byLayout: LayoutResult[][] = LAYOUTS.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, layout] of LAYOUTS.entries()) {
      log(`media layout ${layout} (round ${round + 1} of ${rounds})`);
      byLayout[i]!.push(await measureLayout(layout, seconds, log));
    }
  }
  return byLayout;
}
