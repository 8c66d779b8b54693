/**
 * `POST /v1/subjects/import` (issue 14 §1): a county's subjects in bulk, CSV or NDJSON, read as
 * the request arrives (api/import-stream.ts) and written in batches. Each row is checked like a
 * PUT and either written whole (created or updated, found by its id, else its credit code, else
 * kind, name and address) or refused with its line and the fields at fault. Rows are upserts, so
 * sending a file again after a failure writes nothing twice.
 *
 * Its own plugin: the only route that reads CSV and NDJSON, and reads no JSON.
 */
import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, appendAudit } from '../../db/events.js';
import { inTransaction } from '../../db/sql.js';
import { isUniqueViolation, registrySettings, writeKey, writeSubjects, type SubjectWrite, type WriteOutcome } from '../../db/subject-registry.js';
import { canWriteRegistry } from '../../db/visibility.js';
import { importRowSchema } from '../../domain/registry.js';
import type { AppDeps } from '../app.js';
import { ApiError, forbidden } from '../errors.js';
import { auditEventId, errorResponses } from '../plumbing.js';
import { BadHeader, csvRows, ndjsonRows } from '../import-stream.js';

/** Bytes of one request at most (about 100,000 rows of 600 bytes). */
export const importMaxBytes = 64 * 1024 * 1024;
/** Rows written per transaction. */
const batchSize = 500;
/** Refusals listed in the answer at most (`refusedCount` counts them all). */
const listedRefusals = 1_000;

export const importMediaTypes = ['text/csv', 'application/x-ndjson'] as const;

const issueSchema = z.object({
  path: z.string().describe('The field of the row (`creditGrade`, `tags.0`), or `(row)` for the whole row'),
  message: z.string(),
});
const answerSchema = z.object({
  accepted: z.number().int().describe('Rows written (created + updated)'),
  created: z.number().int().describe('Subjects registered for the first time'),
  updated: z.number().int().describe('Subjects whose record the row replaced'),
  refusedCount: z.number().int().describe('Rows refused, each with nothing of it written'),
  refused: z
    .array(z.object({ line: z.number().int().describe('The line the row starts on (the CSV header is line 1)'), issues: z.array(issueSchema) }))
    .describe(`The refused rows by line (the first ${listedRefusals} found)`),
  truncated: z.boolean().describe(`The request was over IMPORT_MAX_ROWS rows (default 100,000) or ${importMaxBytes} bytes: the rest was not read`),
});

class TooLarge extends Error {}

/** The request's bytes, refusing to read past `importMaxBytes` (a request without Content-Length). */
async function* bounded(stream: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of stream) {
    bytes += chunk.length;
    if (bytes > importMaxBytes) throw new TooLarge();
    yield chunk;
  }
}

/** A Zod issue as a refusal names it: the row's field, a message that repeats nothing of the input. */
const issueOf = (i: z.core.$ZodIssue) => ({
  path: i.path.map(String).join('.') || '(row)',
  message: i.code === 'unrecognized_keys' ? 'unknown fields' : i.message,
});

const outcomeIssue = (o: Extract<WriteOutcome, { outcome: 'refused' }>, w: SubjectWrite) =>
  o.reason === 'exists'
    ? {
        path: w.subject.creditCode ? 'creditCode' : 'name',
        message: `another subject has this ${w.subject.creditCode ? 'credit code' : 'kind, name and address'}: ${o.existing}`,
      }
    : { path: 'subjectId', message: o.reason === 'erased' ? 'the subject’s personal data was erased' : 'no such subject in the county' };

