/**
 * `npm run demo` (or `npm start -- --demo`): seeds a handful of matters in each pilot scenario
 * through the running API, as the demo principals would, and works a few steps forward, so a
 * first-time user sees real timelines in the Temporal UI and real work in each inbox.
 * Idempotent: every launch carries an Idempotency-Key, so running it twice adds nothing.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../domain/config.js';

interface DemoKey {
  label: string;
  county: string;
  department?: string;
  roles: string[];
  key: string;
}

/** Polls `list` (bounded) until it returns items; empty after `timeoutMs`. */
async function waitForSteps(
  list: () => Promise<Record<string, any>>,
  timeoutMs: number,
): Promise<{ taskId: string; title: string; state: string; stateName?: string }[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const items = (await list()).items as { taskId: string; title: string; state: string; stateName?: string }[];
    if (items.length || Date.now() >= until) return items;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Launches the demo matters and works the first housing step, saying what it did through `log`.
 * `stepTimeoutMs`: how long to wait for the worker to assign the first step (default 3 minutes).
 */
export async function seedDemo(
  api: string,
  keys: DemoKey[],
  log: (m: string) => void = (m) => process.stdout.write(`${m}\n`),
  opts: { stepTimeoutMs?: number } = {},
) {
  const keyOf = (pred: (k: DemoKey) => boolean) => keys.find(pred)?.key;
  const operator = keyOf((k) => k.county === '610124' && k.roles.includes('operator'))!;
  const officer = (department: string) => keyOf((k) => k.department === department);

  async function call(key: string, method: string, url: string, body?: unknown, extra: Record<string, string> = {}) {
    const res = await fetch(`${api}${url}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}), ...extra },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json()) as Record<string, any>;
    if (res.status >= 400 && res.status !== 409) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json.error ?? json)}`);
    return json;
  }

  const launches = [
    {
      id: 'sbh-1',
      body: {
        scenario: 'self-built-housing',
        county: '610124',
        subject: { name: '某村民自建房', kind: 'house' },
        facts: { township: '610124100', reportedHazard: true, storeys: 4 },
        source: { channel: '12345' },
      },
    },
    {
      id: 'sbh-2',
      body: {
        scenario: 'self-built-housing',
        county: '610124',
        subject: { name: '某农家乐', kind: 'individual-business' },
        facts: { township: '610124101', businessUse: { trade: 'catering' } },
        source: { channel: 'inspection-plan' },
      },
    },
    {
      id: 'oil-1',
      body: {
        scenario: 'refined-oil',
        county: '610124',
        subject: { name: '某石油销售有限公司', kind: 'enterprise', creditCode: '91610124MA6TG1XK2C' },
        facts: { township: '610124100', stationKind: 'licensed-station', participants: ['safety', 'quality'] },
        source: { channel: 'inspection-plan' },
      },
    },
    {
      id: 'oil-2',
      body: {
        scenario: 'refined-oil',
        county: '610124',
        subject: { name: '疑似黑加油点', kind: 'other' },
        facts: { township: '610124102', stationKind: 'suspected-black-station', participants: ['safety', 'quality'] },
        source: { channel: '12345' },
      },
    },
    {
      id: 'card-1',
      body: {
        scenario: 'prepaid-card',
        county: '610124',
        subject: { name: '某健身房', kind: 'enterprise', creditCode: '91610124MA6TG2AB3D' },
        facts: { trade: 'sports', signal: 'store-closing', consumers: 120 },
        source: { channel: '12345' },
      },
    },
    {
      id: 'card-2',
      body: {
        scenario: 'prepaid-card',
        county: '610124',
        subject: { name: '某培训机构', kind: 'enterprise', creditCode: '91610124MA6TG3CD4E' },
        facts: { trade: 'education', signal: 'complaint', amountYuan: 5800 },
        source: { channel: 'online' },
      },
    },
  ];

  const matters: string[] = [];
  for (const l of launches) {
    const m = await call(operator, 'POST', '/v1/matters', l.body, { 'idempotency-key': `demo-${l.id}` });
    matters.push(m.matterId);
    log(`  ${m.matterId}  ${m.scenarioName} · ${m.stageName}`);
  }

  // Move the first housing matter forward: the housing bureau signs for and answers its survey step.
  // The step exists once the worker has run the matter, which may take a while on a first start
  // (the worker bundles the workflows first): wait for its row in the inbox, not a fixed time.
  const housing = officer('housing');
  if (!housing) {
    log('  no step worked: there is no demo key of the housing bureau');
    return matters;
  }
  const first = matters[0]!;
  log(`  waiting for the worker to assign the first steps of ${first}…`);
  const steps = await waitForSteps(() => call(housing, 'GET', `/v1/tasks?matterId=${encodeURIComponent(first)}`), opts.stepTimeoutMs ?? 180_000);
  if (!steps.length) {
    log(`  no step worked: ${first} has no housing step after ${Math.round((opts.stepTimeoutMs ?? 180_000) / 1000)} s (is the worker running?)`);
    return matters;
  }
  for (const t of steps) {
    let state = t.state;
    if (state === 'assigned') {
      await call(housing, 'POST', `/v1/tasks/${t.taskId}/sign`, undefined, { 'idempotency-key': `demo-sign-${t.taskId.slice(-40).replace(/[^\w.:-]/g, '-')}` });
      state = 'signed';
    }
    if (state === 'signed') {
      const detail = await call(housing, 'GET', `/v1/tasks/${t.taskId}`);
      const outcome = (detail.outcomes as string[] | undefined)?.[0] ?? 'appraisal-needed';
      await call(housing, 'POST', `/v1/tasks/${t.taskId}/submit`, { summary: '已组织初步研判，建议委托鉴定', outcome });
      log(`  worked: the housing bureau signed for and submitted ${t.taskId} (「${t.title}」, outcome ${outcome}); it awaits review`);
    } else {
      log(`  already worked: ${t.taskId} (「${t.title}」) is ${t.stateName ?? state}`);
    }
  }
  return matters;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const config = loadConfig(process.env);
  const keys = JSON.parse(readFileSync(path.join(config.DATA_DIR, 'demo-keys.json'), 'utf8')) as DemoKey[];
  const api = `http://${config.API_HOST === '0.0.0.0' ? '127.0.0.1' : config.API_HOST}:${config.API_PORT}`;
  process.stdout.write(`seeding demo matters through ${api}\n`);
  seedDemo(api, keys).then(
    (m) => process.stdout.write(`${m.length} demo matters ready; open the Temporal UI to watch them.\n`),
    (err: unknown) => {
      process.stderr.write(`demo: ${(err as Error).message}\n(is \`npm start\` running?)\n`);
      process.exit(1);
    },
  );
}
