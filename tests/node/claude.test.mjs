// SPEC §4: claude:execute / status / cancel against a fake CLI that speaks
// the real stream-json format, through a real child process.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { once, never, ask, eventually, tokenFor } from './harness.mjs';
import { claudeServer, user } from './claude-harness.mjs';

async function api(server, path, sub) {
  const response = await fetch(`${server.url}${path}`, { headers: sub ? { Authorization: `Bearer ${tokenFor(sub)}` } : {} });
  return { status: response.status, body: await response.json() };
}

describe('a streamed run', () => {
  let server;
  before(async () => { server = await claudeServer(); });
  after(async () => { await server.stop(); });

  test('ack, start, chunks, complete, status and the stored record', async () => {
    const { socket, events } = await user(server, 'ada');
    const ack = await ask(socket, 'claude:execute', { prompt: 'hello there', streaming: true });
    assert.equal(ack.success, true);
    assert.match(ack.processId, /^proc_[0-9a-f]{32}$/);
    const id = ack.processId;
    const end = await events.end(id);
    assert.equal(end.name, 'claude:complete', JSON.stringify(end));

    const seen = events.of(id);
    assert.equal(seen.filter((e) => e.name === 'claude:complete' || e.name === 'claude:error').length, 1, 'exactly one terminal event');
    const started = seen[0];
    assert.deepEqual([started.name, started.status, started.message], ['claude:progress', 'running', 'Process started']);
    const chunks = seen.filter((e) => e.name === 'claude:progress' && e.data !== undefined);
    assert.ok(chunks.length >= 1, 'streamed as chunks (waiting ones are sent together)');
    for (const chunk of chunks) {
      assert.equal(chunk.output, chunk.data);
      assert.equal(chunk.status, 'running');
      assert.ok(!Number.isNaN(Date.parse(chunk.timestamp)));
    }
    const text = chunks.map((c) => c.data).join('');
    assert.equal(text, 'You said: hello there');
    assert.equal(end.output, text);
    assert.equal(typeof end.durationMs, 'number');
    const { result } = end;
    assert.equal(result.id, id);
    assert.equal(result.userId, 'ada');
    assert.equal(result.status, 'completed');
    assert.equal(result.exitCode, 0);
    assert.equal(result.parsedResponse.content, text);
    assert.deepEqual(result.parsedResponse.usage, { inputTokens: 25, outputTokens: 9, totalTokens: 34 });
    assert.equal(result.parsedResponse.model, 'claude-opus-5-5');
    assert.equal(result.parsedResponse.stopReason, 'end_turn');
    assert.equal(result.stdout, text, 'the answer text, not the raw stream-json (SPEC §4)');
    assert.ok(Date.parse(result.completedAt) >= Date.parse(result.startedAt));

    const status = await ask(socket, 'claude:status', id);
    assert.deepEqual(status, { success: true, status: 'completed', output: text });
    assert.deepEqual(await ask(socket, 'claude:status', { processId: id }), status);

    const stored = await api(server, `/api/v1/processes/${id}`, 'ada');
    assert.equal(stored.status, 200);
    assert.equal(stored.body.status, 'completed');
    assert.equal(stored.body.output, text);
    assert.equal(stored.body.request.prompt, 'hello there');
    assert.equal(stored.body.result.parsedResponse.content, text);
    const listed = await api(server, '/api/v1/processes?limit=5', 'ada');
    assert.equal(listed.status, 200);
    assert.equal(listed.body.processes[0].id, id);
    socket.close();
  });

  test('whole assistant blocks are used when the CLI does not stream', async () => {
    const { socket, events } = await user(server, 'bo');
    const { processId } = await ask(socket, 'claude:execute', { prompt: 'scenario:whole' });
    const end = await events.end(processId);
    assert.equal(end.name, 'claude:complete');
    assert.equal(end.output, "I'll run a command.\n\nThe command printed: hello-from-tool");
    assert.equal(end.result.parsedResponse.content, 'The command printed: hello-from-tool');
    socket.close();
  });

  test('noise and malformed lines do not break a run', async () => {
    const { socket, events } = await user(server, 'cy');
    const { processId } = await ask(socket, 'claude:execute', { prompt: 'scenario:malformed' });
    const end = await events.end(processId);
    assert.equal(end.name, 'claude:complete');
    assert.equal(end.output, 'still fine');
    socket.close();
  });

  test('the ack comes before the first event', async () => {
    const { socket, events } = await user(server, 'abe');
    const order = [];
    socket.onAny((name) => { if (name.startsWith('claude:')) order.push(name); });
    const id = await new Promise((resolve) => socket.emit('claude:execute', { prompt: 'quick' }, (ack) => { order.push('ack'); resolve(ack.processId); }));
    await events.end(id);
    assert.equal(order[0], 'ack', order.join(' '));
    socket.close();
  });

  test('polling clients receive every chunk of a huge stream', async () => {
    const { socket, events } = await user(server, 'dot', ['polling']);
    const { processId } = await ask(socket, 'claude:execute', { prompt: 'scenario:huge' });
    const end = await events.end(processId, 60000);
    assert.equal(end.name, 'claude:complete');
    const streamed = events.of(processId).filter((e) => e.data).map((e) => e.data).join('');
    assert.equal(streamed.length, 2000 * 100);
    assert.equal(streamed, end.output);
    socket.close();
  });

  test('huge output and over-long lines stream through', async () => {
    const { socket, events } = await user(server, 'dee');
    const { processId } = await ask(socket, 'claude:execute', { prompt: 'scenario:huge' });
    const end = await events.end(processId, 30000);
    assert.equal(end.name, 'claude:complete');
    assert.equal(end.output.length, 2000 * 100);
    assert.ok(end.output.startsWith('0000yyy') && end.output.includes('1999yyy'));
    socket.close();
  });

  test('flags, environment and working directory', async () => {
    const { socket, events } = await user(server, 'eve');
    const { processId } = await ask(socket, 'claude:execute', {
      prompt: 'scenario:argv --help', model: 'sonnet', systemPrompt: '--be terse', maxTokens: 77, workingDirectory: 'project',
    });
    const end = await events.end(processId);
    assert.equal(end.name, 'claude:complete', JSON.stringify(end));
    const seen = JSON.parse(end.output);
    assert.ok(seen.argv.includes('--output-format') && seen.argv.includes('stream-json'), seen.argv.join(' '));
    assert.ok(seen.argv.includes('--verbose') && seen.argv.includes('-p'));
    assert.ok(seen.argv.includes('--model=sonnet'));
    assert.ok(seen.argv.includes('--system-prompt=--be terse'));
    assert.ok(!seen.argv.some((a) => a.includes('scenario:argv')), 'the prompt travels on stdin');
    assert.equal(seen.prompt, 'scenario:argv --help');
    assert.equal(seen.cwd, join(server.roots, 'project'));
    assert.equal(seen.env.CLAUDE_CODE_MAX_OUTPUT_TOKENS, '77');
    assert.equal(seen.env.FAKE_SECRET_PROBE, null, 'the environment is allow-listed');
    assert.equal(seen.env.SWITCHBOARD_JWT_SECRET, null);
    assert.equal(end.result.parsedResponse.model, 'sonnet');
    socket.close();
  });
});

