/**
 * Access tokens of the platform's identity provider, for the codec endpoint only: the production
 * Temporal Web UI logs its users in with OIDC and passes their access token to the codec endpoint
 * (TEMPORAL_CODEC_PASS_ACCESS_TOKEN), which must decode a county's payloads only for that county's
 * supervisors. A token is accepted when it is signed (RS256 or ES256) by a key of the provider's
 * JWKS (CODEC_JWKS_URL), unexpired, from CODEC_JWT_ISSUER and for CODEC_JWT_AUDIENCE when set, and
 * names the user's division (`county`) and roles (`roles`, the service's own role names).
 */
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { countySchema } from '../domain/departments.js';
import { roleSchema, type Principal } from '../domain/principal.js';

export interface JwtSettings {
  jwksUrl: string;
  issuer?: string | undefined;
  audience?: string | undefined;
  /** Cached keys are refetched after this long, or when a token names an unknown key id. */
  cacheMs?: number;
  now?: () => number;
}

const b64url = (s: string) => Buffer.from(s, 'base64url');
const json = (s: string): unknown => {
  try {
    return JSON.parse(b64url(s).toString('utf8'));
  } catch {
    return undefined;
  }
};

/** Three base64url parts: a JWT, not one of our API keys. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

export class JwtVerifier {
  private keys = new Map<string, { key: KeyObject; alg: string }>();
  private fetchedAt = 0;
  private lastRefetch = 0;

  constructor(private readonly s: JwtSettings) {}

  private now() {
    return (this.s.now ?? Date.now)();
  }

  private async refresh(): Promise<void> {
    const res = await fetch(this.s.jwksUrl, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`JWKS: HTTP ${res.status}`);
    const body = (await res.json()) as { keys?: (JsonWebKey & { kid?: string; alg?: string; use?: string })[] };
    const keys = new Map<string, { key: KeyObject; alg: string }>();
    for (const jwk of body.keys ?? []) {
      if (!jwk.kid || (jwk.use && jwk.use !== 'sig')) continue;
      const alg = jwk.alg ?? (jwk.kty === 'EC' ? 'ES256' : 'RS256');
      if (alg !== 'RS256' && alg !== 'ES256') continue;
      try {
        keys.set(jwk.kid, { key: createPublicKey({ key: jwk, format: 'jwk' }), alg });
      } catch {
        // A key we cannot read is skipped; tokens signed with it are refused.
      }
    }
    this.keys = keys;
    this.fetchedAt = this.now();
  }

  private async keyFor(kid: string) {
    const stale = this.now() - this.fetchedAt > (this.s.cacheMs ?? 300_000);
    // An unknown key id refetches (the provider rotated), at most every 30 s.
    if (stale || (!this.keys.has(kid) && this.now() - this.lastRefetch > 30_000)) {
      this.lastRefetch = this.now();
      await this.refresh();
    }
    return this.keys.get(kid);
  }

  /** The principal a valid token names, or undefined (a refused token: bad, expired, foreign). */
  async principal(token: string): Promise<Principal | undefined> {
    if (!looksLikeJwt(token)) return undefined;
    const [h, p, sig] = token.split('.') as [string, string, string];
    const header = json(h) as { alg?: string; kid?: string } | undefined;
    const claims = json(p) as Record<string, unknown> | undefined;
    if (!header?.kid || !claims || (header.alg !== 'RS256' && header.alg !== 'ES256')) return undefined;
    let found;
    try {
      found = await this.keyFor(header.kid);
    } catch {
      return undefined;
    }
    if (!found || found.alg !== header.alg) return undefined;
    const ok = verify('sha256', Buffer.from(`${h}.${p}`), header.alg === 'ES256' ? { key: found.key, dsaEncoding: 'ieee-p1363' } : found.key, b64url(sig));
    if (!ok) return undefined;
    const nowS = this.now() / 1000;
    if (typeof claims.exp !== 'number' || claims.exp <= nowS) return undefined;
    if (typeof claims.nbf === 'number' && claims.nbf > nowS + 60) return undefined;
    if (this.s.issuer && claims.iss !== this.s.issuer) return undefined;
    if (this.s.audience) {
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!aud.includes(this.s.audience)) return undefined;
    }
    const county = countySchema.safeParse(claims.county);
    const roles = Array.isArray(claims.roles) ? claims.roles.flatMap((r) => (roleSchema.safeParse(r).success ? [r as Principal['roles'][number]] : [])) : [];
    if (!county.success || roles.length === 0 || typeof claims.sub !== 'string' || !claims.sub) return undefined;
    return {
      keyId: `oidc:${claims.sub}`.slice(0, 64),
      county: county.data,
      roles,
      kind: 'person',
      ...(typeof claims.name === 'string' && claims.name ? { name: claims.name.slice(0, 100) } : {}),
    };
  }
}
