/**
 * Child process of the benchmark's "ffmpeg layout" section: reads a clip's video frames and PCM at
 * real time (a frame every 1/fps, a chunk every 1024/44100 s, as the server takes them) from one of
 * the media layouts, for `seconds`, then exits. The parent measures this process tree's CPU.
 * argv: two|one|one-sized FILE RATE SECONDS
 *   two        openJpegFrames + openPcm: two ffmpeg processes, ffmpeg's default threads (before)
 *   one        openAvSources: one ffmpeg, two outputs, ffmpeg's default threads
 *   one-sized  openAvSources with the decoder and encoder threads the server uses
 */
import { openAvSources, openJpegFrames, openPcm, parseRational, probeMedia, type FrameSource, type PcmSource } from '../src/media/index.ts';
import { sleep } from '../src/timing/wait.ts';

const [layout, file, rate, secondsText] = process.argv.slice(2);
const fps = parseRational(rate)!;
const seconds = Number(secondsText);

async function pace<T>(source: AsyncIterable<T>, periodMs: number, count: number): Promise<void> {
  const t0 = performance.now();
  let n = 0;
  for await (const _ of source) {
    n += 1;
    if (n >= count) break;
    const wait = t0 + n * periodMs - performance.now();
    if (wait > 0) await sleep(wait);
  }
}

async function main(): Promise<void> {
  const media = await probeMedia(file!);
  const v = media.video!;
  let frames: FrameSource;
  let pcm: PcmSource | undefined;
  if (layout === 'two') {
    frames = openJpegFrames({ file: file!, fps, width: 400, quality: 80 });
    pcm = openPcm({ file: file! });
  } else {
    const sized = layout === 'one-sized';
    ({ frames, pcm } = openAvSources({
      file: file!,
      fps,
      width: 400,
      quality: 80,
      sourceWidth: v.width,
      sourceHeight: v.height,
      audio: {},
      ...(sized ? {} : { decoderThreads: 0, encoderThreads: 0 }),
    }));
  }
  await Promise.all([
    pace(frames, (1000 * fps.den) / fps.num, Math.floor((seconds * fps.num) / fps.den)),
    pcm ? pace(pcm, (1024 / 44100) * 1000, Math.floor((seconds * 44100) / 1024)) : Promise.resolve(),
  ]);
  await Promise.all([frames.close(), pcm?.close()]);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`ffmpeg variant: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
