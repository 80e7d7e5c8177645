// The text face of `opta doctor --fix` and `opta daemon reset`: turns what the fix runner hands over into lines for a person.
import type { Kleur } from 'kleur';
import type { FixUi } from '../fix/runner.js';
import { renderPlan } from './fix-text.js';
import { rendererFor } from './registry.js';

export interface TextFixUiOptions {
  /** Where each block of text goes (stdout, or a test's array). */
  show(text: string): void;
  /** kleur with colour on, for a terminal; undefined for plain text. */
  kleur?: Kleur;
  /** Asks a yes/no question on a terminal; absent when there is none (or CI), so nothing ever waits for input. */
  confirm?(question: string): Promise<boolean>;
}

/** The reports and the summary through the registry's text renderers (loaded here, once); the plan as fix-text.ts writes it. */
export async function textFixUi({ show, kleur, confirm }: TextFixUiOptions): Promise<FixUi> {
  const [doctor, fix] = await Promise.all([rendererFor('doctor-report', 'text'), rendererFor('fix-report', 'text')]);
  return {
    report: (report, verbose) => show(doctor.render(report, { kleur, verbose })),
    plan: (plan, heading) => show(renderPlan(plan, kleur, heading)),
    summary: (report) => show(fix.render(report, { kleur })),
    say: show,
    confirm,
  };
}
