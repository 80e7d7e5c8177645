// Build step after tsc: writes the rule manifest (dist) and, with --schemas, regenerates schemas/*.json.
import { writeManifest, writeSchemas } from './artifacts.js';

const args = process.argv.slice(2);
if (args.includes('--schemas')) for (const f of await writeSchemas()) process.stdout.write(`wrote ${f}\n`);
const m = await writeManifest();
for (const p of m.problems) process.stderr.write(`rule manifest: ${p.count} problem(s) in rules/${p.kind} (run: opta rules validate); those files are validated at run time\n`);
