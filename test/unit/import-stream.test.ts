/**
 * The import's row readers (api/import-stream.ts) give the same rows whatever the chunks the
 * request arrives in: cut anywhere, inside a quoted field, a CRLF or a multi-byte character.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { csvRecords, maxRecordChars, ndjsonRows } from '../../api/import-stream.js';

/** The bytes of `text` cut at the given offsets (a multi-byte character may be split). */
async function* chunked(text: string, cuts: number[]): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const c of [...at, bytes.length]) {
    if (c > from) yield bytes.subarray(from, c);
    from = c;
  }
}

const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

const quote = (f: string) => (/[",\n]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f);
const field = fc.string({ unit: fc.constantFrom('a', '周', '至', ',', '"', '\n', ' ', '😀', '1'), maxLength: 12 });

describe('CSV records', () => {
  test('any cut of the bytes reads the same records, each with the line it starts on', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(field, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.boolean(),
        async (rows, cuts, crlf) => {
          // A record whose only field is empty is a blank line, which the reader skips: keep two fields.
          const text = rows.map((r) => r.map(quote).join(',')).join(crlf ? '\r\n' : '\n');
          const records = await collect(csvRecords(chunked(`\ufeff${text}`, cuts)));
          expect(records.map((r) => r.fields)).toEqual(rows);
          let line = 1;
          const starts = rows.map((r) => {
            const start = line;
            line += r.join(',').split('\n').length;
            return start;
          });
          expect(records.map((r) => r.line)).toEqual(starts);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('an over-long record is refused whole (and not kept), an unclosed quote is named, blank lines are skipped', async () => {
    const long = `a,${'x'.repeat(maxRecordChars + 10)}\nb,c\n\n"open,d`;
    const records = await collect(csvRecords(chunked(long, [7, 100, 5000])));
    expect(records.map((r) => [r.line, r.error ?? r.fields])).toEqual([
      [1, `the row is longer than ${maxRecordChars} characters`],
      [2, ['b', 'c']],
      [4, 'a quoted field is not closed'],
    ]);
  });
});

describe('NDJSON rows', () => {
  test('any cut reads the same objects by line; blank lines count, bad ones are named', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ name: field, n: fc.integer() }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        async (objects, cuts) => {
          const text = [...objects.map((o) => JSON.stringify(o)), '', '{"bad"', '[1]'].join('\r\n');
          const rows = await collect(ndjsonRows(chunked(text, cuts)));
          expect(rows).toEqual([
            ...objects.map((value, i) => ({ line: i + 1, value })),
            { line: objects.length + 2, error: 'the line is not valid JSON' },
            { line: objects.length + 3, error: 'the line is not a JSON object' },
          ]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
