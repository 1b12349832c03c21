/**
 * Test helper run by sinks.test.ts in its own process (ALSA_CONFIG_PATH must be set before
 * PortAudio loads): plays a known PCM pattern through AudioPlayer → the 'device' sink, then prints
 * one JSON line. With src/audio/alsa-file-sink.conf the "device" writes to $AVSOCK_AUDIO_OUT.
 */
import { monotonicClock } from '../../timing/monotonic-clock.ts';
import { AudioPlayer } from '../player.ts';
import { openAudioSink } from '../sinks.ts';
import { testPattern } from './pattern.ts';

const RATE = 44100;
const CH = 2;
const out = (o: object): void => console.log(JSON.stringify(o));

try {
  const mod = (await import('naudiodon')) as unknown as {
    default?: { getDevices(): Array<{ name: string; maxOutputChannels: number }> };
    getDevices(): Array<{ name: string; maxOutputChannels: number }>;
  };
  const devices = (mod.default ?? mod).getDevices().filter((d) => d.maxOutputChannels > 0);
  if (devices.length === 0) {
    out({ skip: 'naudiodon loaded but PortAudio lists no output device with this ALSA config' });
    process.exit(0);
  }
} catch (err) {
  out({ skip: `naudiodon cannot load here: ${(err as Error).message.split('\n')[0]}` });
  process.exit(0);
}

const { sink, reason } = await openAudioSink({ sampleRate: RATE, channels: CH, prefer: 'device' });
const player = new AudioPlayer({ clock: monotonicClock, sink, sampleRate: RATE, channels: CH });
const t0 = performance.now();
const pcm = testPattern();
const chunkBytes = 1024 * CH * 2;
for (let k = 0, off = 0; off < pcm.length; k++, off += chunkBytes) {
  player.enqueue({ ptsUs: Math.round((k * 1024 * 1e6) / RATE), pcm: pcm.subarray(off, off + chunkBytes) });
}
await player.drain();
const played = player.playedSeconds;
const elapsedMs = performance.now() - t0;
await player.close(); // closes the device sink: waits for naudiodon's 'finished'
out({ kind: sink.kind, reason, played, elapsedMs, underruns: player.underruns });
