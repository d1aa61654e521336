// Servers wired to the fake Claude CLI, and recorders of claude:* events.
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
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
    async end(id, ms = 15000) {
      await eventually(() => of(id).some((e) => e.name === 'claude:complete' || e.name === 'claude:error'), ms);
      const terminal = of(id).filter((e) => e.name === 'claude:complete' || e.name === 'claude:error');
      return terminal[0];
    },
  };
}

export async function user(server, sub) {
  const socket = server.client('/', { transports: ['websocket'], auth: { token: tokenFor(sub) } });
  await connected(socket);
  return { socket, events: recorder(socket) };
}

