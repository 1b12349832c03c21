/**
 * A minimal ZIP writer (PKWARE APPNOTE 6.3.x): local headers, deflated data, central directory,
 * end record. Unix modes go in the external attributes (version made by = 3, Unix) so unzip keeps
 * run_autograder executable. No ZIP64: refused above 0xFFFF entries or 4 GiB.
 *
 *   local file header   sig 0x04034b50 | ver 20 | flags 0x0800 (UTF-8) | method | time | date | crc32 | csize | size | nlen | xlen | name
 *   central directory   sig 0x02014b50 | made-by 0x0314 | ver 20 | flags | method | time | date | crc32 | csize | size | nlen | xlen | clen | disk | iattr | eattr | offset | name
 *   end of central dir  sig 0x06054b50 | disk 0 | cd disk 0 | entries ×2 | cd size | cd offset | comment len 0
 */
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipEntry {
  /** Path inside the archive, '/'-separated, no leading '/'. */
  name: string;
  data: Buffer;
  /** Unix permission bits (default 0o644). */
  mode?: number;
}

const MAX_U32 = 0xffff_ffff;

/** MS-DOS date/time of a fixed moment (1980-01-01 00:00), so the same input gives the same bytes. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

export function zip(entries: readonly ZipEntry[]): Buffer {
  if (entries.length > 0xffff) throw new RangeError(`${entries.length} entries: more than a ZIP without ZIP64 holds (65535)`);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const names = new Set<string>();
  for (const e of entries) {
    if (!e.name || e.name.startsWith('/') || e.name.split('/').includes('..')) throw new Error(`unsafe name in a zip: ${JSON.stringify(e.name)}`);
    if (names.has(e.name)) throw new Error(`duplicate name in a zip: ${e.name}`);
    names.add(e.name);
    const name = Buffer.from(e.name, 'utf8');
    const deflated = deflateRawSync(e.data, { level: 9 });
    // Stored when deflate does not help (already compressed files, tiny ones).
    const method = deflated.length < e.data.length ? 8 : 0;
    const body = method === 8 ? deflated : e.data;
    const crc = crc32(e.data);
    if (e.data.length > MAX_U32 || offset > MAX_U32) throw new RangeError(`${e.name}: a zip without ZIP64 holds at most 4 GiB`);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((0o100000 | (e.mode ?? 0o644)) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
