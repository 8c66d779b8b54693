import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CalendarStore } from '../../db/calendar.js';
import { changePublicResult, getPublicResult, listResultVersions } from '../../db/matters.js';
import { canSeeResultRecord } from '../../db/visibility.js';
import { resolveDeadline, toShanghaiIso } from '../../domain/calendar/index.js';
import { hasRole, type Principal } from '../../domain/principal.js';
import { safeText } from '../../domain/text.js';
import type { AppDeps } from '../app.js';
import { ApiError, forbidden, notFound } from '../errors.js';
import { errorResponses } from '../plumbing.js';
import { presentResultRecord } from '../presenters.js';
import { isoDateTimeSchema, urlIdSchema, versionSchema } from '../schemas.js';

const errors = errorResponses(400, 401, 403, 404, 409, 503);
const params = z.object({ resultId: urlIdSchema.describe('The result id, `/` written `~` (e.g. `matter:610124:refined-oil:2026-0001~result`)') });
const text = (max: number) => safeText().trim().min(1).max(max);

const recordSchema = z.object({
  resultId: z.string(),
  kind: z.enum(['inspection', 'penalty']),
  current: z.object({ version: z.number().int(), resultCode: z.string(), summary: z.string(), withdrawn: z.boolean() }),
  versions: z.array(versionSchema).describe('Every version, oldest first: the record keeps them all; the public list shows the current one, unless withdrawn'),
});

/** Withdrawn within 3 working days of the change or revocation (行政处罚法 art. 48). */
const withdrawWithin = { amount: 3, unit: 'working_day', startsFrom: 'assignment' } as const;

/**
 * The record behind 一公开 (DOMAIN §9): every version of a published result, and a supervisor's
 * correction or withdrawal. Keyed routes under the public path: the public list itself needs no key.
 */
export const resultRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const calendar = new CalendarStore(deps.pool);

    async function visible(p: Principal, urlId: string) {
      const resultId = urlId.replaceAll('~', '/');
      const r = await getPublicResult(deps.pool, resultId);
      if (!r || !canSeeResultRecord(p, r)) throw notFound('公开结果');
      return r;
    }
    const record = async (resultId: string) => {
      const r = (await getPublicResult(deps.pool, resultId))!;
      return presentResultRecord(r, await listResultVersions(deps.pool, resultId));
    };

    app.get(
      '/public/results/:resultId/versions',
      {
        schema: {
          summary: 'Every version of a published result (supervisor, operator, admin of its division)',
          tags: ['public'],
          params,
          response: { 200: recordSchema, ...errors },
        },
      },
      async (req) => record((await visible(req.principal, req.params.resultId)).resultId),
    );

    app.post(
      '/public/results/:resultId/correct',
      {
        schema: {
          summary: 'Correct a published result (supervisor of its county or city): a new version, the reason on the record',
          tags: ['public'],
          params,
          body: z.object({
            reason: text(1000),
            summary: text(500).describe('The corrected public text: no personal data'),
            resultCode: z
              .string()
              .regex(/^[A-Za-z0-9/-]{1,64}$/)
              .optional(),
          }),
          response: { 200: recordSchema, ...errors },
        },
      },
      async (req) => {
        if (!hasRole(req.principal, 'supervisor')) throw forbidden('只有督办人员可以更正公开结果');
        const r = await visible(req.principal, req.params.resultId);
        if (r.withdrawnAt) throw new ApiError(409, 'wrong_state', '该结果已撤回，不能更正');
        const at = toShanghaiIso(Date.now());
        const v = await changePublicResult(deps.pool, {
          resultId: r.resultId,
          expectVersion: r.version,
          change: 'corrected',
          reason: req.body.reason,
          actorKeyId: req.principal.keyId,
          actorCounty: req.principal.county,
          summary: req.body.summary,
          ...(req.body.resultCode ? { resultCode: req.body.resultCode } : {}),
          at,
        });
        if (v === undefined) throw new ApiError(409, 'wrong_state', '该结果刚被更改，请刷新后重试');
        return record(r.resultId);
      },
    );

    app.post(
      '/public/results/:resultId/withdraw',
      {
        schema: {
          summary:
            'Withdraw a published result (supervisor of its county or city), within 3 working days of the change or revocation of the decision (行政处罚法 art. 48)',
          tags: ['public'],
          params,
          body: z.object({
            reason: text(1000),
            changedAt: isoDateTimeSchema.optional().describe('When the decision was changed or revoked (default now); the 3 working days count from it'),
          }),
          response: { 200: recordSchema.extend({ withdrawBy: z.string(), late: z.boolean().describe('Withdrawn after the 3 working days') }), ...errors },
        },
      },
      async (req) => {
        if (!hasRole(req.principal, 'supervisor')) throw forbidden('只有督办人员可以撤回公开结果');
        const r = await visible(req.principal, req.params.resultId);
        if (r.withdrawnAt) throw new ApiError(409, 'wrong_state', '该结果已撤回');
        const nowMs = Date.now();
        const changedMs = req.body.changedAt ? Date.parse(req.body.changedAt) : nowMs;
        if (changedMs > nowMs)
          throw new ApiError(400, 'validation_failed', 'changedAt: 不能晚于当前时间', [{ path: 'body.changedAt', message: '不能晚于当前时间' }]);
        const due = resolveDeadline(changedMs, withdrawWithin, await calendar.current());
        const late = nowMs > due.dueAtMs;
        const v = await changePublicResult(deps.pool, {
          resultId: r.resultId,
          expectVersion: r.version,
          change: 'withdrawn',
          reason: req.body.reason,
          actorKeyId: req.principal.keyId,
          actorCounty: req.principal.county,
          at: toShanghaiIso(nowMs),
          details: { changedAt: toShanghaiIso(changedMs), withdrawBy: due.dueAt, late },
        });
        if (v === undefined) throw new ApiError(409, 'wrong_state', '该结果刚被更改，请刷新后重试');
        return { ...(await record(r.resultId)), withdrawBy: due.dueAt, late };
      },
    );
  };
