// The README's commands table and each command's --help name the same options (short forms included) and the same value ranges.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CommandSpec, GroupSpec } from '../src/cli/command-table.js';
import { CONFIG } from '../src/cli/config.js';
import { DAEMON } from '../src/cli/daemon.js';
import { DOCTOR } from '../src/cli/doctor.js';
import { LOGS } from '../src/cli/logs.js';
import { PERMISSIONS } from '../src/cli/permissions.js';
import { RULES } from '../src/cli/rules.js';
import { SESSIONS } from '../src/cli/sessions.js';
import { SUPPORT } from '../src/cli/support.js';
import { makeHome, ROOT, runOpta, type TestHome } from './helpers/env.js';

const TABLES: Array<GroupSpec | CommandSpec> = [DAEMON, CONFIG, SESSIONS, PERMISSIONS, DOCTOR, LOGS, RULES, SUPPORT];

/** A command as the CLI declares it: `daemon logs`, `doctor`. */
interface Declared {
  words: string;
  spec: CommandSpec;
}

function declared(): Declared[] {
  return TABLES.flatMap((t) => ('commands' in t ? t.commands.map((spec) => ({ words: `${t.name} ${spec.name}`, spec })) : [{ words: t.name, spec: t }]));
}

/** A command the README's commands table names: the options its span writes, and the whole row (for ranges). */
interface Named {
  command: string;
  options: Set<string>;
  row: string;
}

/**
 * The rows of the table under "## Commands". A first cell holds one or more `opta ...` spans; `a\|b` names several
 * commands of a group; a span without `opta` (`restart` in `opta daemon stop` / `restart`) continues the group before
 * it. The options a span writes belong to the commands that span names.
 */
function readmeCommands(readme: string): Named[] {
  const start = readme.indexOf('\n## Commands\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const tops = new Set(declared().filter((d) => !d.words.includes(' ')).map((d) => d.words));
  const named: Named[] = [];
  for (const line of section.split('\n').filter((l) => l.startsWith('| `opta '))) {
    const first = line.slice(1, line.indexOf(' | ', 2));
    let group = '';
    for (const [, span] of first.matchAll(/`([^`]+)`/g)) {
      const words = span.replace(/\\\|/g, '|').split(/\s+/);
      let i = 0;
      if (words[0] === 'opta') {
        group = words[1];
        i = 2;
      }
      const options = new Set<string>();
      for (const [o] of span.matchAll(/(?<![\w-])--?[a-z][\w-]*/g)) options.add(o);
      const commands = tops.has(group) ? [group] : /^[a-z|]+$/.test(words[i] ?? '') ? words[i].split('|').map((s) => `${group} ${s}`) : [];
      for (const command of commands) named.push({ command, options, row: line });
    }
  }
  return named;
}

/** The options a --help prints (long and short forms) and its Options text with whitespace folded. */
function helpOptions(help: string): { options: Set<string>; text: string } {
  const text = help.slice(help.indexOf('Options:'));
  const options = new Set<string>();
  for (const [, flags] of text.matchAll(/^ {2}((?:-\w, )?--[\w-]+)/gm)) for (const f of flags.split(', ')) options.add(f);
  options.delete('-h');
  options.delete('--help');
  return { options, text: text.replace(/\s+/g, ' ') };
}

describe("the README's commands table and --help", () => {
  let h: TestHome;
  const rows = readmeCommands(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  before(() => {
    h = makeHome();
  });
  after(async () => {
    await h?.cleanup();
  });

  test('the table was read: a row for every command the CLI declares, and no command the CLI lacks', () => {
    const names = new Set(declared().map((d) => d.words));
    for (const d of declared()) assert.ok(rows.some((r) => r.command === d.words), `no row of the README's commands table names opta ${d.words}`);
    for (const r of rows) assert.ok(names.has(r.command), `the README names opta ${r.command}, which the CLI does not declare`);
  });

  for (const d of declared()) {
    test(`opta ${d.words}: the same options and ranges in --help and the README`, async () => {
      const r = await runOpta(h, [...d.words.split(' '), '--help']);
      assert.equal(r.code, 0, r.stderr);
      const help = helpOptions(r.stdout);
      const mine = rows.filter((r) => r.command === d.words);
      const written = new Set(mine.flatMap((row) => [...row.options]));
      // Every option --help shows, in its long and short form, is in the command's rows...
      for (const o of help.options) assert.ok(written.has(o), `opta ${d.words} --help has ${o}; the README's commands table does not`);
      // ...and every option those rows give the command is one --help shows.
      for (const o of written) assert.ok(help.options.has(o), `the README's commands table gives opta ${d.words} ${o}; its --help does not have it`);
      for (const o of d.spec.options ?? []) {
        if (!o.range) continue;
        const long = /--[\w-]+/.exec(o.flags)![0];
        assert.ok(help.text.includes(`(${o.range})`), `opta ${d.words} --help does not give ${long}'s range (${o.range})`);
        assert.ok(mine.some((r) => r.row.includes(`\`${long}\` ${o.range}`)), `the README's commands table does not give opta ${d.words} ${long}'s range as \`${long}\` ${o.range}`);
      }
      // ...and a range the README gives is one --help gives (a range dropped from the table of options shows here).
      for (const r of mine) {
        for (const [, long, range] of r.row.matchAll(/`(--[\w-]+)` (\d+(?: \w+)? to \d+ \w+)/g)) {
          if (!r.options.has(long)) continue;
          const o = (d.spec.options ?? []).find((x) => x.flags.includes(`${long} `) || x.flags.endsWith(long));
          assert.equal(o?.range, range, `the README gives opta ${d.words} ${long} the range ${range}; --help gives ${o?.range ?? 'none'}`);
          assert.ok(help.text.includes(`(${range})`), `opta ${d.words} --help does not give ${long}'s range (${range})`);
        }
      }
    });
  }
});
