// Run by hand (not a test): one socket floods `ping` for a bounded time on
// loopback while a second user pings one at a time; prints the flooder's
// answered events per second, the second user's round trips, and the
// server's CPU during the flood and in each second after the flooder left.
//   SWITCHBOARD_BIN=target/release/switchboard node flood-bench.mjs [seconds] [pings per 10 ms]
import { readFileSync } from 'node:fs';
import { startServer, connected, ask } from './harness.mjs';

const SECONDS = Number(process.argv[2] ?? 10);
const BATCH = Number(process.argv[3] ?? 100);
const AFTER = 10;

/** CPU seconds the process has used so far (user + system). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in ticks of 10 ms
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const server = await startServer();
const pid = server.child.pid;
const flooder = server.client('/', { transports: ['websocket'] });
const other = server.client('/', { transports: ['websocket'] });
await Promise.all([connected(flooder), connected(other)]);

let sent = 0;
let handled = 0;
let refused = 0;
const start = Date.now();
const cpuStart = cpuSeconds(pid);
const flooding = setInterval(() => {
  for (let i = 0; i < BATCH; i++) {
    sent++;
    flooder.emit('ping', (answer) => { if (answer.success === false) refused++; else handled++; });
  }
}, 10);
const trips = [];
const asking = (async () => {
  while (Date.now() - start < SECONDS * 1000) {
    const before = performance.now();
    const answered = await ask(other, 'ping').then(() => true, () => false);
    trips.push(answered ? performance.now() - before : Infinity);
    await sleep(100);
  }
})();
await sleep(SECONDS * 1000);
clearInterval(flooding);
await asking;
const elapsed = (Date.now() - start) / 1000;
const floodCpu = (cpuSeconds(pid) - cpuStart) / elapsed;
flooder.close();
const left = [];
for (let second = 0; second < AFTER; second++) {
  const cpu = cpuSeconds(pid);
  await sleep(1000);
  left.push(Math.round((cpuSeconds(pid) - cpu) * 100));
}
trips.sort((a, b) => a - b);
const percentile = (p) => trips[Math.min(trips.length - 1, Math.floor(p * trips.length))]?.toFixed(1);
console.log(`flood: ${sent} pings offered in ${elapsed.toFixed(1)} s, ${(handled / elapsed).toFixed(0)} handled/s, ${(refused / elapsed).toFixed(0)} refused/s`);
console.log(`server CPU during the flood: ${Math.round(floodCpu * 100)} % of one core`);
console.log(`other user's ping round trip: p50 ${percentile(0.5)} ms, max ${percentile(1)} ms (${trips.length} pings)`);
console.log(`server CPU in each second after the flooder left (% of one core): ${left.join(' ')}`);
await server.stop('SIGKILL');
process.exit(0);
