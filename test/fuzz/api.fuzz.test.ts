/**
 * The fuzz tier (issue: hostile input): Schemathesis generates requests from the OpenAPI document
 * (valid and invalid ones, a bounded number per operation, with a fixed seed) against the API on a
 * port with its real worker, Temporal dev server and PostgreSQL, once per kind of caller. The
 * build fails on any 5xx; response-schema conformance is checked and reported.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { findSchemathesis } from '../../scripts/provision.js';
import { useStack } from '../helpers/stack.js';

const run = promisify(execFile);
const stack = useStack({
  queue: 'fuzz',
  keys: {
    operator: { county: '610124', roles: ['operator'] },
    supervisor: { county: '610124', roles: ['supervisor'] },
    officer: { county: '610124', department: 'housing', roles: ['officer'] },
    admin: { county: '610124', roles: ['admin'] },
  },
});
const dir = mkdtempSync(path.join(os.tmpdir(), 'fuzz-'));
afterAll(() => {
  if (!process.env.FUZZ_KEEP) rmSync(dir, { recursive: true, force: true });
});

/** Examples per operation and caller: bounded so the tier fits in CI (see README). */
const maxExamples = Number(process.env.FUZZ_MAX_EXAMPLES ?? 8);

async function fuzz(who: keyof typeof stack.keys | undefined) {
  const st = await findSchemathesis();
  const report = path.join(dir, `${who ?? 'anonymous'}.ndjson`);
  const args = [
    'run',
    `${stack.base}/openapi.json`,
    '--url',
    stack.base,
    '--no-color',
    '--checks',
    'not_a_server_error,response_schema_conformance',
    '--phases',
    'examples,fuzzing',
    '--max-examples',
    String(maxExamples),
    '--seed',
    '20261202',
    '--generation-database',
    'none',
    '--request-timeout',
    '15',
    '--workers',
    '2',
    '--report',
    'ndjson',
    '--report-ndjson-path',
    report,
    ...(who ? ['-H', `Authorization: Bearer ${stack.keys[who]}`] : []),
  ];
  const res = await run(st, args, { maxBuffer: 256 * 1024 * 1024, timeout: 600_000 }).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code?: number; stdout?: string }) => ({ code: e.code ?? 1, out: e.stdout ?? '' }),
  );
  return { ...res, report: readFileSync(report, 'utf8') };
}

interface Finished {
  status: string;
  recorder?: { label?: string } & Record<string, unknown>;
}

/** The scenarios Schemathesis finished, from its NDJSON event stream. */
function scenarios(ndjson: string): Finished[] {
  return ndjson
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .flatMap((e) => ('ScenarioFinished' in e ? [e.ScenarioFinished as Finished] : []));
}

describe('the API under a fuzzer', () => {
  test.each([
    { as: 'operator', who: 'operator' },
    { as: 'supervisor', who: 'supervisor' },
    { as: 'officer', who: 'officer' },
    { as: 'admin', who: 'admin' },
    { as: 'anyone without a key', who: undefined },
  ] as const)(
    'as $as: no 5xx, responses as documented',
    async ({ who }) => {
      const r = await fuzz(who);
      const done = scenarios(r.report);
      const bad = done.filter((x) => x.status === 'failure' || x.status === 'error');
      // Every operation was exercised (the document has about forty), not a vacuous pass.
      expect(new Set(done.filter((x) => x.status === 'success').map((x) => x.recorder?.label)).size).toBeGreaterThan(30);
      expect(
        bad.map((x) => `${x.recorder?.label}: ${JSON.stringify(x).slice(0, 1500)}`),
        r.out.slice(-6000),
      ).toEqual([]);
      expect(r.code, r.out.slice(-6000)).toBe(0);
    },
    900_000,
  );
});
