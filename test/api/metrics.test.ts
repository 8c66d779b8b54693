/**
 * `GET /metrics` (issue 15 §2): after known requests the HTTP counter and histogram hold exactly
 * those, by route template and status; the business gauges equal what rows written through the
 * recording activities imply; no label carries an id or a name. The worker's Temporal SDK metrics
 * are served by the Runtime the worker installs (worker/telemetry.ts), scraped here from the
 * harness's own worker. And the Grafana dashboard queries only metrics these two endpoints export.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createKey } from '../../db/keys.js';
import { enqueueDeliveries } from '../../db/webhooks.js';
import { untouchedTask, type TaskState, type TaskView } from '../../domain/task.js';
import { durationBuckets } from '../../api/metrics.js';
import { businessQueryTimeoutMs } from '../../api/routes/metrics.js';
import { startApiHarness, type ApiHarness } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';
import { metricsRuntime } from '../helpers/temporal.js';

let h: ApiHarness;
let acts: ReturnType<typeof createActivities>;
let workerScrape: () => Promise<string>;
let adminKey: string;

/** A free local port for the worker's exporter (the SDK takes an address, not port 0's answer). */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a text exposition (comments skipped). */
function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(l);
      if (!m) throw new Error(`not an exposition line: ${l}`);
      const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

const scrape = async () => {
  const res = await h.call('GET', '/metrics', { as: null });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  return { text: res.text, samples: parse(res.text) };
};

/** `name{labels}` → value, for the samples of one metric (labels in a fixed order). */
const series = (samples: Sample[], name: string, drop: string[] = []) =>
  Object.fromEntries(
    samples
      .filter((s) => s.name === name)
      .map((s) => [
        Object.entries(s.labels)
          .filter(([k]) => !drop.includes(k))
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
        s.value,
      ]),
  );

const now = () => new Date().toISOString();

/** One task as its workflow records it: the same activity, the same read model. */
async function seedTask(
  n: number,
  s: { county?: string; department: string; state: TaskState; overdue?: boolean; level?: number; notify?: boolean },
): Promise<string> {
  const county = s.county ?? '610124';
  const taskId = `task:${county}:${s.department.replace(':', '-')}:2026-${String(n).padStart(4, '0')}`;
  const view: TaskView = {
    taskId,
    county,
    department: s.department,
    title: '张三自建房安全隐患核查',
    instructions: '',
    state: s.state,
    assignedAt: now(),
    ...untouchedTask(),
    overdue: s.overdue ?? false,
    escalationLevel: s.level ?? 0,
    ...(['completed', 'returned', 'cancelled', 'reassigned'].includes(s.state) ? { closedAt: now() } : {}),
    lastEventSeq: 1,
  };
  await acts.recordTaskEvent({
    event: {
      workflowId: taskId,
      seq: 1,
      county,
      at: now(),
      type: 'assigned',
      summary: '派单',
      ...(s.notify
        ? { notifications: [{ kind: 'task.assigned', title: '新任务：张三自建房', body: '请签收', recipients: [{ county, department: s.department }] }] }
        : {}),
    },
    view,
  });
  return taskId;
}

beforeAll(async () => {
  // The Runtime the worker process installs, before the harness makes its first connection.
  const port = await freePort();
  metricsRuntime(`127.0.0.1:${port}`);
  h = await startApiHarness();
  acts = createActivities({ pool: h.db.pool });
  adminKey = (await createKey(h.db.pool, { county: '610124', roles: ['admin'], label: 'test admin' })).key;
  // Housing's webhook endpoint, before its notifications (a delivery is made for what comes after).
  const put = await h.call('PUT', '/v1/webhooks/610124/department:housing', {
    as: { authorization: `Bearer ${adminKey}` },
    body: { url: 'http://127.0.0.1:9/hook', secret: 's'.repeat(40) },
  });
  expect(put.status, put.text).toBe(201);

  await seedTask(1, { department: 'housing', state: 'assigned', notify: true });
  await seedTask(2, { department: 'housing', state: 'signed', overdue: true, level: 3, notify: true });
  await seedTask(3, { department: 'housing', state: 'signed', level: 1 });
  await seedTask(4, { department: 'market', state: 'assigned', overdue: true, level: 5 });
  // Closed: counted nowhere, whatever its last flags said.
  await seedTask(5, { department: 'market', state: 'completed', overdue: true, level: 4 });
  await seedTask(6, { department: 'township:610124100', state: 'submitted' });
  await seedTask(7, { county: '610122', department: 'housing', state: 'rework' });
  await seedTask(8, { county: '610122', department: 'housing', state: 'returned' });

  // Two verification runs; the later one found a break.
  await acts.recordAuditVerification({ workflowId: 'audit-verification:2026-12-05', at: '2026-12-05T02:30:00+08:00', chains: [], legacyOk: true, events: [] });
  await acts.recordAuditVerification({
    workflowId: 'audit-verification:2026-12-06',
    at: '2026-12-06T02:30:00+08:00',
    chains: [{ county: '610124', ok: false, checked: 3, head: null }],
    legacyOk: true,
    events: [],
  });

  workerScrape = () =>
    fetch(`http://127.0.0.1:${port}/metrics`).then(
      (r) => r.text(),
      () => '',
    );
});
afterAll(async () => h?.close());

