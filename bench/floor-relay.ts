/**
 * The floor of a relay's cost: a bare pass-through in Node (one upstream UDP socket per client
 * address, one upstream connection per TCP connection, `pipe()`), no decisions, no timers, no
 * counting. The bench runs it where it runs `npm run relay`, so the relay's CPU can be read against
 * what any userspace relay on this machine pays for the sockets alone (loopback delivery happens in
 * the sender's system calls, and that is most of it).
 * Usage: node --import tsx bench/floor-relay.ts SERVER_UDP_PORT SERVER_TCP_PORT
 */
import dgram from 'node:dgram';
import net from 'node:net';

const [videoPort, audioPort] = process.argv.slice(2).map(Number) as [number, number];
const udp = dgram.createSocket('udp4');
const upstreams = new Map<string, dgram.Socket>();
udp.on('message', (msg, rinfo) => {
  const key = `${rinfo.address}|${rinfo.port}`;
  let up = upstreams.get(key);
  if (!up) {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (back) => udp.send(back, rinfo.port, rinfo.address));
    upstreams.set(key, socket);
    up = socket;
  }
  up.send(msg, videoPort, '127.0.0.1');
});
const tcp = net.createServer((client) => {
  const server = net.connect(audioPort, '127.0.0.1');
  client.pipe(server);
  server.pipe(client);
  client.on('error', () => server.destroy());
  server.on('error', () => client.destroy());
});
udp.bind(0, '127.0.0.1', () => {
  tcp.listen(0, '127.0.0.1', () => {
    process.stdout.write(`relay: udp 127.0.0.1:${udp.address().port} tcp 127.0.0.1:${(tcp.address() as net.AddressInfo).port} (floor: bare pass-through)\n`);
  });
});
const stop = (): void => process.exit(0);
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
