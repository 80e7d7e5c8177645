// What every renderer is: one kind of document (doctor report, fix report, log analysis) turned into text of one format.
import type { Kleur } from 'kleur';

export interface RenderContext {
  /** kleur with the CLI's colour decision applied, for text on a terminal; undefined for plain text (kleur is then not even loaded). */
  kleur?: Kleur;
  verbose?: boolean;
  /** The machine's name, for the formats that print it (JUnit, OpenMetrics); read only when they ask. */
  hostname?: string;
  /** The run's fact values, for the tables --verbose prints under a check (the path to LMX); absent: no tables. */
  facts?: Record<string, Record<string, unknown>>;
}

export interface Renderer<D> {
  render(doc: D, ctx: RenderContext): string;
}
