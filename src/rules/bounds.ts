// Bounds on a rule directory someone else wrote (--rules DIR): how many files, which files, how big, how deep and wide, all checked before parsing.
import { kindOf } from '../core/read-small.js';
import fs from 'node:fs';
import type { RuleProblem } from './rule-problem.js';
import { visible } from './language/escape.js';

/**
 * The shipped rules are ~40 KB per kind, files under 8 KB, conditions 4 deep and ~50 values; these bounds leave room
 * for a customer's rules of the same shape many times over, while a hostile directory costs milliseconds, not minutes.
 */
export const RULE_LIMITS = {
  /** Files one directory may hold; the first this many by name are read, the rest reported. */
  files: 500,
  /** Bytes of one file. */
  fileBytes: 256 * 1024,
  /** Bytes of all the files of one directory read together. */
  dirBytes: 1024 * 1024,
  /** Nesting of objects and arrays in one file ($ is depth 0): zod and the engine recurse once per level. */
  depth: 48,
  /** Values (objects, arrays, strings, numbers, literals) in one file: each costs zod and the engine work. */
  nodes: 10_000,
} as const;

/** The *.json names of a directory, sorted, at most RULE_LIMITS.files; more is a problem that says how many were left. */
export function listRuleFiles(dir: string, problems: RuleProblem[]): string[] {
  const names = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  if (names.length <= RULE_LIMITS.files) return names;
  problems.push({
    file: dir,
    jsonPath: '$',
    message: `holds ${names.length} rule files, more than the ${RULE_LIMITS.files} opta reads from one directory; the first ${RULE_LIMITS.files} by name were read, the other ${names.length - RULE_LIMITS.files} (from ${names[RULE_LIMITS.files]}) were not`,
  });
  return names.slice(0, RULE_LIMITS.files);
}

/** A budget shared by the files of one directory (RULE_LIMITS.dirBytes). */
export interface ReadBudget {
  bytesLeft: number;
}
export const newBudget = (): ReadBudget => ({ bytesLeft: RULE_LIMITS.dirBytes });

/**
 * A rule file's text, or undefined with a problem saying why not: only a regular file (a FIFO would block for ever,
 * a link to /dev/zero never end) of at most RULE_LIMITS.fileBytes, read no further than that even if it grows, then
 * its JSON shape bounded (depth, values) before anything parses it.
 */
export function readBoundedRuleText(file: string, problems: RuleProblem[], budget?: ReadBudget): string | undefined {
  const fail = (message: string, jsonPath = '$') => {
    problems.push({ file, jsonPath, message });
    return undefined;
  };
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting for a writer; fstat then rejects it.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    return fail(`cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return fail(`is not a regular file (${kindOf(st)}); a rule file must be a plain file`);
    if (st.size > RULE_LIMITS.fileBytes) return fail(`is ${st.size} bytes, more than the ${RULE_LIMITS.fileBytes} a rule file may have`);
    if (budget && st.size > budget.bytesLeft) {
      return fail(`was not read: the directory's rule files together exceed the ${RULE_LIMITS.dirBytes} bytes opta reads from one directory`);
    }
    const buf = Buffer.alloc(RULE_LIMITS.fileBytes + 1);
    let n = 0;
    for (;;) {
      const got = fs.readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > RULE_LIMITS.fileBytes) return fail(`grew past the ${RULE_LIMITS.fileBytes} bytes a rule file may have while it was read`);
    }
    if (budget) budget.bytesLeft -= n;
    const text = buf.subarray(0, n).toString('utf8');
    const shape = jsonShapeProblem(text);
    if (shape) return fail(shape.message, shape.jsonPath);
    return text;
  } catch (err) {
    return fail(`cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    fs.closeSync(fd);
  }
}


/**
 * One linear pass over JSON text, before JSON.parse: nesting deeper than RULE_LIMITS.depth or more than
 * RULE_LIMITS.nodes values is a problem at the JSON path where the bound was crossed. Text that is not JSON passes
 * (JSON.parse then says what is wrong with it).
 */
export function jsonShapeProblem(text: string): { jsonPath: string; message: string } | undefined {
  // The path to where the scan is: per open container, the key (object) or index (array) it is at.
  const stack: Array<{ array: boolean; at: string | number }> = [];
  let nodes = 0;
  let expectKey = false;
  const where = () =>
    '$' + stack.map((s) => (typeof s.at === 'number' ? `[${s.at}]` : /^[A-Za-z_$][\w$]*$/.test(s.at) ? `.${s.at}` : `[${JSON.stringify(s.at)}]`)).join('');
  const value = () => {
    nodes++;
    if (nodes > RULE_LIMITS.nodes) return { jsonPath: where(), message: `holds more than ${RULE_LIMITS.nodes} JSON values, the most a rule file may have` };
    return undefined;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i + 1;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      if (expectKey && stack.length && !stack[stack.length - 1].array) {
        const raw = text.slice(start, i);
        let key = raw;
        try {
          key = JSON.parse(`"${raw}"`) as string;
        } catch {
          // an invalid key: JSON.parse of the whole text reports it
        }
        stack[stack.length - 1].at = key;
        expectKey = false;
        continue;
      }
      const p = value();
      if (p) return p;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const p = value();
      if (p) return p;
      if (stack.length >= RULE_LIMITS.depth) {
        return { jsonPath: where(), message: `nests more than ${RULE_LIMITS.depth} levels deep, the most a rule file may` };
      }
      stack.push({ array: c === 0x5b, at: c === 0x5b ? 0 : '' });
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.array) top.at = (top.at as number) + 1;
      else if (top) expectKey = true;
    } else if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x74 || c === 0x66 || c === 0x6e) {
      // a number, true, false or null: one value; skip the rest of its characters
      const p = value();
      if (p) return p;
      while (i + 1 < text.length && /[0-9a-zA-Z.+-]/.test(text[i + 1])) i++;
    }
  }
  return undefined;
}

/** Problems as they may reach a terminal: a file name, path or message from a hostile directory has its controls escaped. */
export function shownProblems(problems: RuleProblem[]): RuleProblem[] {
  return problems.map((p) => ({ file: visible(p.file), jsonPath: visible(p.jsonPath), message: visible(p.message) }));
}
