/** The media layer: the only place that runs ffmpeg (see notes/contracts.md). */
export type { FrameSource, JpegFrame, MediaInfo, PcmChunk, PcmSource, Rational } from './types.ts';
export { probeMedia, pickFrameRate } from './probe.ts';
export { openJpegFrames, mjpegQscale, scaledHeight, type OpenJpegFramesOptions } from './frames.ts';
export { openPcm, chunkPtsUs, PcmChunker, type OpenPcmOptions } from './pcm.ts';
export { ensureDemoClip, makeTestClip, DEMO_CLIP, DEMO_CLIP_PATH, type TestClipOptions } from './clips.ts';
export { parseRational, rational, toNumber, formatRational, framePtsUs } from './rational.ts';
export { JpegSplitter, jpegDimensions } from './jpeg-splitter.ts';
