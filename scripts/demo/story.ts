// The demo's story: a healthy stack, broken in the guide's five ways one at a time, each shown with opta doctor and --fix.
import fs from 'node:fs';
import path from 'node:path';
import type { SpawnedLmxSim } from '../../fixtures/lmx-sim/client.js';
import { isAlive, waitForExit } from '../../src/core/proc.js';
import { expectHealthy, expectRun, type Expectation } from './expect.js';
import type { Reporter } from './reporter.js';
import { Interrupted, ROOT, waitFor, type DemoStack, type RunResult } from './stack.js';

const SESSION = 'demo';
/** Every turn of the demo's LMX asks for this tool, so a turn waits on a permission request. */
const TOOL_CALL = { name: 'read_file', arguments: { path: 'README.md' } };

interface Turn {
  turnId: string;
  requestId: string;
}

export interface Ctx {
  s: DemoStack;
  r: Reporter;
  sim?: SpawnedLmxSim;
  turn?: Turn;
  /** Set once a crash report was kept (the kill -9 step): opta doctor then adds its note line (info) for 24 hours. */
  crashNote?: boolean;
}

export interface Step {
  id: string;
  run(ctx: Ctx): Promise<void>;
}

/**
 * How long a permission request waits with no client before the doctor calls it stuck: read from the rule itself
 * (rules are data), so the demo waits exactly as long as the shipped rule needs.
 */
export function stuckAfterMs(): number {
  const rule = JSON.parse(fs.readFileSync(path.join(ROOT, 'rules', 'doctor', 'permissions-request-stuck.json'), 'utf8')) as {
    conditions: { all: Array<{ path: string; operator: string; value: number }> };
  };
  const c = rule.conditions.all.find((x) => x.path === '$.oldestUnattendedAgeMs' && x.operator === 'greaterThan');
  if (!c) throw new Error('rules/doctor/permissions-request-stuck.json no longer compares oldestUnattendedAgeMs; update the demo');
  return c.value;
}

/** Runs opta, shows the command as a person types it and what it printed. */
async function opta(ctx: Ctx, args: string[], display = `opta ${args.join(' ')}`): Promise<RunResult> {
  const res = await ctx.s.opta(args);
  ctx.r.command(display, res.stdout + res.stderr);
  return res;
}

function healthy(ctx: Ctx, id: string, res: RunResult, what?: string): void {
  const { s } = ctx;
  const said = what ?? (ctx.crashNote ? 'opta doctor exits 0 with the guide\'s five lines, the note naming the crash report, and "All checks passed."' : 'opta doctor exits 0 with the guide\'s five lines and "All checks passed."');
  ctx.r.check(id, said, expectHealthy(res, s.state()?.pid, s.ports.daemon, s.ports.lmx, Boolean(ctx.crashNote)));
}

function judge(ctx: Ctx, id: string, expected: string, res: RunResult, e: Expectation): void {
  ctx.r.check(id, expected, expectRun(res, e));
}

