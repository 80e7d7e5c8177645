// npm run demo: the troubleshooting guide, live, in a throwaway home; exit 0 when every step did what it should, else 1.
import path from 'node:path';
import { demoColour, Reporter } from './demo/reporter.js';
import { DemoStack, Interrupted, optaBin, ROOT } from './demo/stack.js';
import { cleanUp, STEPS, stuckAfterMs, type Ctx } from './demo/story.js';

async function main(): Promise<number> {
  const started = Date.now();
  const r = new Reporter((t) => process.stdout.write(t), demoColour(process.env, Boolean(process.stdout.isTTY)));
  const s = await DemoStack.create(r.colour);
  const ctx: Ctx = { s, r };
  const p = s.ports;

  // Ctrl-C (or a CI runner's SIGTERM) ends the step under way; the clean-up below still stops what the demo started.
  // A second signal ends the demo at once.
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) process.exit(130);
    signalled = sig;
    process.stdout.write(`\n${sig}: stopping the demo and what it started...\n`);
    s.interrupt();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  r.heading('opta demo: the troubleshooting guide, live');
  r.say(
    'A healthy Opta stack is broken in the guide\'s five ways, one at a time; each time opta doctor says what is wrong',
    'and opta doctor --fix repairs what it safely can. Each expectation ends in a PASS or FAIL line.',
  );
  r.did(`throwaway home ${s.home}: HOME and OPTA_HOME of every process here (so opta shows it as ~); yours is not touched`);
  r.did(`ports chosen for this run: daemon ${p.daemon} (fallbacks ${p.fallback[0]}-${p.fallback[1]}), LMX ${p.lmx}; never 9999`);
  r.did(`"opta" below is this checkout's CLI: node ${path.relative(ROOT, optaBin())}`);
  r.did(`takes about ${Math.round(stuckAfterMs() / 1000) + 10} s: step 5 waits for a permission request to be ${stuckAfterMs() / 1000} s old`);

  try {
    for (const step of STEPS) {
      try {
        await step.run(ctx);
      } catch (e) {
        if (e instanceof Interrupted) break;
        // A step that cannot go on leaves the stack in an unknown state: stop the story, still clean up.
        r.check(step.id, 'the step runs to its end', { ok: false, got: e instanceof Error ? e.message : String(e) });
        break;
      }
    }
  } finally {
    await cleanUp(ctx);
  }
  const ok = r.summary(Date.now() - started, signalled !== undefined);
  if (signalled) return signalled === 'SIGINT' ? 130 : 143;
  return ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`opta demo: could not run: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
