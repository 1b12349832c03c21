/**
 * How the probe process hands its recording to the grader over stdout: the recording as JSON
 * without its JPEG/PCM bytes, then those bytes, so tens of MB of frames are never base64'd.
 *
 *   0      4       8        8+J
 *   +------+-------+--------+------------------------------------------+
 *   | AVSR | J u32 | JSON   | blob 1 | blob 2 | …                        |
 *   +------+-------+--------+------------------------------------------+
 *   each blob: u32be length + bytes, in order: frames with `jpeg`, then audio with `pcm`
 *   (the JSON marks them with `jpegBytes` / `pcmBytes`). NaN/undefined never appear in the JSON.
 */
import * as v from 'valibot';
import { JsonShapeError, parseJson } from '../../src/json.ts';
import type { ProbeRecording } from './recording.ts';

export const RESULT_MAGIC = Buffer.from('AVSR');
const OFF_JSON_LENGTH = 4;
const OFF_JSON = 8;
/** A recording's JSON is a few MB at most (20 000 frames); anything bigger is not ours. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

export class ResultDecodeError extends Error {
  readonly code = 'E_PROBE_RESULT';
}

/** The recording as JSON: its JPEGs and PCM become lengths of the blobs that follow. */
type RecordingHeader = Omit<ProbeRecording, 'frames' | 'audio'> & {
  frames: Array<Omit<ProbeRecording['frames'][number], 'jpeg'> & { jpegBytes?: number }>;
  audio: Array<Omit<ProbeRecording['audio'][number], 'pcm'> & { pcmBytes?: number }>;
};

const HeaderFieldsSchema = v.looseObject({
  wire: v.string(),
  frames: v.array(v.looseObject({ arrivalMs: v.number(), bytes: v.number(), jpegBytes: v.optional(v.number()) })),
  audio: v.array(v.looseObject({ arrivalMs: v.number(), playMs: v.number(), bytes: v.number(), pcmBytes: v.optional(v.number()) })),
});

export function encodeResult(rec: ProbeRecording): Buffer {
  const blobs: Buffer[] = [];
  const blob = (b: Buffer): number => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    blobs.push(len, b);
    return b.length;
  };
  const header: RecordingHeader = {
    ...rec,
    frames: rec.frames.map(({ jpeg, ...f }) => (jpeg ? { ...f, jpegBytes: blob(jpeg) } : f)),
    audio: [],
  };
  header.audio = rec.audio.map(({ pcm, ...a }) => (pcm ? { ...a, pcmBytes: blob(pcm) } : a));
  const json = Buffer.from(JSON.stringify(header));
  const head = Buffer.alloc(OFF_JSON);
  RESULT_MAGIC.copy(head, 0);
  head.writeUInt32BE(json.length, OFF_JSON_LENGTH);
  return Buffer.concat([head, json, ...blobs]);
}

/** The whole stdout of the probe process → the recording; a one-line ResultDecodeError otherwise. */
export function decodeResult(buf: Buffer): ProbeRecording {
  if (buf.length < OFF_JSON) throw new ResultDecodeError(`probe result is ${buf.length} bytes, shorter than its ${OFF_JSON}-byte header`);
  if (!buf.subarray(0, 4).equals(RESULT_MAGIC)) {
    throw new ResultDecodeError(`probe result does not start with AVSR (got ${JSON.stringify(buf.subarray(0, 16).toString('latin1'))})`);
  }
  const jsonLength = buf.readUInt32BE(OFF_JSON_LENGTH);
  if (jsonLength > MAX_JSON_BYTES) throw new ResultDecodeError(`probe result JSON of ${jsonLength} bytes is above the ${MAX_JSON_BYTES}-byte cap`);
  if (OFF_JSON + jsonLength > buf.length) throw new ResultDecodeError(`probe result truncated: JSON of ${jsonLength} bytes, ${buf.length - OFF_JSON} present`);
  let header: RecordingHeader;
  try {
    // Checked: what the blobs and the analysis index by; the rest is the probe's own writing.
    header = parseJson(buf.subarray(OFF_JSON, OFF_JSON + jsonLength).toString('utf8'), HeaderFieldsSchema, 'probe result JSON') as unknown as RecordingHeader;
  } catch (error) {
    if (error instanceof JsonShapeError) throw new ResultDecodeError(error.message);
    throw error;
  }
  let at = OFF_JSON + jsonLength;
  const take = (expected: number, what: string): Buffer => {
    if (at + 4 > buf.length) throw new ResultDecodeError(`probe result truncated before the ${what} blob`);
    const len = buf.readUInt32BE(at);
    if (len !== expected) throw new ResultDecodeError(`probe result ${what} blob is ${len} bytes, its record says ${expected}`);
    if (at + 4 + len > buf.length) throw new ResultDecodeError(`probe result truncated inside the ${what} blob`);
    const b = buf.subarray(at + 4, at + 4 + len);
    at += 4 + len;
    return b;
  };
  const frames = header.frames.map(({ jpegBytes, ...f }) => (jpegBytes === undefined ? f : { ...f, jpeg: take(jpegBytes, 'jpeg') }));
  const audio = header.audio.map(({ pcmBytes, ...a }) => (pcmBytes === undefined ? a : { ...a, pcm: take(pcmBytes, 'pcm') }));
  if (at !== buf.length) throw new ResultDecodeError(`probe result has ${buf.length - at} bytes after its last blob`);
  return { ...header, frames, audio };
}
