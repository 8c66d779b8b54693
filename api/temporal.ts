import { Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';

/**
 * The API's connection to Temporal. Lazy, so the API starts (and /readyz says 503) while Temporal
 * is still coming up; and with few retries, so a request answers 503 within a couple of seconds
 * when Temporal is down instead of hanging for the client's default ~20 s of retries.
 */
export function apiTemporalConnection(address: string): Connection {
  return Connection.lazy({
    address,
    connectTimeout: 2_000,
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 4, initialIntervalMs: () => 100, maxIntervalMs: () => 1_000 }))],
  });
}