/** The daemon's API as a client uses it: the port and bearer token come from state.json. */
async function api(ctx: Ctx, method: string, route: string, body?: unknown): Promise<{ status: number; json: any }> {
  const st = ctx.s.state();
  if (!st) throw new Error('no readable state.json: the daemon is not running');
  const res = await fetch(`http://127.0.0.1:${st.port}${route}`, {
    method,
    headers: { authorization: `Bearer ${st.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

async function pending(ctx: Ctx): Promise<Array<{ requestId: string; turnId: string; tool: string; ageMs: number; clientConnected: boolean }>> {
  const r = await api(ctx, 'GET', '/v3/permissions?state=pending');
  return r.status === 200 && Array.isArray(r.json?.permissions) ? r.json.permissions : [];
}

const fixed = (rule: string) => new RegExp(`^\\s+fixed\\s+${rule}\\s*$`, 'm');
const needs = (what: 'a person' | 'confirmation', rule: string) => new RegExp(`^\\s+needs ${what}\\s+${rule}:`, 'm');

const start: Step = {
  id: 'start',
  async run(ctx) {
    const { s, r } = ctx;
    const p = s.ports;
    r.heading('1. A healthy stack');
    r.say('An LMX simulator plays the inference server (model qwen3-30b-a3b loaded); opta is told where it is,', 'then starts its daemon.');
    ctx.sim = await s.startLmx([TOOL_CALL]);
    r.did(`started the LMX simulator (pid ${ctx.sim.pid}) on 127.0.0.1:${ctx.sim.port}`);
    const sets: Array<[string, string]> = [
      ['lmx.host', '127.0.0.1'],
      ['lmx.port', String(p.lmx)],
      ['daemon.port', String(p.daemon)],
      ['daemon.portRange', `${p.fallback[0]}-${p.fallback[1]}`],
    ];
    const failed: string[] = [];
    for (const [k, v] of sets) {
      const res = await opta(ctx, ['config', 'set', k, v]);
      if (res.code !== 0) failed.push(`opta config set ${k}: exit ${res.code}`);
    }
    const res = await opta(ctx, ['daemon', 'start']);
    const pid = s.noteDaemon();
    judge(ctx, 'start', 'opta config set and opta daemon start exit 0; the daemon serves on its preferred port', res, {
      code: 0,
      has: [`Daemon started (pid ${pid}, port ${p.daemon}).`],
      also: failed.map((f) => [false, f] as [boolean, string]),
    });
    r.say('opta doctor checks the daemon, LMX, the model, the config and the opta home. Healthy, it prints the guide\'s', 'five lines:');
    healthy(ctx, 'healthy.doctor', await opta(ctx, ['doctor']));
  },
};

const turn: Step = {
  id: 'turn',
  async run(ctx) {
    const { s, r } = ctx;
    r.heading('2. A turn waits for a permission');
    r.say(
      'A client opens session "demo" on a project directory, submits a turn over HTTP and does not stay connected.',
      'The model asks to read README.md: the turn now waits on a permission request nobody is there to answer.',
      `The doctor calls a request stuck only once it has waited ${stuckAfterMs() / 1000} s (someone may be about to answer);`,
      'the next two breakdowns happen meanwhile, and step 5 comes back to it.',
    );
    const created = await opta(ctx, ['sessions', 'create', SESSION, '--workspace', s.project], `opta sessions create ${SESSION} --workspace ~/project`);
    const content = 'What does README.md say?';
    const sent = await api(ctx, 'POST', `/v3/sessions/${SESSION}/turns`, { content });
    r.did(`a client sent POST /v3/sessions/${SESSION}/turns {"content":${JSON.stringify(content)}} -> ${sent.status} ${JSON.stringify(sent.json)}`);
    let asked: Awaited<ReturnType<typeof pending>>[number] | undefined;
    await waitFor(async () => {
      asked = (await pending(ctx)).find((x) => x.turnId === sent.json?.turnId);
      return asked !== undefined;
    }, 10_000, 'the turn\'s permission request', s.signal, 100).catch((e: unknown) => {
      if (e instanceof Interrupted) throw e;
    });
    if (asked) ctx.turn = { turnId: asked.turnId, requestId: asked.requestId };
    const list = await opta(ctx, ['permissions', 'list']);
    judge(ctx, 'turn.waiting', 'the turn asks permission to run read_file, and no client is connected to answer it', list, {
      code: 0,
      has: asked ? [new RegExp(`^${asked.requestId}\\s+${SESSION}\\s+read_file\\s+\\S+\\s+none\\s`, 'm')] : [],
      also: [
        [created.code === 0, `opta sessions create: exit ${created.code}`],
        [sent.status === 202, `POST .../turns answered ${sent.status}`],
        [asked?.clientConnected === false, 'no pending request without a client'],
      ],
    });
  },
};

const corruptState: Step = {
  id: 'corrupt-state',
  async run(ctx) {
    const { s, r } = ctx;
    r.heading('3. state.json is corrupt');
    r.say(
      'A power loss during a write can leave ~/.config/opta/daemon/state.json cut short. The daemon keeps running,',
      'but the CLI can no longer read its pid, port and token. The demo cuts the file in half.',
    );
    const before = s.state();
    const text = fs.readFileSync(s.stateFile, 'utf8');
    fs.writeFileSync(s.stateFile, text.slice(0, Math.floor(text.length / 2)));
    r.did(`cut ~/.config/opta/daemon/state.json from ${text.length} to ${Math.floor(text.length / 2)} bytes`);
    judge(ctx, 'corrupt-state.doctor', 'opta doctor exits 1: the state file is corrupt, and --fix can repair it', await opta(ctx, ['doctor']), {
      code: 1,
      has: ['Checking daemon...        ● corrupt state file ~/.config/opta/daemon/state.json', 'opta doctor --fix can repair it: daemon-state-corrupt.'],
    });
    r.say(
      'The guide says: rm state.json && opta daemon start. opta doctor --fix does it more carefully: it sets the file aside',
      '(kept as state.json.corrupt-<time>, for you to inspect) and has the running daemon write its state again.',
    );
    const fix = await opta(ctx, ['doctor', '--fix']);
    const kept = fs.readdirSync(path.dirname(s.stateFile)).some((f) => f.startsWith('state.json.corrupt-'));
    judge(ctx, 'corrupt-state.fix', 'opta doctor --fix exits 0: daemon-state-corrupt fixed and re-verified, the same daemon still serving', fix, {
      code: 0,
      has: [fixed('daemon-state-corrupt')],
      also: [
        [kept, 'no state.json.corrupt-<time> kept'],
        [before !== undefined && s.state()?.pid === before.pid, `the daemon changed (pid ${before?.pid} -> ${s.state()?.pid})`],
      ],
    });
    r.say('Still healthy, although the permission request of step 2 is waiting: it is not 30 s old yet.');
    healthy(ctx, 'corrupt-state.after', await opta(ctx, ['doctor']));
  },
};

const lmxDown: Step = {
  id: 'lmx-down',
  async run(ctx) {
    const { s, r } = ctx;
    r.heading('4. LMX is down');
    r.say('The inference server stops (a crash, a reboot, a laptop lid). The daemon stays up, but every turn would fail', 'with LMX_UNREACHABLE.');
    const sim = ctx.sim!;
    await sim.stop();
    r.did(`stopped the LMX simulator (pid ${sim.pid})`);
    const lmx = `127.0.0.1:${s.ports.lmx}`;
    judge(ctx, 'lmx-down.doctor', 'opta doctor exits 1: LMX refuses connections, and says which command to run', await opta(ctx, ['doctor']), {
      code: 1,
      has: [`Checking LMX...           ● unreachable: ${lmx} refused the connection`, `next: curl http://${lmx}/healthz`],
    });
    r.say('No pipeline can bring back a server that may run on another machine: --fix says this needs a person, with', 'the command to run, and exits 1.');
    judge(ctx, 'lmx-down.fix', 'opta doctor --fix exits 1: lmx-connection-refused needs a person', await opta(ctx, ['doctor', '--fix']), {
      code: 1,
      has: [needs('a person', 'lmx-connection-refused'), `next: curl http://${lmx}/healthz`],
    });
    r.say('A person brings LMX back; the guide\'s first check (curl .../healthz) answers again.');
    ctx.sim = await s.startLmx([TOOL_CALL]);
    r.did(`started the LMX simulator again (pid ${ctx.sim.pid}) on 127.0.0.1:${ctx.sim.port}`);
    const health = await fetch(`http://${lmx}/healthz`, { signal: AbortSignal.timeout(5000) }).then((x) => x.text());
    r.did(`GET http://${lmx}/healthz -> ${health.trim()}`);
    healthy(ctx, 'lmx-down.after', await opta(ctx, ['doctor']));
  },
};

