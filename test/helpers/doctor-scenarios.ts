// Materialises a fixtures/doctor/<scenario> as a throwaway opta home (modes applied) plus its fact overrides and env.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { optaPaths, type OptaPaths } from '../../src/core/paths.js';
import { ROOT } from './env.js';

export const SCENARIOS_DIR = path.join(ROOT, 'fixtures', 'doctor');

export interface Scenario {
  name: string;
  description: string;
  home: string;
  paths: OptaPaths;
  env: NodeJS.ProcessEnv;
  overrides: Record<string, Record<string, unknown>>;
  cleanup(): void;
}

export function scenarioNames(): string[] {
  return fs.readdirSync(SCENARIOS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

function copyTree(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true, mode: 0o700 });
  fs.chmodSync(to, 0o700);
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    if (e.name === 'facts.json' || e.name === '.keep') continue;
    const a = path.join(from, e.name);
    const b = path.join(to, e.name);
    if (e.isDirectory()) copyTree(a, b);
    else {
      fs.copyFileSync(a, b);
      fs.chmodSync(b, 0o600);
    }
  }
}

export function loadScenario(name: string): Scenario {
  const dir = path.join(SCENARIOS_DIR, name);
  const spec = JSON.parse(fs.readFileSync(path.join(dir, 'facts.json'), 'utf8')) as {
    description: string;
    facts: Record<string, Record<string, unknown>>;
    modes?: Record<string, string>;
    env?: Record<string, string>;
  };
  const base = JSON.parse(fs.readFileSync(path.join(SCENARIOS_DIR, 'base-facts.json'), 'utf8')) as { facts: Record<string, Record<string, unknown>> };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `opta-doctor-${name}-`));
  const home = path.join(tmp, '.config', 'opta');
  copyTree(dir, home);
  for (const [rel, mode] of Object.entries(spec.modes ?? {})) fs.chmodSync(path.join(home, rel), parseInt(mode, 8));
  return {
    name,
    description: spec.description,
    home,
    paths: optaPaths(home),
    env: { HOME: tmp, PATH: process.env.PATH, ...spec.env },
    overrides: { ...base.facts, ...spec.facts },
    cleanup: () => fs.rmSync(tmp, { recursive: true, force: true }),
  };
}
