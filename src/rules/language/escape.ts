// The one escaper for text from outside opta (a fact value, an LMX answer, a log line): control characters become visible escapes.

/**
 * C0 controls but tab, DEL, C1 controls and the Unicode line/paragraph separators: each could end a report line early
 * (a CI runner reads a line starting "::" as a workflow command) or drive the terminal (ESC sequences, BEL).
 */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/;
const CONTROLS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r' };

function escape(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`);
}

/** `text` shown, never obeyed: \n and \r as \n and \r, other controls as \xNN, U+2028/2029 as \u2028/\u2029. */
export function visible(text: string): string {
  // The test first: most text has no control character, and the log matcher calls this for every hit.
  return CONTROL.test(text) ? text.replace(CONTROLS, escape) : text;
}