describe('failures', () => {
  let server;
  before(async () => { server = await claudeServer(); });
  after(async () => { await server.stop(); });

  for (const scenario of ['is_error', 'is_error_exit0']) {
    test(`an is_error result is EXECUTION_ERROR (${scenario})`, async () => {
      const { socket, events } = await user(server, `fay-${scenario}`);
      const { processId } = await ask(socket, 'claude:execute', { prompt: `scenario:${scenario}` });
      const end = await events.end(processId);
      assert.equal(end.name, 'claude:error');
      assert.equal(end.code, 'EXECUTION_ERROR');
      assert.match(end.message, /Invalid API key/);
      await never(socket, 'claude:complete', 300);
      assert.equal((await ask(socket, 'claude:status', processId)).status, 'failed');
      socket.close();
    });
  }

  test('a crash mid-stream is EXECUTION_ERROR with the stderr', async () => {
    const { socket, events } = await user(server, 'gil');
    const { processId } = await ask(socket, 'claude:execute', { prompt: 'scenario:crash' });
    const end = await events.end(processId);
    assert.equal(end.code, 'EXECUTION_ERROR');
    assert.match(end.message, /code 3.*TypeError/s);
    const stored = await api(server, `/api/v1/processes/${processId}`, 'gil');
    assert.equal(stored.body.result.exitCode, 3);
    assert.equal(stored.body.output, 'Starting to answer');
    assert.equal(stored.body.error.code, 'EXECUTION_ERROR');
    socket.close();
  });

  test('a silent CLI is stopped by the watchdog', async () => {
    const { socket, events } = await user(server, 'hal');
    const { processId } = await ask(socket, 'claude:execute', { prompt: 'scenario:hang' });
    const end = await events.end(processId);
    assert.equal(end.code, 'TIMEOUT');
    assert.match(end.message, /No output/);
    assert.equal((await ask(socket, 'claude:status', processId)).status, 'timeout');
    socket.close();
  });

  test('timeoutMs bounds the whole run', async () => {
    const { socket, events } = await user(server, 'ian');
    const { processId } = await ask(socket, 'claude:execute', { prompt: 'scenario:slow:40', timeoutMs: 700 });
    const end = await events.end(processId);
    assert.equal(end.code, 'TIMEOUT');
    assert.match(end.message, /700 ms/);
    socket.close();
  });

  test('a CLI that hangs after its result still completes', async () => {
    const { socket, events } = await user(server, 'jo');
    const { processId } = await ask(socket, 'claude:execute', { prompt: 'scenario:hang_after_result' });
    const end = await events.end(processId);
    assert.equal(end.name, 'claude:complete');
    assert.equal(end.output, 'Done but still here');
    socket.close();
  });

  test('bad payloads are INVALID_PAYLOAD and start nothing', async () => {
    const { socket } = await user(server, 'kai');
    const cases = [
      { prompt: '' },
      { prompt: 'x'.repeat(100001) },
      { prompt: 42 },
      {},
      'just a string',
      { prompt: 'hi', maxTokens: -1 },
      { prompt: 'hi', timeoutMs: 'soon' },
      { prompt: 'hi', model: '--dangerously-skip-permissions' },
      { prompt: 'hi', workingDirectory: '../etc' },
      { prompt: 'hi', workingDirectory: '/etc' },
      { prompt: 'hi', workingDirectory: 'escape' },
      { prompt: 'hi', workingDirectory: 'missing' },
    ];
    for (const payload of cases) {
      const error = once(socket, 'claude:error');
      const ack = await ask(socket, 'claude:execute', payload);
      assert.equal(ack.success, false, JSON.stringify(payload).slice(0, 80));
      assert.equal((await error).code, 'INVALID_PAYLOAD');
    }
    assert.ok((await ask(socket, 'claude:execute', { prompt: 'y'.repeat(100000).replace(/^y/, 'h') })).success);
    const listed = await api(server, '/api/v1/processes', 'kai');
    assert.equal(listed.body.processes.length, 1, 'only the valid request was stored');
    socket.close();
  });

  test('other users get Access denied; unknown ids Process not found', async () => {
    const owner = await user(server, 'lia');
    const other = await user(server, 'max');
    const { processId } = await ask(owner.socket, 'claude:execute', { prompt: 'scenario:slow:20' });
    for (const event of ['claude:status', 'claude:cancel']) {
      const denied = await ask(other.socket, event, processId);
      assert.deepEqual(denied, { success: false, error: 'Access denied' });
      const missing = once(other.socket, 'claude:error');
      assert.deepEqual(await ask(other.socket, event, 'proc_nope'), { success: false, error: 'Process not found' });
      assert.equal((await missing).code, 'PROCESS_NOT_FOUND');
    }
    assert.equal((await ask(other.socket, 'joinRoom', `process:${processId}`)).success, false);
    assert.equal((await api(server, `/api/v1/processes/${processId}`, 'max')).status, 403);
    assert.equal((await api(server, '/api/v1/processes/proc_nope', 'max')).status, 404);
    const anonymous = await api(server, `/api/v1/processes/${processId}`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error.code, 'UNAUTHORIZED');
    assert.equal((await api(server, '/api/v1/processes?limit=0', 'max')).status, 400);
    await ask(owner.socket, 'claude:cancel', processId);
    owner.socket.close();
    other.socket.close();
  });
});

