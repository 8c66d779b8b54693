/**
 * 问题线索 (issue 13 §1): intake from the 12345 platform, the county's dispatch catalogue, the
 * office's dispatch, the lead department's return and reply, the visit-back and the supervisor's
 * decision. The loop itself is the `clue` workflow; a repeat (并单) is a row joined to the open
 * clue, with no workflow of its own. The complainant's name and phone are sealed in clue_contacts.
 * Taking a clue in is api/clue-intake.ts `takeInClue`, which an inspection's finding shares.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import { contactsOf, openContact, type Contact } from '../../db/clue-contacts.js';
import { clueDepartments, currentCatalogue, getClueRecord, listClues, mergedClues, putCatalogue, type CatalogueVersion, type ClueRow } from '../../db/clues.js';
import { getTimeline } from '../../db/events.js';
import { getTaskRow } from '../../db/tasks.js';
import { canSeeClue, canSeeContact, clueOffice } from '../../db/visibility.js';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import { clueBodySchema, clueCategories, clueSettingsSchema, clueStateNames, clueStates, dispatchCatalogueSchema, type ClueView } from '../../domain/clue.js';
import { countySchema, departmentSchema } from '../../domain/departments.js';
import { riskWarningSettingsSchema } from '../../domain/risk-warning.js';
import { toUrlId } from '../../domain/ids.js';
import { payloadKeysFor } from '../../domain/payload-keys.js';
import { hasRole, type Principal } from '../../domain/principal.js';
import { returnBodySchema } from '../../domain/task.js';
import { safeText } from '../../domain/text.js';
import {
  decideClueUpdate,
  decisionBodySchema,
  dispatchBodySchema,
  getClueQuery,
  visitBodySchema,
  visitClueUpdate,
  dispatchClueUpdate,
  clueMatterBodySchema,
  openMatterUpdate,
} from '../../workflows/clue.js';
import { getTaskQuery, returnUpdate, signUpdate, submitUpdate } from '../../workflows/department-task.js';
import type { AppDeps } from '../app.js';
import { takeInClue } from '../clue-intake.js';
import { ApiError, forbidden } from '../errors.js';
import { idempotencyHeaders, updateIdFor } from '../idempotency.js';
import { checkedFacts, countyDefinition, newMatterId } from '../matter-launch.js';
import { act, adminAudit, cursorOf, errorResponses, keysetPage, loadVisible, pageQuery, signAndSubmit, viewOnce } from '../plumbing.js';
import { presentClue, presentTask } from '../presenters.js';
import { boolQuery, clueSchema, taskViewSchema, timelineEntrySchema, urlIdSchema } from '../schemas.js';

const errors = errorResponses(400, 401, 403, 404, 409, 503);
const params = z.object({ clueId: urlIdSchema });

const intakeAnswerSchema = z.object({
  clueId: urlIdSchema,
  state: z.enum(clueStates),
  stateName: z.string(),
  department: z.string().optional().describe('The lead department, when the county’s catalogue dispatched it at intake'),
  mergedInto: urlIdSchema.optional().describe('A repeat (并单): the open clue it joined; no new department task'),
});

const catalogueBodySchema = z.object({
  rules: dispatchCatalogueSchema.shape.rules,
  /** The county's clue clocks; what is left out keeps DOMAIN §6's default. */
  settings: clueSettingsSchema.partial().optional(),
  /** The county's risk-warning clocks (风险预警): what is left out keeps DOMAIN §6's default. */
  riskWarningSettings: riskWarningSettingsSchema
    .partial()
    .optional()
    .describe(
      'Risk warnings pushed by this catalogue: verification working days by level, disposal, review and feedback limits, who is told, the campaign rule',
    ),
  baseVersion: z.number().int().min(0).optional().describe('The version edited: a catalogue changed meanwhile answers 409 and nothing is written'),
});
const catalogueAnswerSchema = z.object({
  county: z.string(),
  version: z.number().int().describe('0: the county has no catalogue yet, every clue is dispatched by the 12345 office'),
  rules: dispatchCatalogueSchema.shape.rules,
  settings: z.record(z.string(), z.unknown()),
  effectiveSettings: z.record(z.string(), z.unknown()).describe('The settings with every default filled in'),
  riskWarningSettings: z.record(z.string(), z.unknown()),
  effectiveRiskWarningSettings: z.record(z.string(), z.unknown()).describe('The risk-warning settings with every default filled in'),
  updatedAt: z.string().optional(),
  updatedBy: z.string().optional(),
});

