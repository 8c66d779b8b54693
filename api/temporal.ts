import {
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
  type ClientInterceptors,
} from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { Config } from '../domain/config.js';
import type { Tracing } from '../worker/tracing.js';
import { ApiError } from './errors.js';

/**
 * The API's connection to Temporal. Lazy, so the API starts (and /readyz says 503) while Temporal
 * is still coming up; and with few retries, so a request answers 503 within a couple of seconds
 * when Temporal is down instead of hanging for the client's default ~20 s of retries.
 */
export function apiTemporalConnection(address: string, apiKey?: string): Connection {
  return Connection.lazy({
    address,
    ...(apiKey ? { apiKey } : {}),
    connectTimeout: 2_000,
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 4, initialIntervalMs: () => 100, maxIntervalMs: () => 1_000 }))],
  });
}

/**
 * The API client's interceptors: with tracing on (worker/tracing.ts), starting a workflow, sending
 * an Update, a Signal or a Query is a span (`StartWorkflow:selfBuiltHousingMatter`) under the
 * request's, and its context rides in the call's Temporal headers to the workflow, so the run and
 * its activities join the request's trace. None when tracing is off.
 */
export function apiClientInterceptors(tracing: Pick<Tracing, 'tracer'> | undefined): { interceptors?: ClientInterceptors } {
  return tracing ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer: tracing.tracer })] } } : {};
}

/**
 * Sends an Update with a deadline: every gRPC call made inside `send` (accepting the Update, then
 * polling for its outcome) carries a deadline `UPDATE_TIMEOUT_MS` from now, and a workflow that
 * has not answered by then is a 503 `unavailable` (with Retry-After) instead of an open socket.
 * The Update itself is not withdrawn: sent again with the same update id, it lands on the first.
 *
 *     await withUpdateDeadline(deps, () => handle.executeUpdate(signUpdate, { args: [...] }))
 */
export async function withUpdateDeadline<R>(deps: { temporal: Client; config: Pick<Config, 'UPDATE_TIMEOUT_MS'> }, send: () => Promise<R>): Promise<R> {
  try {
    return await deps.temporal.withDeadline(Date.now() + deps.config.UPDATE_TIMEOUT_MS, send);
  } catch (err) {
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      throw new ApiError(503, 'unavailable', '工作流未在规定时间内响应，请稍后重试');
    }
    throw err;
  }
}
