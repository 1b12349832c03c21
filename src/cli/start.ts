/**
 * `npm start`: the server and a client in this one process, on loopback, with the demo clip, both
 * windows placed as the tutorial's (10,30) and (10,360), sound, and one status line. q in either
 * window, closing them, Ctrl+C, --duration or the end of the clip stops everything: one process
 * means nothing to leave behind but ffmpeg and Chromium, which are stopped through their registries.
 */
import { hasDisplay } from '../platform/tools.ts';
import { openWindows, type OpenWindows } from '../ui/windows.ts';
import { describeError, runMain } from './main.ts';
import { consoleIo, startClientSession, startServerSession, type ClientSession, type ServerSession } from './sessions.ts';
import { finish, onStopSignal } from './signals.ts';
import { parseStartConfig, START_HELP } from './stream-options.ts';

runMain('start', async (argv) => {
  const config = parseStartConfig(argv);
  if (!config) {
    process.stdout.write(START_HELP);
    return 0;
  }
  const { status, io } = consoleIo(config.server.debug);
  let stopReason: string | undefined;
  let wake: (() => void) | undefined;
  const stopRequested = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const stop = (reason: string): void => {
    stopReason ??= reason;
    wake?.();
  };
  const removeSignals = onStopSignal((signal) => stop(`stopped (${signal})`));
  let server: ServerSession | undefined;
  let client: ClientSession | undefined;
  let windows: OpenWindows | undefined;
  let durationTimer: NodeJS.Timeout | undefined;
  let code = 0;
  try {
    server = await startServerSession(config.server, io);
    client = await startClientSession({ ...config.client, port: server.server.videoPort, audioPort: server.server.audioPort }, io);
    const c = client;
    const net = c.net;
    // The relay is in the client's path; the TRANSMITTING VIDEO page shows what it does too.
    if (net) server.addRows(() => net.rows());
    server.ui.onQuit(() => stop('q pressed'));
    c.ui.onQuit(() => stop('q pressed'));
    void server.server.done.then(
      () => stop('server stopped'),
      (error: unknown) => {
        io.log(`server: ${describeError(error)}`);
        code = 1;
        stop('server failed');
      },
    );
    void c.ended.then((end) => {
      if (end.code !== 0) code = end.code;
      stop(end.reason);
    });
    if (config.client.durationS !== undefined) {
      durationTimer = setTimeout(() => stop(`--duration ${config.client.durationS} s reached`), config.client.durationS * 1000);
    }
    if (config.server.window && hasDisplay()) {
      try {
        windows = await openWindows([
          { url: server.ui.url, title: 'TRANSMITTING VIDEO', x: 10, y: 30 },
          { url: c.ui.url, title: 'RECEIVING VIDEO', x: 10, y: 360 },
        ]);
        void windows.closed.then(() => stop('window closed'));
      } catch (error) {
        io.log(`no windows (${describeError(error)}); open ${server.ui.url} and ${c.ui.url} in a browser`);
      }
    } else if (config.server.window) {
      io.log(`no display: open ${server.ui.url} (TRANSMITTING VIDEO) and ${c.ui.url} (RECEIVING VIDEO) in a browser; streaming continues`);
    }
    const s = server;
    status.start(() => `${c.status()} || ${s.status()}`);
    await stopRequested;
    status.stop();
    io.log(`start: ${stopReason}`);
  } finally {
    if (durationTimer) clearTimeout(durationTimer);
    status.stop();
    removeSignals();
    client?.client.stop(stopReason ?? 'stopping');
    await windows?.close();
    const stats = await client?.close();
    await server?.close();
    if (stats) {
      io.log(
        `client: ${stats.framesShown} frames shown at ${stats.fps.toFixed(2)} fps (source ${stats.sourceFps ?? '?'}), lost ${stats.framesLost ?? '?'}, late ${stats.framesLate}, A/V mean ${stats.avOffsetMs.mean ?? '–'} ms, audio ${stats.audioSeconds.toFixed(1)} s`,
      );
    }
  }
  return finish(code);
});
