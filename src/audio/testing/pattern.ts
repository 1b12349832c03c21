/** 0.5 s of s16le stereo at 44.1 kHz that cannot be confused with silence or a tone: a fixed pseudo-random sequence. */
export function testPattern(seconds = 0.5, sampleRate = 44100, channels = 2): Buffer {
  const frames = Math.round(seconds * sampleRate);
  const buf = Buffer.alloc(frames * channels * 2);
  let x = 12345;
  for (let i = 0; i < frames * channels; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0; // LCG, same every run
    buf.writeInt16LE(((x >>> 16) & 0xffff) - 32768, i * 2);
  }
  return buf;
}
