/**
 * The workflows' activity proxies, one group per timeout and retry profile, declared once.
 * Every profile retries without limit: recording must eventually succeed (a database outage delays
 * the read model, it never loses an accepted action, which is already in history), and a clock must
 * eventually be resolved (an outage delays a deadline, it never fails a task or a matter). Data that
 * can never be stored is refused by the activity as non-retryable (activities/index.ts).
 */
import { proxyActivities, proxyLocalActivities, type RetryPolicy } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';

const untilDone: RetryPolicy = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' };

/** Writes to PostgreSQL: timeline, audit, notifications, read model, public results. */
export const writes = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: untilDone });

/** Listing open work for a published calendar year, recording a day's audit verification: larger statements. */
export const listings = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: untilDone });

/** Recomputing every county's audit hash chain: a long scan, retried less eagerly. */
export const scans = proxyActivities<Activities>({ startToCloseTimeout: '10 minutes', retry: { initialInterval: '10 seconds', maximumInterval: '5 minutes' } });

/** Deadlines from the working-day calendar, as local activities: the result lands in history. */
export const clocks = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds', retry: untilDone });
