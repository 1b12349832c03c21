/**
 * The pictures report.html and PrairieLearn's results.json draw from one graded run, each made once
 * whichever formats ask for it: the plots (Observable Plot over linkedom), the frame-arrival plot
 * as a PNG (resvg, from the same drawing), and the screenshot — read from disk once, then a JPEG for
 * the page and palette PNGs for PrairieLearn (sharp).
 *
 * Plot, linkedom, sharp and resvg are imported the first time a picture needs them, all at once,
 * so a run that writes neither format never loads them. sharp and resvg work on libuv's threads:
 * the screenshot is encoded while the plots are drawn on the main thread.
 */
import { readFile } from 'node:fs/promises';
import type { Sharp } from 'sharp';
import type { Lang } from '../i18n/messages.ts';
import type { RenderedPlot } from './plots.ts';
import type { ReportSeries } from './series.ts';
import type { GradeReport } from './types.ts';

/** Width of the frame-arrival PNG: the plot's own width, so its 10 px labels stay sharp. */
const TIMELINE_PNG_WIDTH = 720;

/** The screenshot the reports show: the copy beside the report, else the one in the submission. */
export function screenshotFileOf(r: GradeReport): string | undefined {
  return r.screenshotInfo.reportCopy ?? r.screenshot ?? undefined;
}

export class ReportPictures {
  readonly #series: ReportSeries | null;
  readonly #lang: Lang;
  readonly #screenshotFile: string | undefined;
  #plots: Promise<RenderedPlot[]> | undefined;
  #timeline: Promise<Buffer | undefined> | undefined;
  #screenshot: Promise<Buffer | undefined> | undefined;
  /** Each encoding of the screenshot, by format and width. */
  readonly #encoded = new Map<string, Promise<Buffer | undefined>>();

  constructor(series: ReportSeries | null, opts: { lang?: Lang | undefined; screenshot?: string | undefined } = {}) {
    this.#series = series;
    this.#lang = opts.lang ?? 'en';
    this.#screenshotFile = opts.screenshot;
  }

  /** Every plot of the series, in the page's order; none without a series (no frame arrived). */
  plots(): Promise<RenderedPlot[]> {
    const series = this.#series;
    this.#plots ??= series ? import('./plots.ts').then((m) => m.renderPlots(series, this.#lang)) : Promise.resolve([]);
    return this.#plots;
  }

  /** The frame-arrival plot as a PNG, black on white, or undefined without frames. */
  timelinePng(): Promise<Buffer | undefined> {
    this.#timeline ??= (async () => {
      // resvg is imported while the plots are drawn.
      const [plots, { renderAsync }] = await Promise.all([this.plots(), import('@resvg/resvg-js')]);
      const svg = plots.find((p) => p.id === 'intervals')?.image;
      if (!svg) return undefined;
      // Plot's SVG takes its text colour from CSS (currentColor): give it black on white.
      const standalone = svg.replace('<svg ', '<svg xmlns="http://www.w3.org/2000/svg" color="black" ');
      const image = await renderAsync(standalone, { background: 'white', fitTo: { mode: 'width', value: TIMELINE_PNG_WIDTH } });
      return image.asPng();
    })();
    return this.#timeline;
  }

  /** The screenshot as a JPEG data: URL, at most `width` wide (a PNG of both windows is ~1 MB; this is ~100 kB). */
  async screenshotJpegUrl(width = 1280): Promise<string | undefined> {
    const jpeg = await this.#encode(`jpeg ${width}`, (image) => image.resize({ width, withoutEnlargement: true }).jpeg({ quality: 80 }));
    return jpeg ? `data:image/jpeg;base64,${jpeg.toString('base64')}` : undefined;
  }

  /** The screenshot as a palette PNG at most `width` wide (PrairieLearn shows PNG). */
  screenshotPng(width: number): Promise<Buffer | undefined> {
    return this.#encode(`png ${width}`, (image) => image.resize({ width, withoutEnlargement: true }).png({ palette: true, compressionLevel: 9 }));
  }

  /** One encoding of the screenshot, made once; undefined when there is none or it cannot be read. */
  #encode(key: string, pipeline: (image: Sharp) => Sharp): Promise<Buffer | undefined> {
    let encoded = this.#encoded.get(key);
    if (!encoded) {
      encoded = (async () => {
        const [png, { default: sharp }] = await Promise.all([this.#readScreenshot(), import('sharp')]);
        return png ? pipeline(sharp(png)).toBuffer() : undefined;
      })().catch(() => undefined);
      this.#encoded.set(key, encoded);
    }
    return encoded;
  }

  #readScreenshot(): Promise<Buffer | undefined> {
    const file = this.#screenshotFile;
    this.#screenshot ??= file ? readFile(file).catch(() => undefined) : Promise.resolve(undefined);
    return this.#screenshot;
  }
}
