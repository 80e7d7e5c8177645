// Tables over the daemon core's pure parts: log durations, session ids, SSE parsing and chunk folding, file headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { shortDuration } from '../src/core/duration.js';
import { isSafeSessionId } from '../src/daemon/session-id.js';
import { BadChunkError, ChatAccumulator, SseParser } from '../src/daemon/server/sse.js';
import { classify } from '../src/daemon/server/lmx-client.js';
import { ROOT } from './helpers/env.js';
import { isInside } from '../src/daemon/server/workspace.js';
import { originAllowed } from '../src/daemon/server/http.js';

test('shortDuration writes durations the way the guide\'s timeout line does', () => {
  const table: Array<[number, string]> = [
    [300000, '5m'],
    [1000, '1s'],
    [90000, '1m30s'],
    [3600000, '1h'],
    [1500, '1.5s'],
    [250, '250ms'],
  ];
  for (const [ms, text] of table) assert.equal(shortDuration(ms), text, String(ms));
});

test('session ids are safe directory names', () => {
  for (const ok of ['a', 'ses_1', 'A.b-c_d', 'x'.repeat(64)]) assert.equal(isSafeSessionId(ok), true, ok);
  for (const bad of ['', '.', '..', '../x', 'a/b', 'a b', '-x', '.hidden', 'x'.repeat(65), 'a\\b', 'é']) assert.equal(isSafeSessionId(bad), false, bad);
});

test('SseParser reassembles events split anywhere, with \\n or \\r\\n, and keeps a trailing event for end()', () => {
  const stream = 'data: {"a":1}\n\ndata: {"b":\r\ndata: 2}\r\n\r\n: comment\n\ndata: [DONE]';
  for (let cut = 0; cut <= stream.length; cut++) {
    const p = new SseParser();
    const got = [...p.push(stream.slice(0, cut)), ...p.push(stream.slice(cut)), ...p.end()];
    assert.deepEqual(got, ['{"a":1}', '{"b":\n2}', '[DONE]'], `cut at ${cut}`);
  }
});

test('ChatAccumulator folds content tokens and tool-call fragments; anything else is a bad chunk', () => {
  const acc = new ChatAccumulator();
  const chunk = (delta: object, finish: string | null = null) => JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] });
  assert.equal(acc.feed(chunk({ role: 'assistant' })), undefined);
  assert.equal(acc.feed(chunk({ content: 'Hi' })), 'Hi');
  acc.feed(chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '' } }] }));
  acc.feed(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"pa' } }] }));
  acc.feed(chunk({ tool_calls: [{ index: 0, function: { arguments: 'th":"x"}' } }] }));
  acc.feed(chunk({}, 'tool_calls'));
  acc.feed('[DONE]');
  assert.equal(acc.text, 'Hi');
  assert.equal(acc.finishReason, 'tool_calls');
  assert.equal(acc.done, true);
  assert.deepEqual(acc.toolCalls(), [{ id: 'call_1', name: 'read_file', arguments: '{"path":"x"}' }]);
  for (const bad of ['<html>oops</html>', '}{', '{"choices":"no"}', 'null']) assert.throws(() => new ChatAccumulator().feed(bad), BadChunkError, bad);
});

test('LMX errors are classified by code, not by class', () => {
  const t = { host: 'lmx-host.local', port: 1234, timeoutMs: 500 };
  const cases: Array<[unknown, boolean, boolean, string, string]> = [
    [Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }), false, false, 'LMX_UNREACHABLE', 'ECONNREFUSED lmx-host.local:1234'],
    [Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } }), false, false, 'LMX_UNREACHABLE', 'ENOTFOUND lmx-host.local:1234'],
    [Object.assign(new Error('headers'), { code: 'UND_ERR_HEADERS_TIMEOUT' }), false, false, 'LMX_TIMEOUT', 'TIMEOUT lmx-host.local:1234 (no answer within 500 ms)'],
    [new Error('aborted'), true, false, 'LMX_TIMEOUT', 'TIMEOUT lmx-host.local:1234 (no answer within 500 ms)'],
    [new Error('aborted'), false, true, 'CANCELLED', 'cancelled lmx-host.local:1234'],
    [new BadChunkError('stream chunk is not JSON'), false, false, 'LMX_BAD_RESPONSE', 'bad response from lmx-host.local:1234 (stream chunk is not JSON)'],
  ];
  for (const [err, timedOut, cancelled, code, detail] of cases) {
    const f = classify(err, t, timedOut, cancelled);
    assert.equal(f.code, code, detail);
    assert.equal(f.detail, detail);
  }
});

