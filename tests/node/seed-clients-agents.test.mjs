// Clients written from the seeds, following agent executions (SPEC §6, §8):
// seed 002's `useAgentExecution` (history over HTTP, then `/api/ws` without
// a token, appending every event), `lastEventId` resumes, the
// `monitor_require_token` switch, the 1001 close at shutdown; and seed 000's
// `agent:workflow:*` listeners: a step's own progress, delivery to the
// owner's sockets after a reconnect, each event once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { ask, connected, eventually, tokenFor } from './harness.mjs';
import { agentServer, api, createWorkflow, recorder, user } from './agent-harness.mjs';

const wsUrl = (server, query = '') => `${server.url.replace('http', 'ws')}/api/ws${query}`;
const seqOf = (event) => Number(event.id.split(':').at(-1));

/** A plain `/api/ws` client that records every message. */
async function monitor(server, query = '') {
  const ws = new WebSocket(wsUrl(server, query));
  const messages = [];
  ws.on('message', (data) => messages.push(JSON.parse(data)));
  await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
  return {
    ws,
    messages,
    events: (id) => messages.filter((m) => m.type === 'event' && m.executionId === id).map((m) => m.event),
    async subscribe(executionId, extra = {}) {
      const before = messages.length;
      ws.send(JSON.stringify({ type: 'subscribe', executionId, ...extra }));
      await eventually(() => messages.slice(before).some((m) => (m.type === 'subscribed' || m.type === 'error') && m.executionId === executionId));
      return messages.slice(before).find((m) => (m.type === 'subscribed' || m.type === 'error') && m.executionId === executionId);
    },
  };
}

/**
 * Seed 002's `useAgentExecution(executionId)`, its React state kept in a
 * plain object: `fetchExecution` loads the execution and its history (with
 * the signed-in user's token, as the app's own API calls carry it), and the
 * `useWebSocket('ws://…/api/ws')` hook connects without a token, subscribes
 * on open and appends every `event` message it receives.
 */
function useAgentExecution(server, executionId, token) {
  const hook = { execution: null, events: [], isConnected: false, isLoading: true, raw: [] };
  const fetchExecution = async (id) => {
    const response = await fetch(`${server.url}/api/v1/executions/${id}`, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  };
  // Fetch initial data
  hook.loaded = fetchExecution(executionId)
    .then((data) => {
      hook.execution = data;
      hook.events = data.events || [];
    })
    .finally(() => { hook.isLoading = false; });
  // WebSocket connection
  const ws = new WebSocket(wsUrl(server));
  hook.ws = ws;
  const send = (data) => { if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(data)); };
  ws.onopen = () => {
    hook.isConnected = true;
    send({ type: 'subscribe', executionId });
  };
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    hook.raw.push(message);
    if (message.type === 'event') {
      const agentEvent = message.event;
      hook.events = [...hook.events, agentEvent];
      if (agentEvent.type === 'agent-start') {
        hook.execution = hook.execution ? { ...hook.execution, status: 'running' } : null;
      } else if (agentEvent.type === 'agent-complete') {
        hook.execution = hook.execution ? { ...hook.execution, status: 'completed', ...agentEvent.data } : null;
      } else if (agentEvent.type === 'error') {
        hook.execution = hook.execution ? { ...hook.execution, status: 'failed' } : null;
      }
    }
  };
  ws.onclose = () => { hook.isConnected = false; };
  return hook;
}

test('seed 002 monitor: history over HTTP, then /api/ws without a token: every event exactly once, seed 002 status words', async (t) => {
  const { server } = await agentServer(t, {
    env: { SWITCHBOARD_AGENT_MAX_CONCURRENT: '1' },
    script: ({ prompt }) => ({ text: `answer to ${prompt} with several words`, chunkDelayMs: 20 }),
  });
  const { socket, events } = await user(server, 'ada');
  // A run waiting for approval holds the only slot, so the monitored run queues.
  const gate = await createWorkflow(server, 'ada', { name: 'Gate', steps: [{ id: 'review', kind: 'approval', message: 'Go?' }] });
  const blocker = await ask(socket, 'agent:workflow:execute', { workflowId: gate, input: {} });
  await events.wait(blocker.executionId, 'agent:workflow:step:progress', (e) => e.awaitingApproval);
  const workflowId = await createWorkflow(server, 'ada', { name: 'Two', steps: [{ id: 'one', prompt: 'ONE' }, { id: 'two', prompt: 'TWO', dependsOn: ['one'] }] });
  const { executionId } = await ask(socket, 'agent:workflow:execute', { workflowId, input: {} });
  await events.wait(executionId, 'agent:workflow:queued');

  const hook = useAgentExecution(server, executionId, tokenFor('ada'));
  await hook.loaded;
  await eventually(() => hook.raw.some((m) => m.type === 'subscribed' || m.type === 'error'));
  assert.deepEqual(hook.raw.filter((m) => m.type === 'error'), [], 'the token-less subscribe is accepted');
  assert.equal(hook.execution.status, 'pending', 'a queued run is `pending` in seed 002');
  assert.equal(hook.events.length, 1);
  assert.equal(hook.events[0].data.status, 'pending');

  const approved = await api(server, 'POST', `/executions/${blocker.executionId}/approvals`, { sub: 'ada', body: { stepId: 'review', approved: true } });
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  await eventually(() => hook.events.some((e) => e.type === 'agent-complete'), 15000);
  await new Promise((resolve) => setTimeout(resolve, 200)); // anything repeated would arrive now

  const ids = hook.events.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length, `no event twice: ${ids.join(' ')}`);
  const stored = await api(server, 'GET', `/executions/${executionId}`, { sub: 'ada' });
  assert.equal(stored.body.status, 'completed');
  assert.deepEqual(ids, stored.body.events.map((e) => e.id), 'every stored event, once, in order');
  assert.deepEqual(ids.map((id) => Number(id.split(':').at(-1))), ids.map((_, i) => i + 1));
  assert.equal(hook.execution.status, 'completed');
  const start = hook.events.find((e) => e.type === 'agent-start');
  assert.equal(start.data.status, 'running');
  assert.equal(hook.events.at(-1).data.status, 'completed');
  hook.ws.close();
});

