// SPEC §6 orchestration, critique and discussion loops; SPEC §8 `/api/ws`
// with stored history; and restart-resume after SIGKILL, against a fake
// Anthropic API on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ask, eventually, startServer, tokenFor } from './harness.mjs';
import { agentServer, api, createWorkflow, user } from './agent-harness.mjs';
import { startFakeLlm } from './fixtures/fake-llm.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test('agent:orchestrate runs the roles in order and reports through agent:workflow:*', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-roles-'));
  const config = join(dir, 'switchboard.toml');
  writeFileSync(config, '[agent_roles]\nreviewer = "You are a pedantic reviewer."\n');
  const { server, llm } = await agentServer(t, {
    args: ['--config', config],
    script: ({ system }) => ({ text: `work of ${/You are (?:a |an )?(?:pedantic )?(\w+)/.exec(system)?.[1]}` }),
  });
  const { socket, events } = await user(server, 'ada');
  const ack = await ask(socket, 'agent:orchestrate', { task: 'Generate a marketing strategy', agents: ['researcher', 'writer', 'reviewer'] });
  assert.equal(ack.success, true, JSON.stringify(ack));
  assert.match(ack.workflowId, /^wf_/);
  const done = await events.wait(ack.executionId, 'agent:workflow:completed');
  assert.deepEqual(Object.values(done.results), ['work of researcher', 'work of writer', 'work of reviewer']);
  const started = events.of(ack.executionId).filter((e) => e.name === 'agent:workflow:step:started').map((e) => e.stepName);
  assert.deepEqual(started, ['researcher', 'writer', 'reviewer']);
  assert.ok(events.of(ack.executionId).every((e) => e.workflowId === ack.workflowId));
  assert.match(llm.requests[1].prompt, /Generate a marketing strategy[\s\S]*work of researcher/);
  assert.match(llm.requests[2].prompt, /work of writer/);
  assert.equal(llm.requests[2].system, 'You are a pedantic reviewer.', 'configured roles replace built-in ones');
});

test('critique revises until every score reaches the threshold, surviving a critic that answers in prose', async (t) => {
  let critiques = 0;
  const { server, llm } = await agentServer(t, {
    script: ({ system, prompt }) => {
      if (/critic/.test(system)) {
        critiques += 1;
        // First a non-compliant prose answer, then JSON in a code fence.
        if (critiques === 1) return { text: 'Accuracy: 5/10. Clarity: 6/10. Too vague, cite numbers.' };
        return { text: '```json\n{"scores": {"accuracy": 9, "clarity": 8.5}, "feedback": "Good."}\n```' };
      }
      assert.match(prompt, /cite numbers/);
      return { text: 'Revised draft with numbers.' };
    },
  });
  const { socket, events } = await user(server, 'ada');
  const ack = await ask(socket, 'agent:critique:execute', { content: 'Draft content to critique', criteria: ['accuracy', 'clarity'], threshold: 8 });
  assert.equal(ack.success, true, JSON.stringify(ack));
  const done = await events.wait(ack.executionId, 'agent:critique:completed');
  assert.equal(done.result, 'Revised draft with numbers.');
  assert.equal(done.iterations, 2);
  assert.deepEqual(done.scores, { accuracy: 9, clarity: 8.5 });
  assert.equal(done.converged, true);
  const seen = events.of(ack.executionId);
  assert.deepEqual(seen.map((e) => e.name), ['agent:critique:iteration', 'agent:critique:iteration', 'agent:critique:converged', 'agent:critique:completed']);
  assert.equal(seen[0].iteration, 1);
  assert.deepEqual(seen[0].scores, { accuracy: 5, clarity: 6 });
  assert.equal(seen[0].structured, false);
  assert.match(seen[0].feedback, /cite numbers/);
  assert.equal(seen[1].content, 'Revised draft with numbers.');
  assert.equal(seen[2].iterations, 2);
  assert.equal(llm.requests.length, 3);
});

