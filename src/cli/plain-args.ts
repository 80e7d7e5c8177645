// Parses the plain options of a fast path (--name, --name value, --name=value, -n, -n value); anything else is left to commander.
//
// Why not node:util parseArgs: its first call costs ~0.5 ms (plus ~0.1 ms to load), for three arguments. Commander
// stays the parser of record: this one accepts only what both read the same way and says "not mine" for the rest
// (grouped short flags, a value that starts with "-", --no-x, --, positionals, unknown names), so commander answers
// those exactly as it always did.

export interface PlainOption {
  long: string;
  short?: string;
  /** Takes a value (`--timeout 500`); else a flag. */
  value: boolean;
  /** May be given more than once: every value is kept, in order. */
  multiple?: boolean;
}

export interface PlainArgs {
  /** By long name: true for a flag, the (last) value, or every value of a `multiple` option. */
  values: Record<string, string | boolean | string[]>;
  /** Every option as given, in order (--format/--output pair by position). */
  order: Array<{ name: string; value?: string }>;
}

/** The options as parsed, or undefined when the arguments are not plain (commander's to answer). */
export function parsePlain(args: string[], options: PlainOption[]): PlainArgs | undefined {
  const byLong = new Map(options.map((o) => [o.long, o]));
  const byShort = new Map(options.filter((o) => o.short).map((o) => [o.short!, o]));
  const values: PlainArgs['values'] = {};
  const order: PlainArgs['order'] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    let o: PlainOption | undefined;
    let inline: string | undefined;
    if (/^--[a-z][a-z0-9-]*(=|$)/.test(a)) {
      const eq = a.indexOf('=');
      o = byLong.get(eq < 0 ? a.slice(2) : a.slice(2, eq));
      if (eq >= 0) inline = a.slice(eq + 1);
    } else if (/^-[a-zA-Z]$/.test(a)) {
      o = byShort.get(a.slice(1));
    }
    if (!o) return undefined;
    let value: string | undefined;
    if (o.value) {
      value = inline ?? args[++i];
      if (value === undefined || (inline === undefined && value.startsWith('-'))) return undefined;
    } else if (inline !== undefined) return undefined;
    order.push({ name: o.long, value });
    if (!o.value) values[o.long] = true;
    else if (o.multiple) values[o.long] = [...((values[o.long] as string[] | undefined) ?? []), value!];
    else values[o.long] = value!;
  }
  return { values, order };
}
