/**
 * The webhook signature is a contract with receivers written in other languages:
 * `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>` over the UTF-8 bytes of the body.
 * The expected values were computed outside this project, with OpenSSL:
 *
 *   printf '%s' '<timestamp>.<body>' | openssl dgst -sha256 -hmac '<secret>'
 */
import { describe, expect, test } from 'vitest';
import { signWebhook } from '../../worker/webhook-dispatcher.js';

describe('signWebhook', () => {
  test('matches a pinned known-answer vector (Chinese text in the body: hashed as UTF-8)', () => {
    expect(signWebhook('whsec_0123456789abcdef0123456789abcdef', '1796000000', '{"id":"task:610124:tax:2026-0001#1#0","title":"催办：测试"}')).toBe(
      'sha256=9c72e1787ad9bcbcf3b532e470d92325dc5050c9c0ca3d5191b1be9ccfcbf943',
    );
  });
});
