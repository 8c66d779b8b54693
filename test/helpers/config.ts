import { loadConfig, type Config } from '../../domain/config.js';

/** Tests' webhook receivers listen on 127.0.0.1: allow-listed, as a deployment would its own hosts. */
export const testWebhookHosts = '127.0.0.1';

/**
 * The configuration test apps run with: the defaults, except that webhook receivers on 127.0.0.1
 * are allowed and the request-rate buckets are out of reach (a test file sends hundreds of
 * requests a second from one address and key; test/api/rate-limits.test.ts sets small ones).
 */
export function testConfig(env: Record<string, string> = {}): Config {
  const unlimited = Object.fromEntries(['IP', 'KEY', 'PUBLIC', 'START'].flatMap((k) => [[`RATE_LIMIT_${k}_BURST`, '1000000'], [`RATE_LIMIT_${k}_PER_MINUTE`, '10000000']]));
  return loadConfig({ WEBHOOK_ALLOWED_HOSTS: testWebhookHosts, ...unlimited, ...env });
}
