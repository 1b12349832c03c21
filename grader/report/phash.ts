/**
 * Screenshot reuse: a difference hash (dHash) of each committed screenshot, over sharp's pixels —
 * the picture shrunk to 9×8 grey, one bit per pair of neighbours (left brighter than right). A
 * re-saved, rescaled or recompressed copy keeps nearly every bit; two different runs of the demo
 * clip (another second, another caption) do not. A flag for the instructor, never a deduction.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { git } from '../../src/platform/git.ts';

/** Bits that may differ for two screenshots to count as the same picture (of 64). */
export const SAME_PICTURE_BITS = 6;

export async function dHash(image: Buffer | string): Promise<string> {
  const { data } = await sharp(image).grayscale().resize(9, 8, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  let bits = 0n;
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) bits = (bits << 1n) | (data[y * 9 + x]! > data[y * 9 + x + 1]! ? 1n : 0n);
  }
  return bits.toString(16).padStart(16, '0');
}

export function hammingDistance(a: string, b: string): number {
  let x = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let n = 0;
  while (x) {
    n += Number(x & 1n);
    x >>= 1n;
  }
  return n;
}

/** Hashes of the PNG/JPEG screenshots committed under screenshots/ (the newest few), by path. */
export async function committedScreenshotHashes(repo: string, max = 5): Promise<Array<{ file: string; hash: string }>> {
  const listed = await git(repo, ['ls-files', '-z', '--', 'screenshots'], { allowFail: true, timeoutMs: 10_000 }).catch(() => undefined);
  if (!listed || listed.code !== 0) return [];
  const files = listed.stdout
    .split('\0')
    .filter((f) => /\.(png|jpe?g)$/i.test(f))
    .sort()
    .slice(-max);
  const out: Array<{ file: string; hash: string }> = [];
  for (const file of files) {
    const hash = await dHash(join(repo, file)).catch(() => undefined);
    if (hash) out.push({ file, hash });
  }
  return out;
}

export interface ReuseInput {
  student: string;
  hashes: ReadonlyArray<{ file: string; hash: string }>;
}

/**
 * Per student, why their committed screenshot looks reused: the same picture as another
 * student's or as the template's own.
 */
export function findReuse(students: readonly ReuseInput[], template: ReadonlyArray<{ file: string; hash: string }>): Map<string, string> {
  const out = new Map<string, string>();
  const add = (student: string, why: string): void => {
    const prev = out.get(student);
    out.set(student, prev ? `${prev}; ${why}` : why);
  };
  for (const s of students) {
    for (const h of s.hashes) {
      const t = template.find((x) => hammingDistance(x.hash, h.hash) <= SAME_PICTURE_BITS);
      if (t) add(s.student, `${h.file} is the template's ${t.file}`);
    }
  }
  for (let i = 0; i < students.length; i++) {
    for (let j = i + 1; j < students.length; j++) {
      const a = students[i]!;
      const b = students[j]!;
      const same = a.hashes.find((x) => b.hashes.some((y) => hammingDistance(x.hash, y.hash) <= SAME_PICTURE_BITS));
      if (same) {
        add(a.student, `same screenshot as ${b.student}`);
        add(b.student, `same screenshot as ${a.student}`);
      }
    }
  }
  return out;
}
