/**
 * The one intake of a clue (受理, issue 13 §1), shared by POST /v1/clues and an inspection's
 * finding that opens a clue (issue 14 §5): the clue's id reserved under the Idempotency-Key, the
 * county's dispatch catalogue (派单目录), the merge window (并单) under the merge key's lock, the
 * row, the sealed contact and the audit entry in one transaction, then the `clue` workflow. Who
 * may take a clue in is the caller's to check; this is what taking it in means.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import { insertContact, sealContact } from '../db/clue-contacts.js';
import { currentCatalogue, findOpenRepeat, getClueRecord, insertClueIntake, lockMergeKey } from '../db/clues.js';
import { actorOf, appendAudit, recordEvent } from '../db/events.js';
import { nextSeq } from '../db/ids.js';
import { inTransaction } from '../db/sql.js';
import { shanghaiDate, toShanghaiIso } from '../domain/calendar/index.js';
import {
  clueCategoryNames,
  clueSettingsSchema,
  clueStateNames,
  dispatchClue,
  mergeKey,
  type ClueBody,
  type ClueInputDraft,
  type ClueState,
  type ClueView,
} from '../domain/clue.js';
import { divisionName } from '../domain/departments.js';
import { clueWorkflowId, toUrlId } from '../domain/ids.js';
import { payloadKeysFor } from '../domain/payload-keys.js';
import type { Principal } from '../domain/principal.js';
import { SA } from '../domain/search-attributes.js';
import type { AppDeps } from './app.js';
import { ApiError } from './errors.js';
import { reserveWorkflowId } from './idempotency.js';
import { catalogueMatter } from './matter-launch.js';

/** What the intake answers: the clue (URL id), whether this call created it, and where it stands. */
export interface ClueIntake {
  clueId: string;
  created: boolean;
  state: ClueState;
  stateName: string;
  /** The lead department, when the county's catalogue dispatched it at intake. */
  department?: string;
  /** A repeat (并单): the open clue it joined (URL id). */
  mergedInto?: string;
}

/**
 * Takes a clue in on behalf of `p` (the audit entry's actor). `idempotencyKey` reserves the clue's id
 * (scope `clue:<county>`): a retry under it lands on the same clue, created or merged, and
 * starts nothing twice. `hashed` is what the key stands for (default: the body); another request
 * under the same key is a 409.
 */
