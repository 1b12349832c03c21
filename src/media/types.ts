/** The media layer's public types. */

/** An exact rational number, reduced, den > 0: 24000/1001 stays 24000/1001. */
export interface Rational {
  readonly num: number;
  readonly den: number;
}

export interface MediaInfo {
  readonly file: string;
  readonly durationS: number;
  readonly hasVideo: boolean;
  readonly hasAudio: boolean;
  readonly video?: {
    readonly width: number;
    readonly height: number;
    /** Exact frame rate (r_frame_rate, or avg_frame_rate when r_frame_rate is not a real rate). */
    readonly fps: Rational;
    readonly codec: string;
    readonly frameCount?: number;
    /** Set when the nominal (r_frame_rate) and average rates differ by > 1 %: frames are re-timed to `fps`. */
    readonly variableFrameRate?: { readonly nominal: string; readonly average: string };
  };
  readonly audio?: { readonly sampleRate: number; readonly channels: number; readonly codec: string };
}

export interface JpegFrame {
  readonly index: number;
  /** round(index · den/num · 1e6): constant frame rate, on the stream's timeline. */
  readonly ptsUs: number;
  readonly jpeg: Buffer;
}

export interface FrameSource extends AsyncIterable<JpegFrame> {
  /** Kills ffmpeg and ends iteration. Idempotent. */
  close(): Promise<void>;
  /** Output width after scaling. */
  readonly width: number;
  /** Output height after scaling (computed as ffmpeg's scale=W:-2 does; confirmed by the first frame). */
  readonly height: number;
}

export interface PcmChunk {
  readonly index: number;
  /** round(index · chunkFrames · 1e6 / sampleRate). */
  readonly ptsUs: number;
  /** s16le interleaved; chunkFrames · channels · 2 bytes, except maybe the last chunk. */
  readonly pcm: Buffer;
}

export interface PcmSource extends AsyncIterable<PcmChunk> {
  /** Kills ffmpeg and ends iteration. Idempotent. */
  close(): Promise<void>;
}