/** The clue clocks of a stored version (without the risk warnings' settings kept beside them). */
function clueSettingsOf(stored: Record<string, unknown> | undefined): Record<string, unknown> {
  const { riskWarnings: _rw, ...clue } = stored ?? {};
  return clue;
}
const riskWarningSettingsOf = (stored: Record<string, unknown> | undefined) => (stored?.riskWarnings ?? {}) as Record<string, unknown>;

/** The catalogue in force as the API shows it (version 0: none yet). */
function catalogueAnswer(county: string, c: CatalogueVersion | undefined) {
  return {
    county,
    version: c?.version ?? 0,
    rules: c?.catalogue.rules ?? [],
    settings: clueSettingsOf(c?.settings),
    effectiveSettings: clueSettingsSchema.parse(clueSettingsOf(c?.settings)),
    riskWarningSettings: riskWarningSettingsOf(c?.settings),
    effectiveRiskWarningSettings: riskWarningSettingsSchema.parse(riskWarningSettingsOf(c?.settings)),
    ...(c ? { updatedAt: toShanghaiIso(Date.parse(c.createdAt)), updatedBy: c.createdBy } : {}),
  };
}

/** The 12345 office (its officers and head) of the principal's own county. */
const isOffice = (p: Principal) => p.department === clueOffice && hasRole(p, 'officer', 'head');

