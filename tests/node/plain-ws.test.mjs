// SPEC §8 /ws (seed 003) and §9 publishing: plain WebSocket clients, the
// backend HTTP API, and one publish reaching both transports.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer, tokenFor, sign, once, ask, connected, eventually } from './harness.mjs';

const API_KEY = 'backend-key-0123456789';

/** A plain client that records every message. */
async function plain(server, token, options = {}) {
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws${query}`, options);
  const messages = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  await once(ws, 'open');
  await eventually(() => messages.some((m) => m.type === 'auth'));
  return {
    ws,
    messages,
    auth: messages.find((m) => m.type === 'auth'),
    send: (value) => ws.send(typeof value === 'string' ? value : JSON.stringify(value)),
    next: async (type, from = 0) => {
      await eventually(() => messages.slice(from).some((m) => m.type === type));
      return messages.slice(from).find((m) => m.type === type);
    },
  };
}

async function post(server, path, body, key = API_KEY) {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { Authorization: `Bearer ${key}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

describe('/ws', () => {
  let server;
  before(async () => {
    server = await startServer({ env: { SWITCHBOARD_API_KEYS: API_KEY, SWITCHBOARD_WS_PING_INTERVAL_MS: '200', SWITCHBOARD_WS_IDLE_TIMEOUT_MS: '800' } });
  });
  after(async () => { await server.stop(); });

  test('auth on open, ping/pong, timestamps on every message', async () => {
    const client = await plain(server, tokenFor('wes'));
    assert.deepEqual(client.auth.data, { success: true, userId: 'wes' });
    assert.ok(!Number.isNaN(Date.parse(client.auth.timestamp)));
    const before = client.messages.length;
    client.send({ type: 'ping' });
    const pong = await client.next('pong', before);
    assert.ok(!Number.isNaN(Date.parse(pong.timestamp)));
    client.ws.close();
  });

  test('a bad or missing token keeps the client, unauthenticated', async () => {
    const bad = await plain(server, sign({ sub: 'x' }, { secret: 'not-the-secret-at-all' }));
    assert.equal(bad.auth.data.success, false);
    const none = await plain(server, null);
    assert.equal(none.auth.data.success, false);
    none.send({ type: 'ping' });
    await none.next('pong');
    assert.equal(none.ws.readyState, WebSocket.OPEN);
    bad.ws.close();
    none.ws.close();
  });

  test('malformed input gets an error and the connection stays', async () => {
    const client = await plain(server, tokenFor('xia'));
    for (const garbage of ['not json', '{"no":"type"}', '[]', '42', JSON.stringify({ type: 'mystery' })]) {
      const before = client.messages.length;
      client.send(garbage);
      const error = await client.next('error', before);
      assert.equal(typeof error.data.error, 'string');
    }
    client.send('{"broken"');
    const invalid = await client.next('error', client.messages.length - 0);
    assert.ok(invalid);
    assert.equal(client.messages.filter((m) => m.type === 'error').some((m) => m.data.error === 'Invalid message format'), true);
    client.send({ type: 'ping' });
    await client.next('pong');
    client.ws.close();
  });

  test('messages over 64 KiB get an error; frames over 1 MiB close that client only', async () => {
    const client = await plain(server, tokenFor('yan'));
    client.send(JSON.stringify({ type: 'ping', data: 'z'.repeat(100 * 1024) }));
    assert.equal((await client.next('error')).data.error, 'Message too large');
    client.send({ type: 'ping' });
    await client.next('pong');
    const closed = new Promise((resolve) => client.ws.once('close', (code) => resolve(code)));
    client.send(JSON.stringify({ type: 'ping', data: 'z'.repeat(2 * 1024 * 1024) }));
    assert.equal(await closed, 1009);
    const other = await plain(server, tokenFor('yan'));
    other.send({ type: 'ping' });
    await other.next('pong');
    other.ws.close();
  });

  test('presence is broadcast to authenticated clients, offline on close', async () => {
    const watcher = await plain(server, tokenFor('zed'));
    const anonymous = await plain(server, null);
    const mover = await plain(server, tokenFor('amy'));
    mover.send({ type: 'user_presence', data: 'busy' });
    await eventually(() => watcher.messages.some((m) => m.type === 'user_presence' && m.data.userId === 'amy'));
    const seen = watcher.messages.find((m) => m.type === 'user_presence' && m.data.userId === 'amy');
    assert.deepEqual(seen.data, { userId: 'amy', status: 'busy' });
    const from = watcher.messages.length;
    mover.ws.close();
    await eventually(() => watcher.messages.slice(from).some((m) => m.type === 'user_presence' && m.data.status === 'offline' && m.data.userId === 'amy'));
    assert.ok(!anonymous.messages.some((m) => m.type === 'user_presence'), 'unauthenticated clients get public messages only');
    anonymous.send({ type: 'user_presence', data: 'online' });
    assert.equal((await anonymous.next('error')).data.error, 'Authentication required for presence');
    watcher.ws.close();
    anonymous.ws.close();
  });

  test('the server pings and closes silent clients', async () => {
    const client = await plain(server, tokenFor('bea'), { autoPong: false });
    const pinged = once(client.ws, 'ping');
    const closed = new Promise((resolve) => client.ws.once('close', (code) => resolve(code)));
    await pinged;
    assert.ok(!Number.isNaN(Date.parse((await client.next('ping')).timestamp)), "seed 003's ping message too");
    assert.equal(await closed, 1001);
    const alive = await plain(server, tokenFor('bea'));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(alive.ws.readyState, WebSocket.OPEN, 'a client answering pings stays');
    alive.ws.close();
  });

  test('offline is announced when the last connection of a user closes', async () => {
    const watcher = await plain(server, tokenFor('cal'));
    const firstTab = await plain(server, tokenFor('dora'));
    const secondTab = await plain(server, tokenFor('dora'));
    const offline = () => watcher.messages.some((m) => m.type === 'user_presence' && m.data.userId === 'dora' && m.data.status === 'offline');
    firstTab.ws.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(offline(), false, 'another tab is still open');
    secondTab.ws.close();
    await eventually(offline);
    watcher.ws.close();
  });

  test('too many messages a second are refused', async () => {
    const client = await plain(server, tokenFor('cam'));
    for (let i = 0; i < 60; i += 1) client.send({ type: 'ping' });
    await eventually(() => client.messages.some((m) => m.type === 'error' && m.data.error === 'Rate limit exceeded'));
    const pongs = client.messages.filter((m) => m.type === 'pong').length;
    assert.ok(pongs <= 40, `${pongs} pongs`);
    client.ws.close();
  });

  test('a plain GET is told to upgrade', async () => {
    const response = await fetch(`${server.url}/ws`);
    assert.equal(response.status, 426);
  });
});

describe('publishing', () => {
  let server;
  before(async () => { server = await startServer({ env: { SWITCHBOARD_API_KEYS: `${API_KEY},second-key-abcdefgh` } }); });
  after(async () => { await server.stop(); });

  test('one publish to a user reaches their Socket.IO socket and /ws client', async () => {
    const socket = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('dan') } });
    await connected(socket);
    const otherUser = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('eli') } });
    await connected(otherUser);
    const client = await plain(server, tokenFor('dan'));
    const stranger = await plain(server, tokenFor('eli'));
    const received = once(socket, 'build:done');
    let leaked = false;
    otherUser.on('build:done', () => { leaked = true; });
    const answer = await post(server, '/publish', { namespace: '/', userId: 'dan', event: 'build:done', data: { ok: 1 } });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(await received, { ok: 1 });
    const plainMessage = await client.next('build:done');
    assert.deepEqual(plainMessage.data, { ok: 1 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(leaked, false);
    assert.ok(!stranger.messages.some((m) => m.type === 'build:done'));
    for (const c of [client, stranger]) c.ws.close();
    socket.close();
    otherUser.close();
  });

  test('rooms, namespaces and /ws targets', async () => {
    const member = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('fox') } });
    await connected(member);
    await ask(member, 'joinRoom', 'project-9');
    const inRoom = once(member, 'deploy');
    assert.equal((await post(server, '/publish', { namespace: '/', room: 'project-9', event: 'deploy', data: 'v2' })).status, 200);
    assert.equal(await inRoom, 'v2');

    const media = server.client('/media', { transports: ['websocket'], auth: { token: tokenFor('fox') } });
    await once(media, 'connect');
    const everyone = once(media, 'maintenance');
    assert.equal((await post(server, '/publish', { namespace: '/media', event: 'maintenance', data: { at: 1 } })).status, 200);
    assert.deepEqual(await everyone, { at: 1 });

    const client = await plain(server, tokenFor('gia'));
    const anonymous = await plain(server, null);
    assert.equal((await post(server, '/publish', { namespace: '/ws', event: 'alert', data: { level: 'info' } }, 'second-key-abcdefgh')).status, 200);
    assert.deepEqual((await client.next('alert')).data, { level: 'info' });
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.ok(!anonymous.messages.some((m) => m.type === 'alert'));
    for (const c of [client, anonymous]) c.ws.close();
    member.close();
    media.close();
  });

  test('seed-003 helpers validate and deliver', async () => {
    const client = await plain(server, tokenFor('hugo'));
    const status = { agentName: 'CLOUD_ASSISTANT', state: 'working', currentTask: 'Analyzing code', progress: 50 };
    assert.equal((await post(server, '/agent-status', status)).status, 200);
    assert.deepEqual((await client.next('agent_status')).data, status);
    const from = client.messages.length;
    assert.equal((await post(server, '/agent-status', { agentName: 'IDLE_AGENT', state: 'idle' })).status, 200);
    assert.deepEqual((await client.next('agent_status', from)).data, { agentName: 'IDLE_AGENT', state: 'idle' }, 'optional fields stay absent');
    const chat = { conversationId: 'conv-1', messageId: 'msg-1', content: 'Done!', sender: 'LEAD', timestamp: '2026-01-01T00:00:00.000Z' };
    assert.equal((await post(server, '/chat-messages', chat)).status, 200);
    assert.deepEqual((await client.next('chat_message')).data, chat);
    for (const bad of [{ ...status, state: 'sleeping' }, { ...status, progress: 101 }, { state: 'idle' }, { ...status, extra: 1 }]) {
      const refused = await post(server, '/agent-status', bad);
      assert.equal(refused.status, 422, JSON.stringify(bad));
      assert.equal(refused.body.error.code, 'INVALID_PAYLOAD');
    }
    assert.equal((await post(server, '/chat-messages', { ...chat, content: 5 })).status, 422);
    client.ws.close();
  });

  test('bad requests and keys get JSON errors', async () => {
    const notJson = await post(server, '/publish', '{"namespace":');
    assert.equal(notJson.status, 400);
    assert.equal(notJson.body.error.code, 'INVALID_PAYLOAD');
    for (const bad of [
      { namespace: '/nope', event: 'x' },
      { namespace: '/', event: '' },
      { namespace: '/', event: 'connect' },
      { namespace: '/', room: 'a', userId: 'b', event: 'x' },
      { namespace: '/ws', room: 'a', event: 'x' },
      { namespace: '/', room: '', event: 'x' },
      { event: 'x' },
      { namespace: '/', event: 5 },
    ]) {
      const refused = await post(server, '/publish', bad);
      assert.equal(refused.status, 422, JSON.stringify(bad));
      assert.equal(refused.body.error.code, 'INVALID_PAYLOAD');
    }
    const noKey = await post(server, '/publish', { namespace: '/', event: 'x' }, null);
    assert.equal(noKey.status, 401);
    assert.equal(noKey.body.error.code, 'UNAUTHORIZED');
    assert.equal((await post(server, '/publish', { namespace: '/', event: 'x' }, 'wrong-key')).status, 401);
    assert.equal((await post(server, '/publish', { namespace: '/', event: 'x' }, tokenFor('plain-user'))).status, 403);
    assert.equal((await post(server, '/publish', { namespace: '/', event: 'x' }, tokenFor('boss', { roles: ['admin'] }))).status, 200);
    const missing = await fetch(`${server.url}/api/v1/nothing-here`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.code, 'NOT_FOUND');
  });

  test('a client that stops reading is disconnected; others are unaffected', async () => {
    const slow = await plain(server, tokenFor('sly'));
    const healthy = await plain(server, tokenFor('sly'));
    const plainConnections = async () => {
      const response = await fetch(`${server.url}/api/v1/stats`, { headers: { Authorization: `Bearer ${API_KEY}` } });
      return (await response.json()).connections.namespaces['/ws'].connections;
    };
    const before = await plainConnections();
    slow.ws._socket.pause(); // stop reading from the TCP socket
    const chunk = 'q'.repeat(32 * 1024);
    let sent = 0;
    for (; sent < 1500; sent += 1) {
      await post(server, '/publish', { namespace: '/ws', userId: 'sly', event: 'flood', data: { sent, chunk } });
      if (sent % 25 === 24 && (await plainConnections()) === before - 1) break;
    }
    assert.ok(sent < 1500, 'the slow client was disconnected');
    await eventually(() => healthy.messages.filter((m) => m.type === 'flood').length === sent + 1, 20000);
    healthy.send({ type: 'ping' });
    await healthy.next('pong', healthy.messages.length);
    const closed = once(slow.ws, 'close', 10000);
    slow.ws._socket.resume();
    await closed;
    healthy.ws.close();
  });

  test('stats count connections, rooms and processes', async () => {
    const socket = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('ivy') } });
    await connected(socket);
    const anonymous = server.client('/', { transports: ['websocket'] });
    await connected(anonymous);
    const client = await plain(server, tokenFor('ivy'));
    const response = await fetch(`${server.url}/api/v1/stats`, { headers: { Authorization: `Bearer ${API_KEY}` } });
    assert.equal(response.status, 200);
    const stats = await response.json();
    assert.equal(stats.connections.namespaces['/'].connections, 2);
    assert.equal(stats.connections.namespaces['/'].authenticated, 1);
    assert.equal(stats.connections.namespaces['/ws'].connections, 1);
    assert.equal(stats.connections.total, 3);
    assert.equal(stats.connections.authenticated, 2);
    assert.ok(stats.rooms >= 1);
    assert.deepEqual(stats.processes, { running: 0, queued: 0 });
    client.ws.close();
    socket.close();
    anonymous.close();
  });
});

test('with no API key configured the publish API is closed', async () => {
  const server = await startServer();
  try {
    const refused = await post(server, '/publish', { namespace: '/', event: 'x' }, 'anything');
    assert.equal(refused.status, 401);
  } finally {
    await server.stop();
  }
});

test('shutdown closes /ws clients with 1001', async () => {
  const server = await startServer();
  const client = await plain(server, tokenFor('eva'));
  const closed = new Promise((resolve) => client.ws.once('close', (code) => resolve(code)));
  server.child.kill('SIGTERM');
  assert.equal(await closed, 1001);
  assert.equal((await server.exited).code, 0);
});
