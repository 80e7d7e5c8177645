// A name server stand-in for tests: UDP on a loopback address, answering A queries for one name at once and AAAA as told (never, or "no such record").
import dgram from 'node:dgram';

export type AaaaMode = 'never' | 'nodata';

export interface DnsStandIn {
  /** The loopback address it listens on (port 53, as resolv.conf can name no other). */
  address: string;
  /** Queries seen, by type (A, AAAA, other). */
  seen: { A: number; AAAA: number; other: number };
  close(): void;
}

/** The question's name (lowercased), type, and where the question ends, or undefined for what is not a query. */
function question(msg: Buffer): { name: string; type: number; end: number } | undefined {
  if (msg.length < 12 || (msg[2] & 0x80) !== 0) return undefined;
  const labels: string[] = [];
  let i = 12;
  while (i < msg.length && msg[i] !== 0) {
    const len = msg[i];
    if (len > 63 || i + 1 + len > msg.length) return undefined;
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('latin1'));
    i += 1 + len;
  }
  if (i + 5 > msg.length) return undefined;
  return { name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(i + 1), end: i + 5 };
}

function reply(msg: Buffer, q: { end: number }, rcode: number, answers: Buffer[]): Buffer {
  const head = Buffer.alloc(12);
  msg.copy(head, 0, 0, 2);
  // QR, the query's RD, RA, and the rcode; one question, the answers, nothing else (the query's EDNS record is dropped).
  head.writeUInt16BE(0x8000 | (msg.readUInt16BE(2) & 0x0100) | 0x0080 | rcode, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(answers.length, 6);
  return Buffer.concat([head, msg.subarray(12, q.end), ...answers]);
}

function aRecord(ipv4: string): Buffer {
  const rr = Buffer.alloc(16);
  rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
  rr.writeUInt16BE(1, 2); // A
  rr.writeUInt16BE(1, 4); // IN
  rr.writeUInt32BE(60, 6);
  rr.writeUInt16BE(4, 10);
  ipv4.split('.').forEach((p, i) => (rr[12 + i] = Number(p)));
  return rr;
}

/**
 * Binds port 53 on a random 127.0.x.y (root only); `name` gets A `ipv4` at once, AAAA never or an empty answer
 * (NOERROR, no records: the name exists, it has no IPv6 address); any other name is NXDOMAIN.
 */
export async function startDnsStandIn(name: string, ipv4: string, aaaa: AaaaMode): Promise<DnsStandIn> {
  const address = `127.0.${1 + Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`;
  const sock = dgram.createSocket('udp4');
  const seen = { A: 0, AAAA: 0, other: 0 };
  sock.on('message', (msg, from) => {
    const q = question(msg);
    if (!q) return;
    const send = (b: Buffer) => sock.send(b, from.port, from.address);
    if (q.type === 1) seen.A++;
    else if (q.type === 28) seen.AAAA++;
    else seen.other++;
    if (q.name !== name.toLowerCase()) return send(reply(msg, q, 3, []));
    if (q.type === 1) return send(reply(msg, q, 0, [aRecord(ipv4)]));
    if (q.type === 28 && aaaa === 'never') return; // read, never answered: the stall
    send(reply(msg, q, 0, []));
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(53, address, () => resolve());
  });
  return { address, seen, close: () => sock.close() };
}
