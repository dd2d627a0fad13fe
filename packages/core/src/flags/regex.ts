/**
 * Unleash's REGEX operator uses RE2 syntax (the Rust regex crate in Yggdrasil). This translates the
 * RE2 features JavaScript spells differently (inline flags, POSIX classes, \A \z, (?P<name>)) and
 * refuses what RE2 refuses (lookaround, backreferences), so a pattern matches in the browser
 * exactly when it would in the other SDKs. A refused or malformed pattern is null: it never matches.
 * Scoped flag groups `(?i:…)` apply their flags to the whole pattern (JavaScript before ES2025 has
 * no scoped modifiers); RE2's linear-time guarantee is not reproduced.
 */
const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

export function compileRe2(pattern: string, caseInsensitive = false): RegExp | null {
  const flags = new Set<string>(caseInsensitive ? ['i'] : []);
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) return null;
      if (/[1-9]/.test(next) || next === 'k') return null;
      if (!inClass && next === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && next === 'z') out += '(?![\\s\\S])';
      else out += c + next;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && pattern[i + 1] === ':') {
        const end = pattern.indexOf(':]', i + 2);
        const name = end === -1 ? undefined : pattern.slice(i + 2, end);
        const chars = name === undefined ? undefined : POSIX[name];
        if (!chars) return null;
        out += chars;
        i = end + 1;
        continue;
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A ']' first in a class (after an optional '^') is a literal in RE2.
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (/^(=|!|<=|<!)/.test(rest)) return null;
      const named = /^P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      if (named) {
        out += `(?<${named[1]}>`;
        i += 1 + named[0].length;
        continue;
      }
      const flagGroup = /^([imsU]*)(?:-[imsU]*)?([:)])/.exec(rest);
      if (!flagGroup) return null;
      if (flagGroup[1]!.includes('U') || flagGroup[0].includes('-')) return null;
      for (const f of flagGroup[1]!) flags.add(f);
      if (flagGroup[2] === ':') out += '(?:';
      i += 1 + flagGroup[0].length;
      continue;
    }
    out += c;
  }
  if (inClass) return null;
  try {
    return new RegExp(out, [...flags].join(''));
  } catch {
    return null;
  }
}
