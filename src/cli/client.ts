/**
 * `npm run client -- [options]`: receives a stream and plays it (see CLIENT_HELP).
 * Exit status: 0 at end of stream, after --duration, on q or Ctrl+C; 1 when the server goes away.
 */
import { hasDisplay } from '../platform/tools.ts';
import { openWindows, type OpenWindows } from '../ui/windows.ts';
import { describeError, runMain } from './main.ts';
import { consoleIo, startClientSession } from './sessions.ts';
import { finish, onStopSignal } from './signals.ts';
import { CLIENT_HELP, parseClientConfig } from './stream-options.ts';

runMain('client', async (argv) => {
  const config = parseClientConfig(argv);
  if (!config) {
    process.stdout.write(CLIENT_HELP);
    return 0;
  }
  const { status, io } = consoleIo(config.debug);
  const session = await startClientSession(config, io);
  const { client } = session;
  const removeSignals = onStopSignal((signal) => client.stop(`stopped (${signal})`));
  let windows: OpenWindows | undefined;
  let durationTimer: NodeJS.Timeout | undefined;
  let code = 0;
  try {
    session.ui.onQuit(() => client.stop('q pressed'));
    if (config.durationS !== undefined) {
      durationTimer = setTimeout(() => client.stop(`--duration ${config.durationS} s reached`), config.durationS * 1000);
    }
    if (config.window && hasDisplay()) {
      try {
        windows = await openWindows([{ url: session.ui.url, title: 'RECEIVING VIDEO', x: 10, y: 360 }]);
        void windows.closed.then(() => client.stop('window closed'));
      } catch (error) {
        io.log(`no window (${describeError(error)}); the page is at ${session.ui.url}`);
      }
    } else if (config.window) {
      io.log(`no display: open ${session.ui.url} in a browser (playing continues)`);
    }
    status.start(() => session.status());
    const end = await session.ended;
    code = end.code;
    status.stop();
    if (end.code !== 0) process.stderr.write(`client: ${end.reason}\n`);
    else io.log(`client: ${end.reason}`);
  } finally {
    if (durationTimer) clearTimeout(durationTimer);
    status.stop();
    removeSignals();
    await windows?.close();
    const stats = await session.close();
    io.log(
      `client: ${stats.framesShown} frames shown at ${stats.fps.toFixed(2)} fps (source ${stats.sourceFps ?? '?'}), lost ${stats.framesLost ?? '?'}, late ${stats.framesLate}, jitter ${stats.jitterMs.toFixed(2)} ms, A/V mean ${stats.avOffsetMs.mean ?? '–'} ms, audio ${stats.audioSeconds.toFixed(1)} s${config.statsFile ? ` → ${config.statsFile}` : ''}`,
    );
  }
  return finish(code);
});
