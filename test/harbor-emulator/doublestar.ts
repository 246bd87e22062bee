/**
 * Glob matching as Harbor's replication filters do it (github.com/bmatcuk/doublestar `Match`):
 * `*` any run of characters but `/`, `?` one of them, `**` as a whole path component any number of
 * components (none included: `proj/**` matches `proj`), `[abc]`/`[!a-z]` a class, `{a,b}`
 * alternatives (nesting allowed), `\` escapes.
 */
export function doublestarMatch(pattern: string, name: string): boolean {
  return new RegExp(`^${toRegExp(pattern)}$`, 'u').test(name);
}

const escape = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function toRegExp(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      out += escape(pattern[++i]!);
    } else if (c === '*') {
      const atStart = i === 0 || pattern[i - 1] === '/';
      if (pattern[i + 1] === '*' && atStart && (i + 2 === pattern.length || pattern[i + 2] === '/')) {
        if (i + 2 === pattern.length) {
          // A trailing `/**` also matches the directory itself: drop the `/` already written.
          if (out.endsWith('\\/')) out = `${out.slice(0, -2)}(?:\\/.*)?`;
          else out += '.*';
          i += 1;
        } else {
          out += '(?:[^/]*\\/)*';
          i += 2;
        }
      } else {
        while (pattern[i + 1] === '*') i++;
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      out += `[${negated ? '^/' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = end;
    } else if (c === '{') {
      const end = closingBrace(pattern, i);
      if (end < 0) {
        out += '\\{';
        continue;
      }
      out += `(?:${splitAlternatives(pattern.slice(i + 1, end)).map(toRegExp).join('|')})`;
      i = end;
    } else {
      out += escape(c);
    }
  }
  return out;
}

function closingBrace(pattern: string, open: number): number {
  let depth = 0;
  for (let i = open; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === '{') depth++;
    else if (pattern[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/** `a,{b,c},d` → `a`, `{b,c}`, `d`: commas at the top level only. */
function splitAlternatives(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\') i++;
    else if (body[i] === '{') depth++;
    else if (body[i] === '}') depth--;
    else if (body[i] === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts;
}
