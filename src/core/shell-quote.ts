// The one shell quoting of opta: a word (a path) put into a command a person pastes into sh acts on exactly that word.

/** Characters that mean nothing to sh in a word: such a word needs no quotes (most paths). */
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** `word` as one sh word: as it is when plain, else in single quotes (a quote inside as '\''). */
export function shellQuote(word: string): string {
  if (word !== '' && PLAIN.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A path as a person types it into sh: ~/... when it lies under HOME (the guide writes rm ~/.config/opta/daemon/state.json;
 * sh expands the unquoted ~ to HOME whatever HOME holds), the rest quoted only when it needs it; else the whole path quoted.
 */
export function shellPath(p: string, home: string | undefined): string {
  if (home && home !== '/' && (p === home || p.startsWith(home + '/'))) {
    const rest = p.slice(home.length + 1);
    return rest ? `~/${shellQuote(rest)}` : '~';
  }
  return shellQuote(p);
}
