// The real Claude Code CLI (2.1.330, from npm) end to end: Switchboard runs it
// against a fake Anthropic API on loopback, and socket.io-client watches the
// stream. Run only inside a loopback-only network namespace (scripts/test
// does: `unshare -n`), so the CLI cannot reach any other address.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, tokenFor, ask, connected } from './harness.mjs';
import { recorder } from './claude-harness.mjs';
import { startFakeAnthropic } from './fixtures/fake-anthropic.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const scope = join(here, '..', 'claude-cli', 'node_modules', '@anthropic-ai');

/** The native CLI shipped in the platform package (npm's install script is not needed). */
function nativeClaude() {
  const platform = readdirSync(scope).find((name) => name.startsWith(`claude-code-${process.platform}-${process.arch}`));
  assert.ok(platform, `no native Claude CLI package for ${process.platform}-${process.arch} in ${scope}`);
  const binary = join(scope, platform, 'claude');
  assert.ok(existsSync(binary), binary);
  return binary;
}

let api;
let server;
before(async () => {
  const addresses = Object.values(networkInterfaces()).flat().filter((a) => !a.internal);
  assert.deepEqual(addresses, [], 'this test must run in a loopback-only network namespace');
  api = await startFakeAnthropic({ reply: (body) => `Fake reply number ${body.messages.length} from the loopback API.` });
  server = await startServer({
    env: {
      SWITCHBOARD_CLAUDE_COMMAND: nativeClaude(),
      SWITCHBOARD_CLAUDE_TIMEOUT_MS: '60000',
      ANTHROPIC_BASE_URL: api.url,
      ANTHROPIC_API_KEY: 'sk-ant-test-not-a-real-key',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_MAX_RETRIES: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
      HOME: mkdtempSync(join(tmpdir(), 'switchboard-claude-home-')),
    },
  });
});
after(async () => {
  await server?.stop();
  await api?.close();
});

test('the real CLI streams through Switchboard to a socket.io client', async () => {
  const socket = server.client('/', { transports: ['websocket'], auth: { token: tokenFor('real-cli-user') } });
  await connected(socket);
  const events = recorder(socket);
  const ack = await ask(socket, 'claude:execute', { prompt: 'Say hello', model: 'claude-sonnet-4-5', systemPrompt: 'Be brief.' });
  assert.equal(ack.success, true, JSON.stringify(ack));
  const end = await events.end(ack.processId, 60000);
  assert.equal(end.name, 'claude:complete', `${JSON.stringify(end)}\n${server.logs()}`);

  const chunks = events.of(ack.processId).filter((e) => e.name === 'claude:progress' && e.data);
  assert.ok(chunks.length >= 2, `streamed in chunks: ${JSON.stringify(chunks)}`);
  assert.equal(chunks.map((c) => c.data).join(''), end.output);
  assert.match(end.output, /Fake reply number \d+ from the loopback API\./);
  const parsed = end.result.parsedResponse;
  assert.equal(parsed.content, end.output);
  assert.equal(parsed.stopReason, 'end_turn');
  assert.ok(parsed.usage.outputTokens > 0);
  assert.equal(end.result.exitCode, 0);

  const sent = api.requests.find((r) => r.body.stream);
  assert.ok(sent, 'the CLI called the fake API');
  assert.equal(sent.headers['x-api-key'], 'sk-ant-test-not-a-real-key');
  assert.equal(sent.body.model, 'claude-sonnet-4-5');
  assert.ok(JSON.stringify(sent.body.messages).includes('Say hello'));
  assert.ok(JSON.stringify(sent.body.system).includes('Be brief.'));
  socket.close();
});