describe('GET /metrics', () => {
  test('HTTP requests counted by method, route template and status, exactly; durations in the histogram', async () => {
    for (let i = 0; i < 3; i++) expect((await h.call('GET', '/v1/tasks', { as: 'housing' })).status).toBe(200);
    expect((await h.call('GET', '/v1/tasks/task:610124:housing:2026-0001', { as: 'housing' })).status).toBe(200);
    expect((await h.call('GET', '/v1/tasks/task:610124:housing:2026-0999', { as: 'housing' })).status).toBe(404);
    expect((await h.call('GET', '/v1/tasks', { as: null })).status).toBe(401);
    expect((await h.call('GET', '/no/such/place/张三', { as: null })).status).toBe(404);
    expect((await h.call('GET', '/healthz', { as: null })).status).toBe(200);

    const { samples } = await scrape();
    expect(series(samples, 'supervision_http_requests_total')).toEqual({
      'method=PUT,route=/v1/webhooks/:county/:target,status=201': 1,
      'method=GET,route=/v1/tasks,status=200': 3,
      'method=GET,route=/v1/tasks/:taskId,status=200': 1,
      'method=GET,route=/v1/tasks/:taskId,status=404': 1,
      'method=GET,route=/v1/tasks,status=401': 1,
      'method=GET,route=(unmatched),status=404': 1,
      'method=GET,route=/healthz,status=200': 1,
    });
    // The histogram: every bucket, +Inf equal to the count, the count equal to the counter's.
    const counts = series(samples, 'supervision_http_request_duration_seconds_count');
    expect(counts).toEqual(series(samples, 'supervision_http_requests_total'));
    const inf = series(
      samples.filter((s) => s.labels.le === '+Inf'),
      'supervision_http_request_duration_seconds_bucket',
      ['le'],
    );
    expect(inf).toEqual(counts);
    const tasksBuckets = samples.filter(
      (s) => s.name === 'supervision_http_request_duration_seconds_bucket' && s.labels.route === '/v1/tasks' && s.labels.status === '200',
    );
    expect(tasksBuckets.map((s) => s.labels.le)).toEqual([...durationBuckets.map(String), '+Inf']);
    // Cumulative: never decreasing.
    expect(tasksBuckets.map((s) => s.value)).toEqual([...tasksBuckets.map((s) => s.value)].sort((a, b) => a - b));
    const sum = series(samples, 'supervision_http_request_duration_seconds_sum')['method=GET,route=/v1/tasks,status=200']!;
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(30);

    // The scrape itself is counted once it has been answered.
    const again = await scrape();
    expect(series(again.samples, 'supervision_http_requests_total')['method=GET,route=/metrics,status=200']).toBe(1);
  });

  test('the business gauges equal what the recorded rows imply', async () => {
    // Two notifications to housing, one endpoint: two deliveries waiting (no dispatcher runs here).
    expect(await enqueueDeliveries(h.db.pool, 3_600_000)).toBe(2);
    const { samples } = await scrape();
    expect(series(samples, 'supervision_business_metrics_up')).toEqual({ '': 1 });
    expect(series(samples, 'supervision_tasks_open')).toEqual({
      'county=610122,department=housing,state=rework': 1,
      'county=610124,department=housing,state=assigned': 1,
      'county=610124,department=housing,state=signed': 2,
      'county=610124,department=market,state=assigned': 1,
      'county=610124,department=township:610124100,state=submitted': 1,
    });
    expect(series(samples, 'supervision_tasks_overdue')).toEqual({
      'county=610124,department=housing': 1,
      'county=610124,department=market': 1,
    });
    expect(series(samples, 'supervision_tasks_escalation_level')).toEqual({
      'county=610122,level=0': 1,
      'county=610124,level=0': 2,
      'county=610124,level=1': 1,
      'county=610124,level=3': 1,
      'county=610124,level=5': 1,
    });
    expect(series(samples, 'supervision_webhook_deliveries_pending')).toEqual({ '': 2 });
    const age = series(samples, 'supervision_webhook_oldest_pending_age_seconds')['']!;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(600);
    expect(series(samples, 'supervision_audit_verification_last_timestamp_seconds')).toEqual({ '': Date.parse('2026-12-06T02:30:00+08:00') / 1000 });
    expect(series(samples, 'supervision_audit_verification_last_ok')).toEqual({ '': 0 });
  });

  test('a database that does not answer within 2 s costs the business gauges of that scrape, not the scrape', async () => {
    // Another transaction holds the read model locked: the scrape's read waits, and PostgreSQL cancels it.
    const locker = await h.db.pool.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      const { samples } = await scrape();
      const took = Date.now() - started;
      expect(series(samples, 'supervision_business_metrics_up')).toEqual({ '': 0 });
      expect(samples.filter((s) => s.name.startsWith('supervision_tasks_'))).toEqual([]);
      expect(series(samples, 'supervision_http_requests_total')['method=GET,route=/v1/tasks,status=200']).toBe(3);
      expect(took).toBeGreaterThanOrEqual(businessQueryTimeoutMs - 50);
      expect(took).toBeLessThan(businessQueryTimeoutMs + 3000);
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
    // And the next scrape reads them again.
    expect(series((await scrape()).samples, 'supervision_business_metrics_up')).toEqual({ '': 1 });
  });

  test('no label value is an id, a name or free text: codes, states, route templates only', async () => {
    const { text, samples } = await scrape();
    expect(text).not.toMatch(/张三|2026-0\d{3}|task:|自建房/);
    const allowed: Record<string, RegExp> = {
      method: /^[A-Z]+$/,
      route: /^(\/[\w.:{}-]*)+$|^\(unmatched\)$/,
      status: /^\d{3}$/,
      le: /^(\d+(\.\d+)?|\+Inf)$/,
      county: /^\d{6}$/,
      department: /^[a-z-]+$|^township:\d{6,12}$/,
      state: /^[a-z-]+$/,
      level: /^\d$/,
    };
    for (const s of samples) {
      for (const [k, v] of Object.entries(s.labels)) {
        expect(allowed[k], `${s.name}: label ${k}`).toBeDefined();
        expect(v, `${s.name}{${k}}`).toMatch(allowed[k]!);
      }
    }
  });

  test('the worker serves the Temporal SDK’s metrics, Prometheus-style names, once it has run a workflow', async () => {
    // A standalone task: a workflow task and the recording activity run on the harness's worker.
    const res = await h.call('POST', '/v1/tasks', {
      as: 'operator',
      body: { department: 'housing', leadDepartment: 'commerce', title: '核查', instructions: '现场核查并反馈' },
    });
    expect(res.status, res.text).toBe(201);
    const text = await eventually(
      async () => {
        const t = await workerScrape();
        return /^temporal_activity_execution_latency_seconds_count/m.test(t) && t;
      },
      { message: 'the worker’s exporter shows the activity it ran' },
    );
    const names = new Set(parse(text).map((s) => s.name));
    expect([...names].every((n) => n.startsWith('temporal_'))).toBe(true);
    for (const n of ['temporal_workflow_task_execution_latency_seconds_bucket', 'temporal_worker_task_slots_available', 'temporal_request_total']) {
      expect(names).toContain(n);
    }
  });
});

