/**
 * Mediation ends by law after 45 working days without agreement. In a file of its own: it moves
 * the time-skipping server's clock by some 60 days, which in a file with many other matters'
 * timers pending made the skip itself run past the test timeout.
 */
import { describe, expect, test } from 'vitest';
import { getTaskQuery, signUpdate } from '../../workflows/department-task.js';
import { prepaidCardMatter } from '../../workflows/scenarios/prepaid-card.js';
import { matterLauncher, matterRecords, sleepPastTimer } from '../helpers/matters.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';

const wf = useWorkflowEnv({ queue: 'card-mediation' });
const { recorded } = matterRecords(wf);
const start = matterLauncher(wf, 'prepaid-card', prepaidCardMatter);

describe('prepaidCardMatter mediation', () => {
  test('mediation ends by itself after 45 working days without agreement, and verification follows', async () => {
    const d = await start({ facts: { trade: 'sports', signal: 'complaint' }, subject: { name: '某健身房', kind: 'enterprise' } });
    await d.complete('triage', 'assigned');
    await d.complete('acceptance', 'accepted');
    // The complainant is told first, so only the mediation's clocks run while time moves on.
    await d.complete('reply.acceptance', 'replied');
    const mediation = await d.waitFor('mediation');
    // Signed, so only its handling clock runs (no sign-for ladder chasing it every morning for
    // 45 working days); then time moves to just past the matter's own 45-working-day timer.
    await wf.client.workflow.getHandle(mediation.taskId).executeUpdate(signUpdate, { args: [{ actor: d.officer(mediation.department) }] });
    await sleepPastTimer(wf.env, d.handle, 1);
    await d.complete('verification', 'no-violation');
    await d.complete('publication', 'published');
    await d.complete('reply.outcome', 'replied');
    const v = await d.handle.result();
    expect(v.findings).toMatchObject({ mediation: 'failed' });
    expect(v.result?.code).toBe('no-violation');
    expect(v.tasks.find((t) => t.taskId === mediation.taskId)?.state).toBe('cancelled');
    expect((await wf.client.workflow.getHandle(mediation.taskId).query(getTaskQuery)).state).toBe('cancelled');
    await recorded(v.matterId, 'task.expired', 1);
  });
});
