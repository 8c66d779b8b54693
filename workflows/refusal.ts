/**
 * The one way workflows refuse: a non-retryable ApplicationFailure whose `type` is one of
 * domain/refusals.ts and whose `details[0]` carries the field issues, if any. Thrown by an update
 * validator, nothing reaches history; the API maps type and details to its error body.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { ZodType, z } from 'zod';
import { fieldIssues, type FieldIssue, type RefusalType } from '../domain/refusals.js';

export function refuse(type: RefusalType, message: string, issues?: FieldIssue[]): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true, ...(issues ? { details: [issues] } : {}) });
}

/** Parses with Zod; bad input is refused as `type` (InvalidInput by default) naming each field. */
export function parseOrRefuse<S extends ZodType>(schema: S, value: unknown, opts: { type?: RefusalType; prefix?: string[] } = {}): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issues = fieldIssues(r.error.issues, opts.prefix);
    refuse(opts.type ?? 'InvalidInput', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
  }
  return r.data as z.infer<S>;
}
