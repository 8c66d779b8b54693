/**
 * `npm run bench:import [-- N [ndjson|csv]]`: imports N generated subjects (default 100,000) into a
 * fresh county registry through `POST /v1/subjects/import`, in one streamed HTTP request, then the
 * same N again (every row an update), and prints rows/s and the process's peak RSS (the API and
 * the load generator share it; PostgreSQL runs apart). A measurement, not a test: it asserts
 * only that every row was accepted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { buildApp } from '../../api/app.js';
import { createKey } from '../../db/keys.js';
import { testConfig } from '../helpers/config.js';
import { benchDatabase } from './kit.js';

const N = Number(process.argv[2] ?? 100_000);
const format = (process.argv[3] ?? 'ndjson') as 'ndjson' | 'csv';
const log = (m: string) => process.stdout.write(`${m}\n`);
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-import-'));

const grades = ['A', 'B', 'B', 'C', 'C', 'C', 'D'];
const trades = ['refined-oil', 'catering', 'retail', 'education', 'construction'];
const codeChars = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/** The i-th subject: 70% enterprises (by credit code), the rest sole traders (by name and address). */
function subject(i: number, round: number) {
  const enterprise = i % 10 < 7;
  let n = i;
  let tail = '';
  for (let k = 0; k < 10; k++) {
    tail = codeChars[n % codeChars.length]! + tail;
    n = Math.floor(n / codeChars.length);
  }
  return {
    name: enterprise ? `周至县测试${i}号企业有限公司` : `测试${i}号个体户`,
    kind: enterprise ? 'enterprise' : 'individual-business',
    ...(enterprise ? { creditCode: `91610124${tail}` } : {}),
    county: '610124',
    township: `610124${String(100 + (i % 20)).padStart(3, '0')}`,
    trade: trades[i % trades.length]!,
    tags: i % 3 === 0 ? ['规上企业', '重点区域'] : ['一般'],
    creditGrade: grades[(i + round) % grades.length]!,
    address: `周至县测试路${i}号`,
  };
}

const header = 'name,kind,creditCode,county,township,trade,tags,creditGrade,address\n';
const line = (s: ReturnType<typeof subject>) =>
  format === 'ndjson'
    ? `${JSON.stringify(s)}\n`
    : `${[s.name, s.kind, s.creditCode ?? '', s.county, s.township, s.trade, s.tags.join(';'), s.creditGrade, s.address].join(',')}\n`;

/** Peak resident set size of this process, sampled every 20 ms. */
function rssSampler() {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  return {
    stop: () => {
      clearInterval(t);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

/** One request whose body is written as it is generated (1,000 rows a chunk, waiting for drain). */
function importOnce(port: number, key: string, round: number): Promise<{ status: number; body: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/subjects/import',
        headers: { authorization: `Bearer ${key}`, 'content-type': format === 'ndjson' ? 'application/x-ndjson' : 'text/csv' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, bytes }));
      },
    );
    req.on('error', reject);
    let i = 0;
    let bytes = 0;
    const write = () => {
      while (i < N) {
        let chunk = i === 0 && format === 'csv' ? header : '';
        for (const end = Math.min(N, i + 1000); i < end; i++) chunk += line(subject(i, round));
        bytes += Buffer.byteLength(chunk);
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

async function main() {
  const { pgHandle, pool } = await benchDatabase(dir);
  // The import never calls Temporal: a lazy client that never connects.
  const app = await buildApp({ config: testConfig(), pool, temporal: new Client(), logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const { key } = await createKey(pool, { county: '610124', roles: ['admin'] });
  log(`bench:import ${N} subjects as ${format}, one streamed request each; Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'})`);
  (globalThis as { gc?: () => void }).gc?.();
  log(`before: RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`);
  try {
    for (const [round, what] of [
      [0, 'register'],
      [1, 'update (grades shifted by one)'],
    ] as const) {
      const sampler = rssSampler();
      const t0 = performance.now();
      const res = await importOnce(port, key, round);
      const ms = performance.now() - t0;
      const peak = sampler.stop();
      const answer = JSON.parse(res.body) as { accepted: number; created: number; updated: number; refusedCount: number };
      if (res.status !== 200 || answer.accepted !== N) throw new Error(`import answered ${res.status}: ${res.body.slice(0, 300)}`);
      // With --expose-gc (the npm script): the heap left once garbage is collected, i.e. what the import kept.
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      const kept = gc ? `; heap after GC ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB` : '';
      log(
        `${what}: ${N} rows (${(res.bytes / 2 ** 20).toFixed(1)} MiB) in ${(ms / 1000).toFixed(1)} s = ${Math.round((N / ms) * 1000)} rows/s; ` +
          `created ${answer.created}, updated ${answer.updated}, refused ${answer.refusedCount}; peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB${kept}`,
      );
    }
    const counts = await pool.query<{ subjects: string; history: string }>(
      'SELECT (SELECT count(*) FROM subjects) AS subjects, (SELECT count(*) FROM subject_credit_history) AS history',
    );
    log(`rows: subjects ${counts.rows[0]!.subjects}, credit history ${counts.rows[0]!.history}`);
  } finally {
    await app.close();
    await pool.end();
    await pgHandle.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
