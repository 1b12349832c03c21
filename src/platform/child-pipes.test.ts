import { describe, expect, it } from 'vitest';
import { childReadsExtraPipes } from './child-pipes.ts';

describe('childReadsExtraPipes()', () => {
  it('is true on Linux and macOS (fd 3 is an inherited descriptor)', () => {
    expect(childReadsExtraPipes('linux')).toBe(true);
    expect(childReadsExtraPipes('darwin')).toBe(true);
  });

  it('is false on Windows, where the media layer runs one ffmpeg per output', () => {
    expect(childReadsExtraPipes('win32')).toBe(false);
  });
});
