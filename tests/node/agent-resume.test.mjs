// Stream resume over Socket.IO: live agent:* events carry their sequence
// number, and `agent:workflow:status {executionId, afterSequence}` returns
// the stored events after it in their live shape, so a client that
// reconnects mid-run ends with every event exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ask } from './harness.mjs';
import { agentServer, api, createWorkflow, user } from './agent-harness.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const range = (from, to) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
const SLOW_TEXT = Array.from({ length: 20 }, (_, i) => `w${i}`).join(' ');

test('a client that reconnects mid-run fetches what it missed, then follows live: every event once', async (t) => {
  const { server } = await agentServer(t, {
    script: ({ prompt }) => (prompt === 'SLOW' ? { text: SLOW_TEXT, chunkDelayMs: 100 } : { text: 'quick' }),
  });
  const workflowId = await createWorkflow(server, 'ada', { name: 'W', steps: [{ id: 'one', prompt: 'QUICK' }, { id: 'two', prompt: 'SLOW', dependsOn: ['one'] }] });
  // Connected throughout: what the live stream looks like.
  const witness = await user(server, 'ada');
  const first = await user(server, 'ada');
  const { executionId } = await ask(first.socket, 'agent:workflow:execute', { workflowId, input: {} });
  await first.events.wait(executionId, 'agent:workflow:step:progress', (e) => e.stepId === 'two' && e.delta);

  // Drop the connection after event k; the run goes on without it.
  first.socket.disconnect();
  const before = first.events.of(executionId).map((e) => ({ ...e }));
  const k = before.at(-1).sequence;
  assert.ok(Number.isInteger(k) && k > 0, `live events carry their sequence: ${JSON.stringify(before.at(-1))}`);
  assert.deepEqual(before.map((e) => e.sequence), range(1, k), 'the first connection saw 1..k in order');
  await sleep(400);

  // A new socket: live events reach it (its user room) from now on; it asks
  // for what it missed and joins the two by sequence number.
  const second = await user(server, 'ada');
  const answer = await ask(second.socket, 'agent:workflow:status', { executionId, afterSequence: k });
  assert.equal(answer.success, true, JSON.stringify(answer));
  assert.equal(answer.status, 'running', 'resumed mid-run');
  assert.equal(answer.more, false);
  const replayed = answer.events.map((e) => e.sequence);
  assert.ok(replayed.length > 0, 'events happened while disconnected');
  assert.deepEqual(replayed, range(k + 1, answer.lastSequence), 'the events after k, in order, none before');
  for (const event of answer.events) {
    assert.equal(event.data.sequence, event.sequence);
    assert.equal(event.data.executionId, executionId);
    assert.equal(event.data.workflowId, workflowId);
  }

  await second.events.wait(executionId, 'agent:workflow:completed', () => true, 20000);
  await witness.events.wait(executionId, 'agent:workflow:completed', () => true, 20000);
  await sleep(200);
  const live = second.events.of(executionId).filter((e) => e.sequence > answer.lastSequence);
  const union = [
    ...before,
    ...answer.events.map((e) => ({ name: e.event, ...e.data })),
    ...live,
  ];
  const stored = (await api(server, 'GET', `/executions/${executionId}`, { sub: 'ada' })).body.events;
  const total = stored.length;
  assert.deepEqual(union.map((e) => e.sequence), range(1, total), 'every sequence exactly once, in order');

  // Replayed events have the shape of the live ones, field for field.
  const seen = witness.events.of(executionId);
  assert.deepEqual(seen.map((e) => e.sequence), range(1, total), 'live events carry 1..N');
  assert.deepEqual(union, seen, 'before + replayed + live = what a connected client saw');
  const text = union.filter((e) => e.stepId === 'two' && e.delta).map((e) => e.delta).join('');
  assert.equal(text, SLOW_TEXT, 'no delta lost or repeated');

  // Without afterSequence the answer is as before; after the end, nothing more.
  const plain = await ask(second.socket, 'agent:workflow:status', { executionId });
  assert.equal(plain.status, 'completed');
  assert.equal(plain.events, undefined);
  assert.equal(plain.more, undefined);
  const end = await ask(second.socket, 'agent:workflow:status', { executionId, afterSequence: total });
  assert.deepEqual([end.events, end.more, end.lastSequence], [[], false, total]);
});

test('a long history comes in bounded pages that join without gaps', async (t) => {
  const words = Array.from({ length: 1100 }, (_, i) => `x${i}`).join(' ');
  const { server } = await agentServer(t, { script: () => ({ text: words }) });
  const workflowId = await createWorkflow(server, 'ada', { name: 'Long', steps: [{ id: 'only', prompt: 'LONG' }] });
  const { socket, events } = await user(server, 'ada');
  const { executionId } = await ask(socket, 'agent:workflow:execute', { workflowId, input: {} });
  await events.wait(executionId, 'agent:workflow:completed', () => true, 30000);
  const total = events.of(executionId).at(-1).sequence;
  assert.ok(total > 1000, `a history longer than a page: ${total}`);

  const pages = [];
  let after = 0;
  for (;;) {
    const page = await ask(socket, 'agent:workflow:status', { executionId, afterSequence: after });
    assert.equal(page.success, true, JSON.stringify(page));
    assert.ok(page.events.length <= 1000, `bounded: ${page.events.length}`);
    pages.push(page);
    after = page.lastSequence;
    if (!page.more) break;
  }
  assert.ok(pages.length >= 2, 'more than one page');
  assert.equal(pages[0].more, true);
  const all = pages.flatMap((page) => page.events);
  assert.deepEqual(all.map((e) => e.sequence), range(1, total));
  assert.deepEqual(all.map((e) => ({ name: e.event, ...e.data })), events.of(executionId));
});

test('afterSequence must be a non-negative integer; another user gets nothing', async (t) => {
  const { server } = await agentServer(t, { script: () => ({ text: 'done' }) });
  const workflowId = await createWorkflow(server, 'ada', { name: 'W', steps: [{ id: 'one', prompt: 'x' }] });
  const { socket, events } = await user(server, 'ada');
  const { executionId } = await ask(socket, 'agent:workflow:execute', { workflowId, input: {} });
  await events.wait(executionId, 'agent:workflow:completed');

  for (const afterSequence of [-1, 1.5, '3', true, [], {}]) {
    const bad = await ask(socket, 'agent:workflow:status', { executionId, afterSequence });
    assert.equal(bad.success, false, `afterSequence ${JSON.stringify(afterSequence)}`);
    assert.equal(bad.code, 'INVALID_PAYLOAD', JSON.stringify(bad));
    assert.equal(bad.events, undefined);
  }
  const own = await ask(socket, 'agent:workflow:status', { executionId, afterSequence: 0 });
  assert.equal(own.success, true);
  assert.ok(own.events.length > 0);

  const bob = await user(server, 'bob');
  const refused = await ask(bob.socket, 'agent:workflow:status', { executionId, afterSequence: 0 });
  assert.equal(refused.success, false);
  assert.equal(refused.code, 'NOT_FOUND');
  assert.equal(refused.events, undefined);
  assert.deepEqual(bob.events.of(executionId).filter((e) => e.name !== 'agent:error'), [], 'nothing of ada\'s run reaches bob');
});
