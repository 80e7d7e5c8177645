// Test helper: JUnit XML checked with xmllint against fixtures/schemas/JUnit.xsd, and always by a strict parser of its own.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './env.js';

export const JUNIT_XSD = path.join(ROOT, 'fixtures', 'schemas', 'JUnit.xsd');

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
// Characters XML 1.0 allows (tab, LF, CR, and from space up, minus the surrogates and FFFE/FFFF).
const XML_CHAR = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

function decode(raw: string, where: string): string {
  if (!XML_CHAR.test(raw)) throw new Error(`character not allowed in XML 1.0 in ${where}: ${JSON.stringify(raw)}`);
  if (/<|&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(raw)) throw new Error(`raw < or & in ${where}: ${JSON.stringify(raw)}`);
  return raw.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e];
  });
}

/** A strict, small XML parser: well-formedness (one root, matching tags, quoted unique attributes, legal characters). */
export function parseXml(xml: string): XmlElement {
  let i = 0;
  const decl = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(xml);
  if (!decl) throw new Error('missing <?xml version="1.0" encoding="UTF-8"?> declaration');
  i = decl[0].length;
  const ws = () => {
    while (i < xml.length && /\s/.test(xml[i])) i++;
  };
  const element = (): XmlElement => {
    const open = /^<([A-Za-z_][\w.-]*)/.exec(xml.slice(i));
    if (!open) throw new Error(`expected an element at ${i}: ${JSON.stringify(xml.slice(i, i + 40))}`);
    i += open[0].length;
    const el: XmlElement = { name: open[1], attrs: {}, children: [], text: '' };
    for (;;) {
      const before = i;
      ws();
      if (xml.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (xml[i] === '>') {
        i++;
        break;
      }
      if (i === before) throw new Error(`attributes of <${el.name}> must be separated by white space at ${i}`);
      const attr = /^([A-Za-z_][\w.-]*)="([^"]*)"/.exec(xml.slice(i));
      if (!attr) throw new Error(`bad attribute in <${el.name}> at ${i}: ${JSON.stringify(xml.slice(i, i + 40))}`);
      if (attr[1] in el.attrs) throw new Error(`attribute ${attr[1]} twice in <${el.name}>`);
      // Attribute-value normalisation: literal white space becomes a space; character references survive.
      el.attrs[attr[1]] = decode(attr[2].replace(/[\t\n\r]/g, ' '), `${el.name}/@${attr[1]}`);
      i += attr[0].length;
    }
    for (;;) {
      const lt = xml.indexOf('<', i);
      if (lt < 0) throw new Error(`<${el.name}> is never closed`);
      // End-of-line normalisation: a literal CR (or CRLF) reads as LF; only &#13; carries a CR.
      el.text += decode(xml.slice(i, lt).replace(/\r\n?/g, '\n'), `text of <${el.name}>`);
      i = lt;
      if (xml.startsWith(`</${el.name}>`, i)) {
        i += el.name.length + 3;
        return el;
      }
      if (xml.startsWith('</', i)) throw new Error(`</${el.name}> expected at ${i}, found ${JSON.stringify(xml.slice(i, i + 30))}`);
      el.children.push(element());
    }
  };
  ws();
  const root = element();
  ws();
  if (i !== xml.length) throw new Error(`content after the root element: ${JSON.stringify(xml.slice(i, i + 40))}`);
  return root;
}

const INT = /^-?\d+$/;
const DECIMAL = /^-?(\d+(\.\d*)?|\.\d+)$/;

/**
 * The structure JUnit.xsd demands of a <testsuite> root, checked by hand: required attributes and their types,
 * children in order (properties, testcase*, system-out, system-err), at most one of skipped/error/failure per
 * testcase, and type on error and failure.
 */
export function checkJunitStructure(root: XmlElement): void {
  assert.equal(root.name, 'testsuite');
  for (const a of ['name', 'timestamp', 'hostname', 'tests', 'failures', 'errors', 'time']) assert.ok(a in root.attrs, `testsuite/@${a} is required`);
  for (const a of Object.keys(root.attrs)) assert.ok(['name', 'timestamp', 'hostname', 'tests', 'failures', 'errors', 'skipped', 'time'].includes(a), `testsuite/@${a} is not in the schema`);
  assert.match(root.attrs.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/, 'timestamp: no fraction, no zone');
  assert.ok(root.attrs.name.trim() && root.attrs.hostname.trim());
  for (const a of ['tests', 'failures', 'errors', 'skipped']) if (a in root.attrs) assert.match(root.attrs[a], INT, `testsuite/@${a}`);
  assert.match(root.attrs.time, DECIMAL);
  const names = root.children.map((c) => c.name);
  assert.equal(names[0], 'properties');
  assert.deepEqual(names.slice(-2), ['system-out', 'system-err']);
  assert.ok(names.slice(1, -2).every((n) => n === 'testcase'), `children: ${names.join(' ')}`);
  for (const p of root.children[0].children) {
    assert.equal(p.name, 'property');
    assert.deepEqual(Object.keys(p.attrs).sort(), ['name', 'value']);
  }
  for (const tc of root.children.filter((c) => c.name === 'testcase')) {
    assert.deepEqual(Object.keys(tc.attrs).sort(), ['classname', 'name', 'time']);
    assert.match(tc.attrs.time, DECIMAL);
    assert.ok(tc.children.length <= 1, `testcase ${tc.attrs.name} has ${tc.children.length} results`);
    for (const r of tc.children) {
      assert.ok(['skipped', 'error', 'failure'].includes(r.name), r.name);
      if (r.name !== 'skipped') assert.ok('type' in r.attrs, `${r.name}/@type is required`);
      assert.equal(r.children.length, 0);
    }
  }
}

