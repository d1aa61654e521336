// SPEC §6 workflows: definitions over HTTP and from a folder, DAG runs with
// streamed deltas, provider retries and failures, pause/resume/cancel,
// approvals and the concurrency queue, against fake LLM APIs that speak
// the real Anthropic and OpenAI wire formats over loopback HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ask, never, eventually, startServer, tokenFor, connected } from './harness.mjs';
import { agentServer, api, createWorkflow, user, streamed } from './agent-harness.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const DIAMOND = {
  name: 'Diamond',
  steps: [
    { id: 'a', name: 'Research', kind: 'llm', role: 'researcher', prompt: 'STEP-A about {{input.topic}}' },
    { id: 'b', name: 'Outline', kind: 'llm', model: 'outline-model', prompt: 'STEP-B about {{input.topic}}' },
    { id: 'c', name: 'Draft', kind: 'llm', dependsOn: ['a', 'b'], prompt: 'STEP-C using [{{steps.a.output}}] and [{{steps.b.output}}]' },
  ],
};

test('a DAG runs in parallel where it can, streams deltas and templates outputs (Anthropic)', async (t) => {
  const { server, llm } = await agentServer(t, {
    script: ({ prompt }) => {
      if (prompt.startsWith('STEP-A')) return { text: 'facts about tides', chunkDelayMs: 60 };
      if (prompt.startsWith('STEP-B')) return { text: 'an outline of tides', chunkDelayMs: 60 };
      return { text: 'the final draft' };
    },
  });
  const workflowId = await createWorkflow(server, 'ada', DIAMOND);
  assert.match(workflowId, /^wf_/);
  const { socket, events } = await user(server, 'ada');
  const ack = await ask(socket, 'agent:workflow:execute', { workflowId, input: { topic: 'tides' } });
  assert.equal(ack.success, true, JSON.stringify(ack));
  assert.match(ack.executionId, /^exec_[0-9a-f]{32}$/);
  assert.equal(ack.workflowId, workflowId);
  const id = ack.executionId;
  const done = await events.wait(id, 'agent:workflow:completed');
  assert.deepEqual(done.results, { a: 'facts about tides', b: 'an outline of tides', c: 'the final draft' });

  const seen = events.of(id);
  for (const event of seen) {
    assert.equal(event.executionId, id);
    assert.equal(event.workflowId, workflowId, `${event.name} carries the workflowId`);
    assert.ok(event.timestamp, `${event.name} carries a timestamp`);
  }
  const names = seen.map((e) => e.name);
  assert.equal(names[0], 'agent:workflow:started');
  assert.equal(names.at(-1), 'agent:workflow:completed');
  // a and b both started before either completed: they ran in parallel.
  const index = (name, step) => seen.findIndex((e) => e.name === name && e.stepId === step);
  const firstDone = Math.min(index('agent:workflow:step:completed', 'a'), index('agent:workflow:step:completed', 'b'));
  assert.ok(index('agent:workflow:step:started', 'a') < firstDone && index('agent:workflow:step:started', 'b') < firstDone, names.join(','));
  assert.ok(index('agent:workflow:step:started', 'c') > Math.max(index('agent:workflow:step:completed', 'a'), index('agent:workflow:step:completed', 'b')));
  // Deltas add up to each step's output.
  assert.equal(streamed(events, id, 'a'), 'facts about tides');
  assert.equal(streamed(events, id, 'c'), 'the final draft');
  const completedA = seen.find((e) => e.name === 'agent:workflow:step:completed' && e.stepId === 'a');
  assert.equal(completedA.output, 'facts about tides');
  assert.equal(completedA.stepName, 'Research');

  // The real wire: path, headers, body; templates filled; role prompt as system.
  assert.equal(llm.requests.length, 3);
  const first = llm.requests.find((r) => r.prompt.startsWith('STEP-A'));
  assert.equal(first.headers['x-api-key'], 'test-key');
  assert.ok(first.headers['anthropic-version']);
  assert.equal(first.body.stream, true);
  assert.equal(first.body.model, 'fake-model');
  assert.equal(first.prompt, 'STEP-A about tides');
  assert.match(first.system, /researcher/);
  assert.equal(llm.requests.find((r) => r.prompt.startsWith('STEP-B')).body.model, 'outline-model', 'a step may override the model');
  const last = llm.requests.find((r) => r.prompt.startsWith('STEP-C'));
  assert.equal(last.prompt, 'STEP-C using [facts about tides] and [an outline of tides]');

  const status = await ask(socket, 'agent:workflow:status', { executionId: id });
  assert.equal(status.success, true);
  assert.equal(status.status, 'completed');
  assert.deepEqual(status.steps.map((s) => s.status), ['completed', 'completed', 'completed']);
});

