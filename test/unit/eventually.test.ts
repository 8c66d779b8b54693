/** The tests' one wait (test/helpers/eventually.ts): returns as soon as the condition holds, fails with a message otherwise. */
import { describe, expect, test } from 'vitest';
import { eventually } from '../helpers/eventually.js';

describe('eventually', () => {
  test('returns the first value that is not undefined, null or false, checking again until then', async () => {
    let calls = 0;
    const values = [undefined, null, false, 0, 'x'];
    expect(await eventually(() => values[calls++], { intervalMs: 1 })).toBe(0);
    expect(calls).toBe(4);
    expect(await eventually(async () => ({ ok: true }))).toEqual({ ok: true });
  });

  test('after timeoutMs it fails naming what it waited for and the last value', async () => {
    const started = Date.now();
    await expect(eventually(() => false, { timeoutMs: 60, intervalMs: 10, message: () => 'the answer' })).rejects.toThrow(
      /^timed out after 60 ms \(\d+ checks\) waiting for the answer; last value: false$/,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
  });

  test('an error thrown by the condition fails at once: it is not retried', async () => {
    let calls = 0;
    await expect(
      eventually(
        () => {
          calls++;
          throw new Error('assertion inside');
        },
        { timeoutMs: 1000, intervalMs: 1 },
      ),
    ).rejects.toThrow('assertion inside');
    expect(calls).toBe(1);
  });

  test('a check that never returns fails the wait on time too, saying so', async () => {
    const started = Date.now();
    await expect(eventually(() => new Promise<boolean>(() => undefined), { timeoutMs: 50, intervalMs: 10, message: 'a stuck query' })).rejects.toThrow(
      'gave up after 50 ms waiting for a stuck query: check 1 did not return',
    );
  });
});