const stuckPermission: Step = {
  id: 'stuck-permission',
  async run(ctx) {
    const { r } = ctx;
    const t = ctx.turn;
    const limit = stuckAfterMs();
    r.heading('5. A permission request hangs');
    if (!t) throw new Error('step 2 left no permission request to wait on');
    const first = (await pending(ctx)).find((x) => x.requestId === t.requestId);
    const left = first ? Math.max(0, limit - first.ageMs) : 0;
    r.say(
      `Request ${t.requestId} of step 2 has waited ${Math.round((first?.ageMs ?? 0) / 1000)} s with no client to answer it. The doctor calls it stuck after`,
      `${limit / 1000} s; waiting about ${Math.ceil(left / 1000)} s more.`,
    );
    // Asks the daemon for the request's own age (twice a second) rather than sleeping: the doctor judges by that figure.
    // A line every 10 s says the demo is still there, without moving the cursor.
    const said = new Set<number>();
    await waitFor(
      async () => {
        const age = (await pending(ctx)).find((x) => x.requestId === t.requestId)?.ageMs ?? 0;
        const toGo = Math.ceil((limit + 300 - age) / 1000);
        if (toGo > 0 && toGo % 10 === 0 && toGo * 1000 < left && !said.has(toGo)) {
          said.add(toGo);
          r.did(`${toGo} s to go`);
        }
        return age > limit + 300;
      },
      limit + 15_000,
      `${t.requestId} to be ${limit / 1000} s old`,
      ctx.s.signal,
      500,
    );
    judge(ctx, 'stuck-permission.doctor', 'opta doctor exits 1: the request has waited too long with no client, and --fix can repair it', await opta(ctx, ['doctor']), {
      code: 1,
      has: [
        `Checking permissions...   ● permission request ${t.requestId} (read_file) in session ${SESSION} has waited`,
        'opta doctor --fix can repair it: permissions-request-stuck.',
      ],
    });
    r.say(
      'The repair is the guide\'s "Cancel the stuck turn". Cancelling a turn is not a safe step, so --fix asks first. With no',
      'terminal to ask on (as here, or in CI) it never waits for an answer that cannot come: it reports "needs confirmation",',
      'cancels nothing and exits 1.',
    );
    const ask = await opta(ctx, ['doctor', '--fix']);
    const stillThere = (await pending(ctx)).some((x) => x.requestId === t.requestId);
    judge(ctx, 'stuck-permission.fix', 'opta doctor --fix exits 1: the cancel needs confirmation, and nothing was cancelled', ask, {
      code: 1,
      has: [needs('confirmation', 'permissions-request-stuck'), 'next: opta doctor --fix --yes'],
      also: [[stillThere, `${t.requestId} is no longer pending`]],
    });
    r.say('--yes answers yes up front (for scripts, or a person who has read the plan).');
    const yes = await opta(ctx, ['doctor', '--fix', '--yes']);
    const events = await api(ctx, 'GET', `/v3/sessions/${SESSION}/events?afterSeq=0`);
    const ended = (events.json?.events ?? []).find((e: any) => e.event === 'turn.error' && e.payload?.turnId === t.turnId);
    judge(ctx, 'stuck-permission.fix-yes', 'opta doctor --fix --yes exits 0: the stuck turn is cancelled (turn.error CANCELLED in its session)', yes, {
      code: 0,
      has: [fixed('permissions-request-stuck')],
      also: [[ended?.payload?.code === 'CANCELLED', `the turn ended with ${ended ? ended.payload?.code : 'no turn.error'}`]],
    });
    r.say('The session keeps its history (the turn ends with turn.error CANCELLED); the next turn can be submitted.');
    healthy(ctx, 'stuck-permission.after', await opta(ctx, ['doctor']));
  },
};

