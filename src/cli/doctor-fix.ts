// `opta doctor --fix [--yes] [--dry-run]`: the CLI adapter of the fix runner (terminal or plain output, asking once, Ctrl-C, exit code).
import readline from 'node:readline';
import { renderRuleProblems } from '../render/text.js';
import { cliPaths, runtime, type ExitCode } from './context.js';
import type { DoctorFlags } from './doctor-flags.js';
import { err, out } from './output.js';
import { canAsk, canRedraw, colorEnabled, isCI, paint } from './terminal.js';

function askYesNo(question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    let answered = false;
    rl.question(`${question} [y/N] `, (a) => {
      answered = true;
      rl.close();
      resolve(/^y(es)?$/i.test(a.trim()));
    });
    // End of input (Ctrl-D) is a no.
    rl.once('close', () => {
      if (!answered) resolve(false);
    });
    // Ctrl-C at the question (readline reads it as a key, not a signal) is Ctrl-C: the run is interrupted, not answered.
    // Emitted here and now (a signal sent to ourselves would arrive only after the "no" had let the safe steps start).
    rl.once('SIGINT', () => {
      process.emit('SIGINT', 'SIGINT');
      rl.close();
    });
  });
}

export async function fixAction(flags: DoctorFlags, setExit: (code: ExitCode) => void): Promise<void> {
  const env = process.env;
  // --ci (opta's own flag) or CI set by the runner: nobody is watching.
  const ci = Boolean(flags.ci) || isCI(env);
  const redraw = canRedraw(process.stdout, env, ci);
  // One colour decision for kleur, commander and listr2 (NO_COLOR, FORCE_COLOR, TTY).
  const color = !flags.json && !flags.ci && colorEnabled(process.stdout);
  const kleur = await paint(color);
  // --ci never asks: only the safe steps run unless --yes is given.
  // A dumb terminal is still a person's (it gets plain lines, and the question); one with no width is not.
  const asks = !flags.json && canAsk(process.stdout, process.stdin, ci);
  const controller = new AbortController();
  const onSigint = () => {
    controller.abort();
    err('opta: interrupted: the step under way finishes, then its pipeline is rolled back (Ctrl-C again stops at once).');
  };
  // Once: a second Ctrl-C gets the default behaviour and ends the process (the fix lock is then stale and is broken next time).
  process.once('SIGINT', onSigint);
  try {
    const [{ runFix, SILENT }, { textFixUi }] = await Promise.all([import('../fix/runner.js'), import('../render/fix-ui.js')]);
    const report = await runFix({
      paths: cliPaths(),
      env,
      doctor: { rulesDir: flags.rules, only: flags.only, skip: flags.skip, strict: flags.strict, deadlineMs: flags.timeout },
      yes: Boolean(flags.yes),
      dryRun: Boolean(flags.dryRun),
      ui: flags.json ? SILENT : await textFixUi({ show: (text) => out(text), kleur, confirm: asks ? askYesNo : undefined }),
      renderer: flags.json ? 'silent' : redraw ? 'default' : 'plain',
      color,
      kleur,
      verbose: flags.verbose,
      signal: controller.signal,
    });
    if (flags.json) out(JSON.stringify(report, null, 2));
    for (const r of [report.before, report.after]) if (r) for (const line of renderRuleProblems(r)) err(line);
    setExit(report.exitCode);
  } finally {
    process.removeListener('SIGINT', onSigint);
    // Nothing may keep a finished fix alive (a socket of a probe, say).
    runtime.hardStopAt = Date.now() + 500;
  }
}
