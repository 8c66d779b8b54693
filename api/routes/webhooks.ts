import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { deleteEndpoint, deliveryStats, getEndpoint, listEndpoints, parseTarget, upsertEndpoint, type WebhookTarget } from '../../db/webhooks.js';
import { countySchema, departmentNames, departmentSchema } from '../../domain/departments.js';
import { coversCounty, roles, roleSchema } from '../../domain/principal.js';
import { safeText } from '../../domain/text.js';
import { AddressGuard } from '../../worker/webhook-guard.js';
import { visibleCountyPrefix } from '../../db/visibility.js';
import { requireRole } from '../auth.js';
import type { AppDeps } from '../app.js';
import { webhookDetailSchema as detailSchema, webhookEndpointSchema as endpointSchema } from '../schemas.js';
import { forbidden, invalidField, notFound } from '../errors.js';
import { adminAudit, auditEventId, cursorOf, errorResponses, keysetPage, pageQuery } from '../plumbing.js';

// Published as checked (the OpenAPI document carries the pattern): a fixed department code or a
// township, or a role.
const targetPattern = new RegExp(`^(?:department:(?:${Object.keys(departmentNames).join('|')}|township:\\d{6,12})|role:(?:${roles.join('|')}))$`);
const targetSchema = safeText()
  .max(80)
  .regex(targetPattern, 'expected `department:<department code>` or `role:<role>`')
  .superRefine((t, ctx) => {
    const parsed = parseTarget(t);
    const ok = parsed && (parsed.kind === 'department' ? departmentSchema : roleSchema).safeParse(parsed.value).success;
    if (!ok) ctx.addIssue({ code: 'custom', message: 'expected `department:<department code>` or `role:<role>`' });
  })
  .describe('Recipient: `department:<code>` (e.g. `department:housing`, `department:township:610124100`) or `role:<role>` (e.g. `role:supervisor`)');

const params = z.object({
  county: countySchema.describe('Recipient division (county, or a city for escalations addressed to it)'),
  target: targetSchema,
});

const urlSchema = safeText()
  .max(2000)
  // http(s), and no user name or password before the host (published as this pattern).
  .regex(/^https?:\/\/[^/?#@\s]+(?:[/?#]\S*)?$/i, 'expected an absolute http(s) URL without a user name or password')
  .superRefine((u, ctx) => {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected an absolute http(s) URL' });
      return;
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: 'expected an http or https URL' });
    }
    // Credentials in the URL would come back in GET answers: they belong in the secret.
    if (parsed.username || parsed.password) {
      ctx.addIssue({ code: 'custom', message: 'the URL must not contain a user name or password' });
    }
  })
  .describe('Where notifications are POSTed (http or https; no credentials in the URL)');

const putBody = z.object({
  url: urlSchema,
  secret: safeText()
    .min(32)
    .max(256)
    .describe('HMAC-SHA256 key for `X-Supervision-Signature` (at least 32 characters). Stored to sign deliveries; never returned.'),
  active: z.boolean().default(true).describe('Inactive endpoints receive nothing; re-activating does not replay what was missed'),
});

const errors = errorResponses(400, 401, 403, 404, 503);

const signingDoc = [
  'Each notification for the recipient is POSTed as JSON `{ id, kind, title, body, objectId, county, to, createdAt }` with headers',
  '`X-Supervision-Id` (the notification id: dedupe on it), `X-Supervision-Timestamp` (unix seconds of the attempt),',
  '`X-Supervision-Attempt` and `X-Supervision-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`.',
  'A 2xx answer within 5 s counts as delivered; otherwise it is retried with exponential backoff (10 s, 30 s, 2 min, 10 min, 1 h, 3 h, 6 h …) and given up after the configured number of attempts.',
].join(' ');

/** Admin of the endpoint's division or of a superior one (a city admin manages its counties'). */
function requireAdminOf(req: FastifyRequest, county: string) {
  requireRole(req, 'admin');
  if (!coversCounty(req.principal, county)) throw forbidden('只能管理本级或下级行政区的推送地址');
}

function target(p: { county: string; target: string }): WebhookTarget {
  const t = parseTarget(p.target)!; // validated by the params schema
  return { county: p.county, kind: t.kind, value: t.value };
}