test('an OpenAI-compatible server (Ollama quirks, usage chunk) drives a run', async (t) => {
  const { server, llm } = await agentServer(t, { flavor: 'openai', script: () => ({ text: 'hi from ollama' }) });
  const workflowId = await createWorkflow(server, 'ada', { name: 'One', steps: [{ id: 'only', kind: 'llm', system: 'Be brief.', prompt: 'Say hi to {{input.name}}' }] });
  const { socket, events } = await user(server, 'ada');
  const { executionId } = await ask(socket, 'agent:workflow:execute', { workflowId, input: { name: 'Bo' } });
  const done = await events.wait(executionId, 'agent:workflow:completed');
  assert.equal(done.results.only, 'hi from ollama');
  assert.equal(streamed(events, executionId, 'only'), 'hi from ollama');
  const request = llm.requests[0];
  assert.equal(request.headers.authorization, 'Bearer test-key');
  assert.equal(request.body.stream, true);
  assert.deepEqual(request.body.messages, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hi to Bo' }]);
});

test('429 with retry-after and 529 are retried before any text; a mid-stream error fails the step', async (t) => {
  const calls = {};
  const { server, llm } = await agentServer(t, {
    script: ({ prompt }) => {
      const key = prompt.split(' ')[0];
      calls[key] = (calls[key] ?? 0) + 1;
      if (key === 'RATE' && calls[key] === 1) return { status: 429, headers: { 'retry-after': '0' } };
      if (key === 'OVER' && calls[key] <= 2) return { status: 529 };
      if (key === 'BROKEN') return { text: 'half an answer', midStreamError: true };
      if (key === 'AUTH') return { status: 401 };
      return { text: `ok ${key}` };
    },
  });
  const { socket, events } = await user(server, 'ada');
  const run = async (prompt) => {
    const workflowId = await createWorkflow(server, 'ada', { name: prompt, steps: [{ id: 's', prompt }] });
    const { executionId } = await ask(socket, 'agent:workflow:execute', { workflowId, input: {} });
    await events.wait(executionId, 'agent:workflow:completed', () => true, 15000).catch(() => {});
    return executionId;
  };
  const rate = await run('RATE limited');
  assert.equal(events.of(rate).find((e) => e.name === 'agent:workflow:completed').results.s, 'ok RATE');
  assert.equal(calls.RATE, 2);
  const over = await run('OVER loaded');
  assert.equal(events.of(over).find((e) => e.name === 'agent:workflow:completed').results.s, 'ok OVER');
  assert.equal(calls.OVER, 3);

  const workflowId = await createWorkflow(server, 'ada', { name: 'broken', steps: [{ id: 's', prompt: 'BROKEN stream' }] });
  const { executionId } = await ask(socket, 'agent:workflow:execute', { workflowId, input: {} });
  const failed = await events.wait(executionId, 'agent:workflow:failed');
  assert.equal(failed.code, 'LLM_ERROR');
  assert.match(failed.error, /Overloaded/);
  const stepFailed = events.of(executionId).find((e) => e.name === 'agent:workflow:step:failed');
  assert.equal(stepFailed.stepId, 's');
  assert.equal(stepFailed.willRetry, false);
  assert.equal(calls.BROKEN, 1, 'text had streamed: no provider retry');
  assert.equal(streamed(events, executionId, 's'), 'half', 'the text before the error still streamed');

  const auth = await createWorkflow(server, 'ada', { name: 'auth', steps: [{ id: 's', prompt: 'AUTH fails' }] });
  const authRun = await ask(socket, 'agent:workflow:execute', { workflowId: auth, input: {} });
  const authFailed = await events.wait(authRun.executionId, 'agent:workflow:failed');
  assert.match(authFailed.error, /401/);
  assert.equal(calls.AUTH, 1, '401 is not retried');
  assert.ok(llm.requests.length >= 7);
});

test('a step retry policy repeats a failed attempt; malformed chunks fail cleanly', async (t) => {
  let flaky = 0;
  const { server } = await agentServer(t, {
    script: ({ prompt }) => {
      if (prompt === 'FLAKY') { flaky += 1; return flaky === 1 ? { text: 'partial', truncate: true } : { text: 'second time lucky' }; }
      if (prompt === 'HANG') return { text: 'forever', hang: true };
      return { text: 'x', malformed: true };
    },
  });
  const { socket, events } = await user(server, 'ada');
  const workflowId = await createWorkflow(server, 'ada', { name: 'retry', steps: [{ id: 's', prompt: 'FLAKY', retry: { maxAttempts: 2, backoffMs: 50 } }] });
  const { executionId } = await ask(socket, 'agent:workflow:execute', { workflowId, input: {} });
  const done = await events.wait(executionId, 'agent:workflow:completed');
  assert.equal(done.results.s, 'second time lucky');
  const failures = events.of(executionId).filter((e) => e.name === 'agent:workflow:step:failed');
  assert.equal(failures.length, 1);
  assert.equal(failures[0].willRetry, true);
  assert.equal(failures[0].attempt, 1);
  assert.match(failures[0].error, /malformed|ended/i);

  const bad = await createWorkflow(server, 'ada', { name: 'malformed', steps: [{ id: 's', prompt: 'MALFORMED' }] });
  const run = await ask(socket, 'agent:workflow:execute', { workflowId: bad, input: {} });
  const failed = await events.wait(run.executionId, 'agent:workflow:failed');
  assert.equal(failed.code, 'LLM_ERROR');
  assert.match(failed.error, /malformed/i);
  const slow = await createWorkflow(server, 'ada', { name: 'timeout', steps: [{ id: 't', prompt: 'HANG', timeoutMs: 300 }] });
  const timed = await ask(socket, 'agent:workflow:execute', { workflowId: slow, input: {} });
  const timedOut = await events.wait(timed.executionId, 'agent:workflow:failed');
  assert.equal(timedOut.code, 'TIMEOUT');
  assert.match(timedOut.error, /within 300 ms/);
  // The socket is still fine.
  assert.equal((await ask(socket, 'ping')).timestamp > 0, true);
});

test('pause stops new steps from starting, resume continues; status and control by workflowId', async (t) => {
  const { server } = await agentServer(t, {
    script: ({ prompt }) => (prompt === 'FIRST' ? { text: 'one two three four', chunkDelayMs: 150 } : { text: 'second done' }),
  });
  const workflowId = await createWorkflow(server, 'ada', {
    name: 'Two steps', steps: [{ id: 'first', prompt: 'FIRST' }, { id: 'second', prompt: 'SECOND', dependsOn: ['first'] }],
  });
  const { socket, events } = await user(server, 'ada');
  const { executionId } = await ask(socket, 'agent:workflow:execute', { workflowId, input: {} });
  await events.wait(executionId, 'agent:workflow:step:started', (e) => e.stepId === 'first');
  const paused = await ask(socket, 'agent:workflow:pause', { workflowId });
  assert.equal(paused.success, true, JSON.stringify(paused));
  assert.equal(paused.executionId, executionId);
  assert.equal(paused.status, 'paused');
  await events.wait(executionId, 'agent:workflow:paused');
  // The running step finishes; the next one does not start.
  await events.wait(executionId, 'agent:workflow:step:completed', (e) => e.stepId === 'first');
  await sleep(500);
  assert.ok(!events.of(executionId).some((e) => e.name === 'agent:workflow:step:started' && e.stepId === 'second'));
  assert.equal((await ask(socket, 'agent:workflow:status', workflowId)).status, 'paused');
  const again = await ask(socket, 'agent:workflow:pause', { executionId });
  assert.equal(again.success, false);
  assert.equal(again.code, 'INVALID_STATE');

  const resumed = await ask(socket, 'agent:workflow:resume', { workflowId });
  assert.equal(resumed.success, true);
  await events.wait(executionId, 'agent:workflow:resumed');
  const done = await events.wait(executionId, 'agent:workflow:completed');
  assert.equal(done.results.second, 'second done');
  const names = events.names(executionId);
  assert.ok(names.indexOf('agent:workflow:paused') < names.indexOf('agent:workflow:resumed'));
  // Status by workflowId finds the newest run even when it is over; control does not.
  const latest = await ask(socket, 'agent:workflow:status', { workflowId });
  assert.equal(latest.status, 'completed');
  assert.equal(latest.executionId, executionId);
  const none = await ask(socket, 'agent:workflow:cancel', { workflowId });
  assert.equal(none.success, false);
  assert.equal(none.code, 'NOT_FOUND');
});

test('cancel reaches the in-flight HTTP request and ends the run once', async (t) => {
  const { server, llm } = await agentServer(t, { script: () => ({ text: 'never finishing', hang: true }) });
  const workflowId = await createWorkflow(server, 'ada', { name: 'Hang', steps: [{ id: 'h', prompt: 'HANG' }, { id: 'after', prompt: 'AFTER', dependsOn: ['h'] }] });
  const { socket, events } = await user(server, 'ada');
  const { executionId } = await ask(socket, 'agent:workflow:execute', { workflowId, input: {} });
  await events.wait(executionId, 'agent:workflow:step:progress', (e) => e.delta);
  const other = await user(server, 'bob');
  const denied = await ask(other.socket, 'agent:workflow:cancel', { executionId });
  assert.equal(denied.success, false);
  assert.equal(denied.code, 'NOT_FOUND');
  const cancelled = await ask(socket, 'agent:workflow:cancel', { executionId });
  assert.equal(cancelled.success, true, JSON.stringify(cancelled));
  await events.wait(executionId, 'agent:workflow:cancelled');
  await eventually(() => llm.aborted.length === 1);
  await sleep(300);
  const ends = events.of(executionId).filter((e) => ['agent:workflow:cancelled', 'agent:workflow:completed', 'agent:workflow:failed'].includes(e.name));
  assert.equal(ends.length, 1);
  assert.equal(llm.requests.length, 1, 'no later step started');
  const record = await api(server, 'GET', `/executions/${executionId}`, { sub: 'ada' });
  assert.equal(record.body.status, 'cancelled');
});

test('approval steps wait for a decision: approve over Socket.IO, reject over HTTP', async (t) => {
  const { server } = await agentServer(t, { script: ({ prompt }) => ({ text: `done: ${prompt}` }) });
  const workflowId = await createWorkflow(server, 'ada', {
    name: 'Gated',
    steps: [
      { id: 'draft', prompt: 'DRAFT' },
      { id: 'review', kind: 'approval', dependsOn: ['draft'], message: 'Publish {{steps.draft.output}}?' },
      { id: 'publish', prompt: 'PUBLISH', dependsOn: ['review'] },
    ],
  });
  const { socket, events } = await user(server, 'ada');
  const first = await ask(socket, 'agent:workflow:execute', { workflowId, input: {} });
  const waiting = await events.wait(first.executionId, 'agent:workflow:step:progress', (e) => e.awaitingApproval);
  assert.equal(waiting.stepId, 'review');
  assert.equal(waiting.message, 'Publish done: DRAFT?');
  assert.equal((await ask(socket, 'agent:workflow:status', first.executionId)).steps.find((s) => s.stepId === 'review').status, 'awaiting_approval');
  const wrongStep = await ask(socket, 'agent:workflow:approve', { executionId: first.executionId, stepId: 'publish', approved: true });
  assert.equal(wrongStep.success, false);
  const approved = await ask(socket, 'agent:workflow:approve', { executionId: first.executionId, stepId: 'review', approved: true, comment: 'ship it' });
  assert.equal(approved.success, true, JSON.stringify(approved));
  const done = await events.wait(first.executionId, 'agent:workflow:completed');
  assert.deepEqual(done.results.review, { approved: true, comment: 'ship it', by: 'ada' });
  assert.equal(done.results.publish, 'done: PUBLISH');

  const second = await ask(socket, 'agent:workflow:execute', { workflowId, input: {} });
  await events.wait(second.executionId, 'agent:workflow:step:progress', (e) => e.awaitingApproval);
  const stranger = await api(server, 'POST', `/executions/${second.executionId}/approvals`, { sub: 'bob', body: { stepId: 'review', approved: true } });
  assert.equal(stranger.status, 404);
  const rejected = await api(server, 'POST', `/executions/${second.executionId}/approvals`, { sub: 'ada', body: { stepId: 'review', approved: false, comment: 'not yet' } });
  assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
  const failed = await events.wait(second.executionId, 'agent:workflow:failed');
  assert.equal(failed.code, 'APPROVAL_REJECTED');
  assert.match(failed.error, /not yet/);
  assert.ok(!events.of(second.executionId).some((e) => e.name === 'agent:workflow:step:started' && e.stepId === 'publish'));
});

test('the concurrency limit queues runs with positions', async (t) => {
  const { server } = await agentServer(t, {
    env: { SWITCHBOARD_AGENT_MAX_CONCURRENT: '1' },
    script: () => ({ text: 'slow answer here', chunkDelayMs: 120 }),
  });
  const workflowId = await createWorkflow(server, 'ada', { name: 'Slow', steps: [{ id: 's', prompt: 'SLOW' }] });
  const ada = await user(server, 'ada');
  const bob = await user(server, 'bob');
  const shared = await api(server, 'GET', `/workflows/${workflowId}`, { sub: 'bob' });
  assert.equal(shared.status, 404, 'a user workflow is private');
  const bobFlow = await createWorkflow(server, 'bob', { name: 'Slow', steps: [{ id: 's', prompt: 'SLOW' }] });
  const first = await ask(ada.socket, 'agent:workflow:execute', { workflowId, input: {} });
  const second = await ask(bob.socket, 'agent:workflow:execute', { workflowId: bobFlow, input: {} });
  const queued = await bob.events.wait(second.executionId, 'agent:workflow:queued');
  assert.equal(queued.queuePosition, 0);
  assert.equal((await ask(bob.socket, 'agent:workflow:status', second.executionId)).queuePosition, 0);
  await ada.events.wait(first.executionId, 'agent:workflow:completed');
  await bob.events.wait(second.executionId, 'agent:workflow:completed');
  assert.ok(!ada.events.of(second.executionId).length, 'bob\'s events stay in his rooms');
});

test('workflow definitions: CRUD, YAML, validation errors, ownership', async (t) => {
  const { server } = await agentServer(t, { env: { SWITCHBOARD_API_KEYS: 'backend-key' } });
  const bad = async (definition, pattern) => {
    const response = await api(server, 'POST', '/workflows', { sub: 'ada', body: definition });
    assert.equal(response.status, 422, JSON.stringify(response.body));
    assert.equal(response.body.error.code, 'INVALID_PAYLOAD');
    assert.match(response.body.error.message, pattern);
  };
  await bad({ name: 'x', steps: [{ id: 'a', prompt: 'p', dependsOn: ['ghost'] }] }, /unknown step `ghost`/);
  await bad({ name: 'x', steps: [{ id: 'a', prompt: 'p', dependsOn: ['b'] }, { id: 'b', prompt: 'p', dependsOn: ['a'] }] }, /cycle/);
  await bad({ name: 'x', steps: [{ id: 'a', prompt: 'Hi {{ secrets.key }}' }] }, /unknown placeholder/);
  await bad({ name: 'x', steps: [{ id: 'a', prompt: 'p' }, { id: 'b', prompt: '{{steps.a.output}}' }] }, /does not depend on `a`/);
  await bad({ name: 'x', steps: [] }, /steps/);
  await bad({ steps: [{ id: 'a', prompt: 'p' }] }, /name/);
  const notJson = await api(server, 'POST', '/workflows', { sub: 'ada', body: '{nope' });
  assert.equal(notJson.status, 400);
  const anonymous = await api(server, 'POST', '/workflows', { body: { name: 'x', steps: [{ id: 'a', prompt: 'p' }] } });
  assert.equal(anonymous.status, 401);

  const yaml = 'name: From YAML\ndescription: two steps\nsteps:\n  - id: one\n    kind: llm\n    prompt: Hello {{input.who}}\n  - id: two\n    kind: approval\n    dependsOn: [one]\n';
  const created = await api(server, 'POST', '/workflows', { sub: 'ada', yaml });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  assert.equal(created.body.name, 'From YAML');
  assert.equal(created.body.source, 'api');
  assert.deepEqual(created.body.steps.map((s) => [s.id, s.kind]), [['one', 'llm'], ['two', 'approval']]);

  const updated = await api(server, 'PUT', `/workflows/${id}`, { sub: 'ada', body: { name: 'Renamed', steps: [{ id: 'one', prompt: 'Hi' }] } });
  assert.equal(updated.status, 200);
  assert.equal((await api(server, 'GET', `/workflows/${id}`, { sub: 'ada' })).body.name, 'Renamed');
  assert.equal((await api(server, 'PUT', `/workflows/${id}`, { sub: 'bob', body: { name: 'Mine', steps: [{ id: 'one', prompt: 'x' }] } })).status, 404);
  assert.equal((await api(server, 'DELETE', `/workflows/${id}`, { sub: 'bob' })).status, 404);

  const sharedByBackend = await api(server, 'POST', '/workflows', { key: 'backend-key', body: { name: 'Shared', steps: [{ id: 'a', prompt: 'p' }] } });
  assert.equal(sharedByBackend.status, 201);
  const list = await api(server, 'GET', '/workflows', { sub: 'bob' });
  assert.deepEqual(list.body.workflows.map((w) => w.name), ['Shared']);
  assert.equal((await api(server, 'DELETE', `/workflows/${sharedByBackend.body.id}`, { sub: 'bob' })).status, 403);

  assert.equal((await api(server, 'DELETE', `/workflows/${id}`, { sub: 'ada' })).status, 200);
  assert.equal((await api(server, 'GET', `/workflows/${id}`, { sub: 'ada' })).status, 404);
});

test('workflows load from SWITCHBOARD_WORKFLOWS_DIR (YAML and JSON) and cannot be edited over HTTP', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-workflows-'));
  writeFileSync(join(dir, 'greet.yaml'), 'name: Greeter\nsteps:\n  - id: hello\n    kind: llm\n    prompt: Greet {{input.name}}\n');
  writeFileSync(join(dir, 'count.json'), JSON.stringify({ id: 'counter', name: 'Counter', steps: [{ id: 'n', kind: 'llm', prompt: 'Count' }] }));
  writeFileSync(join(dir, 'notes.txt'), 'ignored');
  const { server } = await agentServer(t, { env: { SWITCHBOARD_WORKFLOWS_DIR: dir }, script: ({ prompt }) => ({ text: `re: ${prompt}` }) });
  const list = await api(server, 'GET', '/workflows', { sub: 'ada' });
  assert.deepEqual(list.body.workflows.map((w) => [w.id, w.source]).sort(), [['wf_counter', 'file'], ['wf_greet', 'file']]);
  assert.equal((await api(server, 'DELETE', '/workflows/wf_greet', { sub: 'ada' })).status, 409);
  const { socket, events } = await user(server, 'ada');
  const { executionId } = await ask(socket, 'agent:workflow:execute', { workflowId: 'wf_greet', input: { name: 'Cy' } });
  const done = await events.wait(executionId, 'agent:workflow:completed');
  assert.equal(done.results.hello, 're: Greet Cy');

  const broken = mkdtempSync(join(tmpdir(), 'switchboard-workflows-'));
  writeFileSync(join(broken, 'loop.yaml'), 'name: Loop\nsteps:\n  - {id: a, prompt: p, dependsOn: [a]}\n');
  await assert.rejects(startServer({ env: { SWITCHBOARD_WORKFLOWS_DIR: broken } }), /loop\.yaml.*cycle/s);
});