test('/api/ws: `subscribe` alone sends only later events; `lastEventId` replays after it, then live, no gap or repeat', async (t) => {
  const { server } = await agentServer(t, {
    script: ({ prompt }) => ({ text: prompt === 'SLOW' ? 'a b c d e f g h i j k l' : 'quick', chunkDelayMs: prompt === 'SLOW' ? 100 : 0 }),
  });
  const workflowId = await createWorkflow(server, 'ada', { name: 'W', steps: [{ id: 'one', prompt: 'QUICK' }, { id: 'two', prompt: 'SLOW', dependsOn: ['one'] }] });
  const { socket, events } = await user(server, 'ada');
  const { executionId } = await ask(socket, 'agent:workflow:execute', { workflowId, input: {} });
  await events.wait(executionId, 'agent:workflow:step:progress', (e) => e.stepId === 'two' && e.delta);

  // Both without a token: the id is the capability.
  const live = await monitor(server);
  const resumed = await monitor(server);
  const before = (await api(server, 'GET', `/executions/${executionId}`, { sub: 'ada' })).body.events;
  const lastSeen = before.at(-3);
  assert.equal((await live.subscribe(executionId)).type, 'subscribed');
  assert.equal((await resumed.subscribe(executionId, { lastEventId: lastSeen.id })).type, 'subscribed');
  await eventually(() => [live, resumed].every((m) => m.events(executionId).some((e) => e.type === 'agent-complete')), 15000);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const all = (await api(server, 'GET', `/executions/${executionId}`, { sub: 'ada' })).body.events;

  const liveSeqs = live.events(executionId).map(seqOf);
  assert.ok(liveSeqs[0] > before.length, `no event from before the subscribe: ${liveSeqs}`);
  assert.deepEqual(liveSeqs, all.map(seqOf).filter((seq) => seq >= liveSeqs[0]), 'then every later event once');

  const resumedIds = resumed.events(executionId).map((e) => e.id);
  assert.deepEqual(resumedIds, all.filter((e) => seqOf(e) > seqOf(lastSeen)).map((e) => e.id), 'after lastEventId: each once, none missing');
  live.ws.close();
  resumed.ws.close();
});

test('/api/ws access: anonymous allowed by default, refused with monitor_require_token; another user\'s token refused either way; admins allowed', async (t) => {
  for (const requireToken of [false, true]) {
    const { server } = await agentServer(t, {
      env: requireToken ? { SWITCHBOARD_MONITOR_REQUIRE_TOKEN: 'true' } : {},
      script: () => ({ text: 'done' }),
    });
    const workflowId = await createWorkflow(server, 'ada', { name: 'W', steps: [{ id: 'one', prompt: 'x' }] });
    const { socket, events } = await user(server, 'ada');
    const { executionId } = await ask(socket, 'agent:workflow:execute', { workflowId, input: {} });
    await events.wait(executionId, 'agent:workflow:completed');

    const anonymous = await monitor(server);
    const answer = await anonymous.subscribe(executionId);
    if (requireToken) {
      assert.equal(answer.type, 'error');
      assert.match(answer.error, /Authentication required/);
    } else {
      assert.equal(answer.type, 'subscribed', JSON.stringify(answer));
    }
    assert.equal((await anonymous.subscribe('exec_00000000000000000000000000000000')).type, 'error', 'unknown ids are refused');

    const bob = await monitor(server, `?token=${tokenFor('bob')}`);
    const refused = await bob.subscribe(executionId);
    assert.equal(refused.type, 'error');
    assert.match(refused.error, /not found/i);
    const bobInMessage = await monitor(server);
    bobInMessage.ws.send(JSON.stringify({ type: 'subscribe', executionId, token: tokenFor('bob') }));
    await eventually(() => bobInMessage.messages.length > 0);
    assert.equal(bobInMessage.messages[0].type, 'error');

    const ada = await monitor(server, `?token=${tokenFor('ada')}`);
    assert.equal((await ada.subscribe(executionId)).type, 'subscribed');
    const admin = await monitor(server, `?token=${tokenFor('root', { roles: ['admin'] })}`);
    assert.equal((await admin.subscribe(executionId)).type, 'subscribed');
    for (const client of [anonymous, bob, bobInMessage, ada, admin]) client.ws.close();
  }
});