test('critique keeps the best-scoring draft when it never converges', async (t) => {
  let critiques = 0;
  const { server } = await agentServer(t, {
    script: ({ system }) => {
      if (/critic/.test(system)) {
        critiques += 1;
        return { text: JSON.stringify({ scores: { clarity: critiques === 1 ? 7 : 4 }, feedback: 'more' }) };
      }
      return { text: `revision ${critiques}` };
    },
  });
  const { socket, events } = await user(server, 'ada');
  const ack = await ask(socket, 'agent:critique:execute', { content: 'the original', criteria: ['clarity'], maxIterations: 2, threshold: 0.9 });
  const done = await events.wait(ack.executionId, 'agent:critique:completed');
  assert.equal(done.converged, false);
  assert.equal(done.iterations, 2);
  assert.equal(done.result, 'the original', 'the first draft scored best');
  assert.deepEqual(done.scores, { clarity: 7 });
  assert.ok(!events.names(ack.executionId).includes('agent:critique:converged'));
});

test('discussion: rounds of contributions, a judged consensus, a synthesis', async (t) => {
  let judged = 0;
  let agreeAt = 2;
  const { server } = await agentServer(t, {
    script: ({ system, prompt }) => {
      if (/moderator/.test(system)) {
        if (/final synthesis/.test(prompt)) return { text: 'Use a queue.' };
        judged += 1;
        return { text: judged === agreeAt ? '{"consensus": true, "confidence": 0.9, "summary": "Both agree on a queue."}' : 'No consensus yet.' };
      }
      const role = /acting as the (\w+)|You are an? ([\w ]+?)\./.exec(system);
      return { text: `${role?.[1] ?? role?.[2]} says queue` };
    },
  });
  const { socket, events } = await user(server, 'ada');
  const ack = await ask(socket, 'agent:discussion:execute', { topic: 'Best approach for feature X', participants: ['architect', 'developer'], maxRounds: 3 });
  assert.equal(ack.success, true);
  const done = await events.wait(ack.executionId, 'agent:discussion:completed');
  assert.equal(done.synthesis, 'Use a queue.');
  assert.equal(done.consensusReached, true);
  assert.deepEqual(events.names(ack.executionId), [
    'agent:discussion:round-started', 'agent:discussion:contribution', 'agent:discussion:contribution', 'agent:discussion:round-completed',
    'agent:discussion:round-started', 'agent:discussion:contribution', 'agent:discussion:contribution', 'agent:discussion:round-completed',
    'agent:discussion:converged', 'agent:discussion:completed',
  ]);
  const contributions = events.of(ack.executionId).filter((e) => e.name === 'agent:discussion:contribution');
  assert.deepEqual(contributions.map((c) => [c.round, c.agentRole]), [[1, 'architect'], [1, 'developer'], [2, 'architect'], [2, 'developer']]);
  assert.equal(contributions[0].contribution, 'software architect says queue');

  agreeAt = 0; // the judge never agrees now
  const capped = await ask(socket, 'agent:discussion:execute', { topic: 'Tabs or spaces', participants: ['qa'], maxRounds: 1 });
  const end = await events.wait(capped.executionId, 'agent:discussion:completed');
  assert.equal(end.consensusReached, false);
  assert.equal(end.rounds, 1);
});

