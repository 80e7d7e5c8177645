// Session ids: safe directory names (validated before anything touches disk) and generated ones.
import crypto from 'node:crypto';

/** Letters, digits, '.', '_', '-'; starts with a letter or digit (so never '.', '..' or a hidden name); at most 64. */
export const SESSION_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const SESSION_ID_RULE = 'session ids are 1-64 characters of letters, digits, ".", "_" and "-", starting with a letter or digit';

export function isSafeSessionId(id: string): boolean {
  return SESSION_ID_RE.test(id);
}

export function newSessionId(): string {
  return `ses_${Date.now().toString(36)}_${crypto.randomBytes(4).toString('hex')}`;
}

export function newTurnId(): string {
  return `turn_${crypto.randomBytes(6).toString('hex')}`;
}
