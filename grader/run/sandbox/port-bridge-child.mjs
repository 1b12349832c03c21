// Runs inside a sandbox's network namespace (see port-bridge.ts): receives a listening socket made
// in the grader's namespace over IPC, and pipes every connection to it on to 127.0.0.1:PORT here.
import net from 'node:net';

const port = Number(process.argv[2]);
process.on('message', (msg, server) => {
  if (msg !== 'server' || !server) return;
  server.on('connection', (sock) => {
    const up = net.connect(port, '127.0.0.1');
    const done = () => {
      sock.destroy();
      up.destroy();
    };
    sock.on('error', done).on('close', done);
    up.on('error', done).on('close', done);
    sock.pipe(up);
    up.pipe(sock);
  });
  process.send?.('ready');
});
process.on('disconnect', () => process.exit(0));
