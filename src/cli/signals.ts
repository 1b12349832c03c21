/**
 * Ctrl+C / SIGTERM for the long-running commands: the first signal asks for a clean stop (sockets
 * closed, ffmpeg children and browsers stopped); a second one, or a stop that hangs, exits at once
 * after killing the registered children.
 */
import { stopAllChildren } from '../process/children.ts';
import { settlesWithin } from '../timing/wait.ts';

/** How long a clean stop may take before the process exits anyway (ms). */
const STOP_GRACE_MS = 5000;

export function onStopSignal(stop: (signal: NodeJS.Signals) => void): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals): void => {
    count += 1;
    if (count === 1) {
      stop(signal);
      setTimeout(() => void forceExit(130), STOP_GRACE_MS).unref();
    } else {
      void forceExit(130);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  process.on('SIGHUP', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
    process.off('SIGHUP', handler);
  };
}

async function forceExit(code: number): Promise<void> {
  await settlesWithin(stopAllChildren(), 2000, { keepAlive: false });
  process.exit(code);
}

/**
 * After a command has cleaned up, exit even if some library left a handle open (a puppeteer pipe,
 * a PortAudio thread): the children are already stopped, so nothing is left behind.
 */
export async function finish(code: number): Promise<number> {
  await settlesWithin(stopAllChildren(), 3000, { keepAlive: false });
  setTimeout(() => process.exit(code), 500).unref();
  return code;
}
