/**
 * The codec endpoint as the production Web UI calls it: with its user's OIDC access token (a JWT
 * signed by the identity provider, checked against its JWKS), or an API key. Payloads are sealed
 * here by the same codec the worker uses, each tagged with its workflow's county.
 * (test/e2e/payload-encryption.e2e.test.ts reads real histories from a dev server.)
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../../api/app.js';
import { apiTemporalConnection } from '../../api/temporal.js';
import { createKey } from '../../db/keys.js';
import { freePort } from '../../scripts/dev-stack.js';
import { EncryptionCodec, parsePayloadKeys } from '../../worker/payload-codec.js';
import { testConfig, testPayloadKeys } from '../helpers/config.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';

const issuer = 'https://idp.example/realms/shaanxi';
const audience = 'temporal-ui';
let db: TestDatabase;
let app: FastifyInstance;
let jwks: http.Server;
let idpKey: KeyObject;
let strangerKey: KeyObject;

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
function token(claims: Record<string, unknown>, opts: { key?: KeyObject; kid?: string } = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const head = b64url({ alg: 'RS256', typ: 'JWT', kid: opts.kid ?? 'idp-1' });
  const body = b64url({ iss: issuer, aud: audience, sub: 'user-42', exp: now + 300, iat: now, ...claims });
  return `${head}.${body}.${sign('sha256', Buffer.from(`${head}.${body}`), opts.key ?? idpKey).toString('base64url')}`;
}

const codec = new EncryptionCodec(parsePayloadKeys(testPayloadKeys));
const json = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
  data: Buffer.from(p.data!).toString('base64'),
});
async function sealedFor(workflowId: string, value: unknown) {
  const [p] = await codec.encode([defaultPayloadConverter.toPayload(value)], { type: 'workflow', namespace: 'default', workflowId });
  return json(p!);
}
const decode = (authorization: string | undefined, payloads: unknown[]) =>
  app.inject({
    method: 'POST',
    url: '/v1/codec/decode',
    headers: { 'x-namespace': 'default', ...(authorization ? { authorization } : {}) },
    payload: { payloads },
  });
const texts = (body: { payloads: { data: string }[] }) => body.payloads.map((p) => Buffer.from(p.data, 'base64').toString('utf8'));

beforeAll(async () => {
  db = await freshDatabase();
  ({ privateKey: idpKey } = generateKeyPairSync('rsa', { modulusLength: 2048 }));
  ({ privateKey: strangerKey } = generateKeyPairSync('rsa', { modulusLength: 2048 }));
  const publicJwk = { ...(await import('node:crypto')).createPublicKey(idpKey).export({ format: 'jwk' }), kid: 'idp-1', alg: 'RS256', use: 'sig' };
  jwks = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] })));
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const temporal = new Client({ connection: apiTemporalConnection(`127.0.0.1:${await freePort()}`) });
  app = await buildApp({
    config: testConfig({
      CODEC_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/certs`,
      CODEC_JWT_ISSUER: issuer,
      CODEC_JWT_AUDIENCE: audience,
    }),
    pool: db.pool,
    temporal,
    logger: false,
  });
});
afterAll(async () => {
  await app?.close();
  jwks?.close();
  await db?.drop();
});

describe('the codec endpoint with the Web UI user’s access token', () => {
  test('a 610124 supervisor’s token decodes 610124’s payloads; 610125’s is refused, with nothing decoded', async () => {
    const ours = await sealedFor('matter:610124:self-built-housing:2026-0001', { subject: { name: '张某某' } });
    const theirs = await sealedFor('matter:610125:self-built-housing:2026-0001', { subject: { name: '李某某' } });
    const supervisor = `Bearer ${token({ county: '610124', roles: ['supervisor'] })}`;
    const ok = await decode(supervisor, [ours]);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(texts(ok.json())).toEqual([JSON.stringify({ subject: { name: '张某某' } })]);
    const mixed = await decode(supervisor, [ours, theirs]);
    expect(mixed.statusCode).toBe(403);
    expect(mixed.json()).toEqual({ error: { code: 'forbidden', message: '载荷属于无权查看的区县' } });
    expect(mixed.body).not.toContain('张某某');
    // A city's supervisor reads each of its counties.
    const city = await decode(`Bearer ${token({ county: '610100', roles: ['supervisor'] })}`, [ours, theirs]);
    expect(city.statusCode).toBe(200);
    expect(texts(city.json()).map((t) => JSON.parse(t).subject.name)).toEqual(['张某某', '李某某']);
  });

  test.each([
    ['expired', () => token({ county: '610124', roles: ['supervisor'], exp: Math.floor(Date.now() / 1000) - 5 })],
    ['signed by another key', () => token({ county: '610124', roles: ['supervisor'] }, { key: strangerKey })],
    ['an unknown key id', () => token({ county: '610124', roles: ['supervisor'] }, { kid: 'idp-9' })],
    ['another issuer', () => token({ county: '610124', roles: ['supervisor'], iss: 'https://elsewhere.example' })],
    ['another audience', () => token({ county: '610124', roles: ['supervisor'], aud: 'someone-else' })],
    ['no county', () => token({ roles: ['supervisor'] })],
    ['no known role', () => token({ county: '610124', roles: ['superuser'] })],
  ])('a token %s is 401', async (_what, make) => {
    const res = await decode(`Bearer ${make()}`, [await sealedFor('matter:610124:refined-oil:2026-0001', 'x')]);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthenticated');
  });

  test('a token of an officer is 403: officers read their work through the API', async () => {
    const res = await decode(`Bearer ${token({ county: '610124', roles: ['officer'] })}`, [await sealedFor('matter:610124:refined-oil:2026-0001', 'x')]);
    expect(res.statusCode).toBe(403);
  });
});

describe('the codec endpoint with an API key', () => {
  test('unencrypted payloads come back unchanged; a payload of a key no longer listed is 422; only platform operators encode', async () => {
    const { key: auditor } = await createKey(db.pool, { county: '610124', roles: ['auditor'] });
    const plain = json(defaultPayloadConverter.toPayload({ old: true }));
    const res = await decode(`Bearer ${auditor}`, [plain]);
    expect(res.statusCode).toBe(200);
    expect(res.json().payloads).toEqual([plain]);

    const retired = new EncryptionCodec(parsePayloadKeys(`retired:${Buffer.alloc(32, 8).toString('base64')}`));
    const [old] = await retired.encode([defaultPayloadConverter.toPayload('x')], {
      type: 'workflow',
      namespace: 'default',
      workflowId: 'task:610124:housing:2025-0001',
    });
    const gone = await decode(`Bearer ${auditor}`, [json(old!)]);
    expect(gone.statusCode).toBe(422);
    expect(gone.json().error).toEqual({ code: 'undecodable', message: '载荷无法解密（未知密钥或内容被篡改）' });

    const enc = (k: string) =>
      app.inject({ method: 'POST', url: '/v1/codec/encode', headers: { authorization: `Bearer ${k}` }, payload: { payloads: [plain] } });
    expect((await enc(auditor)).statusCode).toBe(403);
    const { key: platform } = await createKey(db.pool, { county: '610000', roles: ['platform'] });
    const encoded = await enc(platform);
    expect(encoded.statusCode).toBe(200);
    expect(Buffer.from(encoded.json().payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
  });

  test('a body that is not Payloads is 400 with the field path', async () => {
    const { key } = await createKey(db.pool, { county: '610124', roles: ['supervisor'] });
    const res = await app.inject({
      method: 'POST',
      url: '/v1/codec/decode',
      headers: { authorization: `Bearer ${key}` },
      payload: { payloads: [{ data: '!!not base64!!' }] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.issues).toEqual([{ path: 'body.payloads.0.data', message: 'expected base64' }]);
  });
});
