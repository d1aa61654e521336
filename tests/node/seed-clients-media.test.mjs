// Clients written from the seeds (issue 13): seed 000's connect/refresh flow
// on /notifications (SPEC §2), subscriptions to media not created yet and
// media ids a backend chooses (SPEC §7), and seed 003's CloudAgentsWebSocket
// against /ws: the idle close and notifications (SPEC §8).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { startServer, tokenFor, once, ask, eventually } from './harness.mjs';

const KEY = 'seed-clients-key-0123456789';

async function call(server, method, path, body, bearer = KEY) {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', Authorization: `Bearer ${bearer}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function media(server, sub, extra = {}) {
  const socket = server.client('/media', { transports: ['websocket'], auth: { token: tokenFor(sub, extra) } });
  const received = [];
  socket.onAny((event, payload) => received.push({ event, payload }));
  await once(socket, 'connect');
  return { socket, received };
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

describe("seed 000's token refresh on /notifications", () => {
  let server;
  before(async () => { server = await startServer({ env: { SWITCHBOARD_API_KEYS: KEY } }); });
  after(async () => { await server.stop(); });

  // Seed 000's own transports first, then the official client's default
  // (polling, upgraded to websocket) and polling alone: each session's
  // transport is closed at expiry, whichever connections it rides on.
  const variants = [
    { name: "seed 000's transports", transports: ['websocket', 'polling'], user: 'rita' },
    { name: 'polling upgraded to websocket', transports: undefined, user: 'rob' },
    { name: 'polling only', transports: ['polling'], user: 'ros' },
  ];
  for (const { name, transports, user } of variants) {
    test(`an expired token is refreshed through connect_error and the client hears the user again (${name})`, async () => {
      let refreshes = 0;
      const refreshToken = async () => { refreshes += 1; return tokenFor(user); };
      // Seed 000, "Client Setup" and "Connection Errors", as written (the URL
      // and namespace are the test server's).
      const socket = io(`${server.url}/notifications`, {
        auth: {
          token: tokenFor(user, {}, 2),
        },
        transports,
        reconnection: true,
        reconnectionAttempts: 5,
        reconnectionDelay: 1000,
      });
      const events = [];
      socket.on('connect', () => { events.push('connect'); });
      socket.on('disconnect', (reason) => { events.push(`disconnect:${reason}`); });
      socket.on('authError', (data) => { events.push(`authError:${data.message}`); });
      socket.on('connect_error', (error) => {
        events.push(`connect_error:${error.message}`);
        if (error.message === 'Authentication error') {
          // Token invalid or expired
          refreshToken().then(newToken => {
            socket.auth.token = newToken;
            socket.connect();
          });
        }
      });
      try {
        await once(socket, 'connect');
        await eventually(() => events.includes('authError:Token expired'), 6000);
        await eventually(() => events.includes('connect_error:Authentication error'), 8000);
        await eventually(() => events.filter((e) => e === 'connect').length === 2, 8000);
        assert.ok(refreshes >= 1);
        assert.ok(!events.includes('disconnect:io server disconnect'), events.join(', '));
        const heard = once(socket, 'notification');
        assert.equal((await call(server, 'POST', '/notifications', { userId: user, type: 'info', message: 'after refresh' })).status, 201);
        assert.equal((await heard).message, 'after refresh');
      } finally {
        socket.close();
      }
    });
  }
});

describe('media subscribed before it exists', () => {
  let server;
  before(async () => {
    server = await startServer({ env: { SWITCHBOARD_API_KEYS: KEY, SWITCHBOARD_MEDIA_PENDING_SUBSCRIBE_MS: '1500' } });
  });
  after(async () => { await server.stop(); });

  test('the owner and admins hear an item created after they subscribed; others do not', async () => {
    const id = `gen:${Date.now()}-a`;
    const owner = await media(server, 'ola');
    const other = await media(server, 'ozzy');
    const admin = await media(server, 'root', { roles: ['admin'] });
    for (const client of [owner, other, admin]) {
      assert.deepEqual(await ask(client.socket, 'subscribeMedia', id), { success: true, mediaId: id, pending: true });
    }
    const created = await call(server, 'POST', '/media', { mediaId: id, userId: 'ola', type: 'image' });
    assert.equal(created.status, 201);
    assert.equal(created.body.mediaId, id);
    const progress = once(owner.socket, 'mediaProgress');
    const done = once(owner.socket, 'mediaComplete');
    const adminDone = once(admin.socket, 'mediaComplete');
    assert.equal((await call(server, 'POST', `/media/${encodeURIComponent(id)}/progress`, { progress: 40, stage: 'rendering' })).status, 200);
    assert.deepEqual(await progress, { mediaId: id, progress: 40, stage: 'rendering' });
    assert.equal((await call(server, 'POST', `/media/${encodeURIComponent(id)}/complete`, { url: 'https://cdn.test/a.png' })).status, 200);
    assert.deepEqual(await done, { mediaId: id, url: 'https://cdn.test/a.png' });
    assert.equal((await adminDone).mediaId, id);
    await pause(200);
    assert.deepEqual(other.received.filter((r) => r.event.startsWith('media')), [], "another user's pending subscription gets nothing");
    for (const client of [owner, other, admin]) client.socket.close();
  });

  test('a pending subscription expires', async () => {
    const id = `gen:${Date.now()}-b`;
    const late = await media(server, 'pia');
    assert.equal((await ask(late.socket, 'subscribeMedia', { mediaId: id })).pending, true);
    await pause(2000);
    assert.equal((await call(server, 'POST', '/media', { mediaId: id, userId: 'pia', type: 'audio' })).status, 201);
    assert.equal((await call(server, 'POST', `/media/${encodeURIComponent(id)}/progress`, { progress: 10, stage: 'start' })).status, 200);
    assert.equal((await call(server, 'POST', `/media/${encodeURIComponent(id)}/complete`, { url: 'https://cdn.test/b.wav' })).status, 200);
    await pause(300);
    assert.deepEqual(late.received.filter((r) => r.event.startsWith('media')), [], 'expired: nothing arrives');
    late.socket.close();
  });

  test('a chosen mediaId is validated and unique', async () => {
    const id = `gen:${Date.now()}-c`;
    assert.equal((await call(server, 'POST', '/media', { mediaId: id, userId: 'quin', type: 'image' })).status, 201);
    const taken = await call(server, 'POST', '/media', { mediaId: id, userId: 'rex', type: 'image' });
    assert.equal(taken.status, 409);
    for (const bad of ['', 'has space', 'a/b', 'x'.repeat(129), 7]) {
      const refused = await call(server, 'POST', '/media', { mediaId: bad, userId: 'quin', type: 'image' });
      assert.equal(refused.status, 422, JSON.stringify(bad));
    }
    const generated = await call(server, 'POST', '/media', { userId: 'quin', type: 'image' });
    assert.equal(generated.status, 201);
    assert.match(generated.body.mediaId, /^media_/);
  });
});

// Seed 003's client, as written, on the `ws` package: `new WebSocket(url)`,
// `onopen`/`onmessage`/`onclose`/`onerror`, `WebSocket.OPEN`. The URL is the
// test server's; `reconnect` is left out (the test counts the closes).
class CloudAgentsWebSocket {
  constructor(token, baseUrl, options = {}) {
    this.token = token;
    this.baseUrl = baseUrl;
    this.options = options;
    this.ws = null;
    this.reconnectDelay = 5000;
    this.connect();
  }

  connect() {
    this.ws = new WebSocket(`${this.baseUrl}/ws?token=${this.token}`, this.options);

    this.ws.onopen = () => {
      this.startHeartbeat();
    };

    this.ws.onmessage = (event) => {
      const message = JSON.parse(event.data);
      this.handleMessage(message);
    };

    this.ws.onclose = (event) => {
      clearInterval(this.heartbeatInterval);
      this.onClose(event);
    };

    this.ws.onerror = (error) => {
      console.error('WebSocket error:', error.message);
    };
  }

  handleMessage(message) {
    switch (message.type) {
      case 'agent_status':
        this.onAgentStatus(message.data);
        break;
      case 'chat_message':
        this.onChatMessage(message.data);
        break;
      case 'notification':
        this.onNotification(message.data);
        break;
      case 'user_presence':
        this.onUserPresence(message.data);
        break;
    }
  }

  startHeartbeat() {
    this.heartbeatInterval = setInterval(() => {
      this.send({ type: 'ping' });
    }, 30000);
  }

  send(message) {
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(message));
    }
  }

  // Override these in your app
  onAgentStatus(data) {}
  onChatMessage(data) {}
  onNotification(data) {}
  onUserPresence(data) {}
  onClose(event) {}

  close() {
    clearInterval(this.heartbeatInterval);
    this.ws.close();
  }
}

