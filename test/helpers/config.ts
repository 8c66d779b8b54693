import { loadConfig, type Config } from '../../domain/config.js';

/** Tests' webhook receivers listen on 127.0.0.1: allow-listed, as a deployment would its own hosts. */
export const testWebhookHosts = '127.0.0.1';

/**
 * The payload codec's keys in tests (never a deployment's): two, the second current, so a test can
 * seal with either. Fixed bytes, so a failing test's history can be decoded by hand.
 */
export const testPayloadKeys = `test-2026a:${Buffer.alloc(32, 1).toString('base64')},test-2026b:${Buffer.alloc(32, 2).toString('base64')}`;

/**
 * The configuration test apps run with: the defaults, except that webhook receivers on 127.0.0.1
 * are allowed, the payload keys are the tests' own, and the request-rate buckets are out of reach (a test file sends hundreds of
 * requests a second from one address and key; test/api/rate-limits.test.ts sets small ones).
 */
export function testConfig(env: Record<string, string> = {}): Config {
  const unlimited = Object.fromEntries(
    ['IP', 'KEY', 'PUBLIC', 'START'].flatMap((k) => [
      [`RATE_LIMIT_${k}_BURST`, '1000000'],
      [`RATE_LIMIT_${k}_PER_MINUTE`, '10000000'],
    ]),
  );
  return loadConfig({ WEBHOOK_ALLOWED_HOSTS: testWebhookHosts, PAYLOAD_KEYS: testPayloadKeys, ...unlimited, ...env });
}