describe('cancel, reconnect and a missing CLI', () => {
  let server;
  before(async () => { server = await claudeServer(); });
  after(async () => { await server.stop(); });

  test('cancel a running process', async () => {
    const { socket, events } = await user(server, 'ned');
    const { processId } = await ask(socket, 'claude:execute', { prompt: 'scenario:slow:100' });
    await eventually(() => events.of(processId).some((e) => e.data));
    assert.deepEqual(await ask(socket, 'claude:cancel', processId), { success: true, message: 'Process cancelled successfully' });
    const end = await events.end(processId);
    assert.equal(end.name, 'claude:error');
    assert.equal(end.code, 'CANCELLED');
    assert.equal((await ask(socket, 'claude:status', processId)).status, 'cancelled');
    const again = await ask(socket, 'claude:cancel', processId);
    assert.equal(again.success, false);
    socket.close();
  });

  test('a stubborn CLI is killed after SIGINT and SIGTERM', async () => {
    const { socket, events } = await user(server, 'ola');
    const { processId } = await ask(socket, 'claude:execute', { prompt: 'scenario:stubborn' });
    await eventually(() => events.of(processId).some((e) => e.data));
    await ask(socket, 'claude:cancel', { processId });
    const end = await events.end(processId, 5000);
    assert.equal(end.code, 'CANCELLED');
    socket.close();
  });

  test('a client that reconnects loses nothing', async () => {
    const first = await user(server, 'pat');
    const { processId } = await ask(first.socket, 'claude:execute', { prompt: 'scenario:slow:16' });
    await eventually(() => first.events.of(processId).filter((e) => e.data).length >= 3);
    first.socket.close();

    const second = await user(server, 'pat');
    const status = await ask(second.socket, 'claude:status', processId);
    assert.equal(status.success, true);
    assert.equal(status.status, 'running');
    assert.ok(status.output.startsWith('w0 w1 w2 '), status.output);
    assert.deepEqual(await ask(second.socket, 'joinRoom', `process:${processId}`), { success: true, room: `process:${processId}` });
    const end = await second.events.end(processId);
    assert.equal(end.name, 'claude:complete');
    const later = second.events.of(processId).filter((e) => e.data).map((e) => e.data).join('');
    assert.equal(status.output + later, end.output, 'status output plus the followed chunks is the whole output');
    assert.equal(end.output, Array.from({ length: 16 }, (_, i) => `w${i} `).join(''));
    second.socket.close();
  });

  test('a missing CLI is CLAUDE_UNAVAILABLE', async () => {
    const missing = await claudeServer({ SWITCHBOARD_CLAUDE_COMMAND: '/nonexistent/claude' });
    try {
      const { socket } = await user(missing, 'quinn');
      const error = once(socket, 'claude:error');
      const ack = await ask(socket, 'claude:execute', { prompt: 'hello' });
      assert.equal(ack.success, false);
      assert.equal((await error).code, 'CLAUDE_UNAVAILABLE');
      assert.ok(socket.connected);
      socket.close();
    } finally {
      await missing.stop();
    }
  });
});