test('every source, test and fixture file starts with a one-line comment saying what it is for', () => {
  const bad: string[] = [];
  const walk = (dir: string) => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, d.name);
      if (d.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) {
        const lines = fs.readFileSync(p, 'utf8').split('\n');
        const first = lines[0].startsWith('#!') ? lines[1] : lines[0];
        if (!/^\/\/ \S/.test(first ?? '')) bad.push(path.relative(ROOT, p));
      }
    }
  };
  for (const top of ['src', 'test', 'fixtures']) if (fs.existsSync(path.join(ROOT, top))) walk(path.join(ROOT, top));
  assert.deepEqual(bad, []);
});

test('isInside: a path is inside a directory only below it, never through "..", whatever the names look like', () => {
  const cases: Array<[string, string, boolean]> = [
    ['/w', '/w', true],
    ['/w/a.txt', '/w', true],
    ['/w/..b/c', '/w', true],
    ['/w2/a', '/w', false],
    ['/', '/w', false],
    ['/w/../etc/passwd', '/w', false],
    ['/etc', '/', true],
  ];
  for (const [p, dir, want] of cases) assert.equal(isInside(path.resolve(p), dir), want, `${p} in ${dir}`);
});

test('originAllowed: no Origin (not a browser) or a loopback page only', () => {
  const cases: Array<[string | undefined, boolean]> = [
    [undefined, true],
    ['http://127.0.0.1:9999', true],
    ['https://localhost', true],
    ['http://[::1]:3000', true],
    ['http://LOCALHOST:1', true],
    ['null', false],
    ['file://', false],
    ['http://evil.example', false],
    ['http://127.0.0.1.evil.example', false],
    ['http://localhost.evil.example:9999', false],
    ['chrome-extension://abc', false],
    ['not a url', false],
  ];
  for (const [origin, want] of cases) assert.equal(originAllowed(origin, '127.0.0.1'), want, String(origin));
});

test('issue 23: the sessions catalog\'s hand check (read before the daemon serves) accepts exactly what its zod schema accepts', async () => {
  const { catalogEntries } = await import('../src/daemon/server/session-catalog.js');
  const { CATALOG_SCHEMA } = await import('../src/daemon/server/session-catalog-schema.js');
  const good = { createdAt: '2026-11-25T10:00:00.000Z', workspace: null, size: 10, mtimeMs: 1.5, ino: 7, lastSeq: 3, count: 3, turns: 1, openTurns: ['t1'], lastActivity: null };
  const bad: Array<[string, unknown]> = [
    ['createdAt', 1], ['workspace', 2], ['size', -1], ['size', 1.5], ['mtimeMs', 'x'], ['ino', null], ['lastSeq', '3'], ['count', -2],
    ['turns', 0.5], ['openTurns', 't1'], ['openTurns', [1]], ['lastActivity', 5],
  ];
  const cases: unknown[] = [
    { v: 1, sessions: {} },
    { v: 1, sessions: { a: good, b: { ...good, workspace: '/w', lastActivity: 'x' } } },
    { v: 2, sessions: { a: good } },
    { v: 1, sessions: [] },
    { v: 1 },
    null,
    [],
    { v: 1, sessions: { a: null } },
    ...bad.map(([k, v]) => ({ v: 1, sessions: { a: { ...good, [k]: v } } })),
    ...Object.keys(good).map((k) => ({ v: 1, sessions: { a: Object.fromEntries(Object.entries(good).filter(([x]) => x !== k)) } })),
  ];
  // The rows a daemon writes now (v2): the same fields, the id first.
  const row = (e: Record<string, unknown>, id: unknown = 'a') => [id, e.createdAt, e.workspace, e.size, e.mtimeMs, e.ino, e.lastSeq, e.count, e.turns, e.openTurns, e.lastActivity];
  cases.push(
    { v: 2, rows: [] },
    { v: 2, fields: ['id'], rows: [row(good), row({ ...good, workspace: '/w' }, 'b')] },
    { v: 2, rows: {} },
    { v: 2 },
    { v: 1, rows: [row(good)] },
    { v: 2, rows: [null] },
    { v: 2, rows: [row(good).slice(0, 10)] },
    { v: 2, rows: [[...row(good), 1]] },
    { v: 2, rows: [row(good, 5)] },
    ...bad.map(([k, v]) => ({ v: 2, rows: [row({ ...good, [k]: v })] })),
  );
  for (const c of cases) assert.equal(catalogEntries(c) !== undefined, CATALOG_SCHEMA.safeParse(c).success, JSON.stringify(c));
  assert.deepEqual(catalogEntries({ v: 1, sessions: { a: good } })?.get('a'), good);
  assert.deepEqual(catalogEntries({ v: 2, rows: [row(good)] })?.get('a'), good);
  assert.deepEqual(catalogEntries({ v: 2, rows: [row(good), row({ ...good, turns: 2 }, 'b')] })?.get('b'), { ...good, turns: 2 });
});

