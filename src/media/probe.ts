/** What a file is: ffprobe → exact frame rate, duration, size, audio presence — or a one-line reason why not. */
import { stat } from 'node:fs/promises';
import { EnvironmentError } from '../errors.ts';
import { ffprobe, type ProbeData } from './ffmpeg.ts';
import { parseRational, snapToStandardRate, toNumber } from './rational.ts';
import type { MediaInfo, Rational } from './types.ts';

const FIX = 'pass --file PATH or omit it for the demo clip';

/** Last meaningful line of ffprobe's complaint, e.g. "Invalid data found when processing input". */
function reasonFrom(error: unknown, file: string): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^ffprobe exited with code/.test(l));
  const last = lines[lines.length - 1] ?? text.split('\n')[0] ?? 'unknown error';
  // ffprobe prefixes the file name: "x.mp4: Invalid data found when processing input".
  return last.startsWith(`${file}: `) ? last.slice(file.length + 2) : last;
}

function num(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The frame rate to pace by. r_frame_rate is exact for constant-rate files (24000/1001); for
 * variable-rate files it can be a timebase-like 90000/1, so then avg_frame_rate (snapped to a
 * standard rate when within 0.05 %) is used. Frames are re-timed to this rate (openJpegFrames).
 */
export function pickFrameRate(rFrameRate: unknown, avgFrameRate: unknown): Rational | undefined {
  const r = parseRational(rFrameRate as string | undefined);
  const avg = parseRational(avgFrameRate as string | undefined);
  if (r && (!avg || Math.abs(toNumber(r) - toNumber(avg)) / toNumber(avg) < 0.01)) return r;
  if (avg) return snapToStandardRate(avg);
  return undefined;
}

/** The case where pickFrameRate() falls back to the average rate: nominal and average disagree. */
function isVariableRate(rFrameRate: unknown, avgFrameRate: unknown): boolean {
  const r = parseRational(rFrameRate as string | undefined);
  const avg = parseRational(avgFrameRate as string | undefined);
  return Boolean(r && avg && Math.abs(toNumber(r) - toNumber(avg)) / toNumber(avg) >= 0.01);
}

export function mediaInfoFrom(file: string, data: ProbeData): MediaInfo {
  const streams = data.streams ?? [];
  const v = streams.find((s) => s.codec_type === 'video' && !(s.disposition && s.disposition.attached_pic));
  const a = streams.find((s) => s.codec_type === 'audio');
  const durationS = num(data.format?.duration) ?? num(v?.duration) ?? num(a?.duration) ?? 0;
  let video: MediaInfo['video'];
  if (v) {
    const fps = pickFrameRate(v.r_frame_rate, v.avg_frame_rate);
    if (!fps) {
      throw new EnvironmentError('E_FILE_NOT_MEDIA', `${file} has a video stream without a frame rate ffprobe can tell; ${FIX}`);
    }
    const frameCount = num(v.nb_frames);
    video = {
      width: num(v.width) ?? 0,
      height: num(v.height) ?? 0,
      fps,
      codec: String(v.codec_name ?? 'unknown'),
      ...(frameCount ? { frameCount } : {}),
      ...(isVariableRate(v.r_frame_rate, v.avg_frame_rate)
        ? { variableFrameRate: { nominal: String(v.r_frame_rate), average: String(v.avg_frame_rate) } }
        : {}),
    };
  }
  const audio: MediaInfo['audio'] = a
    ? { sampleRate: num(a.sample_rate) ?? 0, channels: num(a.channels) ?? 0, codec: String(a.codec_name ?? 'unknown') }
    : undefined;
  return { file, durationS, hasVideo: Boolean(video), hasAudio: Boolean(audio), ...(video ? { video } : {}), ...(audio ? { audio } : {}) };
}

/**
 * Probes a media file. Throws EnvironmentError E_FILE_MISSING, E_FILE_NOT_MEDIA (a directory, not
 * media, corrupt) or E_NO_VIDEO with one line naming the file and the fix.
 */
export async function probeMedia(file: string): Promise<MediaInfo> {
  let st;
  try {
    st = await stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new EnvironmentError('E_FILE_MISSING', `no such file: ${file}; ${FIX}`);
    throw new EnvironmentError('E_FILE_MISSING', `cannot read ${file} (${code ?? String(error)}); ${FIX}`);
  }
  if (st.isDirectory()) {
    throw new EnvironmentError('E_FILE_NOT_MEDIA', `${file} is a directory, not a video file; ${FIX}`);
  }
  let data: ProbeData;
  try {
    data = await ffprobe(file);
  } catch (error) {
    throw new EnvironmentError('E_FILE_NOT_MEDIA', `${file} is not a video ffprobe can read (${reasonFrom(error, file)}); ${FIX}`, {
      cause: error,
    });
  }
  const info = mediaInfoFrom(file, data);
  if (!info.hasVideo) {
    const what = info.hasAudio ? 'has audio but no video stream' : 'has no video stream';
    throw new EnvironmentError('E_NO_VIDEO', `${file} ${what}; ${FIX}`);
  }
  return info;
}
