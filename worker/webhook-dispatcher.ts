/**
 * Webhook dispatcher: delivers the notification outbox to the endpoints registered for its
 * recipients (PUT /v1/webhooks/{county}/{target}). It runs in the worker process beside the
 * Temporal worker but outside any workflow or activity, so a slow or dead endpoint can never block
 * or fail a workflow: the worst it does is fill its own retry queue.
 *
 * Each tick:
 *   1. creates the missing delivery rows (db/webhooks.ts `enqueueDeliveries`, an anti-join on
 *      notifications of recent events, idempotent under concurrency);
 *   2. in one transaction, locks a batch of due pending deliveries with FOR UPDATE SKIP LOCKED —
 *      several worker replicas may run a dispatcher; a locked row is skipped by the others, and a
 *      row that another dispatcher has just delivered fails the re-check of `status = 'pending'`;
 *   3. POSTs each (in parallel, each with its own timeout), records every attempt and commits.
 *
 * A delivered notification is never sent to the same endpoint again. Delivery is at least once
 * only in one narrow case: the process dies (or the database connection drops) after a receiver
 * answered 2xx but before the commit; the row lock is then released and a later tick sends it
 * again. Receivers dedupe on `X-Supervision-Id`.
 *
 * Request (POST, JSON, UTF-8):
 *   body     { id, kind, title, body, objectId, county, to: {county, department, role}, createdAt }
 *   headers  X-Supervision-Id: <notification id>
 *            X-Supervision-Timestamp: <unix seconds of this attempt>
 *            X-Supervision-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>
 *            X-Supervision-Attempt: <1, 2, …>
 * A 2xx answer is delivered; anything else (3xx included: redirects are not followed), a timeout
 * or a network error is retried with backoff until `maxAttempts`, then the delivery is `dead`.
 *
 * Only public addresses are reached (worker/webhook-guard.ts): the connection's own DNS lookup
 * checks every address, so DNS rebinding after the registration's check gets nowhere.
 *
 * Logs carry ids, attempt numbers and short error classes (`ECONNREFUSED`, for the platform's
 * operators); never a URL, a body or a secret. What is recorded, and shown to the county's admin,
 * is coarser still: `HTTP <status>`, `timeout`, `not-public-address` or `unreachable`, so the
 * statistics cannot be used to map the platform's network.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Pool } from '../db/pool.js';
import { inTransaction } from '../db/sql.js';
import { claimDueDeliveries, enqueueDeliveries, recordAttempt, type AttemptOutcome, type DueDelivery } from '../db/webhooks.js';
import { AddressGuard } from './webhook-guard.js';

export interface DispatcherLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface WebhookDispatcherOptions {
  pool: Pool;
  /** Pause between ticks when there was nothing more to do. Default 1 s. */
  pollIntervalMs?: number;
  /** Deliveries locked and sent per tick (in parallel). Default 20. */
  batchSize?: number;
  /** Attempts before a delivery is `dead`. Default 12 (about 34 hours with the default backoff). */
  maxAttempts?: number;
  /**
   * Delay after the n-th failed attempt is `backoffMs[n - 1]`, the last entry repeating (the cap).
   * Default 10 s, 30 s, 2 min, 10 min, 1 h, 3 h, 6 h.
   */
  backoffMs?: readonly number[];
  /** Random spread of each delay, as a fraction (0.1: ±10 %), so retries of many endpoints do not align. Default 0.1. */
  jitter?: number;
  /** Per-request timeout. Default 5 s. */
  requestTimeoutMs?: number;
  /** Notifications older than this (by event time) are not scanned for new deliveries. Default 7 days. */
  lookbackMs?: number;
  /** Which addresses may be reached. Default: public addresses only (no allow-list). */
  guard?: AddressGuard;
  log?: DispatcherLogger;
}

export interface WebhookDispatcher {
  start(): void;
  /** Stops polling and waits for the tick in flight (bounded by the request timeout). */
  stop(): Promise<void>;
  /** One pass: enqueue, then send one batch. Returns the number of deliveries attempted. */
  tick(): Promise<number>;
}

export const defaultBackoffMs: readonly number[] = [10_000, 30_000, 120_000, 600_000, 3_600_000, 10_800_000, 21_600_000];

const stderrLogger: DispatcherLogger = {
  info: (msg, fields) => process.stdout.write(`webhook-dispatcher: ${msg}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`),
  warn: (msg, fields) => process.stderr.write(`webhook-dispatcher: ${msg}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`),
};

