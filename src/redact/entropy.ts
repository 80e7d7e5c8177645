// Whether a value looks random (a key, a token) rather than a word, an id or a digest: the entropy check of the key-name and paranoid rules.

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

const TOKEN = /^[A-Za-z0-9+/=_.~-]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Git SHAs (short and long), sha256 digests and the like: ids, not credentials. */
const HEX_ID = /^(?:[0-9a-f]{7,12}|[0-9a-f]{40}|[0-9a-f]{64})$/;
/** A dotted version, a path, a model name made of words and sizes (qwen3-30b-a3b). */
const WORDY = /^(?:[A-Za-z]{1,32}[0-9]{0,3}[A-Za-z]{0,2}|[0-9]{1,4}[A-Za-z]{0,2})(?:[._/-]{1,2}(?:[A-Za-z]{1,32}[0-9]{0,3}[A-Za-z]{0,2}|[0-9]{1,4}[A-Za-z]{0,2}))*$/;
/** An absolute or home-relative path: a place, not a credential. */
const PATH = /^(?:~?\/|\.{1,2}\/)[^/]/;

/**
 * A long value that reads as random: token characters only, letters and digits, no id or digest shape, and enough
 * entropy per character (a 24-character base62 key has ~4.3 bits; English words ~3.3, "aaaa1111" 1).
 */
export function looksRandom(v: string, minLength = 16): boolean {
  if (v.length < minLength || v.length > 4096 || !TOKEN.test(v)) return false;
  if (!/[0-9]/.test(v) || !/[A-Za-z]/.test(v)) return false;
  if (UUID.test(v) || HEX_ID.test(v) || PATH.test(v) || WORDY.test(v)) return false;
  return entropy(v) >= (v.length >= 32 ? 3.5 : 3.2);
}
