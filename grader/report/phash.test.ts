import { describe, it, expect } from 'vitest';
import sharp from 'sharp';
import { dHash, findReuse, hammingDistance, SAME_PICTURE_BITS } from './phash.ts';

/** A 320×180 picture: a gradient with a bright box at `x`. */
function picture(x: number): Promise<Buffer> {
  const w = 320;
  const h = 180;
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let i = 0; i < w; i++)
      px.fill(Math.min(255, (i * 200) / w + (i >= x && i < x + 60 && y > 40 && y < 120 ? 120 : 0)), (y * w + i) * 3, (y * w + i) * 3 + 3);
  return sharp(px, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toBuffer();
}

describe('screenshot reuse (dHash)', () => {
  it('a rescaled, recompressed copy keeps its hash; a different picture does not', async () => {
    const a = await picture(40);
    const copy = await sharp(a).resize(200).jpeg({ quality: 60 }).toBuffer();
    const other = await picture(220);
    expect(hammingDistance(await dHash(a), await dHash(copy))).toBeLessThanOrEqual(SAME_PICTURE_BITS);
    expect(hammingDistance(await dHash(a), await dHash(other))).toBeGreaterThan(SAME_PICTURE_BITS);
  });

  it("flags both students who share a screenshot, and one who committed the template's", () => {
    const same = 'ffff0000ffff0000';
    const reuse = findReuse(
      [
        { student: 'ann', hashes: [{ file: 'screenshots/a.png', hash: same }] },
        { student: 'ben', hashes: [{ file: 'screenshots/b.png', hash: 'ffff0000ffff0001' }] },
        { student: 'cat', hashes: [{ file: 'screenshots/c.png', hash: '0123456789abcdef' }] },
        { student: 'dan', hashes: [{ file: 'screenshots/d.png', hash: '00ff00ff00ff00ff' }] },
      ],
      [{ file: 'screenshots/template.png', hash: '0123456789abcdee' }],
    );
    expect(reuse.get('ann')).toBe('same screenshot as ben');
    expect(reuse.get('ben')).toBe('same screenshot as ann');
    expect(reuse.get('cat')).toBe("screenshots/c.png is the template's screenshots/template.png");
    expect(reuse.has('dan')).toBe(false);
  });
});