/** The signature header value for a body sent at `timestamp` (unix seconds, as sent). */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function createWebhookDispatcher(opts: WebhookDispatcherOptions): WebhookDispatcher {
  const pollIntervalMs = opts.pollIntervalMs ?? 1000;
  const batchSize = opts.batchSize ?? 20;
  const maxAttempts = opts.maxAttempts ?? 12;
  const backoff = opts.backoffMs?.length ? opts.backoffMs : defaultBackoffMs;
  const jitter = opts.jitter ?? 0.1;
  const requestTimeoutMs = opts.requestTimeoutMs ?? 5000;
  const lookbackMs = opts.lookbackMs ?? 7 * 24 * 3600 * 1000;
  const log = opts.log ?? stderrLogger;
  const guard = opts.guard ?? new AddressGuard();

  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  const retryDelay = (attempt: number): number => {
    const base = backoff[Math.min(attempt, backoff.length) - 1]!;
    return Math.max(0, base * (1 + jitter * (2 * Math.random() - 1)));
  };

  async function send(d: DueDelivery, attempt: number): Promise<AttemptOutcome> {
    const body = JSON.stringify(d.notification);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const at = new Date();
    const started = performance.now();
    const url = new URL(d.url);
    if (guard.literalRefused(url)) {
      return { at, durationMs: performance.now() - started, statusCode: null, error: 'not-public-address', ok: false, detail: 'EADDRNOTPUBLIC' };
    }
    try {
      const status = await post(
        url,
        {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'integrated-supervision-webhooks/1',
          'x-supervision-id': d.notification.id,
          'x-supervision-timestamp': timestamp,
          'x-supervision-signature': signWebhook(d.secret, timestamp, body),
          'x-supervision-attempt': String(attempt),
        },
        body,
      );
      const ok = status >= 200 && status < 300;
      return { at, durationMs: performance.now() - started, statusCode: status, error: ok ? null : `HTTP ${status}`, ok };
    } catch (err) {
      const detail = classify(err);
      const error = detail === 'timeout' ? 'timeout' : detail === 'EADDRNOTPUBLIC' ? 'not-public-address' : 'unreachable';
      return { at, durationMs: performance.now() - started, statusCode: null, error, ok: false, detail };
    }
  }

  /**
   * One POST; resolves with the status once the answer's head arrives. Redirects are not followed,
   * no connection is kept (each attempt resolves and checks the host again).
   */
  function post(url: URL, headers: Record<string, string>, body: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = (url.protocol === 'https:' ? https : http).request(
        url,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          agent: false,
          lookup: guard.lookupFor(url.hostname.toLowerCase()),
          signal: AbortSignal.timeout(requestTimeoutMs),
        },
        (res) => {
          // The answer's body is not needed (and never logged): drain it.
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  async function deliverBatch(): Promise<number> {
    // One transaction: the claimed rows stay locked (SKIP LOCKED for other dispatchers) until
    // their attempts are recorded.
    return inTransaction(opts.pool, async (client) => {
      const due = await claimDueDeliveries(client, batchSize);
      const outcomes = await Promise.all(due.map((d) => send(d, d.attempts + 1)));
      for (const [i, d] of due.entries()) {
        const o = outcomes[i]!;
        const attempt = d.attempts + 1;
        const retryInMs = o.ok || attempt >= maxAttempts ? null : retryDelay(attempt);
        await recordAttempt(client, { deliveryId: d.deliveryId, attempt }, o, retryInMs);
        const fields = { deliveryId: d.deliveryId, endpointId: d.endpointId, notificationId: d.notification.id, attempt };
        const error = o.detail ?? o.error;
        if (!o.ok && retryInMs === null) log.warn('delivery dead: attempts exhausted', { ...fields, error });
        else if (!o.ok) log.warn('delivery attempt failed', { ...fields, error, retryInMs: Math.round(retryInMs!) });
      }
      return due.length;
    });
  }

  async function tick(): Promise<number> {
    await enqueueDeliveries(opts.pool, lookbackMs);
    return deliverBatch();
  }

  async function run() {
    while (running) {
      let busy = false;
      try {
        busy = (await tick()) >= batchSize;
      } catch (err) {
        // The database may be briefly unavailable: keep polling. Only the error class is logged.
        log.warn('tick failed', { error: classify(err) });
      }
      if (running && !busy) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pollIntervalMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      loop = undefined;
    },
    tick,
  };
}

/** A short, secret-free description of a failed request or query. */
function classify(err: unknown): string {
  const e = err as { name?: string; code?: unknown; cause?: { code?: unknown; name?: string } } | undefined;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || e?.cause?.name === 'TimeoutError') return 'timeout';
  const code = e?.cause?.code ?? e?.code;
  if (typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code)) return code;
  if (e?.cause?.name === 'TimeoutError') return 'timeout';
  return e?.name === 'TypeError' ? 'network error' : 'error';
}

/**
 * Runs `work` (the Temporal worker) with a dispatcher beside it: started first, stopped once the
 * work ends (after the worker has drained on SIGINT/SIGTERM).
 */
export async function withWebhookDispatcher<T>(opts: WebhookDispatcherOptions, work: () => Promise<T>): Promise<T> {
  const dispatcher = createWebhookDispatcher(opts);
  dispatcher.start();
  try {
    return await work();
  } finally {
    await dispatcher.stop();
  }
}
