/**
 * The one refinement every text field shares (domain/text.ts): it refuses what PostgreSQL cannot
 * store (NUL; a UTF-16 surrogate that is not part of a pair) and nothing else.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { isStorableText, safeText } from '../../domain/text.js';

describe('safeText', () => {
  test.each([
    ['NUL', 'a\u0000b'],
    ['NUL alone', '\u0000'],
    ['a lone high surrogate', 'x\ud800'],
    ['a lone low surrogate', '\udc00x'],
    ['a pair written backwards', '\ude00\ud83d'],
  ])('refuses %s', (_what, s) => {
    expect(isStorableText(s)).toBe(false);
    expect(safeText().safeParse(s).success).toBe(false);
  });

  test.each([
    ['Chinese', '住房和城乡建设局 · 核查'],
    ['an emoji (a surrogate pair)', '已办结 \ud83d\ude00'],
    ['other control characters', 'tab\tnewline\n\u0001'],
    ['the empty string', ''],
  ])('accepts %s', (_what, s) => {
    expect(safeText().safeParse(s).success).toBe(true);
  });

  test('accepts every well-formed string without NUL (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(isStorableText(s)).toBe(!s.includes('\u0000'));
      }),
    );
  });

  test('keeps the checks chained after it', () => {
    const title = safeText().trim().min(1).max(5);
    expect(title.parse('  ab  ')).toBe('ab');
    expect(title.safeParse('   ').success).toBe(false);
    expect(title.safeParse('abcdef').success).toBe(false);
    expect(title.safeParse(' a\u0000 ').error?.issues[0]?.message).toMatch(/NUL/);
  });
});
