import type { UpdateDefinition } from '@temporalio/common';
import type { ZodType, z } from 'zod';
import type { TaskRun } from '../run.js';

/**
 * One officer's action on a task, an Update: `check` runs in the validator (state, permission and
 * content rules, synchronous, so a refused action leaves no trace in history) and again just
 * before `act`, which changes the task and records it.
 */
export interface TaskAction<Ret, S extends ZodType> {
  update: UpdateDefinition<Ret, [z.input<S>]>;
  schema: S;
  check(run: TaskRun, a: z.infer<S>): void;
  act(run: TaskRun, a: z.infer<S>): Promise<Ret>;
}

/** Declares an action (the identity, for the types). */
export const action = <Ret, S extends ZodType>(a: TaskAction<Ret, S>): TaskAction<Ret, S> => a;
