// SPEC §1 cluster mode: with a Redis URL the Socket.IO adapter fans out
// through Redis, so a publish on one node reaches clients of another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { startServer, tokenFor, once, ask, connected, never, eventually } from './harness.mjs';

const KEY = 'cluster-key-0123456789';

test('a publish on one node reaches rooms and users on another', async () => {
  const env = { SWITCHBOARD_REDIS_PREFIX: `test-${randomUUID()}`, SWITCHBOARD_API_KEYS: KEY };
  // One node configured by flag, the other by environment.
  const [one, two] = await Promise.all([
    startServer({ env, args: ['--redis-url', 'redis://127.0.0.1:6379'] }),
    startServer({ env: { ...env, SWITCHBOARD_REDIS_URL: 'redis://127.0.0.1:6379' } }),
  ]);
  try {
    const socket = one.client('/', { transports: ['websocket'], auth: { token: tokenFor('kim') } });
    await connected(socket);
    await ask(socket, 'joinRoom', 'project-z');
    const outsider = one.client('/', { transports: ['websocket'], auth: { token: tokenFor('lee') } });
    await connected(outsider);

    const publish = (body) => fetch(`${two.url}/api/v1/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', Authorization: `Bearer ${KEY}` },
      body: JSON.stringify(body),
    });
    const inRoom = once(socket, 'deploy');
    assert.equal((await publish({ namespace: '/', room: 'project-z', event: 'deploy', data: { v: 3 } })).status, 200);
    assert.deepEqual(await inRoom, { v: 3 });
    const toUser = once(socket, 'direct');
    const leak = never(outsider, 'direct', 500);
    assert.equal((await publish({ namespace: '/', userId: 'kim', event: 'direct', data: 'hi' })).status, 200);
    assert.equal(await toUser, 'hi');
    await leak;

    // Stopping one node disconnects its own clients only.
    const onTwo = two.client('/', { transports: ['websocket'], auth: { token: tokenFor('mo') } });
    await connected(onTwo);
    const survived = never(onTwo, 'disconnect', 1000);
    const gone = once(socket, 'disconnect');
    one.child.kill('SIGTERM');
    assert.equal(await gone, 'transport close');
    assert.equal((await one.exited).code, 0);
    await survived;
    onTwo.close();
    outsider.close();
  } finally {
    await Promise.all([one.stop(), two.stop()]);
  }
});

test('/ws clients hear publishes and presence from other nodes', async () => {
  const env = { SWITCHBOARD_REDIS_URL: 'redis://127.0.0.1:6379', SWITCHBOARD_REDIS_PREFIX: `test-${randomUUID()}`, SWITCHBOARD_API_KEYS: KEY };
  const [one, two] = await Promise.all([startServer({ env }), startServer({ env })]);
  const open = async (server, sub) => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws?token=${tokenFor(sub)}`);
    const messages = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    await once(ws, 'open');
    await eventually(() => messages.some((m) => m.type === 'auth'));
    return { ws, messages };
  };
  try {
    const here = await open(one, 'nell');
    const there = await open(two, 'otto');
    const response = await fetch(`${two.url}/api/v1/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', Authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ namespace: '/ws', userId: 'nell', event: 'ping-from-two', data: { n: 1 } }),
    });
    assert.equal(response.status, 200);
    await eventually(() => here.messages.some((m) => m.type === 'ping-from-two' && m.data.n === 1));
    assert.equal(here.messages.filter((m) => m.type === 'ping-from-two').length, 1, 'delivered once');

    there.ws.send(JSON.stringify({ type: 'user_presence', data: 'away' }));
    await eventually(() => here.messages.some((m) => m.type === 'user_presence' && m.data.userId === 'otto' && m.data.status === 'away'));
    here.ws.close();
    there.ws.close();
  } finally {
    await Promise.all([one.stop(), two.stop()]);
  }
});

test('a node that cannot reach the configured Redis refuses to start', async () => {
  await assert.rejects(
    startServer({ env: { SWITCHBOARD_REDIS_URL: 'redis://127.0.0.1:1' } }),
    /Redis adapter|exited/,
  );
});
