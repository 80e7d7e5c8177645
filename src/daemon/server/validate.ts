// Request validation with zod: a bad body or query becomes a 400 that names the field, never a 500.
import type { z } from 'zod';
import { HttpError } from './http.js';

export function parseInput<T extends z.ZodType>(schema: T, value: unknown, what = 'body'): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue?.path.length ? issue.path.join('.') : what;
  throw new HttpError(400, 'BAD_REQUEST', `${field}: ${issue?.message ?? 'invalid'}`);
}
