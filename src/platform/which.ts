/**
 * Finding a program the way the shell would: through PATH, never a hard-coded /usr/bin (Homebrew
 * puts Xvfb and friends under /opt/homebrew/bin or /opt/X11/bin, NixOS under /run/current-system,
 * Windows anywhere).
 *
 * - POSIX: each PATH entry in order (':'-separated); the first regular file with an execute bit.
 * - Windows: PATH is ';'-separated and a command runs without its extension, so each entry is
 *   tried with every PATHEXT extension (default `.COM;.EXE;.BAT;.CMD`), and a name that already has
 *   one is tried as is first. Names are case-insensitive there; the file system already is.
 *
 * The host is injected so both branches are tested on any OS.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { posix, win32 } from 'node:path';

export interface WhichHost {
  readonly platform: NodeJS.Platform;
  readonly env: NodeJS.ProcessEnv;
  /** Whether `path` is a file this process may run (POSIX: execute bit; Windows: it exists). */
  isRunnable(path: string): boolean;
}

export const realWhichHost: WhichHost = {
  platform: process.platform,
  env: process.env,
  isRunnable: (path) => {
    try {
      if (!statSync(path).isFile()) return false;
      if (process.platform !== 'win32') accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
};

/** PATH's value: Windows spells the variable Path, and env lookups there are case-insensitive only on process.env. */
function pathVariable(env: NodeJS.ProcessEnv): string {
  if (env.PATH !== undefined) return env.PATH;
  const key = Object.keys(env).find((k) => k.toUpperCase() === 'PATH');
  return key ? (env[key] ?? '') : '';
}

/** The full path `command` runs as, or undefined when it is on no PATH entry. A name with a slash is checked as given. */
export function which(command: string, host: WhichHost = realWhichHost): string | undefined {
  const windows = host.platform === 'win32';
  const path = windows ? win32 : posix;
  const hasDir = windows ? /[\\/]/.test(command) : command.includes('/');
  const extensions = windows ? windowsExtensions(command, host.env) : [''];
  const candidates = hasDir
    ? extensions.map((ext) => command + ext)
    : pathVariable(host.env)
        .split(windows ? ';' : ':')
        // An empty POSIX entry means the current directory; we never look there (a repo could plant a 'python3').
        .filter((dir) => dir !== '')
        .flatMap((dir) => extensions.map((ext) => path.join(dir.replace(/^"(.*)"$/, '$1'), command + ext)));
  return candidates.find((c) => host.isRunnable(c));
}

function windowsExtensions(command: string, env: NodeJS.ProcessEnv): string[] {
  const exts = (env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean);
  const has = exts.some((e) => command.toLowerCase().endsWith(e.toLowerCase()));
  return has ? ['', ...exts] : exts;
}
