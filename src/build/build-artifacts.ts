// Build step after tsc: writes the rule manifests (one per kind) and the log patterns' prefilters (dist) and, with --schemas, regenerates schemas/*.json.
import { writeManifest, writeSchemas } from './artifacts.js';
import { writeBuiltInPrefilters } from '../logs/patterns.js';
import { SUPER_LINEAR } from '../rules/regex-check.js';

const args = process.argv.slice(2);
if (args.includes('--schemas')) for (const f of await writeSchemas()) process.stdout.write(`wrote ${f}\n`);
const m = await writeManifest();
for (const p of m.problems) process.stderr.write(`rule manifest: ${p.count} problem(s) in rules/${p.kind} (run: opta rules validate); those files are validated at run time\n`);
// A shipped regex that backtracks super-linearly is not shipped: one long log line would hang every command that reads it.
const slow = m.details.filter((p) => p.message.startsWith(SUPER_LINEAR));
for (const p of slow) process.stderr.write(`build: rule file ${p.file} is refused at ${p.jsonPath}: ${p.message}\n`);
if (slow.length) process.exit(1);
await writeBuiltInPrefilters();
