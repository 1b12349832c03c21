/**
 * Which ffmpeg generation we run, and the options that differ between generations.
 *
 * Two ffmpegs are in play: the system one (Debian 12: 5.1) and the npm-shipped static build
 * (@ffmpeg-installer: a 2018 git snapshot of 4.1, whose banner says "N-47683-g…", not a number).
 * The banner is therefore not a version; libavutil's major version is (56 = ffmpeg 4.x, 57 = 5.x,
 * 58 = 6.x, 59 = 7.x, 60 = 8.x), and an option is "known" when `ffmpeg -h long` lists it.
 * Both are read once per process, from the binary resolveFfmpeg() chose.
 */
import { runProgram } from '../process/exec.ts';
import { resolveFfmpeg } from '../platform/tools.ts';

export interface FfmpegFeatures {
  /** The binary these features were read from. */
  readonly path: string;
  /** ffmpeg's major release (4, 5, 6 …) from libavutil's major version; undefined if not printed. */
  readonly generation: number | undefined;
  /** libavutil "major.minor", e.g. '56.24'. */
  readonly libavutil: string | undefined;
  /** `-fps_mode` exists (ffmpeg ≥ 5.1); before it, `-vsync` is the only spelling. */
  readonly fpsMode: boolean;
}

/** libavutil major → ffmpeg release: 56 → 4 … (each ffmpeg major bumped libavutil's major by one since 4.0). */
const LIBAVUTIL_MAJOR_OF_FFMPEG_4 = 56;

/** Parses `ffmpeg -version` and `ffmpeg -h long` output (pure, for tests). */
export function parseFfmpegFeatures(path: string, versionText: string, helpText: string): FfmpegFeatures {
  const m = /^libavutil\s+(\d+)\.\s*(\d+)\./m.exec(versionText);
  const major = m ? Number(m[1]) : undefined;
  return {
    path,
    generation: major === undefined ? undefined : major - LIBAVUTIL_MAJOR_OF_FFMPEG_4 + 4,
    libavutil: m ? `${m[1]}.${m[2]}` : undefined,
    fpsMode: /^-fps_mode\b/m.test(helpText),
  };
}

async function output(command: string, args: string[]): Promise<string> {
  return (await runProgram(command, args, { timeoutMs: 15_000, maxOutputBytes: 4 * 1024 * 1024 })).stdout;
}

let cached: Promise<FfmpegFeatures> | undefined;

/** The features of the ffmpeg resolveFfmpeg() chose; asked once per process. */
export function ffmpegFeatures(): Promise<FfmpegFeatures> {
  cached ??= (async () => {
    const { path } = resolveFfmpeg();
    const [version, help] = await Promise.all([output(path, ['-hide_banner', '-version']), output(path, ['-hide_banner', '-h', 'long'])]);
    return parseFfmpegFeatures(path, version, help);
  })();
  cached.catch(() => (cached = undefined)); // a failed probe is retried, not remembered
  return cached;
}

/** How output frame timestamps are treated: 'vfr' keeps each frame's own time, 'cfr' duplicates/drops to a constant rate. */
export type FrameTiming = 'vfr' | 'cfr' | 'passthrough';

/** `-fps_mode X` on ffmpeg ≥ 5.1, `-vsync X` before (same values; -vsync is deprecated from 5.1 on). */
export function frameTimingOptions(features: Pick<FfmpegFeatures, 'fpsMode'>, timing: FrameTiming): string[] {
  return [features.fpsMode ? '-fps_mode' : '-vsync', timing];
}