const kill9: Step = {
  id: 'kill-9',
  async run(ctx) {
    const { s, r } = ctx;
    r.heading('6. The daemon is killed (kill -9)');
    r.say('A crash, or kill -9, gives the daemon no chance to clean up: state.json still names its pid, which is gone.');
    const before = s.state();
    if (!before) throw new Error('no daemon to kill: state.json is not readable');
    process.kill(before.pid, 'SIGKILL');
    await waitForExit(before.pid, 5000);
    r.command(`kill -9 ${before.pid}`);
    judge(ctx, 'kill-9.doctor', 'opta doctor exits 1: the state is stale (its pid is dead), and --fix can repair it', await opta(ctx, ['doctor']), {
      code: 1,
      has: [`● stale: ~/.config/opta/daemon/state.json names pid ${before.pid}, which is not running`, 'opta doctor --fix can repair it: daemon-stale-state.'],
    });
    r.say('--fix does what the guide\'s crash guardian does: sets the stale state aside and starts a daemon with a fresh token.');
    const fix = await opta(ctx, ['doctor', '--fix']);
    const after = s.state();
    judge(ctx, 'kill-9.fix', 'opta doctor --fix exits 0: it keeps a crash report first; daemon-stale-state fixed; a new daemon runs with a fresh token', fix, {
      code: 0,
      has: [`The daemon (pid ${before.pid}) had died (no last words: killed or lost power); a crash report was kept: ~/.config/opta/daemon/crashes/`, fixed('daemon-stale-state')],
      also: [
        [after !== undefined && after.pid !== before.pid && isAlive(after.pid), `no new daemon (state names pid ${after?.pid})`],
        [after === undefined || after.token !== before.token, 'the new daemon has the old token'],
      ],
    });
    r.say('The crash report (the dead run, its log, the doctor\'s facts, redacted) stays for support: opta doctor names it', 'on one note line (info, not a problem) for the next 24 hours.');
    ctx.crashNote = true;
    healthy(ctx, 'kill-9.after', await opta(ctx, ['doctor']));
  },
};

