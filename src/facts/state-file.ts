// Fact state-file: daemon/state.json classified (missing, empty, not-json, wrong-shape, valid, stopped, unreadable), token redacted.
import { displayPath } from '../core/paths.js';
import { readStateLite } from '../core/state-lite.js';
import type { FactCollector } from './fact.js';

export const stateFile: FactCollector<'state-file'> = {
  id: 'state-file',
  description: 'daemon/state.json: its class and fields (token redacted)',
  collect(ctx) {
    const file = ctx.paths.stateFile;
    const base = { path: file, display: displayPath(file, ctx.env) };
    let r;
    try {
      r = readStateLite(file);
    } catch (err) {
      return { ...base, class: 'unreadable', error: err instanceof Error ? err.message : String(err) };
    }
    if (r.class === 'valid') return { ...base, class: 'valid', fields: { ...r.state, token: '********' } };
    // A stopped record holds no token.
    if (r.class === 'stopped') return { ...base, class: 'stopped', fields: r.stopped };
    return { ...base, class: r.class, error: 'error' in r ? r.error : r.class === 'empty' ? 'the file is empty' : null };
  },
};
