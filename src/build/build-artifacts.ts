// Build step after tsc: writes the rule manifests (one per kind) and the log patterns' prefilters (dist) and, with --schemas, regenerates schemas/*.json.
import { writeManifest, writeSchemas } from './artifacts.js';
import { writeBuiltInPrefilters } from '../logs/patterns.js';

const args = process.argv.slice(2);
if (args.includes('--schemas')) for (const f of await writeSchemas()) process.stdout.write(`wrote ${f}\n`);
const m = await writeManifest();
for (const p of m.problems) process.stderr.write(`rule manifest: ${p.count} problem(s) in rules/${p.kind} (run: opta rules validate); those files are validated at run time\n`);
await writeBuiltInPrefilters();
