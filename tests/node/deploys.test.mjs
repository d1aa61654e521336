// SPEC §1 as a client written from seed 000 meets it: a deploy (SIGTERM,
// then a new server on the same port) closes the transport, so the official
// client reconnects by itself; and every URL handed out is absolute
// (`public_url`, else the Host the client used), so an app served from
// another origin can fetch it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { startServer, tokenFor, once, ask, connected, eventually, TRANSPORTS } from './harness.mjs';

const portOf = (url) => Number(new URL(url).port);

/** Seed 000's connection ("Client Setup", "Automatic Reconnection" and
 * "Connection Errors"), as an app would write it, recording what it sees. */
function seedSocket(url, sub, transports) {
  const seen = { authenticated: 0, disconnects: [], reconnects: 0, refreshes: 0, failed: false };
  const refreshToken = async () => { seen.refreshes += 1; return tokenFor(sub); };
  const socket = io(url, {
    auth: { token: tokenFor(sub) },
    transports,
    reconnection: true,
    reconnectionAttempts: 10,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 5000,
    randomizationFactor: 0.5,
  });
  socket.on('connect', () => {});
  socket.on('authenticated', () => { seen.authenticated += 1; });
  socket.on('disconnect', (reason) => { seen.disconnects.push(reason); });
  socket.on('connect_error', (error) => {
    if (error.message === 'Authentication error') {
      refreshToken().then((newToken) => {
        socket.auth.token = newToken;
        socket.connect();
      });
    }
  });
  socket.io.on('reconnect', () => { seen.reconnects += 1; });
  socket.io.on('reconnect_failed', () => { seen.failed = true; });
  return { socket, seen };
}

for (const { name, options } of TRANSPORTS) {
  test(`a seed 000 client reconnects by itself after a restart on the same port (${name})`, async () => {
    const first = await startServer({ env: { SWITCHBOARD_SHUTDOWN_GRACE_MS: '3000' } });
    const port = portOf(first.url);
    const { socket, seen } = seedSocket(first.url, 'dana', options.transports);
    let second;
    try {
      await eventually(() => seen.authenticated === 1);
      assert.equal((await ask(socket, 'getConnectionInfo')).userId, 'dana');

      const gone = once(socket, 'disconnect', 5000);
      first.child.kill('SIGTERM');
      // A transport close, not `io server disconnect` (after which the
      // official client never reconnects).
      assert.equal(await gone, 'transport close');
      assert.equal((await first.exited).code, 0, first.logs());
      assert.equal(socket.active, true, 'the client is still trying to reconnect');

      second = await startServer({ port, dataDir: first.dataDir });
      await eventually(() => seen.authenticated === 2, 20000);
      assert.equal(socket.connected, true);
      assert.equal(seen.reconnects, 1);
      assert.equal(seen.failed, false);
      assert.deepEqual(seen.disconnects, ['transport close']);
      assert.equal(seen.refreshes, 0, 'the token was still good');
      assert.equal((await ask(socket, 'getConnectionInfo')).userId, 'dana');
    } finally {
      socket.close();
      await first.stop();
      await second?.stop();
    }
  });
}

test('shutdown closes /ws clients with 1001 (going away)', async () => {
  const server = await startServer();
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws?token=${tokenFor('eli')}`);
  try {
    await once(ws, 'open');
    const closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    server.child.kill('SIGTERM');
    assert.equal(await closed, 1001);
    assert.equal((await server.exited).code, 0);
  } finally {
    ws.terminate();
    await server.stop();
  }
});

/** Renders a short pattern; resolves with the ack, `strudel:complete` and the status ack. */
async function render(socket) {
  const complete = new Promise((resolve) => socket.on('strudel:complete', resolve));
  const ack = await ask(socket, 'strudel:execute', { code: 's("bd sd")', options: { duration: 1, sampleRate: 22050 } });
  assert.equal(ack.success, true, JSON.stringify(ack));
  const done = await complete;
  const status = await ask(socket, 'strudel:status', { processId: ack.processId });
  return { ack, complete: done, status };
}

test('with public_url, audioUrl and the media URLs start with it', async () => {
  const server = await startServer({ env: { SWITCHBOARD_PUBLIC_URL: 'https://cdn.example.test/sb/' } });
  try {
    const socket = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('fay') } });
    await connected(socket);
    const { ack, complete, status } = await render(socket);
    assert.match(complete.audioUrl, /^https:\/\/cdn\.example\.test\/sb\/audio\/audio_[0-9a-f]{32}\.wav$/);
    assert.match(complete.thumbnailUrl, /^https:\/\/cdn\.example\.test\/sb\/audio\/audio_[0-9a-f]{32}\.png$/);
    assert.equal(status.audioUrl, complete.audioUrl);

    const media = server.client('/media', { transports: ['polling'], auth: { token: tokenFor('fay') } });
    await once(media, 'connect');
    const announced = once(media, 'mediaComplete');
    assert.equal((await ask(media, 'subscribeMedia', ack.processId)).success, true);
    const item = await announced;
    assert.equal(item.url, complete.audioUrl);
    assert.equal(item.thumbnailUrl, complete.thumbnailUrl);
    // The path under the public base is the one this server serves.
    const path = new URL(complete.audioUrl).pathname.replace(/^\/sb/, '');
    assert.equal((await fetch(`${server.url}${path}`)).status, 200);
  } finally {
    await server.stop();
  }
});

for (const { name, options } of TRANSPORTS) {
  test(`without public_url, audioUrl is absolute on the host the client used and serves the WAV (${name})`, async () => {
    const server = await startServer();
    try {
      // `localhost`, not the bound 127.0.0.1: the base comes from the request's Host.
      const base = `http://localhost:${portOf(server.url)}`;
      const socket = io(base, { ...options, reconnection: false, forceNew: true, auth: { token: tokenFor('gus') } });
      try {
        await connected(socket);
        const { complete, status } = await render(socket);
        assert.ok(complete.audioUrl.startsWith(`${base}/audio/`), complete.audioUrl);
        assert.ok(complete.thumbnailUrl.startsWith(`${base}/audio/`), complete.thumbnailUrl);
        assert.equal(status.audioUrl, complete.audioUrl);
        const wav = await fetch(complete.audioUrl);
        assert.equal(wav.status, 200);
        assert.equal(wav.headers.get('content-type'), 'audio/wav');
        assert.equal(Buffer.from(await wav.arrayBuffer()).toString('ascii', 0, 4), 'RIFF');
        const picture = await fetch(complete.thumbnailUrl);
        assert.equal(picture.headers.get('content-type'), 'image/png');
      } finally {
        socket.close();
      }
    } finally {
      await server.stop();
    }
  });
}
