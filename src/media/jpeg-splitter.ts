/**
 * Splits a concatenated MJPEG byte stream (ffmpeg `-f image2pipe -c:v mjpeg`) into whole JPEG files.
 * Pure: bytes in, JPEGs out.
 *
 * It parses markers (ITU T.81 annex B) instead of searching for FF D9: a segment with a length
 * (APPn, DQT, DHT, SOFn, SOS header, COM …) is skipped by its length, because its payload (an EXIF
 * thumbnail, say) may contain FF D9. Only inside entropy-coded data is FF special: FF 00 is a stuffed
 * data byte, FF D0–D7 are restart markers, FF FF is fill; any other FF xx ends the scan (B.1.1.5).
 * A JPEG ends at EOI (FF D9) found as a marker.
 */
import { DecodeError } from '../protocol/errors.ts';

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const TEM = 0x01;

type State =
  | 'seek-soi' // between images: skip anything until FF D8
  | 'marker' // inside an image, expecting FF xx
  | 'entropy'; // inside entropy-coded data after an SOS header

export interface JpegSplitterOptions {
  /** A JPEG larger than this is an error (memory bound). Default 32 MiB. */
  readonly maxFrameBytes?: number;
}

export class JpegSplitter {
  readonly #maxFrameBytes: number;
  #buf: Buffer = Buffer.alloc(0);
  /** Where the current image starts in #buf (valid unless seek-soi). */
  #start = 0;
  /** Next byte to examine in #buf. */
  #pos = 0;
  #state: State = 'seek-soi';
  #skippedBytes = 0;

  constructor(opts: JpegSplitterOptions = {}) {
    this.#maxFrameBytes = opts.maxFrameBytes ?? 32 * 1024 * 1024;
  }

  /** Bytes outside any JPEG that were skipped (ffmpeg emits none). */
  get skippedBytes(): number {
    return this.#skippedBytes;
  }

  /** Bytes of an unfinished JPEG being held. */
  get pendingBytes(): number {
    return this.#state === 'seek-soi' ? 0 : this.#buf.length - this.#start;
  }

  /** Feeds bytes; returns the JPEGs completed by them (each a copy-free slice or its own buffer). */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    if (chunk.length === 0) return out;
    // Keep only the unfinished image (or, between images, at most one trailing FF).
    const keepFrom = this.#state === 'seek-soi' ? this.#pos : this.#start;
    const rest = this.#buf.subarray(keepFrom);
    this.#buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    this.#pos -= keepFrom;
    this.#start -= keepFrom;
    const buf = this.#buf;
    // Each step consumes what it can and says whether it may go on (false: it needs more bytes).
    for (;;) {
      const more = this.#state === 'seek-soi' ? this.#seekSoi(buf) : this.#state === 'marker' ? this.#marker(buf, out) : this.#entropy(buf);
      if (!more) break;
    }
    if (this.#state !== 'seek-soi') this.#checkSize();
    return out;
  }

  /** Between images: skips anything until FF D8. */
  #seekSoi(buf: Buffer): boolean {
    const n = buf.length;
    const i = buf.indexOf(0xff, this.#pos);
    if (i < 0) {
      this.#skippedBytes += n - this.#pos;
      this.#pos = n;
      return false;
    }
    this.#skippedBytes += i - this.#pos;
    if (i + 1 >= n) {
      this.#pos = i; // need the next byte
      return false;
    }
    if (buf[i + 1] === SOI) {
      this.#start = i;
      this.#pos = i + 2;
      this.#state = 'marker';
    } else {
      this.#skippedBytes += 1;
      this.#pos = i + 1;
    }
    return true;
  }

