/**
 * The media layer: the only place that runs ffmpeg (frames, PCM, probing, demo clips).
 *
 * Folder src/media/: ffmpeg/ffprobe (the only place that runs them), frame and PCM sources, clips.
 * May import: src/platform/, src/process/, src/protocol/, src/errors.ts.
 */
export type { FrameSource, JpegFrame, MediaInfo, PcmChunk, PcmSource, Rational } from './types.ts';
export { probeMedia, pickFrameRate } from './probe.ts';
export { openJpegFrames, mjpegQscale, scaledHeight, jpegOutputArgs, type OpenJpegFramesOptions } from './frames.ts';
export { openPcm, chunkPtsUs, PcmChunker, type OpenPcmOptions } from './pcm.ts';
export { ensureDemoClip, makeTestClip, makeVfrClip, DEMO_CLIP, DEMO_CLIP_PATH, type TestClipOptions, type VfrClipOptions } from './clips.ts';
export { ffmpegFeatures, frameTimingOptions, type FfmpegFeatures } from './ffmpeg-features.ts';
export { parseRational, rational, toNumber, formatRational, framePtsUs } from './rational.ts';
export { JpegSplitter, jpegDimensions } from './jpeg-splitter.ts';
export { openAvSources, decoderThreads, PCM_QUEUE_SECONDS, type AvSources, type OpenAvOptions } from './av-source.ts';
