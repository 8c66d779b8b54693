/**
 * Why a workflow refuses an action or a start: the `type` of its non-retryable ApplicationFailure.
 * One list, shared by the workflows (which throw them) and the API (which maps each to an HTTP
 * status and a stable code), so neither side reads the other's message text.
 */
export const refusals = {
  InvalidInput: { status: 400, code: 'validation_failed' },
  Forbidden: { status: 403, code: 'forbidden' },
  NotFound: { status: 404, code: 'not_found' },
  WrongState: { status: 409, code: 'wrong_state' },
  ExtensionPending: { status: 409, code: 'extension_pending' },
  DeadlinePassed: { status: 409, code: 'deadline_passed' },
  MatterTask: { status: 409, code: 'matter_task' },
  ReturnWindowClosed: { status: 409, code: 'return_window_closed' },
  /** The department was designated by a jurisdiction dispute on the grounds it returns on. */
  Designated: { status: 409, code: 'designated' },
  /** A statutory step of a fixed party (a criminal transfer's) cannot be returned. */
  NotReturnable: { status: 409, code: 'not_returnable' },
  /** A criminal transfer was approved: the matter cannot end without it (国务院令第310号 art. 11). */
  TransferPending: { status: 409, code: 'transfer_pending' },
  /** A clue's reply (or return) while the matter opened from it runs: the reply waits for its end. */
  MatterPending: { status: 409, code: 'matter_pending' },
  /** A clue without a subject cannot open a matter (a matter is about one subject). */
  NoSubject: { status: 409, code: 'no_subject' },
  /** A matter started (around the API) with facts its scenario refuses. */
  InvalidFacts: { status: 400, code: 'validation_failed' },
  /** A scenario's code and its catalogue disagree (a role or step missing). */
  CatalogueError: { status: 409, code: 'refused' },
} as const;

export type RefusalType = keyof typeof refusals;

/** A field-level problem; `path` is relative to the action's input (the API prefixes `body.`). */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Zod issues as field issues (`(root)` for the input itself). */
export function fieldIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[], prefix: string[] = []): FieldIssue[] {
  return issues.map((i) => ({ path: [...prefix, ...i.path.map(String)].join('.') || '(root)', message: i.message }));
}