test('bad agent payloads and missing configuration get clear errors', async () => {
  const server = await startServer();
  try {
    const socket = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('ada') } });
    await connected(socket);
    const errors = [];
    socket.on('agent:error', (data) => errors.push(data));
    const created = await fetch(`${server.url}/api/v1/workflows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokenFor('ada')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', steps: [{ id: 'a', prompt: 'p' }] }),
    });
    const { id } = await created.json();
    const notConfigured = await ask(socket, 'agent:workflow:execute', { workflowId: id, input: {} });
    assert.equal(notConfigured.success, false);
    assert.equal(notConfigured.code, 'LLM_NOT_CONFIGURED');
    await eventually(() => errors.some((e) => e.code === 'LLM_NOT_CONFIGURED'));
    const critique = await ask(socket, 'agent:critique:execute', { content: 'draft', criteria: ['clarity'] });
    assert.equal(critique.code, 'LLM_NOT_CONFIGURED');

    for (const [event, payload, pattern] of [
      ['agent:workflow:execute', {}, /workflowId/],
      ['agent:workflow:execute', { workflowId: 42 }, /workflowId/],
      ['agent:workflow:execute', { workflowId: id, input: [1] }, /input/],
      ['agent:orchestrate', { task: 'x', agents: 'writer' }, /agents/],
      ['agent:critique:execute', { content: 'x', criteria: [] }, /criteria/],
      ['agent:critique:execute', { content: 'x', criteria: ['a'], threshold: 11 }, /threshold/],
      ['agent:discussion:execute', { topic: 'x', participants: ['a'], maxRounds: 0 }, /maxRounds/],
      ['agent:workflow:approve', { executionId: 'exec_1', stepId: 's' }, /approved/],
      ['agent:workflow:status', 7, /executionId/],
    ]) {
      const answer = await ask(socket, event, payload);
      assert.equal(answer.success, false, event);
      assert.equal(answer.code, 'INVALID_PAYLOAD', `${event} ${JSON.stringify(answer)}`);
      assert.match(answer.error, pattern);
    }
    const unknown = await ask(socket, 'agent:workflow:execute', { workflowId: 'wf_nope', input: {} });
    assert.equal(unknown.code, 'NOT_FOUND');
    const anonymous = server.client('/', { transports: ['websocket'] });
    await connected(anonymous);
    const refused = await ask(anonymous, 'agent:workflow:execute', { workflowId: id });
    assert.equal(refused.code, 'UNAUTHORIZED');
    assert.ok(socket.connected && anonymous.connected);
  } finally {
    await server.stop();
  }
});
