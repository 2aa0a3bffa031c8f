/**
 * The bench's "naive relay" peer: the WebSocket-to-TCP relay a Node developer writes first
 * with `ws` and `net`, kept deliberately plain (default `ws` options, one TCP connection per
 * WebSocket, `pause`/`resume` for backpressure and nothing else). It is what Porthole must
 * never lose to. The bench compiles it to build/bench/naive-relay.js and runs that, as it
 * runs Porthole's emitted build.
 *
 *   node build/bench/naive-relay.js LISTEN_PORT TARGET_PORT [TARGET_HOST]
 */
import { connect } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

const [listenText, targetText, targetHost = '127.0.0.1'] = process.argv.slice(2);
const listenPort = Number(listenText);
const targetPort = Number(targetText);
if (!Number.isInteger(listenPort) || !Number.isInteger(targetPort)) {
  console.error('usage: naive-relay.js LISTEN_PORT TARGET_PORT [TARGET_HOST]');
  process.exit(2);
}

/** Stop reading the target while this much is queued towards the browser. */
const HIGH_WATER_BYTES = 1024 * 1024;

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: listenPort,
  // Accept whichever subprotocol the client offers first (e.g. websockify's "binary").
  handleProtocols: (protocols) => protocols.values().next().value ?? false,
});

wss.on('connection', (ws) => {
  const tcp = connect({ port: targetPort, host: targetHost, noDelay: true });

  tcp.on('data', (chunk) => {
    ws.send(chunk, () => {
      if (tcp.isPaused() && ws.bufferedAmount < HIGH_WATER_BYTES) tcp.resume();
    });
    if (ws.bufferedAmount >= HIGH_WATER_BYTES) tcp.pause();
  });
  // With ws's default binaryType ("nodebuffer") every message is one Buffer.
  ws.on('message', (data: Buffer) => {
    if (!tcp.write(data)) ws.pause();
  });
  tcp.on('drain', () => ws.resume());

  tcp.on('close', () => {
    if (ws.readyState === WebSocket.OPEN) ws.close(1000);
  });
  tcp.on('error', () => {
    if (ws.readyState === WebSocket.OPEN) ws.close(1011);
  });
  ws.on('close', () => tcp.destroy());
  ws.on('error', () => tcp.destroy());
});

wss.on('listening', () => {
  const address = wss.address();
  const port = typeof address === 'object' && address !== null ? address.port : listenPort;
  console.log(`naive relay listening on 127.0.0.1:${port} -> ${targetHost}:${targetPort}`);
});
