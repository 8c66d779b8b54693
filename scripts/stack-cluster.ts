/**
 * `npm run stack:cluster [-- --base-port N]`: the production topology on this machine
 * (scripts/cluster.ts): PostgreSQL, two Temporal server nodes in one cluster, two workers and two
 * API replicas, state in .data/cluster (kept across restarts), one log per process in
 * .data/cluster/logs. Prints every port and a demo API key. Ctrl-C (SIGINT) or SIGTERM stops every
 * process it started, in reverse order.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKey } from '../db/keys.js';
import { createPool } from '../db/pool.js';
import { highestBasePort, startCluster, type Cluster } from './cluster.js';
import { clusterTopology } from './cluster-topology.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (m: string) => process.stdout.write(`${m}\n`);
const arg = process.argv.indexOf('--base-port');
const basePort = arg > 0 ? Number(process.argv[arg + 1]) : 17300;
if (!Number.isInteger(basePort) || basePort < 1024 || basePort > highestBasePort) {
  process.stderr.write(`usage: npm run stack:cluster [-- --base-port N]   (1024 ≤ N ≤ ${highestBasePort}: Temporal stores ports as smallint; default 17300)\n`);
  process.exit(2);
}

let cluster: Cluster | undefined;
let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  say('\nstopping…');
  await cluster?.stop();
  say('stopped');
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  const t0 = Date.now();
  say('starting the cluster (the first run builds the Temporal server: ~10 min on 2 cores)…');
  cluster = await startCluster({ dir: path.join(root, '.data', 'cluster'), basePort, persistent: true, log: (m) => say(`  ${m}`) });
  const pool = createPool({ DATABASE_URL: cluster.ownerUrl, PG_POOL_MAX: 1, PG_CONNECTION_TIMEOUT_MS: 5000, PG_STATEMENT_TIMEOUT_MS: 30000 });
  const { key } = await createKey(pool, { county: '610124', roles: ['operator', 'supervisor'], label: 'stack:cluster' });
  await pool.end();
  const p = cluster.ports;
  say(`\ncluster ready in ${Math.round((Date.now() - t0) / 1000)} s (namespace ${cluster.namespace}, task queue ${cluster.taskQueue})`);
  say(`  PostgreSQL           127.0.0.1:${p.postgres}  (application database: ${cluster.ownerUrl.replace(/:[^:@/]*@/, ':…@')})`);
  for (const node of clusterTopology.temporalNodes) {
    const n = p.nodes[node]!;
    say(
      `  ${node.padEnd(20)} frontend ${n.frontend.grpc}  history ${n.history.grpc}  matching ${n.matching.grpc}  worker ${n.worker.grpc}  membership ${n.frontend.membership}/${n.history.membership}/${n.matching.membership}/${n.worker.membership}  http ${n.frontendHttp}`,
    );
  }
  for (const a of clusterTopology.apps) {
    say(
      `  ${a.service.padEnd(20)} ${a.kind === 'api' ? `http://127.0.0.1:${p.apis[a.service]}  ` : ''}→ ${a.temporalNode} (${cluster.frontends[a.temporalNode]})`,
    );
  }
  say(`  logs                 ${cluster.logDir}`);
  say(`  API key (610124 operator + supervisor): ${key}`);
  say('\nCtrl-C stops everything.');
} catch (err) {
  process.stderr.write(`stack:cluster: ${(err as Error).message}\n`);
  await stop(1);
}