test('/api/ws: 426 for plain GET; history then live events with no gap; another user\'s token refused', async (t) => {
  const { server } = await agentServer(t, { script: ({ prompt }) => ({ text: prompt === 'SLOW' ? 'a b c d e f g h' : 'quick', chunkDelayMs: prompt === 'SLOW' ? 120 : 0 }) });
  const plain = await fetch(`${server.url}/api/ws`);
  assert.equal(plain.status, 426);
  const workflowId = await createWorkflow(server, 'ada', { name: 'W', steps: [{ id: 'one', prompt: 'QUICK' }, { id: 'two', prompt: 'SLOW', dependsOn: ['one'] }] });
  const { socket, events } = await user(server, 'ada');
  const { executionId } = await ask(socket, 'agent:workflow:execute', { workflowId, input: {} });
  await events.wait(executionId, 'agent:workflow:step:progress', (e) => e.stepId === 'two' && e.delta);

  // Mid-run: history first (over HTTP, then what the subscription replays
  // after its last id), then live, each event exactly once and in order.
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/ws?token=${tokenFor('ada')}`);
  const messages = [];
  ws.on('message', (data) => messages.push(JSON.parse(data)));
  await new Promise((resolve) => ws.on('open', resolve));
  ws.send(JSON.stringify({ type: 'ping' }));
  const loaded = (await api(server, 'GET', `/executions/${executionId}`, { sub: 'ada' })).body.events;
  ws.send(JSON.stringify({ type: 'subscribe', executionId, lastEventId: loaded.at(-1).id }));
  await eventually(() => messages.some((m) => m.type === 'event' && m.event.type === 'agent-complete'), 15000);
  assert.equal(messages[0].type, 'pong');
  const received = [...loaded.map((event) => ({ type: 'event', executionId, event })), ...messages.filter((m) => m.type === 'event')];
  const seqs = received.map((m) => Number(m.event.id.split(':')[1]));
  assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'every event once, in order, from the first');
  assert.ok(messages.findIndex((m) => m.type === 'subscribed') > 0);
  for (const message of received) {
    assert.equal(message.executionId, executionId);
    assert.ok(['agent-start', 'agent-progress', 'agent-complete', 'error'].includes(message.event.type));
    assert.ok(message.event.timestamp && message.event.data);
  }
  assert.equal(received[0].event.type, 'agent-start');
  const complete = received.at(-1).event;
  assert.equal(complete.type, 'agent-complete');
  assert.equal(complete.data.status, 'completed');
  assert.equal(complete.data.results.two, 'a b c d e f g h');
  const deltas = received.filter((m) => m.event.data.stepId === 'two' && m.event.data.delta).map((m) => m.event.data.delta).join('');
  assert.equal(deltas, 'a b c d e f g h');

  // The stored history is the same list; a later subscriber can skip what it has.
  const record = await api(server, 'GET', `/executions/${executionId}`, { sub: 'ada' });
  assert.equal(record.status, 200);
  assert.equal(record.body.status, 'completed');
  assert.deepEqual(record.body.events.map((e) => e.id), received.map((m) => m.event.id));
  assert.deepEqual(record.body.steps.map((s) => [s.stepId, s.status]).sort(), [['one', 'completed'], ['two', 'completed']]);
  const lastSeen = record.body.events.at(-3).id;
  messages.length = 0;
  ws.send(JSON.stringify({ type: 'unsubscribe', executionId }));
  ws.send(JSON.stringify({ type: 'subscribe', executionId, lastEventId: lastSeen }));
  await eventually(() => messages.some((m) => m.type === 'subscribed'));
  assert.deepEqual(messages.filter((m) => m.type === 'event').map((m) => m.event.id), record.body.events.slice(-2).map((e) => e.id));

  assert.equal((await api(server, 'GET', `/executions/${executionId}`, { sub: 'bob' })).status, 404);
  const intruder = new WebSocket(`${server.url.replace('http', 'ws')}/api/ws`);
  const answers = [];
  intruder.on('message', (data) => answers.push(JSON.parse(data)));
  await new Promise((resolve) => intruder.on('open', resolve));
  // Without a token the id is the capability (SPEC §8); bob's token is refused.
  intruder.send(JSON.stringify({ type: 'subscribe', executionId }));
  intruder.send(JSON.stringify({ type: 'subscribe', executionId, token: tokenFor('bob') }));
  intruder.send('not json');
  await eventually(() => answers.length === 3);
  assert.deepEqual(answers.map((a) => a.type), ['subscribed', 'error', 'error']);
  assert.match(answers[1].error, /not found/i);
  ws.close();
  intruder.close();
});

test('after SIGKILL mid-workflow, a restarted server resumes and never re-runs a completed step', async (t) => {
  let hangSecond = true;
  const llm = await startFakeLlm({
    script: ({ prompt }) => {
      if (prompt === 'SECOND' && hangSecond) return { text: 'stuck', hang: true };
      return { text: `out ${prompt}` };
    },
  });
  t.after(() => llm.close());
  const env = { SWITCHBOARD_LLM_PROVIDER: 'anthropic', SWITCHBOARD_LLM_BASE_URL: llm.baseUrl, SWITCHBOARD_LLM_API_KEY: 'k' };
  const first = await startServer({ env });
  const workflowId = await createWorkflow(first, 'ada', {
    name: 'Three', steps: [{ id: 'one', prompt: 'FIRST' }, { id: 'two', prompt: 'SECOND', dependsOn: ['one'] }, { id: 'three', prompt: 'THIRD {{steps.one.output}}', dependsOn: ['two'] }],
  });
  const { socket, events } = await user(first, 'ada');
  const { executionId } = await ask(socket, 'agent:workflow:execute', { workflowId, input: {} });
  await events.wait(executionId, 'agent:workflow:step:completed', (e) => e.stepId === 'one');
  await eventually(() => llm.requests.some((r) => r.prompt === 'SECOND'));
  await first.stop('SIGKILL');

  hangSecond = false;
  const second = await startServer({ env: { ...env, SWITCHBOARD_DATA_DIR: first.dataDir } });
  t.after(() => second.stop());
  await eventually(async () => (await api(second, 'GET', `/executions/${executionId}`, { sub: 'ada' })).body.status === 'completed', 15000);
  const record = (await api(second, 'GET', `/executions/${executionId}`, { sub: 'ada' })).body;
  assert.deepEqual(record.result, { one: 'out FIRST', two: 'out SECOND', three: 'out THIRD out FIRST' });
  const count = (prompt) => llm.requests.filter((r) => r.prompt === prompt).length;
  assert.equal(count('FIRST'), 1, 'the completed step ran exactly once');
  assert.equal(count('SECOND'), 2, 'the interrupted step ran again');
  assert.equal(count('THIRD out FIRST'), 1);
  const types = record.events.map((e) => e.data.stage);
  assert.ok(types.includes('workflow:resumed'), types.join(','));
  assert.equal(record.events.filter((e) => e.data.stage === 'workflow:step:completed' && e.data.stepId === 'one').length, 1);
  await sleep(10);
});

test('the Claude CLI as provider: steps run through the runner, cancel stops the process', async (t) => {
  const { claudeServer } = await import('./claude-harness.mjs');
  const server = await claudeServer({ SWITCHBOARD_LLM_PROVIDER: 'claude-cli' });
  t.after(() => server.stop());
  const workflowId = await createWorkflow(server, 'ada', { name: 'CLI', steps: [{ id: 'say', prompt: 'hello {{input.who}}' }] });
  const { socket, events } = await user(server, 'ada');
  const { executionId } = await ask(socket, 'agent:workflow:execute', { workflowId, input: { who: 'cli' } });
  const done = await events.wait(executionId, 'agent:workflow:completed');
  assert.equal(done.results.say, 'You said: hello cli');
  assert.ok(events.of(executionId).some((e) => e.name === 'agent:workflow:step:progress' && e.delta));

  const slow = await createWorkflow(server, 'ada', { name: 'Slow CLI', steps: [{ id: 'long', prompt: 'scenario:slow:60' }] });
  const run = await ask(socket, 'agent:workflow:execute', { workflowId: slow, input: {} });
  await events.wait(run.executionId, 'agent:workflow:step:progress', (e) => e.delta);
  assert.equal((await ask(socket, 'agent:workflow:cancel', run.executionId)).success, true);
  await events.wait(run.executionId, 'agent:workflow:cancelled');
  await eventually(async () => {
    const { body } = await api(server, 'GET', '/processes?limit=5', { sub: 'ada' });
    return body.processes?.some((p) => p.status === 'cancelled');
  });
});
