// A team's doctor rule for pack tests: it always fires (Node's major version is at least 1).

export const TEAM_RULE = {
  $schema: '../../schemas/rule.schema.json',
  name: 'team-node-pinned',
  conditions: { all: [{ fact: 'node-version', path: '$.major', operator: 'greaterThanInclusive', value: 1 }] },
  event: {
    type: 'finding',
    params: { id: 'team-node-pinned', check: 'node', severity: 'warn', message: 'the team pins Node {{node-version.version}}', why: 'team policy', remediation: 'nvm use', guide: 'CLI Version Context', fix: null },
  },
};
