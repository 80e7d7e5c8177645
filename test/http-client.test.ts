// opta's own HTTP/1.1 client (core/http-client.ts over core/http-exchange.ts) against real loopback servers answering in every framing: each answer whole, each failure classified.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { httpJson } from '../src/core/http-client.js';
import { exchange } from '../src/core/http-exchange.js';

/** A raw TCP server on a free port that answers each connection with `reply(request text)`; `close` says whether it hangs up after. */
async function rawServer(reply: (req: string) => string | Buffer | null, opts: { close?: boolean } = {}): Promise<{ url: string; requests: string[]; stop(): Promise<void> }> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      requests.push(buf);
      const r = reply(buf);
      if (r === null) return s.destroy();
      s.write(r);
      if (opts.close !== false) s.end();
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => srv.close(() => r()));
    },
  };
}

test('answers by Content-Length (even when the server keeps the connection open), chunked, or until close; 1xx skipped', async (t) => {
  const body = JSON.stringify({ ok: true, word: 'héllo' });
  const cases: Array<[string, string, { close?: boolean }]> = [
    ['content-length, kept open', `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, { close: false }],
    ['chunked, kept open', `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n${body.slice(0, 5)}\r\n${Buffer.byteLength(body.slice(5)).toString(16)}\r\n${body.slice(5)}\r\n0\r\n\r\n`, { close: false }],
    ['chunked with a trailer', `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${Buffer.byteLength(body).toString(16)};ext=1\r\n${body}\r\n0\r\nX-Trailer: y\r\n\r\n`, {}],
    ['until close (HTTP/1.0)', `HTTP/1.0 200 OK\r\n\r\n${body}`, {}],
    ['after 100 Continue', `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, { close: false }],
  ];
  for (const [name, answer, opts] of cases) {
    const s = await rawServer(() => answer, opts);
    t.after(() => s.stop());
    const r = await httpJson(`${s.url}/v3/health?x=1`, { timeoutMs: 3000, headers: { authorization: 'Bearer abc' } });
    assert.deepEqual([r.ok, r.status, r.json, r.errorCode], [true, 200, { ok: true, word: 'héllo' }, undefined], `${name}: ${JSON.stringify(r)}`);
    assert.ok(r.ms < 2000, `${name}: finished by its framing, not by the timeout (${r.ms} ms)`);
    const [line, ...headers] = s.requests[0].split('\r\n');
    assert.equal(line, 'GET /v3/health?x=1 HTTP/1.1');
    assert.ok(headers.includes(`host: 127.0.0.1:${new URL(s.url).port}`) && headers.includes('authorization: Bearer abc') && headers.includes('connection: close'), s.requests[0]);
  }
});

test('a POST carries its JSON body; 4xx/5xx are answers (not ok), with their JSON', async (t) => {
  const srv = http.createServer((req, res) => {
    let b = '';
    req.on('data', (d) => (b += d));
    req.on('end', () => {
      res.writeHead(req.url === '/missing' ? 404 : 201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, got: b ? JSON.parse(b) : null, type: req.headers['content-type'] ?? null }));
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => srv.close(() => r())));
  const base = `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`;
  const post = await httpJson(`${base}/v3/sessions`, { method: 'POST', body: { id: 'ü-1' } });
  assert.deepEqual([post.ok, post.status, post.json], [true, 201, { method: 'POST', got: { id: 'ü-1' }, type: 'application/json' }]);
  const missing = await httpJson(`${base}/missing`);
  assert.deepEqual([missing.ok, missing.status, (missing.json as { method: string }).method], [false, 404, 'GET']);
});

test('failures are results: refused, hang-up, cut short, not HTTP, not JSON, no answer in time, a header with a line break', async (t) => {
  const free = await new Promise<number>((r) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => r(p));
    });
  });
  const refused = await httpJson(`http://127.0.0.1:${free}/`, { timeoutMs: 2000 });
  assert.deepEqual([refused.ok, refused.errorCode], [false, 'ECONNREFUSED']);

  const cases: Array<[string, () => string | null, string, { close?: boolean }?]> = [
    ['hang-up', () => null, 'ECONNRESET'],
    ['cut short', () => 'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{"a":', 'ECONNRESET'],
    ['cut chunked', () => 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{"a"', 'ECONNRESET'],
    ['not HTTP', () => 'SSH-2.0-OpenSSH_9.6\r\n\r\n', 'BAD_HTTP'],
    ['not JSON', () => 'HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n<html/>\r\n', 'BAD_JSON'],
    ['silent', () => '', 'TIMEOUT', { close: false }],
    ['a flood (more than 1 MiB)', () => 'HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n' + '['.repeat(2 * 1024 * 1024), 'TOO_LARGE', { close: false }],
  ];
  for (const [name, reply, code, opts] of cases) {
    const s = await rawServer(reply, opts);
    t.after(() => s.stop());
    const r = await httpJson(`${s.url}/`, { timeoutMs: 300 });
    assert.equal(r.ok, false, name);
    assert.equal(r.errorCode, code, `${name}: ${JSON.stringify(r)}`);
    if (code === 'BAD_JSON') assert.deepEqual([r.status, r.text], [200, '<html/>\r\n']);
  }
  const s = await rawServer(() => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}');
  t.after(() => s.stop());
  const injected = await httpJson(`${s.url}/`, { headers: { authorization: 'Bearer x\r\nX-Evil: 1' } });
  assert.deepEqual([injected.ok, injected.errorCode], [false, 'ERR_INVALID_CHAR']);
  assert.equal(s.requests.length, 0, 'nothing was sent');
});

