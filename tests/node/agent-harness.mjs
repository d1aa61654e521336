// Servers wired to a fake LLM API (real HTTP + SSE on loopback), and
// recorders of agent:* events.
import assert from 'node:assert/strict';
import { startServer, tokenFor, connected, eventually } from './harness.mjs';
import { startFakeLlm } from './fixtures/fake-llm.mjs';

/** A fake LLM and a server configured to use it; both stop with the test. */
export async function agentServer(t, { flavor = 'anthropic', script, env = {}, args = [] } = {}) {
  const llm = await startFakeLlm({ flavor, script });
  const server = await startServer({
    env: {
      SWITCHBOARD_LLM_PROVIDER: flavor,
      SWITCHBOARD_LLM_BASE_URL: llm.baseUrl,
      SWITCHBOARD_LLM_API_KEY: 'test-key',
      SWITCHBOARD_LLM_MODEL: 'fake-model',
      ...env,
    },
    args,
  });
  t.after(async () => { await server.stop(); await llm.close(); });
  return { server, llm };
}

/** Calls the HTTP API as `sub` (a user token) or with `key` (an API key). */
export async function api(server, method, path, { sub, key, body, yaml } = {}) {
  const headers = {};
  if (sub) headers.authorization = `Bearer ${tokenFor(sub)}`;
  if (key) headers.authorization = `Bearer ${key}`;
  let payload;
  if (yaml !== undefined) { headers['content-type'] = 'application/yaml'; payload = yaml; }
  else if (body !== undefined) { headers['content-type'] = 'application/json'; payload = typeof body === 'string' ? body : JSON.stringify(body); }
  const response = await fetch(`${server.url}/api/v1${path}`, { method, headers, body: payload });
  const text = await response.text();
  let json;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: response.status, body: json };
}

/** Stores a workflow as `sub` and returns its id. */
export async function createWorkflow(server, sub, definition) {
  const { status, body } = await api(server, 'POST', '/workflows', { sub, body: definition });
  assert.equal(status, 201, JSON.stringify(body));
  return body.id;
}

/** Records every agent:* event a socket receives. */
export function recorder(socket) {
  const events = [];
  socket.onAny((name, data) => { if (name.startsWith('agent:')) events.push({ name, ...data }); });
  const of = (id) => events.filter((e) => e.executionId === id);
  const names = (id) => of(id).map((e) => e.name);
  return {
    events,
    of,
    names,
    /** Waits for an event of `id` named `name` (matching `where`). */
    async wait(id, name, where = () => true, ms = 15000) {
      await eventually(() => of(id).some((e) => e.name === name && where(e)), ms);
      return of(id).find((e) => e.name === name && where(e));
    },
  };
}

export async function user(server, sub) {
  const socket = server.client('/', { transports: ['websocket'], auth: { token: tokenFor(sub) } });
  await connected(socket);
  return { socket, events: recorder(socket) };
}

/** The text of the deltas streamed for one step. */
export function streamed(events, id, stepId) {
  return events.of(id)
    .filter((e) => e.name === 'agent:workflow:step:progress' && e.stepId === stepId && e.delta)
    .map((e) => e.delta).join('');
}
