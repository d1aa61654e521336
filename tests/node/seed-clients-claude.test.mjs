// SPEC §3 and §4 as the seeds' clients meet them: seed 000's Claude
// streaming example and seed 001's WebSocketClient, written out as the seeds
// show them, against a server running the fake Claude CLI; a reconnect in
// the middle of a run; the generic `error` codes.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { tokenFor, once, ask, connected, eventually } from './harness.mjs';
import { claudeServer, user } from './claude-harness.mjs';

/** Collects every `error` event a socket receives. */
function errors(socket) {
  const seen = [];
  socket.on('error', (error) => seen.push(error));
  return seen;
}

async function stored(server, id, sub) {
  const response = await fetch(`${server.url}/api/v1/processes/${id}`, { headers: { Authorization: `Bearer ${tokenFor(sub)}` } });
  assert.equal(response.status, 200);
  return response.json();
}

describe('the seeds\u2019 Claude clients', () => {
  let server;
  before(async () => { server = await claudeServer(); });
  after(async () => { await server.stop(); });

  test('seed 000: the streaming example writes every chunk and never undefined', async () => {
    const socket = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('ann') } });
    await connected(socket);
    // `process.stdout` of the example, captured: write() takes strings only,
    // as the real one (write(undefined) throws there).
    const written = [];
    const stdout = {
      write(chunk) {
        if (typeof chunk !== 'string') throw new TypeError(`write(${chunk}): not a string`);
        written.push(chunk);
      },
    };
    const failures = [];
    const logs = [];
    const console = { log: (...args) => logs.push(args), error: (...args) => failures.push(args) };
    const progress = [];
    socket.on('claude:progress', (data) => progress.push(data));
    const complete = once(socket, 'claude:complete', 15000);
    const started = new Promise((resolve) => {
      // -- seed 000, "Claude streaming" --
      socket.emit('claude:execute', {
        prompt: 'hello there',
        streaming: true
      }, (response) => {
        if (response.success) {
          console.log('Started process:', response.processId);
        } else {
          console.error('Failed to start:', response.error);
        }
        resolve(response);
      });

      socket.on('claude:queued', (data) => {
        console.log('Queued at position:', data.queuePosition);
      });

      socket.on('claude:progress', (data) => {
        // data.processId, data.output (streaming chunk), data.progress
        try {
          stdout.write(data.output);
        } catch (error) {
          failures.push(error.message);
        }
      });

      socket.on('claude:complete', (data) => {
        console.log('\n\nFull output:', data.output);
        console.log('Duration:', data.durationMs, 'ms');
      });

      socket.on('claude:error', (data) => {
        console.error('Error:', data.code, data.message);
      });
    });
    const { processId } = await started;
    const done = await complete;
    assert.deepEqual(failures, []);
    assert.equal(written.join(''), 'You said: hello there');
    assert.ok(!written.join('').includes('undefined'));
    assert.equal(done.output, written.join(''));
    assert.deepEqual(logs[0], ['Started process:', processId]);
    assert.deepEqual(logs.find((line) => line[0] === '\n\nFull output:'), ['\n\nFull output:', 'You said: hello there']);

    const first = progress[0];
    assert.deepEqual(
      { message: first.message, data: first.data, output: first.output, progress: first.progress },
      { message: 'Process started', data: '', output: '', progress: 0 },
    );
    let last = 0;
    for (const event of progress) {
      assert.equal(event.output, event.data);
      assert.equal(typeof event.progress, 'number', JSON.stringify(event));
      assert.ok(event.progress >= last && event.progress <= 99, `progress grows within 0..99: ${JSON.stringify(progress.map((e) => e.progress))}`);
      last = event.progress;
    }
    assert.ok(last > 0, 'the estimate moves while text streams');
    socket.close();
  });

  test('seed 001: WebSocketClient prints result.stdout, the answer text', async () => {
    const lines = [];
    // The class as seed 001 shows it; its console is captured.
    const console = { log: (...args) => lines.push(args.join(' ')), error: (...args) => lines.push(args.join(' ')) };
    class WebSocketClient {
      constructor(url, token) {
        this.socket = io(url, {
          auth: { token },
          transports: ['websocket', 'polling'],
        });

        this.setupHandlers();
      }

      setupHandlers() {
        this.socket.on('connect', () => {
          console.log('Connected');
        });

        this.socket.on('welcome', (data) => {
          console.log('Welcome:', data.message);
        });

        this.socket.on('authenticated', (data) => {
          console.log('Authenticated as:', data.userId);
        });

        this.socket.on('authError', (data) => {
          console.error('Auth failed:', data.message);
        });

        this.socket.on('disconnect', (reason) => {
          console.log('Disconnected:', reason);
        });

        this.socket.on('connect_error', (error) => {
          console.error('Connection error:', error.message);
        });
      }

      disconnect() {
        this.socket.disconnect();
      }
    }

    const client = new WebSocketClient(server.url, tokenFor('bea'));
    try {
      const { socket } = client;
      // -- seed 001, `claude:complete` example --
      socket.on('claude:complete', (data) => {
        console.log(`Process ${data.processId} completed`);
        console.log('Output:', data.result.stdout);
        if (data.result.parsedResponse) {
          console.log('Response:', data.result.parsedResponse.content);
        }
      });
      await eventually(() => lines.includes('Authenticated as: bea'));
      const complete = once(socket, 'claude:complete', 15000);
      const { processId } = await ask(socket, 'claude:execute', { prompt: 'what is up' });
      const done = await complete;
      const answer = 'You said: what is up';
      assert.ok(lines.includes(`Output: ${answer}`), lines.join('\n'));
      assert.ok(lines.includes(`Response: ${answer}`), lines.join('\n'));
      assert.equal(done.result.stdout, done.output);
      const record = await stored(server, processId, 'bea');
      assert.equal(record.result.stdout, answer, 'the stored record matches');
    } finally {
      client.disconnect();
    }
  });
});

