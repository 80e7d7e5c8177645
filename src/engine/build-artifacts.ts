// Build step after tsc: writes the rule manifest (dist) and, with --schemas, regenerates schemas/*.json.
import { writeManifest, writeSchemas } from './artifacts.js';

const args = process.argv.slice(2);
if (args.includes('--schemas')) for (const f of writeSchemas()) process.stdout.write(`wrote ${f}\n`);
const m = writeManifest();
if (m.problems) process.stderr.write(`rule manifest: ${m.problems} problem(s) in rules/doctor (run: opta rules validate); those files are validated at run time\n`);
