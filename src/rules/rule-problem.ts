// What validating a rule file of any kind reports: the file, where in it, and what is wrong.

export interface RuleProblem {
  file: string;
  /** JSON path of the problem inside the file, e.g. $.event.params.severity. */
  jsonPath: string;
  message: string;
}
