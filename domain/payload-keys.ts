/**
 * The payload codec's keys (worker/payload-codec.ts), parsed from configuration. Here so that the
 * configuration is checked at load, with the other variables.
 */
export interface PayloadKeys {
  /** Key id → 32-byte key. */
  keys: Map<string, Buffer>;
  /** The key new payloads are sealed with. */
  current: string;
}

export class PayloadKeyError extends Error {}

/**
 * `PAYLOAD_KEYS` is `id:base64,id:base64…` (each key 32 random bytes, e.g. `openssl rand -base64 32`);
 * `PAYLOAD_KEY_ID` names the current one (default: the last listed). Errors name the key id, never
 * the key.
 */
export function parsePayloadKeys(spec: string, currentId?: string): PayloadKeys {
  const keys = new Map<string, Buffer>();
  for (const entry of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z0-9._-]{1,32}):([A-Za-z0-9+/=_-]+)$/.exec(entry);
    if (!m) throw new PayloadKeyError('PAYLOAD_KEYS: expected id:base64 entries, comma-separated (ids of letters, digits, . _ -)');
    const key = Buffer.from(m[2]!, 'base64');
    if (key.length !== 32) throw new PayloadKeyError(`PAYLOAD_KEYS: key ${m[1]} is ${key.length} bytes, expected 32 (AES-256)`);
    if (keys.has(m[1]!)) throw new PayloadKeyError(`PAYLOAD_KEYS: key ${m[1]} is listed twice`);
    keys.set(m[1]!, key);
  }
  if (keys.size === 0) throw new PayloadKeyError('PAYLOAD_KEYS: no key');
  const current = currentId ?? [...keys.keys()].at(-1)!;
  if (!keys.has(current)) throw new PayloadKeyError(`PAYLOAD_KEY_ID: ${current} is not in PAYLOAD_KEYS`);
  return { keys, current };
}

/**
 * The keys the API and the worker use, from their configuration. In production a process without
 * keys does not start: payloads carry personal data. Elsewhere (tests, a worker run by hand) they
 * may be absent, and payloads go to Temporal as plain JSON.
 */
export function payloadKeysFor(config: { NODE_ENV: string; PAYLOAD_KEYS?: string | undefined; PAYLOAD_KEY_ID?: string | undefined }): PayloadKeys | undefined {
  if (!config.PAYLOAD_KEYS) {
    if (config.NODE_ENV === 'production') throw new PayloadKeyError('PAYLOAD_KEYS: required in production (payloads carry personal data)');
    return undefined;
  }
  return parsePayloadKeys(config.PAYLOAD_KEYS, config.PAYLOAD_KEY_ID);
}
