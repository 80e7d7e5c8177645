// Every renderer by document and format, loaded only when asked for (a plain `opta doctor` loads the text renderer and none of the CI ones).
import type { DoctorReport } from '../doctor/report-types.js';
import type { FixReport } from '../fix/fix-types.js';
import type { Analysis } from '../logs/analysis.js';
import type { Renderer } from './renderer.js';

/** The documents opta renders, by name. */
export interface Documents {
  'doctor-report': DoctorReport;
  'fix-report': FixReport;
  'logs-analysis': Analysis;
}

type Registry = { [D in keyof Documents]: Record<string, () => Promise<Renderer<Documents[D]>>> };

/** A new format: one renderer file in src/render/ and one line here (the CLI's --format list follows DOCTOR_FORMATS). */
const REGISTRY = {
  'doctor-report': {
    text: async () => {
      const { renderText } = await import('./text.js');
      return { render: (r, c) => renderText(r, { kleur: c.kleur, verbose: c.verbose, facts: c.facts }) };
    },
    json: async () => {
      const { renderJson } = await import('./json.js');
      return { render: (r) => renderJson(r) };
    },
    junit: async () => {
      const { renderJunit } = await import('./junit.js');
      return { render: (r, c) => renderJunit(r, { hostname: c.hostname }) };
    },
    github: async () => {
      const { renderGithub } = await import('./github.js');
      return { render: (r) => renderGithub(r) };
    },
    openmetrics: async () => {
      const { renderOpenMetrics } = await import('./openmetrics.js');
      return { render: (r) => renderOpenMetrics(r) };
    },
  },
  'fix-report': {
    text: async () => {
      const { renderFixSummary } = await import('./fix-text.js');
      return { render: (r, c) => renderFixSummary(r, c.kleur) };
    },
  },
  'logs-analysis': {
    text: async () => {
      const { renderAnalysisText } = await import('./logs-analysis.js');
      return { render: (a, c) => renderAnalysisText(a, { kleur: c.kleur }) };
    },
    json: async () => {
      const { renderAnalysisJson } = await import('./logs-analysis.js');
      return { render: (a) => renderAnalysisJson(a) };
    },
  },
} satisfies Registry;

/** The formats of a doctor report, in the order `--format` names them. */
export const DOCTOR_FORMATS = ['text', 'json', 'junit', 'github', 'openmetrics'] as const satisfies ReadonlyArray<keyof (typeof REGISTRY)['doctor-report']>;
export type DoctorFormat = (typeof DOCTOR_FORMATS)[number];

export function formatsOf(doc: keyof Documents): string[] {
  return Object.keys(REGISTRY[doc]);
}

/** The renderer of `format` for `doc`, loaded now; throws for a format the document has not (callers check the name first). */
export async function rendererFor<D extends keyof Documents>(doc: D, format: string): Promise<Renderer<Documents[D]>> {
  const formats: Record<string, () => Promise<Renderer<any>>> = REGISTRY[doc];
  if (!Object.hasOwn(formats, format)) throw new Error(`no ${format} renderer for a ${doc}`);
  return formats[format]();
}