const foreignPort: Step = {
  id: 'foreign-port',
  async run(ctx) {
    const { s, r } = ctx;
    const port = s.ports.daemon;
    r.heading('7. Another program holds the daemon port');
    r.say('The daemon is stopped, and another program takes its port: the guide\'s "Port in Use".');
    await opta(ctx, ['daemon', 'stop']);
    const holder = await s.holdPort(port);
    r.did(`started node listening on 127.0.0.1:${port} (pid ${holder}), a program that is not opta`);
    judge(ctx, 'foreign-port.doctor', 'opta doctor exits 1: it names the program on the port and the guide\'s command', await opta(ctx, ['doctor']), {
      code: 1,
      has: [`● not running: port ${port} is held by node (pid ${holder}), not an Opta daemon`, `next: kill ${holder} && opta daemon start`],
    });
    r.say('opta never signals a process it cannot prove to be this home\'s daemon: --fix names the owner and the command,', 'and leaves the decision to a person.');
    const fix = await opta(ctx, ['doctor', '--fix']);
    judge(ctx, 'foreign-port.fix', 'opta doctor --fix exits 1: daemon-port-foreign needs a person; the other program still runs', fix, {
      code: 1,
      has: [needs('a person', 'daemon-port-foreign')],
      also: [[isAlive(holder), `pid ${holder} was stopped`]],
    });
    r.say('Not even with --yes: --yes answers opta\'s own questions, it does not make a stranger\'s process opta\'s to stop.');
    const yes = await opta(ctx, ['doctor', '--fix', '--yes']);
    judge(ctx, 'foreign-port.fix-yes', 'opta doctor --fix --yes exits 1 too, and the other program still runs', yes, {
      code: 1,
      has: [needs('a person', 'daemon-port-foreign')],
      also: [[isAlive(holder), `pid ${holder} was stopped`]],
    });
    r.say('A person decides the other program may go, and runs the guide\'s command.');
    process.kill(holder, 'SIGTERM');
    const gone = await waitForExit(holder, 5000);
    const started = await s.opta(['daemon', 'start']);
    r.command(`kill ${holder} && opta daemon start`, started.stdout + started.stderr);
    const pid = s.noteDaemon();
    judge(ctx, 'foreign-port.guide', 'the guide\'s kill <pid> && opta daemon start: the daemon is back on its preferred port', started, {
      code: 0,
      has: [`Daemon started (pid ${pid}, port ${port}).`],
      also: [[gone, `pid ${holder} did not exit`]],
    });
    healthy(ctx, 'foreign-port.after', await opta(ctx, ['doctor']));
  },
};

