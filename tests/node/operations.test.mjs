// SPEC §1: health, readiness, metrics, CORS, and graceful shutdown on signals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tokenFor, sign, once, ask, connected } from './harness.mjs';

test('healthz, readyz and metrics', async () => {
  const server = await startServer();
  try {
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });

    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    const body = await ready.json();
    assert.equal(body.status, 'ready');
    assert.equal(body.checks.store, 'ok');

    const root = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('sam') } });
    const media = server.client('/media', { transports: ['polling'], auth: { token: tokenFor('sam') } });
    await Promise.all([connected(root), once(media, 'connect')]);
    await ask(root, 'ping');
    await ask(root, 'joinRoom', 'lobby');
    await ask(root, 'made-up-event-1').catch(() => {});
    await ask(root, 'made-up-event-2').catch(() => {});

    const response = await fetch(`${server.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /text/);
    const text = await response.text();
    assert.match(text, /switchboard_connections\{namespace="\/"\} 1\b/);
    assert.match(text, /switchboard_connections\{namespace="\/media"\} 1\b/);
    assert.match(text, /switchboard_events_received_total\{event="ping"\} 1\b/);
    assert.match(text, /switchboard_events_received_total\{event="joinRoom"\} 1\b/);
    assert.match(text, /switchboard_events_received_total\{event="unknown"\} 2\b/);
    assert.doesNotMatch(text, /made-up-event/, 'client-chosen names never become labels');

    root.close();
    media.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(after, /switchboard_connections\{namespace="\/"\} 0\b/);
  } finally {
    await server.stop();
  }
});

test('CORS allows configured origins only', async () => {
  const server = await startServer({ env: { SWITCHBOARD_CORS_ORIGINS: 'http://app.example' } });
  try {
    const allowed = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: 'http://app.example' } });
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'http://app.example');
    const other = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: 'http://evil.example' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  } finally {
    await server.stop();
  }
});

test('CORS "*" and a short secret are accepted', async () => {
  const server = await startServer({ env: { SWITCHBOARD_CORS_ORIGINS: '*', SWITCHBOARD_JWT_SECRET: 'shh' } });
  try {
    const response = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: 'http://any.example' } });
    assert.equal(response.headers.get('access-control-allow-origin'), 'http://any.example');
    const socket = server.client('/', { transports: ['websocket'], auth: { token: sign({ sub: 'pia' }, { secret: 'shh' }) } });
    const seen = await connected(socket);
    await ask(socket, 'ping');
    assert.equal(seen.authenticated.userId, 'pia');
    socket.close();
  } finally {
    await server.stop();
  }
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  test(`${signal} disconnects clients and exits 0`, async () => {
    const server = await startServer({ env: { SWITCHBOARD_SHUTDOWN_GRACE_MS: '3000' } });
    const ws = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('tia') } });
    const polling = server.client('/notifications', { transports: ['polling'], auth: { token: tokenFor('tia') } });
    await Promise.all([connected(ws), once(polling, 'connect')]);
    const reasons = Promise.all([once(ws, 'disconnect', 5000), once(polling, 'disconnect', 5000)]);
    server.child.kill(signal);
    const [wsReason, pollingReason] = await reasons;
    // A transport close, which the official client reconnects from (SPEC §1).
    assert.equal(wsReason, 'transport close');
    assert.equal(pollingReason, 'transport close');
    const { code } = await server.exited;
    assert.equal(code, 0, server.logs());
    assert.match(server.logs(), /shutdown complete/);
  });
}

test('Engine.IO heartbeat and payload limits come from configuration', async () => {
  const server = await startServer({
    env: { SWITCHBOARD_PING_INTERVAL_MS: '1500', SWITCHBOARD_PING_TIMEOUT_MS: '2500', SWITCHBOARD_MAX_PAYLOAD_BYTES: '65536' },
  });
  try {
    const open = await (await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`)).text();
    assert.ok(open.startsWith('0'), open);
    const handshake = JSON.parse(open.slice(1));
    assert.equal(handshake.pingInterval, 1500);
    assert.equal(handshake.pingTimeout, 2500);
    assert.deepEqual(handshake.upgrades, ['websocket']);
    const socket = server.client('/', { transports: ['websocket'] });
    await connected(socket);
    // Several heartbeats pass and the connection stays up.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    assert.ok(socket.connected);
    socket.close();
  } finally {
    await server.stop();
  }
});
