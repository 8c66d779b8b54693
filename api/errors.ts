import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { ServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { isDatabaseUnavailable, pgErrorSummary } from '../db/errors.js';
import { refusals, type FieldIssue, type RefusalType } from '../domain/refusals.js';
import { isStorableText } from '../domain/text.js';

/** The one error body every route returns: `{ error: { code, message, issues? } }`. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().describe('Stable machine-readable code, e.g. `validation_failed`, `wrong_state`'),
    message: z.string().describe('Human-readable explanation (Chinese where users read it)'),
    issues: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('Field-level problems, with paths such as `body.summary`'),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/**
 * Statuses any request may be answered with before or around its route (the OpenAPI document
 * declares them on every operation, all with the one error body): a malformed request or query
 * (400), a body over API_BODY_LIMIT (413), an over-long path parameter (414), a media type the
 * API does not read (415), headers over Node's limit (431), a dependency down or too slow (503).
 */
export const anyRequestErrors = [400, 413, 414, 415, 431, 503] as const;
/** And every request under /v1: no or a bad key (401), too many bad keys from one address (429). */
export const keyedRequestErrors = [401, 429] as const;

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly issues?: { path: string; message: string }[],
    /** Seconds for `Retry-After` (429; a 503 always says 5). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** 429: the caller must wait `seconds` (sent as Retry-After). */
export const tooManyRequests = (message: string, seconds: number) =>
  new ApiError(429, 'too_many_requests', message, undefined, Math.max(1, Math.ceil(seconds)));

/** One message for "does not exist" and "you may not see it", so a 404 reveals nothing. */
export const notFound = (what = '资源') => new ApiError(404, 'not_found', `${what}不存在或无权查看`);
export const forbidden = (message = '无权执行此操作') => new ApiError(403, 'forbidden', message);
/** 400 for one field, as a validation error names it (`body.department`). */
export const invalidField = (path: string, message: string) => new ApiError(400, 'validation_failed', message, [{ path, message }]);
/** A township of another county named for work in this one (a township code begins with its county's). */
export const townshipOfAnotherCounty = (path: string, county: string) => invalidField(path, `该乡镇不属于 ${county}：只能派给本县的乡镇`);

/** A workflow refusal's field issues (ApplicationFailure `details[0]`, see workflows/refusal.ts). */
function refusalIssues(failure: ApplicationFailure): FieldIssue[] | undefined {
  const issues = failure.details?.[0];
  if (!Array.isArray(issues)) return undefined;
  return (issues as FieldIssue[]).map((i) => ({ path: i.path === '(root)' ? 'body' : `body.${i.path}`, message: i.message }));
}

/** Node socket errors meaning "the other side is not there". */
const unreachable = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE'];

/**
 * A dependency that does not answer (or not in time), as opposed to a request that is wrong:
 * Temporal unreachable or past its deadline; PostgreSQL not answering (db/errors.ts
 * `isDatabaseUnavailable`); and the whole request running past API_REQUEST_TIMEOUT_MS (Fastify's
 * handler timeout). Nothing here reads an error's message text.
 */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown } | undefined;
  if (!e) return false;
  if (err instanceof ServiceError) return true;
  if (e.code === 14 || e.code === 4) return true; // gRPC UNAVAILABLE / DEADLINE_EXCEEDED
  if (e.code === 'FST_ERR_HANDLER_TIMEOUT') return true;
  if (typeof e.code === 'string' && unreachable.includes(e.code)) return true;
  return isDatabaseUnavailable(err);
}

/**
 * An error never hands back text a client cannot store, nor the poison itself: a field path may
 * quote a key the caller sent (`body.roles.lead\u0000`), so it stops at the record that holds the
 * key (`body.roles`); any other such text loses the offending characters.
 */
function storableErrorBody(body: ErrorBody): ErrorBody {
  const clean = (t: string) => (isStorableText(t) ? t : t.replace(/\u0000|\p{Cs}/gu, ''));
  const cleanPath = (path: string) => {
    if (isStorableText(path)) return path;
    const parts = path.split('.');
    return parts
      .slice(
        0,
        Math.max(
          1,
          parts.findIndex((p) => !isStorableText(p)),
        ),
      )
      .map(clean)
      .join('.');
  };
  const e = body.error;
  return {
    error: { ...e, message: clean(e.message), ...(e.issues ? { issues: e.issues.map((i) => ({ path: cleanPath(i.path), message: clean(i.message) })) } : {}) },
  };
}

export function registerErrorHandler(app: FastifyInstance) {
  app.setNotFoundHandler((_req, reply) => {
    void reply.code(404).send({ error: { code: 'not_found', message: '没有这个接口' } });
  });

  app.setErrorHandler((err: FastifyError | Error, req, reply) => {
    const send = (status: number, body: ErrorBody) => reply.code(status).send(storableErrorBody(body));

    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = (err as FastifyError).validationContext ?? 'body';
      const issues = err.validation.map((v) => ({
        path: [where, ...v.instancePath.split('/').filter(Boolean)].join('.'),
        message: v.message ?? 'invalid',
      }));
      return send(400, { error: { code: 'validation_failed', message: '请求参数不符合要求', issues } });
    }
    if (err instanceof ApiError) {
      if (err.statusCode === 503) void reply.header('Retry-After', '5');
      if (err.statusCode === 429) void reply.header('Retry-After', String(err.retryAfterSeconds ?? 1));
      return send(err.statusCode, { error: { code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) } });
    }
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      // The refusal's type and details say everything: no message text is parsed.
      const { status, code } = refusals[err.cause.type as RefusalType] ?? { status: 409, code: 'refused' };
      const issues = refusalIssues(err.cause);
      return send(status, { error: { code, message: err.cause.message, ...(issues ? { issues } : {}) } });
    }
    if (err instanceof WorkflowNotFoundError) {
      return send(404, { error: { code: 'not_found', message: '资源不存在或无权查看' } });
    }
    const fe = err as FastifyError;
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return send(413, { error: { code: 'body_too_large', message: '请求体过大' } });
    }
    if (
      fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ||
      fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
      fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      (fe.statusCode === 400 && fe.code?.startsWith('FST_'))
    ) {
      return send(fe.statusCode ?? 400, { error: { code: 'bad_request', message: '请求格式错误（需要 JSON）' } });
    }
    if (isUnavailable(err)) {
      req.log.warn({ err: { name: (err as Error).name, code: (err as { code?: unknown }).code } }, 'dependency unavailable');
      void reply.header('Retry-After', '5');
      return send(503, { error: { code: 'unavailable', message: '服务暂时不可用（工作流引擎或数据库无响应），请稍后重试' } });
    }
    if (isResponseSerializationError(err)) {
      req.log.error({ issues: err.cause.issues }, 'response did not match its schema');
    } else {
      // A PostgreSQL error's message and detail quote row values (personal data): log its code only.
      req.log.error({ err: pgErrorSummary(err) ?? err }, 'unhandled error');
    }
    // Never a stack trace or internal message to the caller.
    return send(500, { error: { code: 'internal', message: '服务器内部错误' } });
  });
}
