/**
 * One run of a matter: its input, its view, the state its steps share (counters, returns,
 * temporary leads, reassignments, the publication's progress) and what every step needs (roles,
 * stages, recording, starting a child under a fresh id, waiting for the children to end).
 * `patched('delta-recording')` is asked here, as the run starts (the recorder).
 */
import { CancellationScope, WorkflowIdReusePolicy, patched, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import { departmentName } from '../../domain/departments.js';
import { initialMatterView, type MatterInput, type MatterView } from '../../domain/matter.js';
import type { Principal } from '../../domain/principal.js';
import { SA } from '../../domain/search-attributes.js';
import { clone, recorder } from '../recording.js';
import { refuse } from '../refusal.js';
import { writes } from '../activities.js';
import { freshIdPolicy, startUnderFreshId } from '../children.js';
import { PATCH, type MatterOutcome, type StepReturn } from './messages.js';

const { recordMatterEvent } = writes;

export const now = () => toShanghaiIso(Date.now());

export class MatterRun {
  readonly info = workflowInfo();
  readonly def: MatterInput['definition'];
  /** Who plays each role in this matter (the catalogue's, the county's override, the township). */
  readonly roles: Record<string, string>;
  readonly lead: string;
  readonly view: MatterView;
  taskCounter = 0;
  disputeCounter = 0;
  transferCounter = 0;
  /** Instants rules may count from: the matter's opening (the complaint's receipt) and the last step's end. */
  readonly matterOpenedAt: number;
  previousStepEndedAt: number | undefined;
  readonly temporaryLeads = new Map<string, { department: string; reasoning: string }>();
  /** Returns of steps that work through disputes (DOMAIN §5), by task, as the tasks reported them. */
  readonly stepReturns = new Map<string, StepReturn>();
  cancelRequest: { reason: string; actor?: Principal } | undefined;
  /** Reassignments accepted and not yet carried out, by the task they move. */
  readonly reassigning = new Map<string, Principal>();
  readonly scope = new CancellationScope();
  /** The ends of the children (tasks, disputes) not yet ended: the matter waits for them before it closes. */
  readonly live = new Set<Promise<unknown>>();
  /** Bumped when a year's holidays are published: the matter's own waits re-resolve. */
  calendarVersion = 0;
  /** When the check ended and the standard result it leaves (DOMAIN §9); set by `checkEnded`. */
  checkEnd: { atMs: number; interim: MatterOutcome } | undefined;
  /** The publication step, once started; the final result once the matter knows it; what the public reads. */
  publication: Promise<void> | undefined;
  finalResult: { code: string; summary: string } | undefined;
  lastShown: { code: string; summary: string } | undefined;
  /** Appends an event and writes it (workflows/recording.ts). */
  readonly record: ReturnType<typeof recorder<MatterView>>;

  constructor(readonly input: MatterInput) {
    this.def = input.definition;
    this.roles = { ...this.def.roles };
    if (typeof input.facts.township === 'string') this.roles.locality = `township:${input.facts.township}`;
    this.lead = this.roles.lead!;
    this.view = initialMatterView(this.info.workflowId, input, now());
    this.matterOpenedAt = input.source?.receivedAt ? Date.parse(input.source.receivedAt) : Date.parse(this.view.createdAt);
    let subjectRecorded = false;
    this.record = recorder({
      view: this.view,
      county: input.county,
      idField: 'matterId',
      write: recordMatterEvent,
      publish: () => this.publishState(),
      // Before delta-recording: whole views, after patched('slim-recording') without subject and facts.
      legacy: () => {
        const full = !subjectRecorded || !patched(PATCH.slimRecording);
        const { subject: _subject, facts: _facts, ...rest } = this.view;
        return { view: clone(full ? this.view : rest) as MatterView };
      },
      landed: () => {
        subjectRecorded = true;
      },
    });
  }

  stageName(key: string) {
    return this.def.stages.find((s) => s.key === key)?.name ?? key;
  }

  /** The department playing a role in this matter (after the county's override). */
  department(role: string): string {
    const d = this.roles[role];
    if (!d) refuse('CatalogueError', `role ${role} has no department in ${this.def.id}`);
    return d;
  }

  async stage(key: string) {
    this.view.stage = key;
    this.view.stageName = this.stageName(key);
    await this.record('stage', `进入「${this.view.stageName}」阶段`, { data: { stage: key } });
  }

  finding(name: string, value: string | number | boolean) {
    this.view.findings[name] = value;
  }

  /** The running issue of a step, if any. */
  runningIssue(key: string) {
    return [...this.view.tasks].reverse().find((t) => t.key === key && t.state === 'running');
  }

  /** Follows a child's end: the matter closes only once it has come. */
  track(end: Promise<unknown>) {
    const settled = end.then(
      () => undefined,
      () => undefined,
    );
    this.live.add(settled);
    void settled.then(() => this.live.delete(settled));
  }

  /** Cancels what is still running (an open dispute) and waits until every child has ended. */
  async childrenEnded() {
    if (!patched(PATCH.childrenCloseFirst)) return;
    this.scope.cancel();
    await CancellationScope.nonCancellable(async () => {
      while (this.live.size > 0) await Promise.all([...this.live]);
    });
    for (const d of this.view.disputes ?? []) if (d.state === 'open') d.state = 'ended';
  }

  /** The search attributes and the UI's current details. */
  publishState() {
    const view = this.view;
    upsertSearchAttributes([
      { key: SA.MatterStage, value: view.stage },
      { key: SA.TaskState, value: view.status },
    ]);
    const open = view.tasks.filter((t) => t.state === 'running').map((t) => departmentName(t.department));
    setCurrentDetails(
      view.status === 'open'
        ? `**${view.stageName}** · ${open.length ? `等待 ${[...new Set(open)].join('、')} 办理` : '处理中'}`
        : `**${view.status === 'closed' ? '已办结' : '已撤销'}**${view.result ? ` · ${view.result.summary}` : ''}`,
    );
  }

  /** The search attributes every child of this matter carries. */
  childAttributes() {
    return [
      { key: SA.County, value: this.input.county },
      { key: SA.Scenario, value: this.def.id },
      { key: SA.MatterId, value: this.info.workflowId },
    ];
  }

  /**
   * Starts a child under the next id of its kind. An id is never reused, even after its run
   * closed: a second run under the same id would write its events over the first one's (the
   * timeline and inbox are keyed by it). When an id is taken (a reset matter re-issuing a step,
   * a run started by hand), the matter takes the next one.
   */
  async startFresh<H>(nextId: () => string, start: (workflowId: string, reuse: { workflowIdReusePolicy?: WorkflowIdReusePolicy }) => Promise<H>) {
    // Runs before fresh-child-ids started each child once, under the next id, with the default policy.
    if (!patched(PATCH.freshChildIds)) {
      const workflowId = nextId();
      return { handle: await start(workflowId, {}), workflowId };
    }
    return startUnderFreshId(nextId, (workflowId) => start(workflowId, freshIdPolicy));
  }
}
