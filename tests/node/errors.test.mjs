// SPEC §11: bad input gets a clear answer and changes nothing else.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer, tokenFor, once, never, ask, connected, eventually } from './harness.mjs';

let server;
before(async () => { server = await startServer({ env: { SWITCHBOARD_MAX_PAYLOAD_BYTES: '4096' } }); });
after(async () => { await server.stop(); });

test('unknown events answer NOT_FOUND on every namespace', async () => {
  const socket = server.client('/', { transports: ['websocket'] });
  await connected(socket);
  const error = once(socket, 'error');
  const answer = await ask(socket, 'no:such:event', { any: 'thing' });
  assert.equal(answer.success, false);
  assert.match(answer.error, /no:such:event/);
  assert.equal((await error).code, 'NOT_FOUND');

  const media = server.client('/media', { transports: ['websocket'], auth: { token: tokenFor('nia') } });
  await once(media, 'connect');
  const mediaError = once(media, 'error');
  media.emit('mystery');
  assert.equal((await mediaError).code, 'NOT_FOUND');
  assert.ok(socket.connected && media.connected);
  socket.close();
  media.close();
});

test('claude events need authentication', async () => {
  const socket = server.client('/', { transports: ['websocket'] });
  await connected(socket);
  for (const [event, args] of [['claude:execute', [{ prompt: 'hi' }]], ['claude:status', ['proc_1']], ['claude:cancel', [{ processId: 'proc_1' }]]]) {
    const error = once(socket, 'claude:error');
    const generic = once(socket, 'error');
    const answer = await ask(socket, event, ...args);
    assert.deepEqual(answer, { success: false, error: 'Authentication required to execute Claude commands' });
    const emitted = await error;
    assert.equal(emitted.code, 'UNAUTHORIZED');
    assert.equal(emitted.message, 'Authentication required to execute Claude commands');
    assert.ok(!Number.isNaN(Date.parse(emitted.timestamp)));
    assert.equal((await generic).code, 'UNAUTHORIZED');
  }
  const silent = once(socket, 'claude:error');
  socket.emit('claude:execute', { prompt: 'no callback' });
  assert.equal((await silent).code, 'UNAUTHORIZED');
  socket.close();
});

test('an authenticated claude event without a runner is CLAUDE_UNAVAILABLE', async () => {
  const socket = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('ola') } });
  await connected(socket);
  const error = once(socket, 'claude:error');
  const answer = await ask(socket, 'claude:execute', { prompt: 'hello' });
  assert.equal(answer.success, false);
  assert.equal((await error).code, 'CLAUDE_UNAVAILABLE');
  socket.close();
});

test('a payload over the limit is INVALID_PAYLOAD; the socket stays', async () => {
  const socket = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('pam') } });
  await connected(socket);
  const error = once(socket, 'error');
  const answer = await ask(socket, 'joinRoom', { room: 'big', padding: 'x'.repeat(5000) });
  assert.equal(answer.success, false);
  assert.match(answer.error, /too large/i);
  assert.equal((await error).code, 'INVALID_PAYLOAD');
  const info = await ask(socket, 'getConnectionInfo');
  assert.ok(!info.rooms.includes('big'), 'nothing changed');
  assert.equal((await ask(socket, 'joinRoom', 'small')).success, true);
  socket.close();
});

test('a packet past the transport limit drops only that connection', async () => {
  const bystander = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('quinn') } });
  await connected(bystander);
  const socket = server.client('/', { transports: ['websocket'] });
  await connected(socket);
  const dropped = once(socket, 'disconnect');
  socket.emit('ping', 'y'.repeat(20000));
  await dropped;
  assert.equal(typeof (await ask(bystander, 'ping')).timestamp, 'number');
  bystander.close();
});

test('garbage frames from a raw websocket do not disturb other clients', async () => {
  const bystander = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('rae') } });
  await connected(bystander);
  await ask(bystander, 'joinRoom', 'lobby');

  const raw = new WebSocket(`${server.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
  const frames = [];
  raw.on('message', (data) => frames.push(String(data)));
  await once(raw, 'open');
  // The Engine.IO open packet first, so the garbage cannot race it.
  await eventually(() => frames.length > 0);
  raw.send('40');
  for (const garbage of ['42garbage', '4', '2["not closed"', '99', '42["joinRoom",', '', '\u0000\u0001', '42[1,2,3]', '42{"a":1}']) raw.send(garbage);
  await new Promise((resolve) => setTimeout(resolve, 300));
  raw.terminate();

  const pong = await ask(bystander, 'ping');
  assert.equal(typeof pong.timestamp, 'number');
  const info = await ask(bystander, 'getConnectionInfo');
  assert.ok(info.rooms.includes('lobby'));
  assert.ok(frames[0].startsWith('0{'), 'the raw client got an Engine.IO open packet');
  const health = await fetch(`${server.url}/healthz`);
  assert.equal(health.status, 200);
  await never(bystander, 'disconnect');
  bystander.close();
});
