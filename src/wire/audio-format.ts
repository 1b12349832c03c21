/**
 * The sound both ends agree on. The tutorial's client.py opens PyAudio with exactly this format and
 * server.py sends `wave.readframes(1024)` chunks, so the framed wire uses it too (its Handshake
 * still carries the values, so a client never assumes them there).
 */
/** Samples per second per channel. */
export const SAMPLE_RATE = 44100;
/** Interleaved channels (stereo). */
export const CHANNELS = 2;
/** Bytes per sample (s16le). */
export const BYTES_PER_SAMPLE = 2;
/** Sample frames per audio message (server.py's `CHUNK = 1024`): 23.2 ms of sound. */
export const CHUNK_FRAMES = 1024;

/**
 * Audio goes out this long before its presentation time, and a client delays the start of its sound
 * by the same amount, so picture and sound stay aligned. 20 ms: enough for a chunk (23 ms of sound)
 * to be in a player's queue before the previous one ends, yet below the 25 ms A/V target for a
 * tutorial-style client that plays sound the moment it arrives (such a client hears it exactly this
 * much before the matching picture; ITU-R BT.1359 detectability starts at 45 ms for sound first).
 */
export const AUDIO_LEAD_MS = 20;

/** Duration (µs) of `bytes` of PCM in `channels` channels of s16 at `sampleRate`. */
export function pcmDurationUs(bytes: number, sampleRate: number, channels: number): number {
  return (bytes / (BYTES_PER_SAMPLE * channels) / sampleRate) * 1e6;
}