export const subjectImportRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    // The body is handed over as the stream it is: read row by row, never buffered whole.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser([...importMediaTypes], (_req, payload, done) => done(null, payload));

    app.post(
      '/subjects/import',
      {
        // An import of 100,000 rows takes longer than an ordinary request may.
        handlerTimeout: Math.max(deps.config.API_REQUEST_TIMEOUT_MS, 300_000),
        schema: {
          summary: 'Import the county’s subjects in bulk (admin): CSV (`text/csv`, a header row) or NDJSON (`application/x-ndjson`), streamed',
          description:
            `Each row is a subject as \`PUT /v1/subjects/{subjectId}\` takes it, with an optional \`subjectId\`; CSV columns ${'`subjectId,name,kind,creditCode,county,township,trade,tags,creditGrade,address,creditReason`'} in any order, tags separated by \`;\`, an empty cell absent. ` +
            'A row is written whole or refused with its line and fields; the answer counts both exactly. A row without an id updates the subject with its credit code (or kind, name and address), else registers a new one. ' +
            `At most IMPORT_MAX_ROWS rows (default 100,000) and ${importMaxBytes} bytes per request. A CSV header naming an unknown column, or leaving a required one out, is 400 and nothing is read.`,
          tags: ['subjects'],
          response: { 200: answerSchema, ...errorResponses(400, 401, 403, 413, 415, 503) },
        },
      },
      async (req) => {
        const p = req.principal;
        if (!canWriteRegistry(p, p.county)) throw forbidden('只有本县管理员可以导入监管对象');
        const county = p.county;
        const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        const body = req.body as Readable | undefined;
        if (!body || typeof (body as Partial<Readable>)[Symbol.asyncIterator] !== 'function') {
          throw new ApiError(415, 'bad_request', '导入需要 text/csv 或 application/x-ndjson 请求体');
        }
        if (Number(req.headers['content-length'] ?? 0) > importMaxBytes) throw new ApiError(413, 'body_too_large', `导入请求体不能超过 ${importMaxBytes} 字节`);
        const { gradeE } = await registrySettings(deps.pool, county);

        const answer = {
          accepted: 0,
          created: 0,
          updated: 0,
          refusedCount: 0,
          refused: [] as { line: number; issues: { path: string; message: string }[] }[],
          truncated: false,
        };
        const refuse = (line: number, issues: { path: string; message: string }[]) => {
          answer.refusedCount++;
          if (answer.refused.length < listedRefusals) answer.refused.push({ line, issues });
        };

        let batch: { line: number; write: SubjectWrite }[] = [];
        const batchKeys = new Set<string>();
        const flush = async () => {
          if (!batch.length) return;
          const items = batch;
          batch = [];
          batchKeys.clear();
          let outcomes: WriteOutcome[] | undefined;
          for (let attempt = 0; !outcomes; attempt++) {
            try {
              outcomes = await inTransaction(deps.pool, async (client) => {
                const o = await writeSubjects(
                  client,
                  county,
                  items.map((i) => i.write),
                  p.keyId,
                  '批量导入',
                );
                const written = o.flatMap((x) => (x.outcome === 'refused' ? [] : [x]));
                if (written.length) {
                  await appendAudit(client, {
                    eventId: auditEventId(`subjects-import:${county}`),
                    at: new Date().toISOString(),
                    county,
                    ...actorOf(p),
                    action: 'subjects.imported',
                    objectId: `subjects-import:${county}`,
                    // Ids only: names and addresses never enter the chain.
                    details: {
                      created: written.filter((x) => x.outcome === 'created').length,
                      updated: written.filter((x) => x.outcome === 'updated').length,
                      regraded: written.filter((x) => x.regraded).length,
                      subjects: written.map((x) => x.subjectId),
                    },
                  });
                }
                return o;
              });
            } catch (err) {
              if (!isUniqueViolation(err) || attempt >= 2) throw err;
            }
          }
          outcomes.forEach((o, i) => {
            if (o.outcome === 'refused') refuse(items[i]!.line, [outcomeIssue(o, items[i]!.write)]);
            else {
              answer.accepted++;
              answer[o.outcome]++;
            }
          });
        };

        const source = bounded(body as AsyncIterable<Buffer>);
        const rows = type === 'text/csv' ? csvRows(source) : ndjsonRows(source);
        let read = 0;
        let lastLine = 1;
        try {
          for await (const r of rows) {
            lastLine = r.line;
            if (read >= deps.config.IMPORT_MAX_ROWS) {
              answer.truncated = true;
              refuse(r.line, [{ path: '(request)', message: `at most ${deps.config.IMPORT_MAX_ROWS} rows per request: this row and the rest were not read` }]);
              break;
            }
            read++;
            if (r.error) {
              refuse(r.line, [{ path: '(row)', message: r.error }]);
              continue;
            }
            const parsed = importRowSchema.safeParse(r.value);
            if (!parsed.success) {
              refuse(r.line, parsed.error.issues.map(issueOf));
              continue;
            }
            const row = parsed.data;
            if (row.county !== county) {
              refuse(r.line, [{ path: 'county', message: 'not the county of the key' }]);
              continue;
            }
            if (row.creditGrade === 'E' && !gradeE) {
              refuse(r.line, [{ path: 'creditGrade', message: 'the county grades A–D only (E is not in use)' }]);
              continue;
            }
            const { subjectId, ...subject } = row;
            const write: SubjectWrite = { subjectId, subject };
            // A batch names each subject once: a repeat waits for the batch before it (and updates it).
            const keys = [writeKey(write), ...(subjectId ? [subjectId] : [])];
            if (keys.some((k) => batchKeys.has(k))) await flush();
            keys.forEach((k) => batchKeys.add(k));
            batch.push({ line: r.line, write });
            if (batch.length >= batchSize) await flush();
          }
        } catch (err) {
          if (err instanceof BadHeader) throw new ApiError(400, 'validation_failed', 'CSV 表头不符合要求', [{ path: 'body.header', message: err.message }]);
          if (!(err instanceof TooLarge)) throw err;
          answer.truncated = true;
          refuse(lastLine + 1, [{ path: '(request)', message: `over ${importMaxBytes} bytes: the rest of the request was not read` }]);
        }
        await flush();
        answer.refused.sort((a, b) => a.line - b.line);
        return answer;
      },
    );
  };