const bundle: Step = {
  id: 'bundle',
  async run(ctx) {
    const { s, r } = ctx;
    r.heading('8. A support bundle');
    r.say(
      'For what the doctor cannot fix, opta support bundle writes what support needs (the guide\'s one-liner and more),',
      'read-only, with every secret redacted. The head of the file says what it holds:',
    );
    const dir = path.join(s.home, 'bundles');
    fs.mkdirSync(dir, { mode: 0o700 });
    const res = await opta(ctx, ['support', 'bundle', '--out', dir], 'opta support bundle --out ~/bundles');
    const saved = /^Saved (.+)$/m.exec(res.stdout)?.[1];
    const file = saved?.replace(/^~(?=\/)/, s.home);
    const text = file && fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const lines = text.split('\n');
    const firstSection = lines.findIndex((l) => l.startsWith('## '));
    r.output(lines.slice(0, firstSection > 0 ? firstSection : 4).join('\n'));
    const sections = lines.filter((l) => l.startsWith('## '));
    r.output(`(then ${sections.length} sections: ${sections.map((l) => l.slice(3)).join('; ')})`);
    const token = s.state()?.token;
    const mode = file && fs.existsSync(file) ? fs.statSync(file).mode & 0o777 : undefined;
    judge(ctx, 'bundle', 'opta support bundle exits 0; the file is private (0600), begins like the guide\'s, and holds no daemon token', res, {
      code: 0,
      has: [/^Saved .+\.txt$/m],
      also: [
        [text.startsWith('# Opta Support Bundle\n# Generated: '), 'the file does not begin "# Opta Support Bundle / # Generated:"'],
        [sections.includes('## opta doctor'), 'no "## opta doctor" section'],
        [mode === 0o600, `mode ${mode === undefined ? '(no file)' : mode.toString(8)}`],
        [token !== undefined && !text.includes(token), 'the daemon token is in the file'],
      ],
    });
  },
};

/** The story's steps in order; the clean-up runs after them whatever happened (see cleanUp). */
export const STEPS: Step[] = [start, turn, corruptState, lmxDown, stuckPermission, kill9, foreignPort, bundle];

/** Stops every process the demo started, by pid, and removes the throwaway home; runs even after a failed step. */
export async function cleanUp(ctx: Ctx): Promise<void> {
  const { s, r } = ctx;
  r.heading('9. Clean-up');
  r.say('The demo stops the daemon, then every process it started (by pid), and removes its throwaway home.');
  // After Ctrl-C the stop goes by pid only: no new opta command starts once the person asked to stop.
  // A signal during the stop (Interrupted) leaves it to the stop by pid below.
  const stopRes = s.state() && !s.signal.aborted ? await opta(ctx, ['daemon', 'stop']).catch(() => undefined) : undefined;
  const stopped = await s.stopAll();
  for (const p of stopped) r.did(`${p.what} (pid ${p.pid}): ${p.gone ? 'not running' : 'STILL RUNNING'}`);
  const removed = s.removeHome();
  r.did(`removed ${s.home}`);
  const left = stopped.filter((p) => !p.gone);
  r.check('cleanup', 'every process the demo started is gone and its throwaway home is removed', {
    ok: left.length === 0 && removed && (stopRes === undefined || stopRes.code === 0),
    got: [
      ...left.map((p) => `${p.what} (pid ${p.pid}) still runs`),
      ...(removed ? [] : [`${s.home} remains`]),
      ...(stopRes && stopRes.code !== 0 ? [`opta daemon stop: exit ${stopRes.code}`] : []),
    ].join('; '),
  });
}
