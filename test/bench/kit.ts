/**
 * What the scale benchmarks (`bench:open-matters`, `bench:history`) share: the machine line every
 * figure is recorded with, a production-like payload codec, a history's size as Temporal counts it,
 * a refined-oil matter's input and percentiles. Measurement helpers, not tests: nothing here asserts.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { MatterInput } from '../../domain/matter.js';
import { parsePayloadKeys } from '../../domain/payload-keys.js';
import { catalogue } from '../../domain/scenarios/catalogue.js';
import { resolveScenario } from '../../domain/scenarios/schema.js';
import { newPayloadKeySpec, payloadDataConverter } from '../../worker/payload-codec.js';
import { migrate } from '../../db/migrate.js';
import { createPool, type Pool } from '../../db/pool.js';
import { freePort, startEmbeddedPostgres } from '../../scripts/dev-stack.js';

export const log = (m: string) => process.stdout.write(`${m}\n`);

/**
 * A throwaway PostgreSQL under `dir` with a migrated database `bench`: the handle (to stop it), the
 * database's URL and a pool of `poolMax` connections whose statements time out after `statementTimeoutMs`.
 */
export async function benchDatabase(dir: string, o: { poolMax?: number; statementTimeoutMs?: number } = {}) {
  const pgHandle = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), port: await freePort(), persistent: false });
  const admin = new pg.Client({ connectionString: pgHandle.url });
  await admin.connect();
  await admin.query('CREATE DATABASE bench');
  await admin.end();
  const url = pgHandle.urlFor('bench');
  const pool: Pool = createPool({
    DATABASE_URL: url,
    PG_POOL_MAX: o.poolMax ?? 10,
    PG_CONNECTION_TIMEOUT_MS: 10_000,
    PG_STATEMENT_TIMEOUT_MS: o.statementTimeoutMs ?? 30_000,
  });
  await migrate(pool);
  return { pgHandle, url, pool };
}

/** The machine and how busy it is now (the 2 cores are shared: every figure carries this line). */
export function machine(): string {
  const cpus = os.cpus();
  const [l1, l5, l15] = os.loadavg().map((l) => l.toFixed(2));
  let uptime = '';
  try {
    uptime = execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    uptime = `load average: ${l1}, ${l5}, ${l15}`;
  }
  return `${new Date().toISOString()}  node ${process.version}, ${cpus.length} cores (${cpus[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB  |  ${uptime}`;
}

/** The codec production runs with (AES-256-GCM, worker/payload-codec.ts), on a fresh key: history bytes as in production. */
export function productionCodec(): DataConverter {
  return payloadDataConverter(parsePayloadKeys(newPayloadKeySpec('bench')));
}

/**
 * Temporal's history limits of server v1.29.1, `go.temporal.io/server@v1.29.1`
 * common/dynamicconfig/constants.go: `limit.historyCount.error` 50*1024 events and
 * `limit.historySize.error` 50*1024*1024 bytes per run (the run is terminated past them);
 * continue-as-new is suggested at `limit.historyCount.suggestContinueAsNew` 4*1024 events or
 * `limit.historySize.suggestContinueAsNew` 4*1024*1024 bytes; warnings at 10*1024 events / 10 MiB.
 */
export const HISTORY_LIMITS = { events: 50 * 1024, bytes: 50 * 1024 * 1024, suggestEvents: 4 * 1024, suggestBytes: 4 * 1024 * 1024 } as const;

export interface RunSize {
  workflowId: string;
  runId: string;
  events: number;
  /** The run's events encoded as protobuf (`History`), as the server stores and counts them. */
  bytes: number;
  /** The largest single event's encoded size. */
  largestEvent: number;
  /** Set when the run ended by continuing as new. */
  continuedAsNew: boolean;
}

const { History, HistoryEvent } = proto.temporal.api.history.v1;
const CONTINUED_AS_NEW = proto.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW;

/** Every run of a workflow id, oldest first: from the latest run back along `continuedExecutionRunId`. */
export async function runSizes(client: Client, workflowId: string): Promise<RunSize[]> {
  const sizes: RunSize[] = [];
  let runId: string | undefined;
  for (;;) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    const first = events[0];
    const last = events[events.length - 1];
    sizes.unshift({
      workflowId,
      runId: runId ?? '(latest)',
      events: events.length,
      bytes: History.encode(history).finish().length,
      largestEvent: Math.max(0, ...events.map((e) => HistoryEvent.encode(e).finish().length)),
      continuedAsNew: Number(last?.eventType) === CONTINUED_AS_NEW,
    });
    runId = first?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
    if (!runId) return sizes;
  }
}

/** A refined-oil matter (DOMAIN §3.1) whose joint visit gives `participants` + the lead one task each. */
export function refinedOilInput(participants: string[], ref: string): MatterInput {
  return {
    county: '610124',
    subject: { name: `周至县某加油站${ref}`, kind: 'enterprise', creditCode: '91610124MA6TG1234X' },
    facts: { township: '610124100', stationKind: 'licensed-station', participants },
    definition: resolveScenario(catalogue['refined-oil'], undefined),
    createdBy: 'bench',
  };
}

/** Nearest-rank percentile of a sorted list. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
