// Crash recovery: a node killed with SIGKILL skips its shutdown, so the
// Claude CLI it ran and the CLI's own children keep running, adopted by
// PID 1. The restarted node kills what its previous life left behind
// (the recorded process groups) before it marks those runs INTERRUPTED.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ask, eventually, startServer, tokenFor } from './harness.mjs';
import { claudeServer, user, FAKE_CLAUDE } from './claude-harness.mjs';

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if (error.code === 'ESRCH') return false;
    throw error;
  }
};

test('a restarted node kills the CLI and its children a kill -9 left running, then marks the run INTERRUPTED', async (t) => {
  const server = await claudeServer();
  const project = join(server.roots, 'project');
  const pidsFile = join(project, 'pids.json');
  let pids = null;
  let restarted = null;
  t.after(async () => {
    // Whatever happens, nothing of this test outlives it.
    for (const pid of pids ? [pids.cli, pids.tool] : []) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await server.stop('SIGKILL');
    if (restarted) await restarted.stop();
  });

  const { socket, events } = await user(server, 'orla');
  const ack = await ask(socket, 'claude:execute', { prompt: 'scenario:orphans', workingDirectory: project });
  assert.equal(ack.success, true, JSON.stringify(ack));
  const id = ack.processId;
  await eventually(() => existsSync(pidsFile) && events.of(id).some((e) => e.data), 10000);
  pids = JSON.parse(readFileSync(pidsFile, 'utf8'));
  socket.close();

  server.child.kill('SIGKILL');
  await server.exited;
  // The scenario: both survive the server's death.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.ok(alive(pids.cli), 'the CLI outlives a kill -9 of its server');
  assert.ok(alive(pids.tool), "the CLI's child outlives a kill -9 of its server");

  const port = Number(new URL(server.url).port);
  restarted = await startServer({
    dataDir: server.dataDir,
    port,
    env: {
      SWITCHBOARD_CLAUDE_COMMAND: FAKE_CLAUDE,
      SWITCHBOARD_CLAUDE_ALLOWED_ROOTS: server.roots,
      SWITCHBOARD_CLAUDE_KILL_GRACE_MS: '300',
    },
  });
  const deadline = Date.now() + 5000;
  while ((alive(pids.cli) || alive(pids.tool)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(!alive(pids.cli), `the CLI (pid ${pids.cli}) is killed by the restarted node`);
  assert.ok(!alive(pids.tool), `the CLI's child (pid ${pids.tool}) is killed by the restarted node`);
  assert.match(restarted.logs(), /killed the process group a previous run of the server left behind/);

  const response = await fetch(`${restarted.url}/api/v1/processes/${id}`, { headers: { Authorization: `Bearer ${tokenFor('orla')}` } });
  assert.equal(response.status, 200);
  const stored = await response.json();
  assert.equal(stored.status, 'failed');
  assert.equal(stored.error.code, 'INTERRUPTED');
});