export function xmllintPath(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v xmllint'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

let warned = false;

/** Validates against JUnit.xsd with xmllint when installed (.ci/run installs it), else says so once. */
export function validateWithXsd(xml: string): 'validated' | 'skipped' {
  const bin = xmllintPath();
  if (!bin) {
    if (!warned) process.stderr.write('note: xmllint is not installed: JUnit output checked by the strict parser only, not against JUnit.xsd\n');
    warned = true;
    return 'skipped';
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-junit-'));
  try {
    const file = path.join(dir, 'report.xml');
    fs.writeFileSync(file, xml);
    const r = spawnSync(bin, ['--noout', '--schema', JUNIT_XSD, file], { encoding: 'utf8' });
    assert.equal(r.status, 0, `xmllint rejected the JUnit report:\n${r.stderr}\n${xml}`);
    return 'validated';
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface JunitSummary {
  root: XmlElement;
  counts: { tests: number; failures: number; errors: number; skipped: number };
  /** Testcase names by result: pass, failure, error, skipped. */
  byResult: Record<'pass' | 'failure' | 'error' | 'skipped', string[]>;
}

/** Validates (xsd + strict parser) and reads the counts back, checking the root's counts match its testcases. */
export function checkJunit(xml: string): JunitSummary {
  validateWithXsd(xml);
  const root = parseXml(xml);
  checkJunitStructure(root);
  const byResult: JunitSummary['byResult'] = { pass: [], failure: [], error: [], skipped: [] };
  for (const tc of root.children.filter((c) => c.name === 'testcase')) byResult[(tc.children[0]?.name ?? 'pass') as keyof JunitSummary['byResult']].push(tc.attrs.name);
  const counts = { tests: Number(root.attrs.tests), failures: Number(root.attrs.failures), errors: Number(root.attrs.errors), skipped: Number(root.attrs.skipped ?? 0) };
  assert.deepEqual(counts, {
    tests: byResult.pass.length + byResult.failure.length + byResult.error.length + byResult.skipped.length,
    failures: byResult.failure.length,
    errors: byResult.error.length,
    skipped: byResult.skipped.length,
  }, 'the testsuite counts match its testcases');
  for (const k of Object.keys(byResult) as Array<keyof JunitSummary['byResult']>) byResult[k].sort();
  return { root, counts, byResult };
}

/** A <testsuites> document (one <testsuite> per group, each with package and id): the XSD, then each suite as checkJunit checks one. */
export function checkJunitSuites(xml: string): Array<{ name: string; counts: JunitSummary['counts']; byResult: JunitSummary['byResult']; root: XmlElement }> {
  validateWithXsd(xml);
  const top = parseXml(xml);
  assert.equal(top.name, 'testsuites');
  return top.children.map((suite, i) => {
    assert.equal(suite.name, 'testsuite');
    assert.equal(suite.attrs.id, String(i), 'testsuite/@id counts from 0');
    assert.ok(suite.attrs.package?.trim(), 'testsuite/@package is required in <testsuites>');
    const { package: _p, id: _id, ...attrs } = suite.attrs;
    const root = { ...suite, attrs };
    checkJunitStructure(root);
    const byResult: JunitSummary['byResult'] = { pass: [], failure: [], error: [], skipped: [] };
    for (const tc of root.children.filter((c) => c.name === 'testcase')) byResult[(tc.children[0]?.name ?? 'pass') as keyof JunitSummary['byResult']].push(`${tc.attrs.classname} ${tc.attrs.name}`);
    const counts = { tests: Number(attrs.tests), failures: Number(attrs.failures), errors: Number(attrs.errors), skipped: Number(attrs.skipped ?? 0) };
    assert.deepEqual(counts, { tests: byResult.pass.length + byResult.failure.length + byResult.error.length + byResult.skipped.length, failures: byResult.failure.length, errors: byResult.error.length, skipped: byResult.skipped.length }, 'the testsuite counts match its testcases');
    return { name: attrs.name, counts, byResult, root };
  });
}