describe("seed 003's CloudAgentsWebSocket", () => {
  let server;
  let base;
  before(async () => {
    // The ping interval stays at its default (30 s): the idle close must not
    // wait for a heartbeat tick.
    server = await startServer({ env: { SWITCHBOARD_API_KEYS: KEY, SWITCHBOARD_WS_IDLE_TIMEOUT_MS: '3000' } });
    base = server.url.replace('http', 'ws');
  });
  after(async () => { await server.stop(); });

  test('a silent client is closed within 5 s of the idle timeout', async () => {
    // `autoPong: false`: the client does not answer protocol pings, and the
    // seed's own ping only starts after 30 s.
    const client = new CloudAgentsWebSocket(tokenFor('sid'), base, { autoPong: false });
    const opened = Date.now();
    const code = await new Promise((resolve) => { client.onClose = (event) => resolve(event.code); });
    const silentFor = Date.now() - opened;
    assert.equal(code, 1001);
    assert.ok(silentFor >= 2900 && silentFor <= 8000, `closed after ${silentFor} ms`);
  });

  test("sendNotification(level, message, userId) reaches the user; untargeted ones only authenticated clients", async () => {
    const server = await startServer({ env: { SWITCHBOARD_API_KEYS: KEY } });
    const base = server.url.replace('http', 'ws');
    const user = new CloudAgentsWebSocket(tokenFor('tia'), base);
    const anonymous = new CloudAgentsWebSocket('', base);
    const heard = [];
    const heardAnonymously = [];
    user.onNotification = (data) => heard.push(data);
    anonymous.onNotification = (data) => heardAnonymously.push(data);
    await Promise.all([user, anonymous].map((c) => once(c.ws, 'open')));
    await pause(100);

    // wsManager.sendNotification('error', 'Task failed', 'user-123'), over HTTP.
    const targeted = await call(server, 'POST', '/notifications', { level: 'error', message: 'Task failed', userId: 'tia' });
    assert.equal(targeted.status, 201, JSON.stringify(targeted.body));
    await eventually(() => heard.length === 1);
    assert.deepEqual(heard[0], { level: 'error', message: 'Task failed' });
    const untitled = await call(server, 'POST', '/notifications', { type: 'warning', message: 'No title', userId: 'tia' });
    assert.equal(untitled.status, 201, JSON.stringify(untitled.body));
    // wsManager.sendNotification('success', 'All tests passed!'): no userId.
    assert.equal((await call(server, 'POST', '/notifications', { level: 'success', message: 'All tests passed!' })).status, 201);
    await eventually(() => heard.length === 3);
    assert.deepEqual(heard[2], { level: 'success', message: 'All tests passed!' });
    await pause(300);
    assert.deepEqual(heardAnonymously, [], 'notifications are never public');
    assert.equal((await call(server, 'POST', '/notifications', { level: 'info', type: 'info', message: 'both' })).status, 422);
    user.close();
    anonymous.close();
    await server.stop();
  });
});
