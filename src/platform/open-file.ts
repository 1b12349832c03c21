/**
 * Opens a file in the user's default application (a report in the default browser): `open` on
 * macOS, `start` through cmd on Windows, `xdg-open` elsewhere. The opener is left to run on its
 * own (detached): the browser it starts must outlive us.
 */
import { spawn } from 'node:child_process';
import { which } from './which.ts';

export function openerFor(platform: NodeJS.Platform, file: string): { command: string; args: string[] } {
  if (platform === 'darwin') return { command: 'open', args: [file] };
  // start's first quoted argument is the window title, hence the empty "".
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""', file] };
  return { command: 'xdg-open', args: [file] };
}

/** Opens `file`; returns a one-line reason when it cannot (no opener on PATH), else undefined. */
export function openInDefaultApp(file: string, platform: NodeJS.Platform = process.platform): string | undefined {
  const { command, args } = openerFor(platform, file);
  if (!which(command)) return `cannot open ${file}: ${command} is not on PATH (open the file yourself)`;
  const child = spawn(command, args, { detached: true, stdio: 'ignore', windowsHide: true });
  child.on('error', () => {});
  child.unref();
  return undefined;
}
