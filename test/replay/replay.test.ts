import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, test } from 'vitest';
import { quietRuntime, workflowBundle } from '../helpers/temporal.js';
import * as workflows from '../../workflows/index.js';
import { bundleWorkflows, workflowsPath } from '../../worker/worker.js';

/**
 * Every recorded history (test/replay/histories, made by `npm run record:histories`) must replay
 * with today's workflow code: a change that would break running workflows fails here and needs a
 * patched() branch.
 */
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'histories');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('replay of recorded histories', () => {
  test('there is a recorded history for every workflow type', () => {
    const types = new Set(
      files.map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')).events[0].workflowExecutionStartedEventAttributes.workflowType.name as string),
    );
    expect([...types].sort()).toEqual(Object.keys(workflows).sort());
  });

  // The bundle's entry point (worker/workflow-entry.cjs) names the types again, each behind a
  // getter; the replays below go through it, so a getter that loads the wrong module fails there.
  test('the bundle’s entry point offers exactly the workflow types of workflows/index.ts', () => {
    expect(Object.keys(createRequire(import.meta.url)(workflowsPath)).sort()).toEqual(Object.keys(workflows).sort());
  });

  test.each(files)('%s replays deterministically', async (file) => {
    quietRuntime();
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file.replace(/\.json$/, '').replaceAll('~', '/'));
  });

  // A worker that traces (worker/tracing.ts) runs the same histories: the OpenTelemetry workflow
  // interceptors add spans and headers, never a command, so switching tracing on or off (or
  // workers of both kinds on one queue) never breaks a running workflow.
  let traced: ReturnType<typeof bundleWorkflows> | undefined;
  test.each(files)('%s replays deterministically with the tracing interceptors', async (file) => {
    quietRuntime();
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
    await Worker.runReplayHistory(
      { workflowBundle: await (traced ??= bundleWorkflows({ tracing: true })), sinks: { exporter: { export: { fn: () => {} } } } },
      history,
      file.replace(/\.json$/, '').replaceAll('~', '/'),
    );
  });
});

/** The inputs of a history's `type` activities, decoded (recorded histories are plain JSON payloads). */
function activityInputs(file: string, type: string): Record<string, any>[] {
  const events = JSON.parse(readFileSync(path.join(dir, file), 'utf8')).events as Record<string, any>[];
  return events
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type)
    .map((e) => JSON.parse(Buffer.from(e.activityTaskScheduledEventAttributes.input.payloads[0].data, 'base64').toString('utf8')));
}

describe('what recording activities carry', () => {
  test('after patched(slim-recording) only a matter’s first record carries its subject and facts; before it, every one did', () => {
    const slim = activityInputs('prepaid-card-recorded-slim.json', 'recordMatterEvent');
    expect(slim.length).toBeGreaterThan(5);
    expect(slim.map((i) => 'subject' in i.view && 'facts' in i.view)).toEqual([true, ...Array(slim.length - 1).fill(false)]);
    expect(slim.slice(1).every((i) => JSON.stringify(i).includes('某游泳馆') === false)).toBe(true);
    const old = activityInputs('prepaid-card-complaint-told.json', 'recordMatterEvent');
    expect(old.every((i) => 'subject' in i.view)).toBe(true);
  });
});

describe('what recording activities carry after patched(delta-recording)', () => {
  /** For each write, whether its view or patch (not its event) holds `text`. */
  const carries = (file: string, type: string, text: string) => activityInputs(file, type).map((i) => JSON.stringify(i.view ?? i.patch).includes(text));
  const kinds = (file: string, type: string) => activityInputs(file, type).map((i) => ('view' in i ? 'view' : 'patch'));

  test('a task’s first write carries its view, every later one what changed: its instructions once, a submission and an extension reason when they change', () => {
    const file = 'department-task-recorded-as-changes.json';
    expect(kinds(file, 'recordTaskEvent')).toEqual(['view', ...Array(7).fill('patch')]);
    expect(carries(file, 'recordTaskEvent', '现场核查')).toEqual([true, false, false, false, false, false, false, false]);
    // 需检测 is the extension's reason: asked (3) and decided (4); 初步核查 the first submission (5).
    expect(carries(file, 'recordTaskEvent', '需检测')).toEqual([false, false, true, true, false, false, false, false]);
    expect(carries(file, 'recordTaskEvent', '初步核查')).toEqual([false, false, false, false, true, false, false, false]);
    const last = activityInputs(file, 'recordTaskEvent').at(-1)!;
    expect(last.patch).toMatchObject({
      set: { taskId: 'department-task-recorded-as-changes', county: '610124', state: 'completed', lastEventSeq: 8 },
      unset: ['currentDeadline'],
    });
    // Before the patch every write carried everything.
    const old = 'department-task-completed-with-extension-and-rework.json';
    expect(carries(old, 'recordTaskEvent', '现场核查')).toEqual(Array(8).fill(true));
    expect(carries(old, 'recordTaskEvent', '需检测')).toEqual([false, false, true, true, true, true, true, true]);
  });

  test('a matter’s subject and a dispute’s reason travel with the first write only', () => {
    const matter = 'prepaid-card-recorded-as-changes.json';
    expect(kinds(matter, 'recordMatterEvent')).toEqual(['view', ...Array(15).fill('patch')]);
    expect(carries(matter, 'recordMatterEvent', '某溜冰场')).toEqual([true, ...Array(15).fill(false)]);
    const dispute = 'jurisdiction-dispute-recorded-as-changes.json';
    expect(carries(dispute, 'recordDisputeEvent', '非本部门职责')).toEqual([true, false, false, false, false]);
    expect(carries('jurisdiction-dispute-escalated.json', 'recordDisputeEvent', '非本部门职责')).toEqual(Array(5).fill(true));
  });
});