export async function takeInClue(
  deps: Pick<AppDeps, 'pool' | 'temporal' | 'config'>,
  p: Principal,
  body: ClueBody,
  idempotencyKey: string | undefined,
  hashed: unknown = body,
): Promise<ClueIntake> {
  const { pool, temporal, config } = deps;
  const keys = payloadKeysFor(config);
  const contact = body.complainant && !body.complainant.anonymous ? { name: body.complainant.name, phone: body.complainant.phone } : undefined;
  const hasContact = !!(contact?.name || contact?.phone);
  if (hasContact && !keys) throw new ApiError(503, 'not_configured', '本服务未配置载荷密钥（PAYLOAD_KEYS），不能保存来电人联系方式');

  const year = Number(shanghaiDate(Date.now()).slice(0, 4));
  const { workflowId: clueId, created } = await reserveWorkflowId(pool, {
    scope: `clue:${body.county}`,
    key: idempotencyKey,
    body: hashed,
    newId: async () => clueWorkflowId(body.county, year, await nextSeq(pool, `clue:${body.county}:${year}`)),
  });
  const current = await currentCatalogue(pool, body.county);
  const settings = clueSettingsSchema.parse(current?.settings ?? {});
  const dispatch = current ? dispatchClue(current.catalogue, body) : undefined;
  const key = mergeKey(body);
  const flags = { anonymous: body.complainant?.anonymous ?? true, wantsReply: body.complainant?.wantsReply ?? false };

  // The row, the sealed contact and the intake's audit entry in one transaction, under the
  // merge key's lock: two repeats arriving together join one clue. A retry finds the row.
  const intake = await inTransaction(pool, async (client) => {
    const existing = await getClueRecord(client, clueId);
    if (existing) return { view: existing.view, mergedInto: existing.mergedInto ?? undefined, receivedAtMs: Date.parse(existing.view.receivedAt) };
    if (key) await lockMergeKey(client, key);
    const mergedInto = key ? await findOpenRepeat(client, key, settings.mergeWindowDays) : undefined;
    const receivedAtMs = Date.now();
    const at = toShanghaiIso(receivedAtMs);
    const state = mergedInto ? 'merged' : dispatch ? 'handling' : 'dispatching';
    const view: ClueView = {
      clueId,
      county: body.county,
      channel: body.channel,
      ref: body.ref,
      category: body.category,
      urgency: body.urgency,
      state,
      stateName: clueStateNames[state],
      receivedAt: at,
      complainant: flags,
      ...(!mergedInto && dispatch ? { department: dispatch.lead } : {}),
      coHandlers: !mergedInto && dispatch ? dispatch.coHandlers : [],
      dispatches: [],
      tasks: [],
      visits: [],
      rounds: 0,
      lastEventSeq: mergedInto ? 1 : 0,
    };
    await insertClueIntake(client, { view, mergeKey: key, mergedInto, receivedAt: new Date(receivedAtMs).toISOString() });
    if (hasContact) await insertContact(client, clueId, sealContact(keys!, clueId, contact!));
    const what = `${clueCategoryNames[body.category]}（${body.ref}）`;
    if (mergedInto) {
      // The repeat's own timeline says where it went; its handling is the open clue's.
      await recordEvent(client, {
        workflowId: clueId,
        seq: 1,
        county: body.county,
        at,
        type: 'merged',
        summary: `受理${what}，与 ${mergedInto} 同一对象、同类诉求，并单办理`,
        actor: p,
        data: { mergedInto, channel: body.channel, ref: body.ref, category: body.category },
      });
    } else {
      await appendAudit(client, {
        eventId: `${clueId}#intake`,
        at,
        county: body.county,
        action: 'clue.accepted',
        objectId: clueId,
        details: {
          summary: `受理${what}`,
          channel: body.channel,
          ref: body.ref,
          category: body.category,
          ...(dispatch ? { ruleId: dispatch.ruleId } : {}),
        },
        ...actorOf(p),
      });
    }
    return { view, mergedInto, receivedAtMs };
  });

  if (!intake.mergedInto) {
    const input: ClueInputDraft = {
      county: body.county,
      channel: body.channel,
      ref: body.ref,
      category: body.category,
      urgency: body.urgency,
      ...(body.township ? { township: body.township } : {}),
      content: body.content,
      ...(body.subject ? { subject: body.subject } : {}),
      complainant: flags,
      ...(dispatch
        ? {
            dispatch: {
              ruleId: dispatch.ruleId,
              lead: dispatch.lead,
              coHandlers: dispatch.coHandlers,
              ...(dispatch.openMatter ? { openMatter: await catalogueMatter(pool, body.county, dispatch.openMatter, body) } : {}),
            },
          }
        : {}),
      settings,
      receivedAt: intake.receivedAtMs,
    };
    // USE_EXISTING: a retry after a crash between the row and the start lands on the running
    // clue; REJECT_DUPLICATE: one that closed is never started again under its id.
    try {
      await temporal.workflow.start('clue', {
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        workflowId: clueId,
        args: [input],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        // No personal data: the category and the county, never the complainant or the subject.
        staticSummary: `问题线索 · ${clueCategoryNames[body.category]} · ${divisionName(body.county)}`,
        staticDetails: `**问题线索**（${body.channel}）· ${body.ref}`,
        typedSearchAttributes: [{ key: SA.County, value: body.county }, ...(dispatch ? [{ key: SA.Department, value: dispatch.lead }] : [])],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  const latest = created ? intake.view : ((await getClueRecord(pool, clueId))?.view ?? intake.view);
  return {
    clueId: toUrlId(clueId),
    created,
    state: latest.state,
    stateName: latest.stateName,
    ...(latest.department ? { department: latest.department } : {}),
    ...(intake.mergedInto ? { mergedInto: toUrlId(intake.mergedInto) } : {}),
  };
}
