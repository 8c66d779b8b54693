import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticate } from '../db/keys.js';
import type { Pool } from '../db/pool.js';
import { hasRole, type Principal, type Role } from '../domain/principal.js';
import { ApiError, forbidden, tooManyRequests } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

/**
 * Small in-process token buckets by id (a client IP, a key id): `burst` tokens, refilled at
 * `perMinute`. Only ids that have spent tokens are tracked (a bucket that has refilled is
 * forgotten), at most `maxTracked` of them (the longest untouched go first). Per process: replicas
 * each count their own.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly msPerToken: number;

  constructor(
    private readonly burst: number,
    perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly maxTracked = 10_000,
  ) {
    this.msPerToken = 60_000 / perMinute;
  }

  /** The IP's tokens now (full when untracked). */
  private tokens(ip: string): number {
    const b = this.buckets.get(ip);
    if (!b) return this.burst;
    const tokens = Math.min(this.burst, b.tokens + (this.now() - b.at) / this.msPerToken);
    if (tokens >= this.burst) this.buckets.delete(ip);
    return tokens;
  }

  /** Milliseconds until the IP may present a key again; 0 when it may now. */
  waitMs(ip: string): number {
    const tokens = this.tokens(ip);
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) * this.msPerToken);
  }

  /** Takes a token when there is one (0); otherwise the milliseconds until there is. */
  take(id: string): number {
    const wait = this.waitMs(id);
    if (wait === 0) this.refused(id);
    return wait;
  }

  /** One token less (for the auth throttle: a key the IP presented was refused). */
  refused(ip: string): void {
    const tokens = Math.max(0, this.tokens(ip) - 1);
    this.buckets.delete(ip); // re-inserted last: the Map's order is "least recently refused first"
    this.buckets.set(ip, { tokens, at: this.now() });
    if (this.buckets.size > this.maxTracked) this.buckets.delete(this.buckets.keys().next().value!);
  }
}

/**
 * `Authorization: Bearer <api key>` on every route of the scope it is added to. Keys are looked up
 * by their id and compared by hash (db/keys.ts); the principal rides on the request. A presented
 * key that is refused takes a token from the client IP's bucket (`throttle`): an IP out of tokens
 * is answered 429 with Retry-After before any lookup, so guessing keys cannot load the database.
 * A missing or non-Bearer header is a 401 that costs nothing and takes no token.
 */
/** Refused API keys per client IP (see requireApiKey). */
export class AuthFailureThrottle extends TokenBuckets {}

export function requireApiKey(app: FastifyInstance, pool: Pool, throttle: AuthFailureThrottle) {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (req) => {
    await authenticateRequest(req, pool, throttle);
  });
}

/**
 * The request's `Authorization: Bearer <api key>` (or, with `alternative`, another kind of token
 * it recognises: the codec endpoint's OIDC access tokens), set as `req.principal`; 401 otherwise.
 */
export async function authenticateRequest(
  req: FastifyRequest,
  pool: Pool,
  throttle: AuthFailureThrottle,
  alternative?: (token: string) => Promise<Principal | undefined>,
): Promise<Principal> {
  const waitMs = throttle.waitMs(req.ip);
  if (waitMs > 0) throw tooManyRequests('API 密钥验证失败次数过多，请稍后再试', waitMs / 1000);
  const header = req.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!m) throw new ApiError(401, 'unauthenticated', '需要 API 密钥：Authorization: Bearer <key>');
  const principal = (alternative ? await alternative(m[1]!) : undefined) ?? (await authenticate(pool, m[1]!));
  if (!principal) {
    throttle.refused(req.ip);
    throw new ApiError(401, 'unauthenticated', 'API 密钥无效或已停用');
  }
  req.principal = principal;
  // Only the opaque key id goes to the log, never the key or personal data.
  req.log = req.log.child({ keyId: principal.keyId });
  return principal;
}

export function requireRole(req: FastifyRequest, ...roles: Role[]) {
  if (!hasRole(req.principal, ...roles)) throw forbidden(`需要以下角色之一：${roles.join(', ')}`);
}
