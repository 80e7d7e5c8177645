// Orders strings by code unit: ids, labels and file names sort the same on every machine, and no ICU collator is loaded.
//
// Why not localeCompare: its first call builds an ICU collator, ~6 ms of `opta doctor`'s run; opta's ids are
// lower-case ASCII, for which both orders agree.
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
