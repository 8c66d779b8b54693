import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, test } from 'vitest';
import { quietRuntime, workflowBundle } from '../helpers/temporal.js';
import * as workflows from '../../workflows/index.js';

/**
 * Every recorded history (test/replay/histories, made by `npm run record:histories`) must replay
 * with today's workflow code: a change that would break running workflows fails here and needs a
 * patched() branch.
 */
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

describe('replay of recorded histories', () => {
  test('there is a recorded history for every workflow type', () => {
    const types = new Set(files.map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')).events[0].workflowExecutionStartedEventAttributes.workflowType.name as string));
    expect([...types].sort()).toEqual(Object.keys(workflows).sort());
  });

  test.each(files)('%s replays deterministically', async (file) => {
    quietRuntime();
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file.replace(/\.json$/, '').replaceAll('~', '/'));
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