describe('the queue', () => {
  let server;
  before(async () => {
    server = await claudeServer({ SWITCHBOARD_CLAUDE_MAX_CONCURRENT: '2', SWITCHBOARD_CLAUDE_MAX_PER_USER: '1', SWITCHBOARD_CLAUDE_QUEUE_TIMEOUT_MS: '20000' });
  });
  after(async () => { await server.stop(); });

  test('positions on entry and on change; per-user limits do not block others; cancel while queued', async () => {
    const a = await user(server, 'queue-a');
    const b = await user(server, 'queue-b');
    const c = await user(server, 'queue-c');
    const a1 = (await ask(a.socket, 'claude:execute', { prompt: 'scenario:slow:12' })).processId;
    const a2 = (await ask(a.socket, 'claude:execute', { prompt: 'scenario:slow:2' })).processId; // waits on a's own limit
    const b1 = (await ask(b.socket, 'claude:execute', { prompt: 'scenario:slow:30' })).processId; // starts: a's wait does not block b
    const c1 = (await ask(c.socket, 'claude:execute', { prompt: 'scenario:slow:2' })).processId; // global limit: queued behind a2
    const c2 = (await ask(c.socket, 'claude:execute', { prompt: 'scenario:slow:2' })).processId;

    await eventually(() => b.events.of(b1).some((e) => e.message === 'Process started'));
    const queuedA2 = a.events.of(a2).find((e) => e.name === 'claude:queued');
    assert.equal(queuedA2.queuePosition, 0);
    assert.equal(queuedA2.message, 'Queue position: 0');
    const queuedC1 = c.events.of(c1).find((e) => e.name === 'claude:queued');
    assert.equal(queuedC1.queuePosition, 1);
    assert.equal((await ask(c.socket, 'claude:status', c2)).queuePosition, 2);
    assert.equal((await ask(c.socket, 'claude:status', c2)).status, 'queued');

    // Cancel c1 while it waits: c2 moves up and is told so.
    assert.equal((await ask(c.socket, 'claude:cancel', c1)).success, true);
    const cancelled = await c.events.end(c1);
    assert.equal(cancelled.code, 'CANCELLED');
    await eventually(() => c.events.of(c2).some((e) => e.name === 'claude:queued' && e.queuePosition === 1));
    const positions = c.events.of(c2).filter((e) => e.name === 'claude:queued').map((e) => e.queuePosition);
    assert.deepEqual(positions, [...positions].sort((x, y) => y - x), `positions only go down: ${positions}`);

    for (const [who, id] of [[a, a1], [a, a2], [b, b1], [c, c2]]) {
      assert.equal((await who.events.end(id, 20000)).name, 'claude:complete', id);
    }
    for (const who of [a, b, c]) who.socket.close();
  });

  test('a run that waits too long gets QUEUE_TIMEOUT', async () => {
    const short = await claudeServer({ SWITCHBOARD_CLAUDE_MAX_CONCURRENT: '1', SWITCHBOARD_CLAUDE_QUEUE_TIMEOUT_MS: '600' });
    try {
      const { socket, events } = await user(short, 'rex');
      const first = (await ask(socket, 'claude:execute', { prompt: 'scenario:slow:20' })).processId;
      const second = (await ask(socket, 'claude:execute', { prompt: 'hello' })).processId;
      const end = await events.end(second);
      assert.equal(end.code, 'QUEUE_TIMEOUT');
      assert.equal((await ask(socket, 'claude:status', second)).status, 'timeout');
      await ask(socket, 'claude:cancel', first);
      socket.close();
    } finally {
      await short.stop();
    }
  });

  test('a queued run starts only after the previous run has ended on the wire', async () => {
    // One run at a time per user: each queued run may start only once the
    // previous one's end has been sent, so this socket never sees two
    // runs between 'Process started' and their final event.
    const single = await claudeServer({ SWITCHBOARD_CLAUDE_MAX_PER_USER: '1' });
    try {
      const { socket, events } = await user(single, 'uma');
      const ids = [];
      for (let i = 0; i < 6; i += 1) ids.push((await ask(socket, 'claude:execute', { prompt: `run ${i}` })).processId);
      for (const id of ids) assert.equal((await events.end(id)).name, 'claude:complete', id);

      const isStart = (e) => e.name === 'claude:progress' && e.message === 'Process started';
      const isEnd = (e) => e.name === 'claude:complete' || e.name === 'claude:error';
      const running = new Set();
      for (const event of events.events) {
        if (isStart(event)) {
          running.add(event.processId);
          assert.equal(running.size, 1, `runs between start and end at once: ${[...running]}`);
        } else if (isEnd(event)) {
          running.delete(event.processId);
        }
      }
      const at = (id, matches) => events.events.findIndex((e) => e.processId === id && matches(e));
      for (let i = 1; i < ids.length; i += 1) {
        assert.ok(at(ids[i], isStart) >= 0, `${ids[i]} started`);
        assert.ok(at(ids[i - 1], isEnd) < at(ids[i], isStart), `${ids[i - 1]} ended before ${ids[i]} started`);
      }
      socket.close();
    } finally {
      await single.stop();
    }
  });
});

