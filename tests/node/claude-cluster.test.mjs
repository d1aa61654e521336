// SPEC §4 across processes: the Redis rate limit shared by two nodes, its
// fail-open when Redis is gone, and runs interrupted by a server stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { ask, once, eventually, startServer, tokenFor } from './harness.mjs';
import { claudeServer, user, FAKE_CLAUDE } from './claude-harness.mjs';

async function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

test('two nodes share the Redis rate limit: the 11th execute in the window is refused', async () => {
  const env = { SWITCHBOARD_REDIS_URL: 'redis://127.0.0.1:6379', SWITCHBOARD_REDIS_PREFIX: `test-${randomUUID()}` };
  const [one, two] = await Promise.all([claudeServer(env), claudeServer(env)]);
  try {
    const sub = `rl-${randomUUID()}`;
    const a = await user(one, sub);
    const b = await user(two, sub);
    for (let i = 0; i < 10; i += 1) {
      const socket = i % 2 === 0 ? a.socket : b.socket;
      assert.equal((await ask(socket, 'claude:execute', { prompt: 'hi' })).success, true, `execute ${i + 1}`);
    }
    const error = once(b.socket, 'claude:error');
    const refused = await ask(b.socket, 'claude:execute', { prompt: 'hi' });
    assert.equal(refused.success, false);
    assert.equal((await error).code, 'RATE_LIMIT_EXCEEDED');
    assert.equal((await ask(a.socket, 'claude:execute', { prompt: 'hi' })).success, false);
    a.socket.close();
    b.socket.close();
  } finally {
    await Promise.all([one.stop(), two.stop()]);
  }
});

test('with Redis stopped the limit fails open, logged and counted', async () => {
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  try {
    await eventually(() => new Promise((resolve) => {
      const probe = connect(port, '127.0.0.1', () => { probe.end(); resolve(true); });
      probe.on('error', () => resolve(false));
    }));
    const server = await claudeServer({ SWITCHBOARD_REDIS_URL: `redis://127.0.0.1:${port}`, SWITCHBOARD_REDIS_PREFIX: `test-${randomUUID()}`, SWITCHBOARD_CLAUDE_RATE_LIMIT: '2' });
    try {
      const sub = `fo-${randomUUID()}`;
      const { socket } = await user(server, sub);
      assert.equal((await ask(socket, 'claude:execute', { prompt: 'hi' })).success, true);
      assert.equal((await ask(socket, 'claude:execute', { prompt: 'hi' })).success, true);
      assert.equal((await ask(socket, 'claude:execute', { prompt: 'hi' })).success, false, 'Redis counts while it is up');
      redis.kill('SIGKILL');
      await once(redis, 'exit');
      for (let i = 0; i < 3; i += 1) {
        assert.equal((await ask(socket, 'claude:execute', { prompt: 'hi' })).success, true, 'fails open');
      }
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(metrics, /switchboard_rate_limit_failed_open_total [3-9]/);
      assert.match(server.logs(), /failing open/);
      socket.close();
    } finally {
      await server.stop();
    }
  } finally {
    redis.kill('SIGKILL');
  }
});

test('SIGTERM stops running processes; a restart finds them recorded as interrupted', async () => {
  const server = await claudeServer({ SWITCHBOARD_SHUTDOWN_GRACE_MS: '3000' });
  const { socket, events } = await user(server, 'uma');
  const { processId } = await ask(socket, 'claude:execute', { prompt: 'scenario:slow:200' });
  await eventually(() => events.of(processId).some((e) => e.data));
  const end = events.end(processId, 5000);
  server.child.kill('SIGTERM');
  const terminal = await end;
  assert.equal(terminal.code, 'INTERRUPTED');
  assert.equal((await server.exited).code, 0);

  // A crash (SIGKILL) leaves a running record behind; the next start marks it.
  const crashed = await startServer({
    env: { SWITCHBOARD_DATA_DIR: server.dataDir, SWITCHBOARD_CLAUDE_COMMAND: FAKE_CLAUDE, SWITCHBOARD_CLAUDE_ALLOWED_ROOTS: server.roots },
  });
  const again = crashed.client('/', { transports: ['websocket'], auth: { token: tokenFor('uma') } });
  await once(again, 'connect');
  // A run that ends by itself: the crashed server cannot kill its child.
  const hung = (await ask(again, 'claude:execute', { prompt: 'scenario:slow:30' })).processId;
  await eventually(async () => (await ask(again, 'claude:status', hung)).status === 'running');
  crashed.child.kill('SIGKILL');
  await crashed.exited;

  const restarted = await startServer({ env: { SWITCHBOARD_DATA_DIR: server.dataDir } });
  try {
    for (const id of [processId, hung]) {
      const response = await fetch(`${restarted.url}/api/v1/processes/${id}`, { headers: { Authorization: `Bearer ${tokenFor('uma')}` } });
      const body = await response.json();
      assert.equal(body.status, 'failed', JSON.stringify(body));
      assert.equal(body.error.code, 'INTERRUPTED');
    }
  } finally {
    await restarted.stop();
  }
});