test('a target given by its parts (the quick call to the daemon) sends what its URL would; one no request can name is refused unsent', async (t) => {
  const s = await rawServer(() => 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{"ok":true}');
  t.after(() => s.stop());
  const port = Number(new URL(s.url).port);
  const byParts = await exchange({ host: '127.0.0.1', port, path: '/v3/sessions?after=s%2001' }, { timeoutMs: 3000 });
  const byUrl = await httpJson(`${s.url}/v3/sessions?after=s%2001`, { timeoutMs: 3000 });
  assert.deepEqual([byParts.ok, byParts.json, byUrl.ok], [true, { ok: true }, true], JSON.stringify(byParts));
  assert.equal(s.requests.length, 2);
  assert.equal(s.requests[0], s.requests[1], 'the same request line and headers either way');
  assert.match(s.requests[0], new RegExp(`^GET /v3/sessions\\?after=s%2001 HTTP/1\\.1\\r\\nhost: 127\\.0\\.0\\.1:${port}\\r\\n`));

  for (const [target, code] of [
    [{ host: '127.0.0.1', port, path: '/a b' }, 'ERR_INVALID_URL'],
    [{ host: '127.0.0.1', port, path: '/x\r\nX-Evil: 1' }, 'ERR_INVALID_URL'],
    [{ host: '127.0.0.1', port, path: 'v3/health' }, 'ERR_INVALID_URL'],
    [{ host: '127.0.0.1', port: 70000, path: '/' }, 'ERR_INVALID_URL'],
    [{ host: 'localhost', port, path: '/' }, 'ERR_NEEDS_LOOKUP'],
  ] as const) {
    const r = await exchange(target, { timeoutMs: 1000 });
    assert.deepEqual([r.ok, r.errorCode], [false, code], `${JSON.stringify(target)}: ${JSON.stringify(r)}`);
  }
  assert.equal(s.requests.length, 2, 'none of them sent anything');

  // An IPv6 address by its parts: bracketed in the Host header, as a URL would.
  const v6 = net.createServer((c) => c.once('data', (d) => c.end(`HTTP/1.1 200 OK\r\nContent-Length: ${JSON.stringify(d.toString('latin1').split('\r\n')[1]).length}\r\n\r\n${JSON.stringify(d.toString('latin1').split('\r\n')[1])}`)));
  const listening = await new Promise<boolean>((r) => v6.once('error', () => r(false)).listen(0, '::1', () => r(true)));
  if (listening) {
    t.after(() => new Promise<void>((r) => v6.close(() => r())));
    const p6 = (v6.address() as net.AddressInfo).port;
    const r = await exchange({ host: '::1', port: p6, path: '/' }, { timeoutMs: 3000 });
    assert.deepEqual([r.ok, r.json], [true, `host: [::1]:${p6}`], JSON.stringify(r));
  }
});

test('beforeSend is asked once the connection has begun, and a false answer sends nothing (the token stays home)', async (t) => {
  const s = await rawServer(() => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}');
  t.after(() => s.stop());
  let asked = 0;
  const refused = await exchange(`${s.url}/`, { timeoutMs: 1000, headers: { authorization: 'Bearer secret' }, beforeSend: () => (asked++, false) });
  assert.deepEqual([refused.ok, refused.errorCode, asked], [false, 'NOT_SENT', 1], JSON.stringify(refused));
  const allowed = await exchange(`${s.url}/`, { timeoutMs: 3000, headers: { authorization: 'Bearer secret' }, beforeSend: () => (asked++, true) });
  assert.deepEqual([allowed.ok, allowed.json, asked], [true, {}, 2], JSON.stringify(allowed));
  assert.equal(s.requests.length, 1, 'only the allowed call reached the server');
  assert.match(s.requests[0], /authorization: Bearer secret/);
});
