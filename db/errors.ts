import pg from 'pg';

/**
 * What may be said about a PostgreSQL error: its SQLSTATE, the condition's name and the schema
 * object it concerns. Never its message, `detail`, `where` or `hint`: those quote row contents
 * (`JSON data, line 1: …"name":"张…`, `Key (id)=(…)`, `invalid input syntax for type …: "…"`),
 * which may be personal data. Undefined when `err` is not an error PostgreSQL reported.
 */
export interface PgErrorSummary {
  name: 'DatabaseError';
  code: string;
  condition: string;
  table?: string;
  column?: string;
  constraint?: string;
}

/** Condition names of the SQLSTATEs recording can meet (PostgreSQL manual, appendix A). */
const conditions: Record<string, string> = {
  22001: 'string_data_right_truncation',
  22003: 'numeric_value_out_of_range',
  22007: 'invalid_datetime_format',
  22008: 'datetime_field_overflow',
  22021: 'character_not_in_repertoire',
  '22P02': 'invalid_text_representation',
  '22P05': 'untranslatable_character',
  23502: 'not_null_violation',
  23503: 'foreign_key_violation',
  23505: 'unique_violation',
  23514: 'check_violation',
  40001: 'serialization_failure',
  '40P01': 'deadlock_detected',
  '57014': 'query_canceled',
};

export function pgErrorSummary(err: unknown): PgErrorSummary | undefined {
  if (!(err instanceof pg.DatabaseError) || typeof err.code !== 'string') return undefined;
  const classes: Record<string, string> = {
    22: 'data_exception',
    23: 'integrity_constraint_violation',
    40: 'transaction_rollback',
    42: 'syntax_error_or_access_rule_violation',
    57: 'operator_intervention',
  };
  return {
    name: 'DatabaseError',
    code: err.code,
    condition: conditions[err.code] ?? classes[err.code.slice(0, 2)] ?? 'other',
    ...(err.table ? { table: err.table } : {}),
    ...(err.column ? { column: err.column } : {}),
    ...(err.constraint ? { constraint: err.constraint } : {}),
  };
}

/**
 * SQLSTATE class 22 (data exception): PostgreSQL refuses the value itself (NUL, an unpaired
 * surrogate, a time out of range). Trying the same write again can never succeed.
 */
export function isDataException(err: unknown): boolean {
  return pgErrorSummary(err)?.code.startsWith('22') ?? false;
}

/** The summary in words, for a log line or a failure message: `SQLSTATE 22P05 untranslatable_character (table tasks)`. */
export function describePgError(s: PgErrorSummary): string {
  const where = [s.table && `table ${s.table}`, s.column && `column ${s.column}`, s.constraint && `constraint ${s.constraint}`].filter(Boolean).join(', ');
  return `SQLSTATE ${s.code} ${s.condition}${where ? ` (${where})` : ''}`;
}

/**
 * PostgreSQL does not answer, as opposed to refusing a statement: refusing connections, shutting
 * down, out of connections (SQLSTATE classes 08, 53300, 57P01–57P03), cancelling a statement at
 * `statement_timeout` (57014); or frozen (no connection from the pool in time, a handshake or a
 * query never answered). node-postgres raises the last kind as plain errors with no code, so
 * their messages are the only sign: this is the one place that reads them.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  if (!e) return false;
  if (typeof e.code === 'string' && (/^08[0-9A-Z]{3}$/.test(e.code) || ['57014', '57P01', '57P02', '57P03', '53300'].includes(e.code))) return true;
  return (
    typeof e.message === 'string' &&
    /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|Query read timeout|^timeout expired$/i.test(e.message)
  );
}
