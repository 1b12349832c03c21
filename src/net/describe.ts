/**
 * The relay's report in words: rows for a window's stats table, the one-line status, and the
 * closing summary. Pure formatting; the figures are RelayReport's.
 */
import type { RelayReport } from './impairment-relay.ts';

function droppedOf(r: RelayReport): number {
  const d = r.video.down.dropped;
  return d.loss + d.fragment + d.queue;
}

function pct(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)} %` : '–';
}

/** Why datagrams were lost, only the causes that happened: "loss 12, fragment 3, queue 0" → "loss 12, fragment 3". */
function causes(r: RelayReport): string {
  const d = r.video.down.dropped;
  const parts = [
    ['loss', d.loss],
    ['fragment', d.fragment],
    ['queue', d.queue],
  ]
    .filter(([, n]) => (n as number) > 0)
    .map(([k, n]) => `${k} ${n}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/**
 * Three rows for the windows (short labels and values: the page lays them out in two narrow
 * columns under a 400 px picture, in a window 330 px high): the profile with the video's added
 * delay, what the path broke, and how late the audio is.
 */
export function netRows(r: RelayReport): Record<string, string | number> {
  const f = r.frames;
  const v = r.video.down;
  const meanDelay = v.forwarded > 0 ? v.delaySumMs / v.forwarded : 0;
  return {
    net: `${r.net} +${meanDelay.toFixed(0)} ms`,
    'net lost': `${droppedOf(r)} dg, ${f.frames - f.whole} fr`,
    'audio late': `${r.audio.down.lastDelayMs.toFixed(0)} ms`,
  };
}

/** The relay's part of a status line. */
export function netStatus(r: RelayReport): string {
  const f = r.frames;
  return `net ${r.net}: lost ${droppedOf(r)}/${r.video.down.datagrams} dgrams, frames ${f.whole}/${f.frames} whole | audio +${r.audio.down.lastDelayMs.toFixed(0)} ms`;
}

/** What the relay did, in one line, ending with what an in-order receiver must report lost. */
export function netSummary(r: RelayReport): string {
  const v = r.video.down;
  const f = r.frames;
  const extras = [
    v.duplicated ? `duplicated ${v.duplicated}` : '',
    v.truncated ? `truncated ${v.truncated}` : '',
    v.reordered ? `held back ${v.reordered}` : '',
    v.overtaken ? `overtaken ${v.overtaken}` : '',
  ].filter((s) => s !== '');
  const audio = r.audio.down;
  return (
    `net ${r.net}: dropped ${droppedOf(r)} of ${v.datagrams} datagrams${causes(r)}${extras.length ? `, ${extras.join(', ')}` : ''}; ` +
    `frames ${f.whole} of ${f.frames} whole (${pct(f.whole, f.frames)}), ${f.incomplete} incomplete, ${f.outOfOrder} out of order, ${f.damaged} damaged; ` +
    `a receiver in order counts ${f.lostInSpan} frames lost; audio ${audio.bytes} bytes, delayed up to ${audio.maxDelayMs.toFixed(0)} ms${audio.retransmits ? `, ${audio.retransmits} retransmissions` : ''}`
  );
}
