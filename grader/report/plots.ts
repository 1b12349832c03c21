/**
 * report.html's plots, drawn at grade time by Observable Plot into SVG strings (a DOM from
 * linkedom stands in for the browser's), from the series saved as series.json. Every plot's data
 * mark is labelled `series` and has one element per point, so a test can count them.
 */
import * as Plot from '@observablehq/plot';
// linkedom's bundled build (the same DOM in one module, made for web workers; it draws the same
// bytes): its package entry is 200 modules with those of its dependencies, which took 300–400 ms
// to import under tsx on 2 cores against 40 ms for the bundle.
import { parseHTML } from 'linkedom/worker';
import { translator, type Lang } from '../i18n/messages.ts';
import type { ReportSeries } from './series.ts';

type T = ReturnType<typeof translator>;

export interface RenderedPlot {
  id: 'intervals' | 'fps' | 'av' | 'audio' | 'jitter';
  title: string;
  /** What the reader should look for, one sentence. */
  caption: string;
  /** The plot for a page: its <svg>, or a <figure> of an HTML legend and the <svg>; undefined when the series is empty (then `empty` says why). */
  svg?: string;
  /** The plot's <svg> alone, without an HTML legend around it, for rasterising. */
  image?: string;
  /** Points in the series (= elements of the plot's `series` mark). */
  points: number;
  empty?: string;
}

/** ITU-R BT.1359 detectability thresholds: sound more than 45 ms early or 125 ms late is noticed. */
export const BT1359_DETECTABLE = { soundEarlyMs: 45, soundLateMs: -125 } as const;

const WIDTH = 720;
const HEIGHT = 220;

/** Plot's result (a linkedom element), as far as it is read here. */
interface PlotNode {
  tagName: string;
  outerHTML: string;
  children: ArrayLike<PlotNode>;
}

function render(options: Plot.PlotOptions): Pick<RenderedPlot, 'svg' | 'image'> {
  const { document } = parseHTML('<!doctype html><html><body></body></html>');
  const node = Plot.plot({
    width: WIDTH,
    height: HEIGHT,
    marginLeft: 50,
    style: { background: 'transparent' },
    ...options,
    document: document,
  }) as unknown as PlotNode;
  const svg = node.outerHTML;
  if (node.tagName.toLowerCase() === 'svg') return { svg, image: svg };
  // With a legend Plot returns a <figure>: the legend (HTML) and the plot's own <svg> as children.
  const image = Array.from(node.children).find((c) => c.tagName.toLowerCase() === 'svg');
  return { svg, ...(image ? { image: image.outerHTML } : {}) };
}

function intervals(s: ReportSeries, t: T): RenderedPlot {
  const base = {
    id: 'intervals',
    title: t('plot.intervals.title'),
    caption: t('plot.intervals.caption', { nominal: s.nominalIntervalMs }),
    points: s.intervals.length,
  } as const;
  if (!s.intervals.length) return { ...base, empty: t('empty.frames') };
  const data = s.intervals.map((p) => ({ ...p, kind: p.mark ?? 'steady' }));
  return {
    ...base,
    ...render({
      x: { label: t('axis.seconds') },
      y: { label: t('axis.intervalMs'), type: 'symlog', grid: true },
      color: { domain: ['steady', 'freeze', 'stall'], range: ['#4269d0', '#ff8c00', '#d62728'], legend: true },
      marks: [
        Plot.ruleY([s.nominalIntervalMs], { stroke: '#555', strokeDasharray: '4,3' }),
        Plot.dot(data, { x: 't', y: 'ms', fill: 'kind', r: 2, className: 'series' }),
      ],
    }),
  };
}

function fps(s: ReportSeries, t: T): RenderedPlot {
  const base = { id: 'fps', title: t('plot.fps.title'), caption: t('plot.fps.caption', { fps: s.sourceFps }), points: s.fpsPerSecond.length } as const;
  if (!s.fpsPerSecond.length) return { ...base, empty: t('empty.second') };
  return {
    ...base,
    ...render({
      x: { label: t('axis.second'), type: 'band' },
      y: { label: t('axis.frames'), grid: true },
      marks: [
        Plot.barY(s.fpsPerSecond, { x: 'second', y: 'fps', fill: '#4269d0', className: 'series' }),
        Plot.ruleY([s.sourceFps], { stroke: '#555', strokeDasharray: '4,3' }),
      ],
    }),
  };
}

function av(s: ReportSeries, t: T): RenderedPlot {
  const base = { id: 'av', title: t('plot.av.title'), caption: t('plot.av.caption'), points: s.av.length } as const;
  if (!s.av.length) return { ...base, empty: t('empty.av') };
  const band = [{ x1: 0, x2: Math.max(s.windowS, ...s.av.map((p) => p.t)), y1: BT1359_DETECTABLE.soundLateMs, y2: BT1359_DETECTABLE.soundEarlyMs }];
  return {
    ...base,
    ...render({
      x: { label: t('axis.seconds') },
      y: { label: t('axis.offsetMs'), grid: true, domain: [Math.min(-200, ...s.av.map((p) => p.offsetMs)), Math.max(120, ...s.av.map((p) => p.offsetMs))] },
      marks: [
        Plot.rect(band, { x1: 'x1', x2: 'x2', y1: 'y1', y2: 'y2', fill: '#2ca02c', fillOpacity: 0.15 }),
        Plot.ruleY([0], { stroke: '#555' }),
        Plot.dot(s.av, { x: 't', y: 'offsetMs', fill: '#d62728', r: 3.5, className: 'series' }),
      ],
    }),
  };
}

function audio(s: ReportSeries, t: T): RenderedPlot {
  const base = { id: 'audio', title: t('plot.audio.title'), caption: t('plot.audio.caption'), points: s.audioLevel.length } as const;
  if (!s.audioLevel.length) return { ...base, empty: t('empty.audio') };
  return {
    ...base,
    ...render({
      x: { label: t('axis.seconds') },
      y: { label: t('axis.queuedMs'), grid: true },
      marks: [
        Plot.rect(s.heldBack, { x1: 'from', x2: 'to', y1: 0, y2: Math.max(1, ...s.audioLevel.map((p) => p.ms)), fill: '#999', fillOpacity: 0.25 }),
        Plot.ruleX(s.underruns, { x: 't', stroke: '#d62728' }),
        Plot.dot(s.audioLevel, { x: 't', y: 'ms', fill: '#4269d0', r: 1.5, className: 'series' }),
      ],
    }),
  };
}

function jitter(s: ReportSeries, t: T): RenderedPlot {
  const base = { id: 'jitter', title: t('plot.jitter.title'), caption: t('plot.jitter.caption'), points: s.jitter.length } as const;
  if (!s.jitter.length) return { ...base, empty: t('empty.frames') };
  return {
    ...base,
    ...render({
      x: { label: '|D| (ms)' },
      y: { label: t('axis.frames'), grid: true },
      marks: [
        Plot.rectY(s.jitter, { x1: 'fromMs', x2: 'toMs', y: 'count', fill: '#4269d0', insetLeft: 0.5, insetRight: 0.5, className: 'series' }),
        Plot.ruleY([0]),
      ],
    }),
  };
}

export function renderPlots(s: ReportSeries, lang: Lang = 'en'): RenderedPlot[] {
  const t = translator(lang);
  return [intervals(s, t), fps(s, t), av(s, t), audio(s, t), jitter(s, t)];
}