describe('user-room delivery', () => {
  let server;
  before(async () => { server = await claudeServer(); });
  after(async () => { await server.stop(); });

  test('a client that reconnects mid-run keeps receiving it without joining a room', async () => {
    const socket = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('cy') }, reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 200 });
    await connected(socket);
    const progress = [];
    const completes = [];
    socket.on('claude:progress', (data) => progress.push({ ...data, sid: socket.id }));
    socket.on('claude:complete', (data) => completes.push(data));
    const { processId } = await ask(socket, 'claude:execute', { prompt: 'scenario:slow:20' });
    await eventually(() => progress.some((e) => e.data), 10000);
    const firstSid = socket.id;
    const reconnected = once(socket.io, 'reconnect', 5000);
    socket.io.engine.close();
    await reconnected;
    assert.notEqual(socket.id, firstSid, 'a new socket');
    const info = await ask(socket, 'getConnectionInfo');
    assert.ok(!info.rooms.some((room) => room.startsWith('process:')), 'the new socket joined no process room');
    // A fresh client of the same user, connected mid-run, hears the rest too.
    const fresh = await user(server, 'cy');

    await eventually(() => completes.length > 0, 15000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(completes.length, 1, 'claude:complete exactly once');
    assert.equal(completes[0].processId, processId);
    const later = progress.filter((e) => e.sid === socket.id && e.data);
    assert.ok(later.length > 0, 'progress after the reconnect');
    assert.ok(later.every((e) => e.processId === processId));
    const { output } = completes[0];
    assert.ok(output.endsWith(later.map((e) => e.data).join('')), 'the chunks after the reconnect are the end of the answer');
    assert.equal(fresh.events.of(processId).filter((e) => e.name === 'claude:complete').length, 1);
    socket.close();
    fresh.socket.close();
  });

  test('a socket in both rooms gets each event once; another socket of the user gets them too', async () => {
    const requester = await user(server, 'dee');
    const sibling = await user(server, 'dee');
    const stranger = await user(server, 'eve');
    const { processId } = await ask(requester.socket, 'claude:execute', { prompt: 'scenario:slow:5' });
    for (const { events } of [requester, sibling]) {
      const end = await events.end(processId);
      assert.equal(end.name, 'claude:complete');
      const seen = events.of(processId);
      assert.equal(seen.filter((e) => e.message === 'Process started').length, 1, 'one start');
      const text = seen.filter((e) => e.name === 'claude:progress').map((e) => e.data).join('');
      assert.equal(text, 'w0 w1 w2 w3 w4 ', 'every chunk once');
      assert.equal(end.output, text);
    }
    assert.equal(stranger.events.of(processId).length, 0, 'other users hear nothing');
    for (const { socket } of [requester, sibling, stranger]) socket.close();
  });
});