test('many runs on one socket leave its room budget intact', async () => {
  const server = await claudeServer({ SWITCHBOARD_CLAUDE_RATE_LIMIT: '1000', SWITCHBOARD_CLAUDE_COMMAND: './fixtures/fake-claude.mjs' });
  try {
    const { socket, events } = await user(server, 'vic');
    const ids = [];
    for (let i = 0; i < 105; i += 1) ids.push((await ask(socket, 'claude:execute', { prompt: `run ${i}` })).processId);
    for (const id of ids) assert.equal((await events.end(id, 60000)).name, 'claude:complete', 'a relative command resolves from the server directory');
    assert.deepEqual(await ask(socket, 'joinRoom', 'lobby'), { success: true, room: 'lobby' });
    const info = await ask(socket, 'getConnectionInfo');
    assert.ok(!info.rooms.some((room) => room.startsWith('process:')), 'finished process rooms are emptied');
    socket.close();
  } finally {
    await server.stop();
  }
});

test('shutdown stops a stubborn CLI within the grace period', async () => {
  const server = await claudeServer({ SWITCHBOARD_SHUTDOWN_GRACE_MS: '4000', SWITCHBOARD_CLAUDE_KILL_GRACE_MS: '3000' });
  const { socket, events } = await user(server, 'wyn');
  const { processId } = await ask(socket, 'claude:execute', { prompt: 'scenario:stubborn' });
  await eventually(() => events.of(processId).some((e) => e.data));
  const started = Date.now();
  server.child.kill('SIGTERM');
  const end = await events.end(processId, 5000);
  assert.equal(end.code, 'INTERRUPTED');
  assert.equal((await server.exited).code, 0);
  assert.ok(Date.now() - started < 4000, 'within the grace period');
});

test('the in-memory rate limit refuses executes past the limit', async () => {
  const server = await claudeServer({ SWITCHBOARD_CLAUDE_RATE_LIMIT: '3' });
  try {
    const { socket } = await user(server, 'sam');
    for (let i = 0; i < 3; i += 1) assert.equal((await ask(socket, 'claude:execute', { prompt: 'hi' })).success, true);
    const error = once(socket, 'claude:error');
    const refused = await ask(socket, 'claude:execute', { prompt: 'hi' });
    assert.equal(refused.success, false);
    assert.match(refused.error, /Rate limit exceeded/);
    const event = await error;
    assert.equal(event.code, 'RATE_LIMIT_EXCEEDED');
    assert.ok(event.retryAfter > 0 && event.retryAfter <= 60);
    const other = await user(server, 'tia');
    assert.equal((await ask(other.socket, 'claude:execute', { prompt: 'hi' })).success, true, 'per user');
    socket.close();
    other.socket.close();
  } finally {
    await server.stop();
  }
});
