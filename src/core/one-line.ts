// Text from outside opta (an LMX answer, a path, a command line) made safe for one line of a report: control characters become visible escapes.

/**
 * C0 controls but tab, DEL, C1 controls and the Unicode line/paragraph separators: each could end a report line early
 * (a CI runner reads a line starting "::" as a workflow command) or drive the terminal (ESC sequences).
 */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r' };

export function oneLine(s: string): string {
  return s.replace(CONTROL, (c) => NAMED[c] ?? (c.charCodeAt(0) < 0x100 ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16)}`));
}