export const clueRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { pool, temporal, config } = deps;
    const keys = payloadKeysFor(config);

    /** An action on a clue whose workflow has ended. */
    const gone = () => new ApiError(409, 'wrong_state', '线索已办结');

    async function visible(p: Principal, urlId: string) {
      let row: ClueRow | undefined;
      const loaded = await loadVisible<ClueView>(deps, {
        urlId,
        kind: 'clue',
        what: '线索',
        row: async (id) => (row = await getClueRecord(pool, id))?.view,
        live: (h) => h.query(getClueQuery),
        canSee: (v) => canSeeClue(p, { county: v.county, departments: clueDepartments(v) }),
      });
      return { ...loaded, row, send: <R>(update: () => Promise<R>) => act(deps, update, gone) };
    }

    /** The complainants' contacts of some clues, opened only for the 12345 office. */
    async function contacts(p: Principal, county: string, clueIds: string[]): Promise<{ whole: boolean; of: (id: string) => Contact | undefined }> {
      const sealed = await contactsOf(pool, clueIds);
      const whole = canSeeContact(p, { county });
      return { whole, of: (id) => (keys && sealed.has(id) ? openContact(keys, id, sealed.get(id)!) : undefined) };
    }

    async function present(p: Principal, v: ClueView, mergedInto: string | null | undefined) {
      const c = await contacts(p, v.county, [v.clueId]);
      return presentClue(v, { mergedInto, contact: c.of(v.clueId), whole: c.whole });
    }

    /** The lead department's open task of the clue's current round (the one that replies or returns). */
    function leadTask(v: ClueView): string {
      if (v.state === 'in-matter' && v.matter) {
        throw new ApiError(409, 'matter_pending', `线索已转立事项 ${toUrlId(v.matter.matterId)}，事项办结后才能答复`);
      }
      const t = v.tasks.filter((x) => x.role === 'lead' && x.state === 'running').at(-1);
      if (!t || v.state !== 'handling') throw new ApiError(409, 'wrong_state', `线索${clueStateNames[v.state]}，没有待办的牵头任务`);
      return t.taskId;
    }

    app.post(
      '/clues',
      {
        schema: {
          summary: 'Take in a clue (受理): a 12345 work order or another channel’s; dispatched by the county’s catalogue, else by the 12345 office',
          description:
            'The `Idempotency-Key` is the platform’s work-order number: a retry answers 200 with the same clue. A clue about the same subject (credit code, or the normalised address) and category as an open one received within the county’s merge window joins it (并单: `mergedInto`). The complainant’s name and phone are sealed at rest and shown whole only to the county’s 12345 office.',
          tags: ['clues'],
          headers: idempotencyHeaders,
          body: clueBodySchema,
          response: { 201: intakeAnswerSchema, 200: intakeAnswerSchema, ...errors },
        },
      },
      async (req, reply) => {
        const p = req.principal;
        if (!hasRole(p, 'operator') && !isOffice(p)) throw forbidden('只有本县操作员或12345热线办可以受理线索');
        const body = req.body;
        if (body.county !== p.county) throw forbidden('只能受理本县的线索');
        const { created, ...answer } = await takeInClue(deps, p, body, req.headers['idempotency-key']);
        void reply.code(created ? 201 : 200);
        return answer;
      },
    );

    app.get(
      '/clues',
      {
        schema: {
          summary: 'Clues the caller may see, newest first: the 12345 office and supervisors all of the county’s, a department those it was dispatched',
          tags: ['clues'],
          querystring: z.object({
            state: z.enum(clueStates).optional(),
            category: z.enum(clueCategories).optional(),
            department: departmentSchema.optional().describe('Dispatched to or co-handled by this department'),
            overdue: boolQuery.optional().describe('A department task of it is past its deadline, or its visit-back is'),
            ...pageQuery(),
          }),
          response: { 200: z.object({ items: z.array(clueSchema), nextCursor: z.string().nullable() }), ...errors },
        },
      },
      async (req) => {
        const q = req.query;
        const before = cursorOf(q.cursor, { receivedAt: 'time', clueId: 'string' });
        const rows = await listClues(pool, req.principal, {
          state: q.state,
          category: q.category,
          department: q.department,
          overdue: q.overdue,
          limit: q.limit + 1,
          before,
        });
        const page = keysetPage(rows, q.limit, (last) => last.cursor);
        const c = await contacts(
          req.principal,
          req.principal.county,
          page.rows.map((r) => r.view.view.clueId),
        );
        return {
          items: page.rows.map(({ view: r }) =>
            presentClue(r.view, { mergedInto: r.mergedInto, contact: c.of(r.view.clueId), whole: c.whole && r.view.county === req.principal.county }),
          ),
          nextCursor: page.nextCursor,
        };
      },
    );

    app.get(
      '/clues/:clueId',
      {
        schema: {
          summary: 'One clue: its dispatches, department tasks, reply, visit-backs and decision, the repeats merged into it, and its timeline',
          description: 'A repeat (`state: merged`) shows the clue it joined as `joined`: its handling and reply are that clue’s.',
          tags: ['clues'],
          params,
          response: {
            200: clueSchema.extend({
              merged: z.array(clueSchema).describe('Repeats merged into this clue (并单): every complainant gets its reply'),
              joined: clueSchema.optional(),
              departmentTasks: z.array(taskViewSchema),
              timeline: z.array(timelineEntrySchema),
            }),
            ...errors,
          },
        },
      },
      async (req) => {
        const p = req.principal;
        const { view, row } = await visible(p, req.params.clueId);
        const merged = await mergedClues(pool, view.clueId);
        const joinedRow = row?.mergedInto ? await getClueRecord(pool, row.mergedInto) : undefined;
        const c = await contacts(p, view.county, [view.clueId, ...merged.map((m) => m.clueId)]);
        const tasks = (await Promise.all(view.tasks.map((t) => getTaskRow(pool, t.taskId)))).filter((t) => t !== undefined);
        return {
          ...presentClue(view, { mergedInto: row?.mergedInto, contact: c.of(view.clueId), whole: c.whole }),
          merged: merged.map((m) => presentClue(m, { mergedInto: view.clueId, contact: c.of(m.clueId), whole: c.whole })),
          ...(joinedRow ? { joined: presentClue(joinedRow.view) } : {}),
          departmentTasks: tasks.map(presentTask),
          timeline: await getTimeline(pool, view.clueId),
        };
      },
    );

    // The clue's own updates: the office's dispatch and visit-back, the supervisor's decision.
    const actions = [
      {
        path: 'dispatch',
        summary: '派单 by the 12345 office: the lead department and its co-handlers (the county’s last allowed dispatch designates the handler)',
        body: dispatchBodySchema,
        update: dispatchClueUpdate,
      },
      {
        path: 'visit',
        summary: '回访 by the 12345 office: what the complainant said of the reply (unsatisfied: handled once more, then a supervisor decides)',
        body: visitBodySchema,
        update: visitClueUpdate,
      },
      {
        path: 'decision',
        summary: 'A supervisor decides a clue still unsatisfied after being handled again: close it, or have it handled once more',
        body: decisionBodySchema,
        update: decideClueUpdate,
      },
    ] as const;
    for (const a of actions) {
      app.post(
        `/clues/:clueId/${a.path}`,
        { schema: { summary: a.summary, tags: ['clues'], params, headers: idempotencyHeaders, body: a.body, response: { 200: clueSchema, ...errors } } },
        async (req) => {
          const { handle, workflowId, send, row } = await visible(req.principal, req.params.clueId);
          const id = updateIdFor(req.headers['idempotency-key'], a.update.name, workflowId);
          const update = a.update as unknown as UpdateDefinition<ClueView, [Record<string, unknown>]>;
          const v = await send(() =>
            handle.executeUpdate(update, { args: [{ ...(req.body as object), actor: req.principal }], ...(id ? { updateId: id } : {}) }),
          );
          return present(req.principal, v, row?.mergedInto);
        },
      );
    }

    app.post(
      '/clues/:clueId/return',
      {
        schema: {
          summary: '退单: the lead department returns the clue to the 12345 office, with its reason, within its return window',
          description: 'A designated handler (after the county’s last dispatch) cannot return it: 409 `not_returnable`.',
          tags: ['clues'],
          params,
          headers: idempotencyHeaders,
          body: returnBodySchema.pick({ reason: true, basis: true }),
          response: { 200: taskViewSchema, ...errors },
        },
      },
      async (req) => {
        const { view, send } = await visible(req.principal, req.params.clueId);
        const taskId = leadTask(await liveView(view));
        const id = updateIdFor(req.headers['idempotency-key'], 'return', taskId);
        const task = temporal.workflow.getHandle(taskId);
        return presentTask(
          await send(() => task.executeUpdate(returnUpdate, { args: [{ ...req.body, actor: req.principal }], ...(id ? { updateId: id } : {}) })),
        );
      },
    );

    app.post(
      '/clues/:clueId/reply',
      {
        schema: {
          summary: '答复: the lead department answers (its task’s submission); a task not yet signed for is signed for now',
          description: 'Answers the clue once its reply is recorded (`replied`, with the visit-back’s limit).',
          tags: ['clues'],
          params,
          headers: idempotencyHeaders,
          body: z.object({ summary: safeText().trim().min(2).max(2000).describe('What was done and the answer to the complainant') }),
          response: { 200: clueSchema, ...errors },
        },
      },
      async (req) => {
        const p = req.principal;
        const { view, send, row } = await visible(p, req.params.clueId);
        const taskId = leadTask(await liveView(view));
        await signAndSubmit(deps, { taskId, actor: p, key: req.headers['idempotency-key'], submission: { summary: req.body.summary }, gone });
        // The task closes, then the clue works out the visit-back's limit and records the reply.
        const replied = await viewOnce(
          deps,
          () => temporal.workflow.getHandle(view.clueId).query(getClueQuery),
          (v) => v.state !== 'handling',
        );
        return present(p, replied, row?.mergedInto);
      },
    );

    app.post(
      '/clues/:clueId/matter',
      {
        schema: {
          summary:
            '转立事项: the lead department opens a matter (综合监管一件事) of a scenario from the clue, about its subject; the reply waits for the matter’s end',
          description:
            'The lead department’s officer or head, while the clue is being handled. The matter is like one POST /v1/matters starts (its id, the county’s scenario, `facts` checked per scenario: 400 `body.facts.…`) and names the clue (`clueId`). The lead’s handling task ends with this decision; once the matter ends the lead gets a reply step, due within the county’s `replyAfterMatterWorkingDays` (3) of the end, and `POST …/reply` answers until then 409 `matter_pending`. A clue opens one matter: asked again for the same scenario it answers 200 with it (409 for another scenario). A clue without a subject: 409 `no_subject`.',
          tags: ['clues'],
          params,
          headers: idempotencyHeaders,
          body: clueMatterBodySchema,
          response: { 201: clueSchema, 200: clueSchema, ...errors },
        },
      },
      async (req, reply) => {
        const p = req.principal;
        const { scenario } = req.body;
        // The facts first (bad input is a 400 before anything is looked up or reserved).
        const facts = checkedFacts(scenario, req.body.facts);
        const { view: recorded, handle, workflowId, send, row } = await visible(p, req.params.clueId);
        let v = await liveView(recorded);
        if (!v.department || p.county !== v.county || p.department !== v.department || !hasRole(p, 'officer', 'head')) {
          throw forbidden('只有牵头部门可以将线索转立事项');
        }
        let created = false;
        if (!v.matter) {
          if (v.state !== 'handling') throw new ApiError(409, 'wrong_state', `线索${clueStateNames[v.state]}，不能转立事项`);
          const definition = await countyDefinition(pool, v.county, scenario);
          const matterId = await newMatterId(pool, v.county, scenario);
          const id = updateIdFor(req.headers['idempotency-key'], openMatterUpdate.name, workflowId);
          try {
            v = await send(() =>
              handle.executeUpdate(openMatterUpdate, { args: [{ matterId, scenario, facts, definition, actor: p }], ...(id ? { updateId: id } : {}) }),
            );
            created = true;
          } catch (err) {
            // Another request opened it meanwhile: answer that matter, as a retry would get it.
            if (!(err instanceof WorkflowUpdateFailedError)) throw err;
            v = await handle.query(getClueQuery);
            if (!v.matter) throw err;
          }
        }
        const matter = v.matter!;
        if (matter.scenario !== scenario) throw new ApiError(409, 'wrong_state', `本线索已转立事项 ${toUrlId(matter.matterId)}（${matter.scenario}）`);
        // The lead's handling task ends with the decision (its clock met): submitted as the
        // transfer, under update ids of the matter's, so a retry or a concurrent request never submits twice.
        const open = v.state === 'in-matter' ? v.tasks.find((t) => t.role === 'lead' && t.state === 'running') : undefined;
        if (open) {
          const task = temporal.workflow.getHandle(open.taskId);
          const key = `clue-matter:${matter.matterId}`;
          // Refused because it is already signed or submitted, or gone because it has ended: nothing left to do.
          const refused = (e: unknown) => {
            if (!(e instanceof WorkflowUpdateFailedError) && !(e instanceof ApiError && e.statusCode === 409)) throw e;
          };
          if ((await task.query(getTaskQuery)).state === 'assigned') {
            await send(() => task.executeUpdate(signUpdate, { args: [{ actor: p }], updateId: updateIdFor(key, 'sign', open.taskId)! })).catch(refused);
          }
          const summary = `转立综合监管事项办理（${toUrlId(matter.matterId)}），事项办结后答复`;
          await send(() => task.executeUpdate(submitUpdate, { args: [{ summary, actor: p }], updateId: updateIdFor(key, 'submit', open.taskId)! })).catch(
            refused,
          );
          v = await handle.query(getClueQuery);
        }
        void reply.code(created ? 201 : 200);
        return present(p, v, row?.mergedInto);
      },
    );

    const countyParams = z.object({ county: countySchema });
    const canReadCatalogue = (p: Principal, county: string) =>
      p.county === county && (hasRole(p, 'admin', 'operator', 'supervisor') || p.department === clueOffice);

    app.get(
      '/counties/:county/dispatch-rules',
      {
        schema: {
          summary: 'The county’s dispatch catalogue (派单目录) in force and its clue clocks',
          tags: ['clues'],
          params: countyParams,
          response: { 200: catalogueAnswerSchema, ...errors },
        },
      },
      async (req) => {
        if (!canReadCatalogue(req.principal, req.params.county)) throw forbidden('只能查看本县的派单目录');
        return catalogueAnswer(req.params.county, await currentCatalogue(pool, req.params.county));
      },
    );

    app.put(
      '/counties/:county/dispatch-rules',
      {
        schema: {
          summary: 'Replace the county’s dispatch catalogue (admin): a new version, audited; rules apply in their order, the first match dispatches',
          description:
            'A functional department’s item is never dispatched to a township (国办函〔2025〕66号): such a rule is refused. Clues already taken in keep the dispatch they got.',
          tags: ['clues'],
          params: countyParams,
          body: catalogueBodySchema,
          response: { 200: catalogueAnswerSchema, ...errors },
        },
      },
      async (req) => {
        const p = req.principal;
        if (!hasRole(p, 'admin') || p.county !== req.params.county) throw forbidden('只有本县管理员可以修改派单目录');
        const checked = dispatchCatalogueSchema.safeParse({ rules: req.body.rules });
        if (!checked.success) {
          throw new ApiError(
            400,
            'validation_failed',
            '派单目录不符合要求',
            checked.error.issues.map((i) => ({ path: ['body', ...i.path.map(String)].join('.'), message: i.message })),
          );
        }
        // One row per version holds both: the clue clocks at the top, the warnings' under `riskWarnings`.
        const settings = { ...(req.body.settings ?? {}), ...(req.body.riskWarningSettings ? { riskWarnings: req.body.riskWarningSettings } : {}) };
        const result = await adminAudit(
          deps,
          p,
          (client) =>
            putCatalogue(client, { county: req.params.county, catalogue: checked.data, settings, createdBy: p.keyId, baseVersion: req.body.baseVersion }),
          (r) =>
            r === 'stale'
              ? undefined
              : {
                  eventId: `dispatch-rules:${r.county}:v${r.version}`,
                  county: r.county,
                  action: 'dispatch-rules.replaced',
                  objectId: `dispatch-rules:${r.county}`,
                  details: { version: r.version, rules: r.catalogue.rules.length },
                },
        );
        if (result === 'stale') throw new ApiError(409, 'stale_version', '派单目录已被他人修改，请刷新后重试');
        return catalogueAnswer(result.county, result);
      },
    );

    /** The running clue's own view (the record may lag a dispatch the worker has just carried out). */
    async function liveView(recorded: ClueView): Promise<ClueView> {
      if (recorded.state === 'closed' || recorded.state === 'cancelled' || recorded.state === 'merged') return recorded;
      return temporal.workflow.getHandle(recorded.clueId).query(getClueQuery);
    }

    /** The clue once the lead's submission became its reply (the task closes, then the clue records it). */
  };
