/**
 * Readable workflow ids (ARCHITECTURE §5). No personal data ever goes into an id.
 *
 *   matter:<county>:<scenario>:<year>-<seq>
 *   matter:…/task:<department>:<n>          a department task of a matter
 *   matter:…/transfer:<n>                   a criminal transfer of a matter (行刑衔接)
 *   matter:…/transfer:<n>/task:<dept>:<n>   a step of that transfer
 *   matter:…/dispute:<n>                    a jurisdiction dispute of a matter
 *   matter:…/supervision:<dept>:<n>         a supervision order (督办单) of a matter
 *   task:<county>:<department>:<year>-<seq>  a standalone department task
 *   clue:<county>:<year>-<seq>              a clue (问题线索, e.g. a 12345 work order)
 *   clue:…/task:<department>:<n>            a department task handling a clue
 *   warning:<county>:<year>-<seq>           a risk warning (风险预警)
 *   warning:…/task:<department>:<n>         a department task verifying or disposing of it
 *   approval:<county>:<year>-<seq>          an approval event's follow-up (审管衔接)
 *   approval:…/task:<department>:<n>        the competent department's check of it
 *
 * In URLs the `/` of a workflow id becomes `~`, so every id is a single URL-safe path segment and
 * maps one-to-one to its workflow id.
 */
/** Digits a sequence number is padded to (more when it has more). db/matters.ts pads the same in SQL. */
export const SEQ_WIDTH = 4;
const seq = (n: number, width = SEQ_WIDTH) => String(n).padStart(width, '0');

export function matterWorkflowId(county: string, scenario: string, year: number, n: number): string {
  return `${matterIdPrefix(county, scenario, year)}${seq(n)}`;
}

/** A matter's id without its number: `matter:<county>:<scenario>:<year>-`. */
export function matterIdPrefix(county: string, scenario: string, year: number): string {
  return `matter:${county}:${scenario}:${year}-`;
}

/** A department task of a matter, or a step of a matter's transfer (`parentId` is the transfer's id). */
export function matterTaskWorkflowId(parentId: string, department: string, n: number): string {
  return `${parentId}/task:${department}:${n}`;
}

/** A matter's jurisdiction dispute. */
export function disputeWorkflowId(matterId: string, n: number): string {
  return `${matterId}/dispute:${n}`;
}

/** A matter's criminal transfer (行刑衔接). */
export function transferWorkflowId(matterId: string, n: number): string {
  return `${matterId}/transfer:${n}`;
}

/** A supervision order (督办单) on a matter, to one department. */
export function supervisionOrderWorkflowId(matterId: string, department: string, n: number): string {
  return `${matterId}/supervision:${department}:${n}`;
}

/** The public result of a matter's check (one id, in versions), and its n-th published penalty decision. */
export const publicResultId = (matterId: string) => `${matterId}/result`;
export const penaltyResultId = (matterId: string, n: number) => `${matterId}/penalty:${n}`;

/** The matter a task belongs to as one of its steps (a child workflow), or undefined. */
export function matterOfStep(taskWorkflowId: string): string | undefined {
  const m = /^(matter:[^/]+)\/task:[^/]+$/.exec(taskWorkflowId);
  return m?.[1];
}

/** A clue, numbered per county and year. */
export function clueWorkflowId(county: string, year: number, n: number): string {
  return `clue:${county}:${year}-${seq(n)}`;
}

/** A risk warning (风险预警), numbered per county and year. */
export function riskWarningWorkflowId(county: string, year: number, n: number): string {
  return `warning:${county}:${year}-${seq(n)}`;
}

/** The follow-up of an approval event (审管衔接), numbered per county and year. */
export function approvalWorkflowId(county: string, year: number, n: number): string {
  return `approval:${county}:${year}-${seq(n)}`;
}

export function standaloneTaskWorkflowId(county: string, department: string, year: number, n: number): string {
  return `task:${county}:${department}:${year}-${seq(n)}`;
}

const workflowIdPattern = /^(?:matter|task|clue|warning|approval|inspection):[0-9]{6}:[a-z0-9:-]+(?:\/[a-z]+:[a-z0-9:-]+)*$/;

/**
 * The county a workflow belongs to, read from its id (every matter, task, dispute and transfer id
 * names it); undefined for the platform's own workflows (the audit verification, a calendar
 * recomputation), which hold no county's data. The payload codec tags payloads with it.
 */
export function countyOfWorkflowId(workflowId: string): string | undefined {
  return /^(?:matter|task|clue|warning|approval|inspection):([0-9]{6}):/.exec(workflowId)?.[1];
}

export function toUrlId(workflowId: string): string {
  return workflowId.replaceAll('/', '~');
}

export type IdKind = 'matter' | 'task' | 'dispute' | 'transfer' | 'clue' | 'warning' | 'approval' | 'inspection';

/**
 * What a workflow id names: a clue (and its tasks `clue:…/task:…`); a risk warning (and its tasks
 * `warning:…/task:…`); an approval follow-up (and its check `approval:…/task:…`); a matter; a department task (standalone `task:…`, a matter's
 * `…/task:…`, a supervision order `…/supervision:…`, or a transfer's step `…/transfer:<n>/task:…`);
 * a matter's jurisdiction dispute `…/dispute:<n>`; or its criminal transfer `…/transfer:<n>`.
 * Undefined for anything else.
 */
export function idKind(workflowId: string): IdKind | undefined {
  const parts = workflowId.split('/');
  if (parts.length === 1) {
    const kind = workflowId.slice(0, workflowId.indexOf(':'));
    return kind === 'matter' || kind === 'task' || kind === 'clue' || kind === 'warning' || kind === 'approval' || kind === 'inspection' ? kind : undefined;
  }
  // A clue's children are the department tasks that handle it; a warning's, those that verify and
  // dispose of it; an approval follow-up's, the competent department's check; an inspection's,
  // each department's check and the initiator's publication.
  if (parts[0]!.startsWith('clue:') || parts[0]!.startsWith('warning:') || parts[0]!.startsWith('approval:') || parts[0]!.startsWith('inspection:'))
    return parts.length === 2 && parts[1]!.startsWith('task:') ? 'task' : undefined;
  if (!parts[0]!.startsWith('matter:')) return undefined;
  if (parts.length === 3) return /^transfer:\d+$/.test(parts[1]!) && parts[2]!.startsWith('task:') ? 'task' : undefined;
  if (parts.length !== 2) return undefined;
  const child = parts[1]!;
  if (child.startsWith('task:') || child.startsWith('supervision:')) return 'task';
  if (/^transfer:\d+$/.test(child)) return 'transfer';
  return /^dispute:\d+$/.test(child) ? 'dispute' : undefined;
}

/**
 * Returns the workflow id for a URL id, or undefined when it is not one of ours, or (with `kind`)
 * not of that kind: a route given another kind's id answers 404 without asking Temporal.
 */
export function fromUrlId(urlId: string, kind?: IdKind): string | undefined {
  const workflowId = urlId.replaceAll('~', '/');
  if (!workflowIdPattern.test(workflowId) || workflowId.length > 200) return undefined;
  return kind === undefined || idKind(workflowId) === kind ? workflowId : undefined;
}

export const urlIdPattern = '^(?:matter|task|clue|warning|approval|inspection):[0-9]{6}:[a-z0-9:~-]+$';
