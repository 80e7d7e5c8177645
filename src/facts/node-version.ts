// Fact node-version: the Node.js running opta (opta needs 20 or newer).
import type { FactCollector } from './fact.js';

export const nodeVersion: FactCollector<'node-version'> = {
  id: 'node-version',
  description: 'process.versions.node of the Node.js running opta',
  collect() {
    const version = process.versions.node;
    const [major, minor] = version.split('.').map(Number);
    return { version, major, minor, execPath: process.execPath };
  },
};
