import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import { coversCounty, hasRole, type Principal } from '../../domain/principal.js';
import { payloadKeysFor } from '../../domain/payload-keys.js';
import { EncryptionCodec, isEncrypted, payloadCounty, PayloadKeyError } from '../../worker/payload-codec.js';
import { AuthFailureThrottle, authenticateRequest } from '../auth.js';
import type { AppDeps } from '../app.js';
import { ApiError, errorBodySchema, forbidden } from '../errors.js';
import { JwtVerifier } from '../jwt.js';

const errors = { 401: errorBodySchema, 403: errorBodySchema, 422: errorBodySchema };

const base64 = z
  .string()
  .max(8 * 1024 * 1024)
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'expected base64');
/** Temporal's `Payloads` in protobuf JSON (the codec server protocol): byte fields as base64. */
const payloadsSchema = z.object({
  payloads: z
    .array(
      z.object({
        metadata: z.record(z.string().regex(/^[\x21-\x7e]{1,200}$/, 'expected a metadata key of printable ASCII'), base64.max(4096)).optional(),
        data: base64.optional(),
      }),
    )
    .max(10_000),
});
type PayloadsJson = z.infer<typeof payloadsSchema>;

const fromJson = (p: PayloadsJson['payloads'][number]): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

/** Who may read a county's payloads in Temporal's UI: its supervisors and auditors, the platform's operators. */
const readers = ['supervisor', 'auditor', 'platform'] as const;

/**
 * Decodes for a caller only the payloads of the counties it may see (a payload's county is in its
 * metadata, bound to the ciphertext): a supervisor of 610124 reads 610124's payloads, not
 * 610125's; a city's supervisor reads its counties'. Payloads of the platform's own workflows
 * (no county) hold no personal data; every reader may decode them.
 */
function mayDecode(p: Principal, county: string | undefined): boolean {
  return hasRole(p, ...readers) && (county === undefined || coversCounty(p, county));
}

/**
 * The codec endpoint of the Temporal Web UI and CLI (the codec server protocol: POST …/decode,
 * POST …/encode with `Payloads` as JSON). The UI calls it from the browser, so it answers CORS
 * preflights for CODEC_CORS_ORIGINS, and it authenticates on its own: an API key, or the UI user's
 * OIDC access token (CODEC_JWKS_URL) that the production UI passes.
 */
export const codecRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const keys = payloadKeysFor(deps.config);
    const codec = keys ? new EncryptionCodec(keys) : undefined;
    const c = deps.config;
    const jwt = c.CODEC_JWKS_URL ? new JwtVerifier({ jwksUrl: c.CODEC_JWKS_URL, issuer: c.CODEC_JWT_ISSUER, audience: c.CODEC_JWT_AUDIENCE }) : undefined;
    const throttle = new AuthFailureThrottle(c.AUTH_FAILURE_BURST, c.AUTH_FAILURES_PER_MINUTE);
    const origins = new Set(c.CODEC_CORS_ORIGINS);

    app.addHook('onRequest', async (req, reply) => {
      const origin = req.headers.origin;
      if (origin && origins.has(origin)) {
        void reply.header('access-control-allow-origin', origin).header('vary', 'Origin').header('access-control-allow-credentials', 'true');
      }
    });
    for (const op of ['decode', 'encode'] as const) {
      app.options(`/${op}`, { schema: { hide: true } }, async (_req, reply) => {
        void reply
          .header('access-control-allow-methods', 'POST')
          .header('access-control-allow-headers', 'authorization, content-type, x-namespace')
          .header('access-control-max-age', '600');
        return reply.code(204).send();
      });
    }

    const auth = async (req: Parameters<typeof authenticateRequest>[0]) =>
      authenticateRequest(req, deps.pool, throttle, jwt ? (t) => jwt.principal(t) : undefined);

    app.post(
      '/decode',
      {
        bodyLimit: 16 * 1024 * 1024,
        schema: {
          summary: 'Decodes Temporal payloads for the Web UI or CLI: only those of the caller’s counties (supervisor, auditor, platform)',
          description:
            'The codec server protocol (`Payloads` as protobuf JSON, byte fields base64). ' +
            'Encrypted payloads carry their county in the metadata `encryption-county`; one outside the caller’s division makes the whole request 403. ' +
            'Unencrypted payloads (histories from before encryption) come back unchanged.',
          tags: ['codec'],
          body: payloadsSchema,
          response: { 200: payloadsSchema, ...errors },
        },
      },
      async (req) => {
        const principal = await auth(req);
        if (!hasRole(principal, ...readers)) throw forbidden(`需要以下角色之一：${readers.join(', ')}`);
        const payloads = req.body.payloads.map(fromJson);
        const foreign = payloads.find((p) => isEncrypted(p) && !mayDecode(principal, payloadCounty(p)));
        if (foreign) throw forbidden('载荷属于无权查看的区县');
        if (payloads.some(isEncrypted) && !codec) throw new ApiError(422, 'undecodable', '本服务未配置载荷密钥（PAYLOAD_KEYS），无法解密');
        try {
          return { payloads: (await codec!.decode(payloads)).map(toJson) };
        } catch (err) {
          if (err instanceof PayloadKeyError) throw new ApiError(422, 'undecodable', '载荷无法解密（未知密钥或内容被篡改）');
          throw err;
        }
      },
    );

    app.post(
      '/encode',
      {
        bodyLimit: 16 * 1024 * 1024,
        schema: {
          summary: 'Encrypts payloads (platform operators: the UI’s and CLI’s own writes)',
          tags: ['codec'],
          body: payloadsSchema,
          response: { 200: payloadsSchema, ...errors },
        },
      },
      async (req) => {
        const principal = await auth(req);
        if (!hasRole(principal, 'platform')) throw forbidden('需要以下角色之一：platform');
        const payloads = req.body.payloads.map(fromJson);
        return { payloads: (codec ? await codec.encode(payloads) : payloads).map(toJson) };
      },
    );
  };
