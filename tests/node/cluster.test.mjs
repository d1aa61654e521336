// SPEC §1 cluster mode: with a Redis URL the Socket.IO adapter fans out
// through Redis, so a publish on one node reaches clients of another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer, tokenFor, once, ask, connected, never } from './harness.mjs';

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
    assert.equal(await gone, 'io server disconnect');
    assert.equal((await one.exited).code, 0);
    await survived;
    onTwo.close();
    outsider.close();
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
