// The text face of `opta doctor --fix` and `opta daemon reset`: turns what the fix runner hands over into lines for a person.
import type { Kleur } from 'kleur';
import type { FixUi } from '../fix/runner.js';
import { renderFixSummary, renderPlan } from './fix-text.js';
import { renderText } from './text.js';

export interface TextFixUiOptions {
  /** Where each block of text goes (stdout, or a test's array). */
  show(text: string): void;
  /** kleur with colour on, for a terminal; undefined for plain text. */
  kleur?: Kleur;
  /** Asks a yes/no question on a terminal; absent when there is none (or CI), so nothing ever waits for input. */
  confirm?(question: string): Promise<boolean>;
}

export function textFixUi({ show, kleur, confirm }: TextFixUiOptions): FixUi {
  return {
    report: (report, verbose) => show(renderText(report, { kleur, verbose })),
    plan: (plan, heading) => show(renderPlan(plan, kleur, heading)),
    summary: (report) => show(renderFixSummary(report, kleur)),
    say: show,
    confirm,
  };
}