export const webhookRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { pool } = deps;
    const guard = new AddressGuard(deps.config.WEBHOOK_ALLOWED_HOSTS);

    app.get(
      '/webhooks',
      {
        schema: {
          summary: 'Webhook endpoints of the caller’s division and its subordinate divisions (admin); secrets are never returned',
          tags: ['webhooks'],
          querystring: z.object({
            county: countySchema.optional().describe('Only this division'),
            ...pageQuery(),
          }),
          response: { 200: z.object({ items: z.array(endpointSchema), nextCursor: z.string().nullable() }), ...errors },
        },
      },
      async (req) => {
        requireRole(req, 'admin');
        const after = cursorOf(req.query.cursor, { county: 'string', kind: 'string', value: 'string' });
        const { limit } = req.query;
        const rows = await listEndpoints(pool, {
          countyPrefix: visibleCountyPrefix(req.principal),
          limit: limit + 1,
          ...(req.query.county ? { county: req.query.county } : {}),
          ...(after ? { after } : {}),
        });
        const page = keysetPage(rows, limit, (last) => {
          const t = parseTarget(last.target)!;
          return { county: last.county, kind: t.kind, value: t.value };
        });
        return { items: page.rows, nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/webhooks/:county/:target',
      {
        schema: {
          summary: 'One webhook endpoint with its delivery counts and last attempt (admin)',
          tags: ['webhooks'],
          params,
          response: { 200: detailSchema, ...errors },
        },
      },
      async (req) => {
        requireAdminOf(req, req.params.county);
        const e = await getEndpoint(pool, target(req.params));
        if (!e) throw notFound('推送地址');
        const { id, ...view } = e;
        return { ...view, deliveries: await deliveryStats(pool, id) };
      },
    );

    app.put(
      '/webhooks/:county/:target',
      {
        schema: {
          summary: 'Register or replace the webhook endpoint of a department or a role in a division (admin of it or of a superior division)',
          description: signingDoc,
          tags: ['webhooks'],
          params,
          body: putBody,
          response: { 200: endpointSchema, 201: endpointSchema, ...errors },
        },
      },
      async (req, reply) => {
        requireAdminOf(req, req.params.county);
        const t = target(req.params);
        const { url, secret, active } = req.body;
        // No SSRF: the receiver must be on the public internet (or allow-listed); the dispatcher checks
        // again at every delivery, since what a name resolves to can change.
        const reachable = await guard.check(url);
        if (!reachable.ok) {
          throw invalidField(
            'body.url',
            '推送地址必须是公网地址（环回、内网、链路本地、运营商级 NAT 等地址不可用；如确需内网地址，请由平台在 WEBHOOK_ALLOWED_HOSTS 中登记）',
          );
        }
        const objectId = `webhook:${t.county}:${req.params.target}`;
        const { endpoint, created } = await adminAudit(
          deps,
          req.principal,
          (client) => upsertEndpoint(client, t, { url, secret, active, keyId: req.principal.keyId }),
          (r) => ({
            eventId: auditEventId(objectId),
            county: t.county,
            action: r.created ? 'webhook.registered' : 'webhook.updated',
            objectId,
            // The origin only: a path or query may carry a receiver's token. Never the secret.
            details: { target: req.params.target, origin: new URL(url).origin, active },
          }),
        );
        void reply.code(created ? 201 : 200);
        return endpoint;
      },
    );

    app.delete(
      '/webhooks/:county/:target',
      {
        schema: {
          summary: 'Remove a webhook endpoint with its pending deliveries and delivery history (admin)',
          tags: ['webhooks'],
          params,
          response: { 204: z.null().describe('Removed'), ...errors },
        },
      },
      async (req, reply) => {
        requireAdminOf(req, req.params.county);
        const t = target(req.params);
        const objectId = `webhook:${t.county}:${req.params.target}`;
        const removed = await adminAudit(
          deps,
          req.principal,
          (client) => deleteEndpoint(client, t),
          (gone) =>
            gone
              ? { eventId: auditEventId(objectId), county: t.county, action: 'webhook.deleted', objectId, details: { target: req.params.target } }
              : undefined,
        );
        if (!removed) throw notFound('推送地址');
        return reply.code(204).send(null);
      },
    );
  };