describe('deploy/grafana-dashboard.json', () => {
  const dashboard = JSON.parse(readFileSync(new URL('../../deploy/grafana-dashboard.json', import.meta.url), 'utf8')) as {
    title: string;
    panels: { title: string; type: string; targets?: { expr: string }[] }[];
  };

  test('every metric a panel queries is one the API or the worker exports', async () => {
    const exported = new Set([...parse((await scrape()).text), ...parse(await workerScrape())].map((s) => s.name));
    const queried = new Set<string>();
    for (const p of dashboard.panels.filter((x) => x.type !== 'row')) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) {
        for (const m of t.expr.matchAll(/\b(supervision_\w+|temporal_\w+)/g)) queried.add(m[1]!);
      }
    }
    expect([...queried].filter((n) => !exported.has(n))).toEqual([]);
    // It covers each family this issue asks for.
    for (const family of [
      'supervision_http_requests_total',
      'supervision_http_request_duration_seconds_bucket',
      'supervision_tasks_open',
      'supervision_tasks_overdue',
      'supervision_tasks_escalation_level',
      'supervision_webhook_deliveries_pending',
      'supervision_audit_verification_last_ok',
    ]) {
      expect(queried, family).toContain(family);
    }
    expect([...queried].some((n) => n.startsWith('temporal_'))).toBe(true);
  });
});
