/**
 * The draw inside the workflow sandbox (domain/draw.ts must run there: no Node built-ins, no
 * `crypto`): a test-only workflow bundled on its own runs a draw, a re-draw and a verification on
 * the time-skipping test server, and the result equals the one computed in Node, byte for byte.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { draw, drawSeed, redraw, type DrawPlan, type RegistrySnapshot } from '../../domain/draw.js';
import { timeSkippingEnv } from '../helpers/temporal.js';
import { drawInSandbox } from './fixtures/draw-workflow.js';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await timeSkippingEnv();
}, 120_000);
afterAll(async () => {
  await env?.teardown();
});

const sid = (n: number) => `s-${n.toString(16).padStart(32, '0')}`;
const snapshot: RegistrySnapshot = {
  county: '610124',
  subjects: Array.from({ length: 200 }, (_, n) => ({
    id: sid(n),
    kind: 'enterprise',
    county: '610124',
    township: '610124100',
    trade: n % 2 ? 'catering' : 'refined-oil',
    // Tags out of order and a four-byte character: the canonical form and the UTF-8 both matter.
    tags: n % 3 ? ['重点区域', '规上企业'] : ['𠀋字号'],
    creditGrade: (['A', 'B', 'C', 'D'] as const)[n % 4]!,
  })),
  inspectors: Array.from({ length: 30 }, (_, n) => ({
    id: `i-${String(n).padStart(2, '0')}`,
    department: ['market', 'commerce', 'emergency'][n % 3]!,
    certificateNo: `ZF-${n}`,
    qualifications: [],
    specialties: [],
    active: n % 7 !== 0,
    conflicts: [sid(n), sid(n + 1)],
  })),
};
const plan: DrawPlan = {
  items: ['SC-001'],
  departments: ['commerce', 'market', 'emergency'],
  ratios: { A: 0.05, B: 0.2, C: 0.5, D: 1 },
  recentInspections: [{ subjectId: sid(5), itemId: 'SC-001', on: '2026-05-02', inspectorIds: ['i-01'] }],
  window: { from: '2026-04-01', to: '2026-06-30' },
};
const seed = drawSeed('round-sandbox', '2026-06-01');

test('the draw, a re-draw and the verification give in the sandbox what they give in Node', async () => {
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./fixtures/draw-workflow.ts'),
    logger: { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} } as never,
  });
  const taskQueue = `draw-sandbox-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle });
  const out = await worker.runUntil(
    env.client.workflow.execute(drawInSandbox, { taskQueue, workflowId: `draw-sandbox-${randomUUID()}`, args: [snapshot, plan, seed] }),
  );
  const first = draw(snapshot, plan, seed);
  const s = first.subjects[0]!;
  const o = redraw(snapshot, plan, first, { subjectId: s.subjectId, department: 'commerce', inspectorIds: [s.inspectors.commerce![0]!] });
  expect(o.ok).toBe(true);
  expect(out.verified).toBe(true);
  expect(out.result).toEqual(o.ok ? o.result : undefined);
  expect(out.result.recusals).toHaveLength(1);
  expect(out.result.subjects.length).toBeGreaterThan(40);
  // The sandbox has its own TextEncoder: the snapshot's UTF-8 takes the platform's path there too.
  expect(out.hasTextEncoder).toBe(true);
}, 180_000);
