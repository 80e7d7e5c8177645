// Text quoted from the log (samples, group values) cut to a length, never inside a word.

/** Characters of a word as secrets are written (tokens, keys, base64, URL-encoded). */
const WORD_CHAR = /[A-Za-z0-9_+/=.~%:@-]/;

/**
 * `text` cut to at most `max` characters and "…", never inside a word: a secret cut short no longer has the shape
 * the redactor recognises, and its first part would be shown. The whole word goes instead.
 */
export function clipWords(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  if (WORD_CHAR.test(text[end])) while (end > 0 && WORD_CHAR.test(text[end - 1])) end--;
  return text.slice(0, end) + '…';
}

