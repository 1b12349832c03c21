/**
 * The container image, as far as it can be tested without a Docker engine: the Dockerfile parses
 * (a small parser of its line format), every apt package it installs exists in Debian 12, every
 * COPY source exists and is not excluded by .dockerignore, and the entry point runs the grader.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;

export interface Instruction {
  op: string;
  args: string;
  line: number;
}

/** Dockerfile lines: comments, blank lines, `\` continuations (comment lines inside them skipped), OP args. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let buf = '';
  let start = 0;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trimEnd();
    if (buf === '' && (/^\s*#/.test(line) || line.trim() === '')) return;
    if (buf !== '' && /^\s*#/.test(line)) return;
    if (buf === '') start = i + 1;
    if (line.endsWith('\\')) {
      buf += `${line.slice(0, -1)} `;
      return;
    }
    buf += line;
    const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(buf);
    if (!m) throw new Error(`Dockerfile line ${start}: not an instruction: ${buf.trim()}`);
    out.push({ op: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start });
    buf = '';
  });
  if (buf !== '') throw new Error('Dockerfile ends inside a continued line');
  return out;
}

/** Packages named after `apt-get install` in RUN lines (options and shell operators left out). */
export function aptPackages(instructions: Instruction[]): string[] {
  const pkgs: string[] = [];
  for (const ins of instructions.filter((i) => i.op === 'RUN')) {
    for (const cmd of ins.args.split(/&&|;|\|\|/)) {
      const words = cmd.trim().split(/\s+/);
      const at = words.indexOf('install');
      if (words[0] !== 'apt-get' || at < 0) continue;
      pkgs.push(...words.slice(at + 1).filter((w) => w && !w.startsWith('-')));
    }
  }
  return pkgs;
}

const KNOWN = new Set([
  'FROM',
  'RUN',
  'CMD',
  'LABEL',
  'EXPOSE',
  'ENV',
  'ADD',
  'COPY',
  'ENTRYPOINT',
  'VOLUME',
  'USER',
  'WORKDIR',
  'ARG',
  'ONBUILD',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
]);
const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));

describe('parseDockerfile()', () => {
  it('joins continued lines, skips comments inside them, and rejects a dangling continuation', () => {
    expect(parseDockerfile('# c\nFROM a\nRUN x \\\n  # note\n  && y\n')).toEqual([
      { op: 'FROM', args: 'a', line: 2 },
      { op: 'RUN', args: 'x    && y', line: 3 },
    ]);
    expect(() => parseDockerfile('RUN a \\')).toThrow(/continued line/);
    expect(() => parseDockerfile('{}\n')).toThrow(/not an instruction/);
  });
});

describe('Dockerfile', () => {
  it('is made of known instructions, on a Debian 12 (bookworm) Node 20 base that a build argument can replace', () => {
    for (const i of dockerfile) expect(KNOWN.has(i.op), `line ${i.line}: ${i.op}`).toBe(true);
    expect(dockerfile[0]!.op).toBe('ARG');
    expect(dockerfile[0]!.args).toMatch(/^BASE_IMAGE=node:20-bookworm/);
    expect(dockerfile[1]).toMatchObject({ op: 'FROM', args: '${BASE_IMAGE}' });
  });

  it('installs what the grader needs, from apt', () => {
    expect(aptPackages(dockerfile)).toEqual(
      expect.arrayContaining(['ffmpeg', 'chromium', 'xvfb', 'python3-opencv', 'python3-pyaudio', 'python3-numpy', 'bubblewrap']),
    );
  });

  const apt = spawnSync('apt-cache', ['policy', 'ffmpeg'], { encoding: 'utf8' });
  const noApt = apt.error
    ? 'apt-cache not found (not a Debian/Ubuntu machine)'
    : !/bookworm/.test(apt.stdout)
      ? 'apt has no Debian 12 (bookworm) package lists here'
      : undefined;
  it.skipIf(noApt !== undefined)(`every apt package it names exists in Debian 12${noApt ? ` (skipped: ${noApt})` : ''}`, () => {
    const pkgs = aptPackages(dockerfile);
    const r = spawnSync('apt-cache', ['policy', ...pkgs], { encoding: 'utf8' });
    // One section per package that apt knows: "name:\n  Installed: …\n  Candidate: …\n  Version table: …".
    const sections = new Map(r.stdout.split(/^(?=\S+:$)/m).map((sec) => [sec.slice(0, sec.indexOf(':')), sec]));
    for (const pkg of pkgs) {
      const sec = sections.get(pkg) ?? '';
      expect(sec, `${pkg} is not a Debian 12 package`).toMatch(/Candidate: (?!\(none\))/);
      expect(sec, pkg).toMatch(/bookworm/);
    }
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const copy of dockerfile.filter((i) => i.op === 'COPY')) {
      const words = copy.args.split(/\s+/);
      for (const src of words.slice(0, -1)) {
        expect(existsSync(join(ROOT, src)), src).toBe(true);
        expect(ignored.includes(src.replace(/^\.\//, '')), `${src} is in .dockerignore`).toBe(false);
      }
    }
  });

  it('has an entry point that runs the grader (its --help)', () => {
    const entry = dockerfile.find((i) => i.op === 'ENTRYPOINT')!;
    const [script] = JSON.parse(entry.args) as string[];
    const workdir = dockerfile.find((i) => i.op === 'WORKDIR')!.args;
    expect(script!.startsWith(`${workdir}/`)).toBe(true);
    // The image copies grader/ to WORKDIR/grader: the same script in this checkout.
    const local = join(ROOT, script!.slice(workdir.length + 1));
    const cmd = JSON.parse(dockerfile.find((i) => i.op === 'CMD')!.args) as string[];
    const r = spawnSync(local, cmd, { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^npm run grade -- \[command\] \[options\]/);
    expect(r.stdout).toContain('class DIR|CSV');
  });
});