  /** Inside an image, at FF xx: ends the image at EOI, skips a segment by its length, enters a scan at SOS. */
  #marker(buf: Buffer, out: Buffer[]): boolean {
    const n = buf.length;
    let p = this.#pos;
    if (p >= n) return false;
    if (buf[p] !== 0xff) throw new DecodeError(`MJPEG stream: expected a marker at byte ${p - this.#start} of a JPEG, found 0x${buf[p]!.toString(16)}`);
    // Any number of FF fill bytes may precede a marker (B.1.1.2).
    while (p < n && buf[p] === 0xff) p++;
    if (p >= n) return false;
    const code = buf[p]!;
    if (code === 0x00) throw new DecodeError(`MJPEG stream: invalid marker FF 00 at byte ${p - 1 - this.#start} of a JPEG`);
    if (code === EOI) {
      const end = p + 1;
      this.#checkSize(end - this.#start);
      out.push(buf.subarray(this.#start, end));
      this.#pos = end;
      this.#start = end;
      this.#state = 'seek-soi';
      return true;
    }
    if (code === SOI) throw new DecodeError(`MJPEG stream: SOI inside a JPEG at byte ${p - 1 - this.#start}`);
    if (code === TEM || (code >= 0xd0 && code <= 0xd7)) {
      this.#pos = p + 1; // stand-alone markers, no length
      return true;
    }
    if (p + 2 >= n) {
      this.#checkSize();
      return false; // need the length
    }
    const length = buf.readUInt16BE(p + 1);
    if (length < 2) throw new DecodeError(`MJPEG stream: marker FF ${code.toString(16)} has length ${length} (< 2)`);
    const next = p + 1 + length;
    if (next > n) {
      this.#checkSize(next - this.#start);
      return false; // wait for the whole segment; resume at its marker
    }
    this.#pos = next;
    if (code === SOS) this.#state = 'entropy';
    return true;
  }

  /** Entropy-coded data after an SOS header: runs to the first FF that is not stuffing, a restart or fill. */
  #entropy(buf: Buffer): boolean {
    const n = buf.length;
    let p = this.#pos;
    for (;;) {
      const i = buf.indexOf(0xff, p);
      if (i < 0) {
        p = n;
        break;
      }
      if (i + 1 >= n) {
        p = i; // look at FF again once the next byte is here
        break;
      }
      const b = buf[i + 1]!;
      if (b === 0x00 || (b >= 0xd0 && b <= 0xd7)) {
        p = i + 2; // stuffed byte or restart marker: still entropy data
      } else if (b === 0xff) {
        p = i + 1; // fill byte; the marker follows
      } else {
        this.#pos = i; // a real marker ends the scan
        this.#state = 'marker';
        return true;
      }
    }
    this.#pos = p;
    this.#checkSize();
    return false;
  }

  #checkSize(needed = this.#buf.length - this.#start): void {
    if (needed > this.#maxFrameBytes) {
      throw new DecodeError(`MJPEG stream: a JPEG exceeds ${this.#maxFrameBytes} bytes (at least ${needed}); lower --width or --quality`);
    }
  }
}

/** Width and height from a JPEG's SOFn segment, or undefined if there is none. */
export function jpegDimensions(jpeg: Buffer): { width: number; height: number } | undefined {
  let p = 2;
  while (p + 4 <= jpeg.length) {
    if (jpeg[p] !== 0xff) return undefined;
    const code = jpeg[p + 1]!;
    if (code === 0xff) {
      p += 1;
      continue;
    }
    if (code === SOI || code === TEM || (code >= 0xd0 && code <= 0xd7)) {
      p += 2;
      continue;
    }
    const length = jpeg.readUInt16BE(p + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC)
    if (code >= 0xc0 && code <= 0xcf && code !== 0xc4 && code !== 0xc8 && code !== 0xcc) {
      if (p + 9 > jpeg.length) return undefined;
      return { height: jpeg.readUInt16BE(p + 5), width: jpeg.readUInt16BE(p + 7) };
    }
    if (code === SOS || code === EOI) return undefined;
    p += 2 + length;
  }
  return undefined;
}
