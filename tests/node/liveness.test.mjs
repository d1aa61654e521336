// SPEC §3: ping, heartbeat and getConnectionInfo, with and without payloads and callbacks.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tokenFor, once, ask, connected, TRANSPORTS } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

for (const { name, options } of TRANSPORTS) {
  describe(`liveness over ${name}`, () => {
    test('ping with and without a payload', async () => {
      const socket = server.client('/', options);
      await connected(socket);
      const before = Date.now();
      const pong = once(socket, 'pong');
      const bare = await ask(socket, 'ping');
      assert.ok(Math.abs(bare.timestamp - before) < 5000, JSON.stringify(bare));
      assert.equal(typeof (await pong).timestamp, 'number');
      assert.equal(typeof (await ask(socket, 'ping', {})).timestamp, 'number');
      const event = once(socket, 'pong');
      socket.emit('ping');
      assert.equal(typeof (await event).timestamp, 'number');
      socket.close();
    });

    test('heartbeat measures latency from the client timestamp', async () => {
      const socket = server.client('/', options);
      await connected(socket);
      const sent = Date.now() - 100;
      const acked = once(socket, 'heartbeatAck');
      const beat = await ask(socket, 'heartbeat', { timestamp: sent });
      assert.ok(beat.latency >= 100 && beat.latency < 5000, JSON.stringify(beat));
      assert.equal(beat.timestamp - sent, beat.latency);
      assert.ok(!Number.isNaN(Date.parse(beat.serverTime)));
      assert.deepEqual(await acked, beat);
      assert.equal((await ask(socket, 'heartbeat')).latency, null);
      assert.equal((await ask(socket, 'heartbeat', {})).latency, null);
      assert.equal(typeof (await ask(socket, 'heartbeat', sent)).latency, 'number');
      socket.close();
    });
  });
}

test('a heartbeat with a non-numeric timestamp is INVALID_PAYLOAD', async () => {
  const socket = server.client('/', { transports: ['websocket'] });
  await connected(socket);
  const error = once(socket, 'error');
  const answer = await ask(socket, 'heartbeat', { timestamp: 'yesterday' });
  assert.equal(answer.success, false);
  assert.equal((await error).code, 'INVALID_PAYLOAD');
  for (const timestamp of [-1e300, 1e300, 1e16, true, [1]]) {
    const bad = await ask(socket, 'heartbeat', { timestamp });
    assert.equal(bad.success, false, `${timestamp} accepted: ${JSON.stringify(bad)}`);
  }
  assert.ok(socket.connected);
  socket.close();
});

test('getConnectionInfo describes the socket', async () => {
  const before = Date.now();
  const socket = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('max') } });
  await connected(socket);
  const info = await ask(socket, 'getConnectionInfo');
  assert.equal(info.socketId, socket.id);
  assert.equal(info.connected, true);
  assert.equal(info.authenticated, true);
  assert.equal(info.userId, 'max');
  assert.ok(Array.isArray(info.rooms) && info.rooms.includes('user:max'));
  assert.ok(Date.parse(info.connectedAt) >= before - 1000);
  socket.close();
});
