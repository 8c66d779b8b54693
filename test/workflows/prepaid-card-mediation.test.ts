/**
 * Mediation ends by law after 45 working days without agreement. In a file of its own: it moves
 * the time-skipping server's clock by 80 days, which in a file with many other matters' timers
 * pending made the skip itself run past the test timeout.
 */
import { describe, expect, test } from 'vitest';
import { getTaskQuery } from '../../workflows/department-task.js';
import { prepaidCardMatter } from '../../workflows/scenarios/prepaid-card.js';
import { matterLauncher, matterRecords, timers } from '../helpers/matters.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';

const DAY = 86_400_000;
const wf = useWorkflowEnv({ queue: 'card-mediation' });
const { recorded } = matterRecords(wf);
const start = matterLauncher(wf, 'prepaid-card', prepaidCardMatter);

describe('prepaidCardMatter mediation', () => {
  test('mediation ends by itself after 45 working days without agreement, and verification follows', async () => {
    const d = await start({ facts: { trade: 'sports', signal: 'complaint' }, subject: { name: '某健身房', kind: 'enterprise' } });
    await d.complete('triage', 'assigned');
    await d.complete('acceptance', 'accepted');
    const mediation = await d.waitFor('mediation');
    await timers(d.handle, 1); // the matter's own 45-working-day timer
    await wf.env.sleep(80 * DAY);
    await d.complete('verification', 'no-violation');
    await d.complete('publication', 'published');
    const v = await d.handle.result();
    expect(v.findings).toMatchObject({ mediation: 'failed' });
    expect(v.result?.code).toBe('no-violation');
    expect(v.tasks.find((t) => t.taskId === mediation.taskId)?.state).toBe('cancelled');
    expect((await wf.client.workflow.getHandle(mediation.taskId).query(getTaskQuery)).state).toBe('cancelled');
    await recorded(v.matterId, 'task.expired', 1);
  });
});
