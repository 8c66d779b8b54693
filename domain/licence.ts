/**
 * A licence (行政许可) as the approval bureau issues it: its type and number. Its own module, with no
 * other imports of the domain, so the department task's submission (domain/task.ts) can name one
 * without importing the approval loop.
 */
import { z } from 'zod';
import { safeText } from './text.js';

/** A licence type code, e.g. `food-business` (食品经营许可), `hazardous-chemicals` (危险化学品经营许可). */
export const licenceTypeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,60}$/, 'expected a licence type code such as `food-business`')
  .describe('Licence type code (许可事项), e.g. `food-business`; the county’s approval rules map it to the competent department');

export const licenceSchema = z.object({
  type: licenceTypeSchema,
  number: safeText().trim().min(1).max(64).describe('The licence (or filing) number as issued (许可证编号/备案号); public, published with the licence'),
});
export type Licence = z.infer<typeof licenceSchema>;