describe('error codes', () => {
  let server;
  before(async () => { server = await claudeServer({ SWITCHBOARD_CLAUDE_RATE_LIMIT: '2' }); });
  after(async () => { await server.stop(); });

  test('another user\u2019s process is FORBIDDEN, never UNAUTHORIZED; an unknown id PROCESS_NOT_FOUND', async () => {
    const owner = await user(server, 'fay');
    const other = await user(server, 'gus');
    const seen = errors(other.socket);
    const { processId } = await ask(owner.socket, 'claude:execute', { prompt: 'scenario:slow:20' });
    for (const event of ['claude:status', 'claude:cancel']) {
      const forbidden = once(other.socket, 'error');
      assert.deepEqual(await ask(other.socket, event, processId), { success: false, error: 'Access denied' });
      assert.deepEqual(await forbidden, { code: 'FORBIDDEN', message: 'Access denied' });
      const missing = once(other.socket, 'error');
      const capability = once(other.socket, 'claude:error');
      assert.deepEqual(await ask(other.socket, event, { processId: 'proc_nope' }), { success: false, error: 'Process not found' });
      assert.deepEqual(await missing, { code: 'PROCESS_NOT_FOUND', message: 'Process not found' });
      assert.equal((await capability).code, 'PROCESS_NOT_FOUND');
    }
    assert.deepEqual(seen.map((e) => e.code), ['FORBIDDEN', 'PROCESS_NOT_FOUND', 'FORBIDDEN', 'PROCESS_NOT_FOUND']);
    await ask(owner.socket, 'claude:cancel', processId);
    owner.socket.close();
    other.socket.close();
  });

  test('a Claude rate limit sends RATE_LIMITED with retryAfter beside claude:error RATE_LIMIT_EXCEEDED', async () => {
    const { socket } = await user(server, 'hal');
    for (let i = 0; i < 2; i += 1) assert.equal((await ask(socket, 'claude:execute', { prompt: 'hi' })).success, true);
    const generic = once(socket, 'error');
    const capability = once(socket, 'claude:error');
    const refused = await ask(socket, 'claude:execute', { prompt: 'hi' });
    assert.equal(refused.success, false);
    assert.equal((await capability).code, 'RATE_LIMIT_EXCEEDED');
    const error = await generic;
    assert.equal(error.code, 'RATE_LIMITED');
    assert.ok(Number.isInteger(error.retryAfter) && error.retryAfter > 0 && error.retryAfter <= 60, JSON.stringify(error));
    socket.close();
  });

  test('anonymous strudel:* and agent:* requests get error UNAUTHORIZED', async () => {
    const socket = server.client('/', { transports: ['websocket'] });
    await connected(socket);
    for (const [event, payload, own] of [
      ['strudel:execute', { code: 's("bd")' }, 'strudel:error'],
      ['strudel:status', { processId: 'proc_1' }, 'strudel:error'],
      ['agent:workflow:execute', { workflowId: 'wf_1', input: {} }, 'agent:error'],
      ['agent:critique:execute', { content: 'x', criteria: ['clarity'] }, 'agent:critique:error'],
    ]) {
      const generic = once(socket, 'error');
      const capability = once(socket, own);
      const answer = await ask(socket, event, payload);
      assert.equal(answer.success, false, event);
      assert.equal(answer.code, 'UNAUTHORIZED', event);
      assert.equal((await generic).code, 'UNAUTHORIZED', event);
      assert.equal((await capability).code, 'UNAUTHORIZED', event);
    }
    socket.close();
  });
});
