/**
 * `npm run server -- [options]`: streams a file to any number of clients (see SERVER_HELP).
 * stdout: `listening: …` and `ui: http://127.0.0.1:PORT/` (read by the grader); stderr: notices and
 * the one-line status.
 */
import { hasDisplay } from '../platform/tools.ts';
import { openWindows, type OpenWindows } from '../ui/windows.ts';
import { describeError, runMain } from './main.ts';
import { consoleIo, startServerSession } from './sessions.ts';
import { finish, onStopSignal } from './signals.ts';
import { parseServerConfig, SERVER_HELP } from './stream-options.ts';

runMain('server', async (argv) => {
  const config = parseServerConfig(argv);
  if (!config) {
    process.stdout.write(SERVER_HELP);
    return 0;
  }
  const { status, io } = consoleIo(config.debug);
  let stopRequested: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => {
    stopRequested = resolve;
  });
  const removeSignals = onStopSignal(() => stopRequested?.());
  const session = await startServerSession(config, io);
  let windows: OpenWindows | undefined;
  try {
    session.ui.onQuit(() => stopRequested?.());
    void session.server.done.then(
      () => stopRequested?.(),
      (error: unknown) => {
        io.log(`server: ${describeError(error)}`);
        process.exitCode = 1;
        stopRequested?.();
      },
    );
    if (config.window && hasDisplay()) {
      try {
        windows = await openWindows([{ url: session.ui.url, title: 'TRANSMITTING VIDEO', x: 10, y: 30 }]);
        void windows.closed.then(() => stopRequested?.());
      } catch (error) {
        io.log(`no window (${describeError(error)}); the page is at ${session.ui.url}`);
      }
    } else if (config.window) {
      io.log(`no display: open ${session.ui.url} in a browser (streaming continues)`);
    }
    status.start(() => session.status());
    await stopped;
  } finally {
    status.stop();
    removeSignals();
    await windows?.close();
    await session.close();
  }
  return finish(typeof process.exitCode === 'number' ? process.exitCode : 0);
});