test('/api/ws clients get a close frame with 1001 when the server shuts down', async (t) => {
  const { server } = await agentServer(t, { script: () => ({ text: 'done' }) });
  const watcher = await monitor(server);
  watcher.ws.send(JSON.stringify({ type: 'ping' }));
  await eventually(() => watcher.messages.some((m) => m.type === 'pong'));
  const closed = new Promise((resolve) => watcher.ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  server.child.kill('SIGTERM');
  const { code } = await closed;
  assert.equal(code, 1001);
  assert.equal((await server.exited).code, 0);
});

test('step:progress: the step\'s own progress grows while it streams and reaches 100; workflowProgress is the finished share', async (t) => {
  const words = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
  const { server } = await agentServer(t, { script: () => ({ text: words, chunkDelayMs: 15 }) });
  const workflowId = await createWorkflow(server, 'ada', { name: 'W', steps: [{ id: 'one', prompt: 'a' }, { id: 'two', prompt: 'b', dependsOn: ['one'] }] });
  const { socket, events } = await user(server, 'ada');
  const { executionId } = await ask(socket, 'agent:workflow:execute', { workflowId, input: {} });
  await events.wait(executionId, 'agent:workflow:completed');
  for (const [stepId, share, after] of [['one', 0, 50], ['two', 50, 100]]) {
    const progress = events.of(executionId).filter((e) => e.name === 'agent:workflow:step:progress' && e.stepId === stepId);
    const streaming = progress.filter((e) => e.delta);
    assert.ok(streaming.length >= 3, `several deltas for ${stepId}`);
    const values = progress.map((e) => e.progress);
    for (let i = 1; i < values.length; i += 1) assert.ok(values[i] >= values[i - 1], `${stepId} never goes back: ${values}`);
    assert.ok(streaming[0].progress > 0 && streaming.at(-1).progress > streaming[0].progress, `${stepId} grows while it streams: ${values}`);
    assert.ok(streaming.every((e) => e.progress < 100), `${stepId} is not done while it streams: ${values}`);
    assert.equal(progress.at(-1).progress, 100, `${stepId} ends at 100`);
    assert.ok(progress.every((e) => e.workflowProgress === share), `${stepId}: workflowProgress ${share}`);
    const completed = events.of(executionId).find((e) => e.name === 'agent:workflow:step:completed' && e.stepId === stepId);
    assert.equal(completed.workflowProgress, after);
  }
});

test('agent events reach the owner\'s sockets: a client reconnecting mid-run keeps receiving them, and a socket in several rooms gets each once', async (t) => {
  const { server } = await agentServer(t, {
    script: ({ prompt }) => ({ text: `answer ${prompt} in many small words for the stream`, chunkDelayMs: prompt === 'SLOW' ? 60 : 0 }),
  });
  const workflowId = await createWorkflow(server, 'ada', { name: 'W', steps: [{ id: 'one', prompt: 'SLOW' }, { id: 'two', prompt: 'SLOW', dependsOn: ['one'] }] });
  const first = await user(server, 'ada');
  // In execution:{id} and workflow:{id} (the requester is joined) and user:ada.
  const { executionId } = await ask(first.socket, 'agent:workflow:execute', { workflowId, input: {} });
  await first.events.wait(executionId, 'agent:workflow:step:progress', (e) => e.stepId === 'one' && e.delta);
  // The seed 000 client loses its connection and comes back as a new socket.
  const again = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('ada') } });
  const events = recorder(again);
  await connected(again);
  first.socket.disconnect();
  const done = await events.wait(executionId, 'agent:workflow:completed');
  assert.equal(done.workflowId, workflowId);
  assert.ok(events.names(executionId).includes('agent:workflow:step:started'), 'later steps arrive without joining a room');

  // A bystander receives nothing of ada's run.
  const bob = await user(server, 'bob');
  const second = await user(server, 'ada');
  const run = await ask(second.socket, 'agent:workflow:execute', { workflowId, input: {} });
  assert.equal((await ask(second.socket, 'joinRoom', `workflow:${workflowId}`)).success, true);
  await second.events.wait(run.executionId, 'agent:workflow:completed');
  await new Promise((resolve) => setTimeout(resolve, 200));
  const names = second.events.names(run.executionId);
  for (const name of ['agent:workflow:started', 'agent:workflow:step:started', 'agent:workflow:step:completed', 'agent:workflow:completed']) {
    const expected = name.includes('step') ? 2 : 1;
    assert.equal(names.filter((n) => n === name).length, expected, `${name} once per step: ${names}`);
  }
  const text = (stepId) => second.events.of(run.executionId).filter((e) => e.name === 'agent:workflow:step:progress' && e.stepId === stepId && e.delta).map((e) => e.delta).join('');
  assert.equal(text('one'), 'answer SLOW in many small words for the stream');
  assert.equal(bob.events.of(run.executionId).length, 0);
});
