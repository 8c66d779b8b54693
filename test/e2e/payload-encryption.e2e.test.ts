/**
 * Issue 11 §4 (PIPL): personal data is not readable in Temporal's history. The stack seals every
 * payload with the codec (worker/payload-codec.ts) as production does; this test reads the
 * histories the way anyone with access to Temporal would (`temporal workflow show --output json`),
 * then asks the codec endpoint to decode them as different callers.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { findTemporalCli } from '../../scripts/provision.js';
import { eventually } from '../helpers/eventually.js';
import { useStack } from '../helpers/stack.js';

const run = promisify(execFile);
const departments = ['housing', 'natural-resources', 'township:610124100', 'emergency', 'market'] as const;

const stack = useStack({
  queue: 'e2e-payloads',
  keys: {
    operator: { county: '610124', roles: ['operator'] },
    supervisor: { county: '610124', roles: ['supervisor'] },
    auditor: { county: '610124', roles: ['auditor'] },
    city: { county: '610100', roles: ['supervisor'] },
    otherCounty: { county: '610125', roles: ['supervisor'] },
    ...Object.fromEntries(departments.map((d) => [d, { county: '610124', department: d, roles: ['officer' as const] }])),
  },
});

/** Every string in a parsed JSON document, and each one's base64 decoding (payload bytes are base64 in JSON). */
function readableTexts(doc: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') {
      out.push(v);
      if (/^[A-Za-z0-9+/]+={0,2}$/.test(v) && v.length % 4 === 0) out.push(Buffer.from(v, 'base64').toString('utf8'));
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(doc);
  return out;
}

/** The `{ metadata, data }` payload objects of a history in JSON whose encoding is `binary/encrypted`. */
function encryptedPayloads(doc: unknown): { metadata: Record<string, string>; data: string }[] {
  const out: { metadata: Record<string, string>; data: string }[] = [];
  const sealed = Buffer.from('binary/encrypted').toString('base64');
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as { metadata?: Record<string, string>; data?: string };
      if (o.metadata?.encoding === sealed && typeof o.data === 'string') out.push({ metadata: o.metadata, data: o.data });
      else Object.values(v).forEach(walk);
    }
  };
  walk(doc);
  return out;
}

async function history(workflowId: string, extra: string[] = []): Promise<string> {
  const cli = await findTemporalCli();
  if (!cli) throw new Error('the Temporal CLI is not built (npm run provision)');
  const { stdout } = await run(
    cli,
    ['workflow', 'show', '--address', stack.temporal.address, '--namespace', 'default', '-w', workflowId, '--output', 'json', ...extra],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout;
}

describe('personal data in Temporal (PIPL)', () => {
  test('a matter’s subject, address and an officer’s free text are ciphertext in its history and its tasks’; the codec endpoint opens them only for the county’s readers', async () => {
    const tag = randomUUID().slice(0, 8);
    const name = `加密测试户主${tag}`;
    const address = `周至县密文村${tag}号`;
    const reason = `户主${tag}正在住院，需延期核查`;
    const created = await stack.call('operator', 'POST', '/v1/matters', {
      scenario: 'self-built-housing',
      county: '610124',
      subject: { name, kind: 'house', address },
      facts: { township: '610124100', reportedHazard: true },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const matterId = created.body.workflowId as string;

    // The first step's officer signs and asks for more time, with a reason naming the owner.
    const first = await eventually(
      async () =>
        (
          (await stack.call('supervisor', 'GET', `/v1/matters/${created.body.matterId}`)).body.tasks as
            { taskId: string; state: string; department: string }[] | undefined
        )?.find((t) => t.state === 'assigned'),
      { message: 'the first step assigned' },
    );
    const officer = first.department;
    expect(departments).toContain(officer);
    expect((await stack.call(officer, 'POST', `/v1/tasks/${first.taskId}/sign`)).status).toBe(200);
    const asked = await stack.call(officer, 'POST', `/v1/tasks/${first.taskId}/extensions`, { workingDays: 2, reason });
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);
    // The API itself still reads it all back (it holds the keys).
    expect((await stack.call('supervisor', 'GET', `/v1/matters/${created.body.matterId}`)).body.subject).toMatchObject({ name, address });

    const ids = [
      matterId,
      ...((await stack.call('supervisor', 'GET', `/v1/matters/${created.body.matterId}`)).body.tasks as { taskId: string }[]).map((t) =>
        t.taskId.replaceAll('~', '/'),
      ),
    ];
    expect(ids.length).toBeGreaterThanOrEqual(2);
    const sealed: { metadata: Record<string, string>; data: string }[] = [];
    for (const id of ids) {
      const json = await history(id);
      const doc = JSON.parse(json) as unknown;
      const texts = readableTexts(doc);
      for (const secret of [name, address, reason, tag]) {
        expect(json.includes(secret), `${secret} in the history of ${id}`).toBe(false);
        expect(
          texts.some((t) => t.includes(secret)),
          `${secret} base64-readable in the history of ${id}`,
        ).toBe(false);
      }
      const payloads = encryptedPayloads(doc);
      expect(payloads.length, `encrypted payloads in ${id}`).toBeGreaterThan(0);
      // Each is tagged with the matter's county, in clear, for the codec endpoint.
      expect(new Set(payloads.map((p) => Buffer.from(p.metadata['encryption-county'] ?? '', 'base64').toString()))).toEqual(new Set(['610124']));
      sealed.push(...payloads);
    }

    const decode = (who: string | undefined) => stack.call(who, 'POST', '/v1/codec/decode', { payloads: sealed });
    const opened = await decode('supervisor');
    expect(opened.status, JSON.stringify(opened.body).slice(0, 300)).toBe(200);
    const plain = (opened.body.payloads as { metadata: Record<string, string>; data: string }[])
      .map((p) => Buffer.from(p.data, 'base64').toString('utf8'))
      .join('\n');
    for (const secret of [name, address, reason]) expect(plain).toContain(secret);
    expect((await decode('auditor')).status).toBe(200);
    expect((await decode('city')).status).toBe(200); // 西安市 oversees 周至县
    const foreign = await decode('otherCounty');
    expect(foreign.status).toBe(403);
    expect(JSON.stringify(foreign.body)).not.toContain(tag);
    expect((await decode(officer)).status).toBe(403); // officers read their work through the API
    expect((await decode(undefined)).status).toBe(401);

    // The CLI (and the Web UI) through the codec endpoint: the county's supervisor reads it in clear.
    const withCodec = await history(matterId, ['--codec-endpoint', `${stack.base}/v1/codec`, '--codec-auth', `Bearer ${stack.keys.supervisor}`]);
    expect(readableTexts(JSON.parse(withCodec)).some((t) => t.includes(name))).toBe(true);
  });

  test('the Web UI may call the codec endpoint from its own origin only (CORS)', async () => {
    const preflight = await fetch(`${stack.base}/v1/codec/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:8233',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-namespace',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    const elsewhere = await fetch(`${stack.base}/v1/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
  });
});
