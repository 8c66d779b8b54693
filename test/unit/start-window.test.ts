/**
 * The time-skipping server's start is tried again only when its JVM missed sdk-core's 5-second
 * window (test/helpers/temporal.ts `startWithinWindow`), at most three times in all.
 */
import { describe, expect, test } from 'vitest';
import { startWithinWindow } from '../helpers/temporal.js';

const missed = () => new Error('Failed to start ephemeral server: ephemeral server at 127.0.0.1:42815 did not start within 5s.');

describe('startWithinWindow', () => {
  test('a missed window is tried again on a fresh start, and the first start that comes up is used', async () => {
    let calls = 0;
    const got = await startWithinWindow(async () => {
      calls += 1;
      if (calls < 3) throw missed();
      return `server ${calls}`;
    });
    expect([got, calls]).toEqual(['server 3', 3]);
  });

  test('a third miss fails, and so does any other error at once', async () => {
    let calls = 0;
    await expect(
      startWithinWindow(async () => {
        calls += 1;
        throw missed();
      }),
    ).rejects.toThrow(/did not start within 5s/);
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      startWithinWindow(async () => {
        calls += 1;
        throw new Error('java: not found');
      }),
    ).rejects.toThrow('java: not found');
    expect(calls).toBe(1);
  });
});
