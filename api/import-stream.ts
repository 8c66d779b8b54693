/**
 * Rows of an import read from the request as it arrives (CSV by RFC 4180, or NDJSON), one at a
 * time: nothing holds more than the record being read, so 100,000 rows cost no more memory than
 * one. Each row carries the line it starts on, which is what a refusal names.
 */
import { importColumns } from '../domain/registry.js';

/** A row as read: its fields by column, or why it could not be read. */
export interface ReadRow {
  line: number;
  value?: Record<string, unknown>;
  error?: string;
}

/** A record longer than this (characters) is refused as a whole, and not kept in memory. */
export const maxRecordChars = 16_384;

async function* text(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let first = true;
  for await (const chunk of chunks) {
    let s = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (first && s.length) {
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1); // a byte-order mark (Excel writes one)
      first = false;
    }
    if (s) yield s;
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

interface CsvRecord {
  line: number;
  fields: string[];
  error?: string;
}

/** RFC 4180 records: quoted fields may hold commas, quotes ("") and line breaks; CRLF or LF. */
export async function* csvRecords(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<CsvRecord> {
  let line = 1;
  let recordLine = 1;
  let fields: string[] = [];
  let field = '';
  let size = 0;
  let quoted = false; // inside a quoted field
  let quoteSeen = false; // a quote inside a quoted field: the end, or the first of ""
  let error: string | undefined;
  let started = false; // the record has any character
  const endRecord = (): CsvRecord | undefined => {
    fields.push(field);
    const rec = started ? { line: recordLine, fields, ...(error ? { error } : {}) } : undefined;
    fields = [];
    field = '';
    size = 0;
    error = undefined;
    started = false;
    return rec;
  };
  const add = (c: string) => {
    if (error) return;
    if (++size > maxRecordChars) {
      error = `the row is longer than ${maxRecordChars} characters`;
      fields = [];
      field = '';
      return;
    }
    field += c;
  };
  for await (const s of text(chunks)) {
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (quoted) {
        if (quoteSeen) {
          quoteSeen = false;
          if (c === '"') {
            add('"');
            continue;
          }
          quoted = false; // the closing quote: fall through to the unquoted handling of c
        } else if (c === '"') {
          quoteSeen = true;
          continue;
        } else {
          if (c === '\n') line++;
          if (c !== '\r') add(c); // a line break inside a field is kept as \n
          continue;
        }
      }
      if (c === '\r') continue;
      if (c === '\n') {
        const rec = endRecord();
        if (rec) yield rec;
        line++;
        recordLine = line;
        continue;
      }
      started = true;
      if (c === ',') {
        if (!error) fields.push(field);
        field = '';
      } else if (c === '"' && field === '') quoted = true;
      else add(c);
    }
  }
  if (quoted && !quoteSeen) {
    started = true;
    error ??= 'a quoted field is not closed';
  }
  const rec = endRecord();
  if (rec) yield rec;
}

/** NDJSON lines: one JSON object per line; blank lines are skipped (and counted). */
export async function* ndjsonRows(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<ReadRow> {
  let line = 1;
  let buf = '';
  let tooLong = false;
  const parse = (raw: string, at: number): ReadRow | undefined => {
    const s = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!s.trim()) return undefined;
    try {
      const value: unknown = JSON.parse(s);
      if (!value || typeof value !== 'object' || Array.isArray(value)) return { line: at, error: 'the line is not a JSON object' };
      return { line: at, value: value as Record<string, unknown> };
    } catch {
      return { line: at, error: 'the line is not valid JSON' };
    }
  };
  for await (const s of text(chunks)) {
    let from = 0;
    for (let nl = s.indexOf('\n'); nl !== -1; nl = s.indexOf('\n', from)) {
      const row = tooLong ? { line, error: `the row is longer than ${maxRecordChars} characters` } : parse(buf + s.slice(from, nl), line);
      if (row) yield row;
      buf = '';
      tooLong = false;
      from = nl + 1;
      line++;
    }
    if (!tooLong) {
      buf += s.slice(from);
      if (buf.length > maxRecordChars) {
        tooLong = true;
        buf = '';
      }
    }
  }
  if (tooLong) yield { line, error: `the row is longer than ${maxRecordChars} characters` };
  else {
    const row = parse(buf, line);
    if (row) yield row;
  }
}

/** A CSV header that names an unknown column or leaves a required one out. */
export class BadHeader extends Error {}

const required = ['name', 'kind', 'county', 'township', 'trade', 'creditGrade'];

/**
 * CSV rows as objects by the header's column names: an empty cell is an absent field, `tags`
 * are separated by `;`. The header is checked before any row is read.
 */
export async function* csvRows(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<ReadRow> {
  let header: string[] | undefined;
  for await (const rec of csvRecords(chunks)) {
    if (!header) {
      if (rec.error) throw new BadHeader(rec.error);
      header = rec.fields.map((f) => f.trim());
      const unknown = header.filter((h) => !(importColumns as readonly string[]).includes(h));
      const missing = required.filter((r) => !header!.includes(r));
      const repeated = header.filter((h, i) => header!.indexOf(h) !== i);
      if (unknown.length || missing.length || repeated.length) {
        throw new BadHeader(
          [
            unknown.length ? `unknown columns: ${unknown.length}` : '',
            missing.length ? `missing columns: ${missing.join(', ')}` : '',
            repeated.length ? `repeated columns: ${[...new Set(repeated)].join(', ')}` : '',
          ]
            .filter(Boolean)
            .join('; '),
        );
      }
      continue;
    }
    if (rec.error) {
      yield { line: rec.line, error: rec.error };
      continue;
    }
    if (rec.fields.length !== header.length) {
      yield { line: rec.line, error: `expected ${header.length} fields, found ${rec.fields.length}` };
      continue;
    }
    const value: Record<string, unknown> = {};
    header.forEach((h, i) => {
      const cell = rec.fields[i]!;
      if (cell === '') return;
      value[h] = h === 'tags' ? cell.split(';').flatMap((t) => (t.trim() ? [t.trim()] : [])) : cell;
    });
    yield { line: rec.line, value };
  }
  if (!header) throw new BadHeader('no header row');
}
