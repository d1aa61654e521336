// Servers wired to the fake Claude CLI, and recorders of claude:* events.
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { startServer, tokenFor, connected, eventually } from './harness.mjs';

export const FAKE_CLAUDE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'fake-claude.mjs');

export async function claudeServer(env = {}) {
  const roots = mkdtempSync(join(tmpdir(), 'switchboard-roots-'));
  mkdirSync(join(roots, 'project'));
  const outside = mkdtempSync(join(tmpdir(), 'switchboard-outside-'));
  symlinkSync(outside, join(roots, 'escape'));
  const server = await startServer({
    env: {
      SWITCHBOARD_CLAUDE_COMMAND: FAKE_CLAUDE,
      SWITCHBOARD_CLAUDE_ALLOWED_ROOTS: roots,
      SWITCHBOARD_CLAUDE_IDLE_TIMEOUT_MS: '1500',
      SWITCHBOARD_CLAUDE_KILL_GRACE_MS: '300',
      FAKE_SECRET_PROBE: 'must-not-leak',
      ...env,
    },
  });
  server.roots = roots;
  server.outside = outside;
  return server;
}

/** Records every claude:* event a socket receives, by process id. */
export function recorder(socket) {
  const events = [];
  for (const name of ['claude:queued', 'claude:progress', 'claude:complete', 'claude:error']) {
    socket.on(name, (data) => events.push({ name, ...data }));
  }
  const of = (id) => events.filter((e) => e.processId === id);
  return {
    events,
    of,
    /** The run's terminal event, after checking that it is the only one. */
    async end(id, ms = 15000) {
      const terminal = () => of(id).filter((e) => e.name === 'claude:complete' || e.name === 'claude:error');
      await eventually(() => terminal().length > 0, ms);
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.equal(terminal().length, 1, `exactly one terminal event for ${id}: ${JSON.stringify(terminal())}`);
      return terminal()[0];
    },
  };
}

export async function user(server, sub, transports = ['websocket']) {
  const socket = server.client('/', { transports, auth: { token: tokenFor(sub) } });
  await connected(socket);
  return { socket, events: recorder(socket) };
}