test('issue 23: the catalog file is read a row at a time exactly when it is whole JSON a daemon wrote, and gives back what was written', async () => {
  const { CatalogEntries, readCatalog, writeCatalog } = await import('../src/daemon/server/session-catalog.js');
  const { CATALOG_SCHEMA } = await import('../src/daemon/server/session-catalog-schema.js');
  const os = await import('node:os');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-catalog-'));
  try {
    const file = path.join(dir, 'sessions-catalog.json');
    const base = { createdAt: '2026-11-25T10:00:00.000Z', workspace: null as string | null, size: 10, mtimeMs: 1.5, ino: 7, lastSeq: 3, count: 3, turns: 1, openTurns: [] as string[], lastActivity: null as string | null };
    const written = new Map([
      ['a', base],
      ['b', { ...base, workspace: '/w/odd\n],[\n"x",\n]}', openTurns: ['t1', 't,2'], size: 99 }],
      ['c', { ...base, lastActivity: '2026-11-25T10:00:01.000Z', mtimeMs: 1796641182361.8467 }],
    ]);
    const entries = new CatalogEntries();
    for (const [id, e] of written) entries.set(id, e);
    writeCatalog(file, entries);
    const text = fs.readFileSync(file, 'utf8');
    assert.equal(text.split('\n').length, written.size + 3, 'a header line, a line a row, ]} and the final newline');
    const read = readCatalog(file);
    assert.equal(read.problem, undefined);
    assert.deepEqual([...read.entries.keys()], ['a', 'b', 'c']);
    for (const [id, e] of written) assert.deepEqual([read.entries.get(id), read.entries.sizeOf(id), read.entries.hasOpenTurns(id)], [e, e.size, e.openTurns.length > 0], id);
    assert.notEqual(read.entries.get('a'), read.entries.get('a'), 'a row stays its line of text: each get() parses it anew, nothing is kept');
    writeCatalog(file, read.entries);
    assert.equal(fs.readFileSync(file, 'utf8'), text, 'rows read and written again are the same bytes');
    writeCatalog(file, new CatalogEntries());
    assert.deepEqual([readCatalog(file).problem, readCatalog(file).entries.size], [undefined, 0]);

    // What a daemon writes now (v3) is believed exactly as written: its header names the SHA-256 of its rows, and no
    // row is parsed before the daemon serves. Cut anywhere, a comma lost or added, CRLF, something after the end, a
    // row taken out or changed (still valid JSON of the right shape), the header's figures changed: not believed.
    const lines = text.split('\n');
    const header = JSON.parse(lines[0] + ']}') as { v: number; bytes: number; open: string[]; sha256: string };
    assert.deepEqual([header.v, header.bytes, header.open], [3, 10 + 99 + 10, ['b']], 'the header: v3, the bytes of all rows, the ids with open turns');
    const mangled = [
      ...damaged(text),
      text.replace('"v":3', '"v":4'),
      text.replace(',1,[],null]', ',2,[],null]'),
      text.replace('"bytes":119', '"bytes":120'),
      text.replace('"open":["b"]', '"open":[]'),
      text.replace('["a",', '["../a",'),
      text.replace('"open":["b"]', '"open":["../b"]'),
    ];
    for (const v of mangled) {
      assert.notEqual(v, text);
      fs.writeFileSync(file, v);
      const r = readCatalog(file);
      assert.ok(r.problem !== undefined && r.entries.size === 0, `believed although not as written: ${JSON.stringify(v)}`);
    }
    // A catalog holding a row the daemon would never write, hashed as if it had: believed, and that row alone read
    // again from its session's files when used (it is no entry).
    const odd = lines.slice(0, 1).concat(['["a","not a row"],'], lines.slice(2)).join('\n');
    const oddBody = odd.slice(odd.indexOf('\n') + 1, odd.length - 3);
    const oddText = odd.replace(header.sha256, (await import('node:crypto')).createHash('sha256').update(`119 ["b"]\n`).update(oddBody).digest('hex'));
    fs.writeFileSync(file, oddText);
    const oddRead = readCatalog(file);
    assert.deepEqual([oddRead.problem, [...oddRead.entries.keys()], oddRead.entries.get('a'), oddRead.entries.get('c')], [undefined, ['a', 'b', 'c'], undefined, written.get('c')]);

    // What daemons before v3 wrote (v2, rows without a hash): believed exactly when it parses whole and has the
    // schema's shape.
    const rowOf = (id: string, e: typeof base) => JSON.stringify([id, e.createdAt, e.workspace, e.size, e.mtimeMs, e.ino, e.lastSeq, e.count, e.turns, e.openTurns, e.lastActivity]);
    const v2 = `{"v":2,"fields":${JSON.stringify(['id', 'createdAt', 'workspace', 'size', 'mtimeMs', 'ino', 'lastSeq', 'count', 'turns', 'openTurns', 'lastActivity'])},"rows":[\n${[...written].map(([id, e]) => rowOf(id, e)).join(',\n')}\n]}\n`;
    fs.writeFileSync(file, v2);
    const v2Read = readCatalog(file);
    assert.equal(v2Read.problem, undefined);
    for (const [id, e] of written) assert.deepEqual([v2Read.entries.get(id), v2Read.entries.sizeOf(id), v2Read.entries.hasOpenTurns(id)], [e, e.size, e.openTurns.length > 0], id);
    assert.equal(v2Read.entries.bytes, 119);
    assert.notEqual(v2Read.entries.get('a'), v2Read.entries.get('a'), 'a v2 row stays its line of text too');
    writeCatalog(file, v2Read.entries);
    assert.equal(fs.readFileSync(file, 'utf8'), text, 'a v2 catalog read is written again as v3, the same bytes as the original');
    const variants = [...damaged(v2), v2.replace('"v":2', '"v":1')];
    for (const v of variants) {
      fs.writeFileSync(file, v);
      let whole = false;
      try {
        whole = CATALOG_SCHEMA.safeParse(JSON.parse(v)).success;
      } catch { /* not JSON */ }
      const r = readCatalog(file);
      assert.equal(r.problem === undefined, whole, JSON.stringify(v));
      if (whole) assert.deepEqual([...r.entries.keys()].map((id) => [id, r.entries.get(id)]), Object.entries(catalogOf(JSON.parse(v))), JSON.stringify(v));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A catalog's text damaged every way a file can be: cut at every line end and within lines (every 7th place), a
 * comma lost or added, CRLF, something after the end, a row taken out, a line break added after the header.
 */
function damaged(text: string): string[] {
  const lines = text.split('\n');
  return [
    ...Array.from({ length: text.length }, (_, i) => text.slice(0, i)).filter((_, i) => i % 7 === 0 || text[i - 1] === '\n' || text[i] === '\n'),
    text.replace('],\n', ']\n'),
    text.replace(']\n]}', '],\n]}'),
    text.replaceAll('\n', '\r\n'),
    text + 'x',
    text + '\n',
    lines.slice(0, 2).concat(lines.slice(3)).join('\n'),
    text.replace('"rows":[', '"rows":[\n'),
  ];
}

/** A catalog's entries by id, either form (the test's own reading of the file). */
function catalogOf(c: { v: number; rows?: unknown[][]; sessions?: Record<string, unknown> }): Record<string, unknown> {
  if (c.v === 1) return c.sessions!;
  const names = ['createdAt', 'workspace', 'size', 'mtimeMs', 'ino', 'lastSeq', 'count', 'turns', 'openTurns', 'lastActivity'];
  return Object.fromEntries(c.rows!.map((r) => [r[0] as string, Object.fromEntries(names.map((n, i) => [n, r[i + 1]]))]));
}

test('issue 23: sessions known from the catalog are kept as its entries: listing them makes no Session; a use makes that one', async () => {
  const { SessionRegistry } = await import('../src/daemon/server/sessions.js');
  const os = await import('node:os');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-registry-'));
  try {
    const sessionsDir = path.join(root, 'sessions');
    const catalog = path.join(root, 'daemon', 'sessions-catalog.json');
    fs.mkdirSync(path.dirname(catalog), { recursive: true });
    const sessions: Record<string, unknown> = {};
    const ts = '2026-11-25T10:00:00.000Z';
    for (let i = 0; i < 50; i++) {
      const id = `s${String(i).padStart(3, '0')}`;
      fs.mkdirSync(path.join(sessionsDir, id), { recursive: true });
      const file = path.join(sessionsDir, id, 'events.jsonl');
      fs.writeFileSync(file, JSON.stringify({ v: 1, seq: 1, sessionId: id, event: 'turn.queued', ts, payload: { turnId: 't1', content: 'hi', position: 0 } }) + '\n' + JSON.stringify({ v: 1, seq: 2, sessionId: id, event: 'turn.done', ts, payload: { turnId: 't1', text: 'yo' } }) + '\n');
      const st = fs.statSync(file);
      sessions[id] = { createdAt: ts, workspace: null, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, lastSeq: 2, count: 2, turns: 1, openTurns: [], lastActivity: ts };
    }
    fs.writeFileSync(catalog, JSON.stringify({ v: 1, sessions }));
    const warnings: string[] = [];
    const logger = { warn: (m: string) => warnings.push(m), info: () => undefined, error: (m: string) => warnings.push(m) };
    const space = { admit: () => undefined, beforeAppend: () => undefined, onDiskFull: () => false };
    const reg = new SessionRegistry(sessionsDir, catalog, logger as never, async () => undefined, space as never);
    reg.loadAll();
    assert.equal(reg.size, 50);
    assert.equal(reg.list().length, 0, 'no Session made at start');
    const page = reg.page(undefined, 100);
    const shown = await Promise.all(page.ids.map((id) => reg.listed(id)));
    assert.deepEqual([page.total, shown.length, shown[7]?.id, shown[7]?.lastSeq, shown[7]?.turnCount], [50, 50, 's007', 2, 1]);
    assert.equal(reg.list().length, 0, 'a listing makes no Session');
    assert.equal(reg.get('s007')?.lastSeq, 2);
    assert.deepEqual(reg.list().map((s) => s.id), ['s007'], 'a use makes that one');
    assert.equal(reg.get('nope'), undefined);
    reg.closeAll();
    assert.deepEqual(warnings, []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('issue 23: the size of sessions/ at a start comes from the catalog header, less the sessions whose directories are gone', async () => {
  const { SessionRegistry } = await import('../src/daemon/server/sessions.js');
  const { CatalogEntries, writeCatalog } = await import('../src/daemon/server/session-catalog.js');
  const os = await import('node:os');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'opta-registry-bytes-'));
  try {
    const sessionsDir = path.join(root, 'sessions');
    const catalog = path.join(root, 'daemon', 'sessions-catalog.json');
    fs.mkdirSync(path.dirname(catalog), { recursive: true });
    const ts = '2026-11-25T10:00:00.000Z';
    const entries = new CatalogEntries();
    const sizes: Record<string, number> = {};
    for (let i = 0; i < 4; i++) {
      const id = `b${i}`;
      fs.mkdirSync(path.join(sessionsDir, id), { recursive: true });
      const file = path.join(sessionsDir, id, 'events.jsonl');
      fs.writeFileSync(file, JSON.stringify({ v: 1, seq: 1, sessionId: id, event: 'turn.queued', ts, payload: { turnId: 't1', content: 'x'.repeat(100 * (i + 1)), position: 0 } }) + '\n');
      const st = fs.statSync(file);
      sizes[id] = st.size;
      entries.set(id, { createdAt: ts, workspace: null, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, lastSeq: 1, count: 1, turns: 1, openTurns: [], lastActivity: ts });
    }
    writeCatalog(catalog, entries);
    fs.rmSync(path.join(sessionsDir, 'b2'), { recursive: true });
    const logger = { warn: () => undefined, info: () => undefined, error: () => undefined };
    const space = { admit: () => undefined, beforeAppend: () => undefined, onDiskFull: () => false };
    const reg = new SessionRegistry(sessionsDir, catalog, logger as never, async () => undefined, space as never);
    reg.loadAll();
    assert.equal(reg.size, 3);
    assert.equal(reg.startBytes, sizes.b0 + sizes.b1 + sizes.b3, JSON.stringify(sizes));
    reg.closeAll();
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
