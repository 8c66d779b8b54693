/**
 * A division as SQL (db/sql.ts divisionCondition): equality for a county, a range of 6-digit codes
 * for a city or a province, selecting exactly the counties the division covers (divisionCovers),
 * the rows `county LIKE 'prefix%'` selected before.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Where, divisionCondition } from '../../db/sql.js';
import { divisionCovers, divisionPrefix } from '../../domain/departments.js';

/** The condition's verdict on `county`, evaluated as PostgreSQL would on 6-digit codes. */
function selects(sql: string, args: unknown[], county: string): boolean {
  if (/^county = \$1$/.test(sql)) return county === args[0];
  if (/^county BETWEEN \$1 AND \$2$/.test(sql)) return (args[0] as string) <= county && county <= (args[1] as string);
  throw new Error(`unexpected SQL: ${sql}`);
}

const digits = (n: number) => fc.stringMatching(new RegExp(`^\\d{${n}}$`));
const code = fc.oneof(
  digits(6),
  digits(4).map((c) => `${c}00`),
  digits(2).map((c) => `${c}0000`),
);

describe('divisionCondition', () => {
  test('a county is its code; a city and a province the range of their codes; values are parameters', () => {
    const county = new Where();
    expect([divisionCondition(county, 'county', '610124'), county.args]).toEqual(['county = $1', ['610124']]);
    const city = new Where();
    expect([divisionCondition(city, 't.county', '6101'), city.args]).toEqual(['t.county BETWEEN $1 AND $2', ['610100', '610199']]);
    const province = new Where().add('state = ?', 'open');
    expect([divisionCondition(province, 'county', '61'), province.args]).toEqual(['county BETWEEN $2 AND $3', ['open', '610000', '619999']]);
  });

  test('it selects exactly the counties the division covers', () => {
    fc.assert(
      // Half the counties drawn inside the division (its prefix, then any digits), half anywhere.
      fc.property(code, digits(6), fc.boolean(), (division, other, inside) => {
        const prefix = divisionPrefix(division);
        const county = inside ? prefix + other.slice(prefix.length) : other;
        const w = new Where();
        const sql = divisionCondition(w, 'county', prefix);
        expect(selects(sql, w.args, county)).toBe(divisionCovers(division, county));
      }),
      { numRuns: 2000 },
    );
  });

  test('anything but 1 to 6 digits is refused before it reaches SQL', () => {
    for (const bad of ['', '61%', '6101a', '6101000']) expect(() => divisionCondition(new Where(), 'county', bad)).toThrow();
  });
});
