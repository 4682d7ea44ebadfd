import { ExpressionSyntaxError } from './errors.ts';

export type Keyword = 'AND' | 'OR' | 'NOT' | 'IN' | 'HAS' | 'CONTAINS';
/** `=` is folded into `==` here so nothing downstream needs to know about the alias. */
export type SymbolOp = '==' | '!=' | '>' | '>=' | '<' | '<=' | '>-' | '<-';
export type PathSegment = string | number;

interface Span {
  readonly start: number;
  readonly end: number;
}

export type Token = Span &
  (
    | { readonly kind: 'path'; readonly segments: readonly PathSegment[] }
    | { readonly kind: 'string'; readonly value: string }
    | { readonly kind: 'number'; readonly value: number }
    | { readonly kind: 'constant'; readonly value: boolean | null }
    | { readonly kind: 'keyword'; readonly keyword: Keyword }
    | { readonly kind: 'op'; readonly op: SymbolOp }
    | { readonly kind: '(' | ')' | '[' | ']' | ',' | 'eof' }
    // Kept as a token rather than thrown so the parser can say what it expected at that spot.
    | { readonly kind: 'invalid' }
  );

const KEYWORDS: ReadonlyMap<string, Keyword> = new Map([
  ['and', 'AND'],
  ['or', 'OR'],
  ['not', 'NOT'],
  ['in', 'IN'],
  ['has', 'HAS'],
  ['contains', 'CONTAINS'],
] as const);

const CONSTANTS: ReadonlyMap<string, boolean | null> = new Map([
  ['true', true],
  ['false', false],
  ['null', null],
]);

const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  '/': '/',
  n: '\n',
  r: '\r',
  t: '\t',
};

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isIdentStart = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === '$');
const isIdentPart = (c: string | undefined): boolean => isIdentStart(c) || isDigit(c);
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const n = source.length;
  let i = 0;

  const readIdent = (): string => {
    const start = i;
    while (isIdentPart(source[i])) i++;
    return source.slice(start, i);
  };

  while (i < n) {
    const c = source[i];
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;

    if (isIdentStart(c)) {
      const word = readIdent();
      const lower = word.toLowerCase();
      // Keywords are reserved only as a first segment: `task.in` stays a legal key.
      const keyword = KEYWORDS.get(lower);
      if (keyword !== undefined) {
        tokens.push({ kind: 'keyword', keyword, start, end: i });
        continue;
      }
      if (CONSTANTS.has(lower)) {
        tokens.push({ kind: 'constant', value: CONSTANTS.get(lower)!, start, end: i });
        continue;
      }
      tokens.push({ kind: 'path', segments: readPathRest(word), start, end: i });
      continue;
    }

    if (isDigit(c) || (c === '-' && isDigit(source[i + 1]))) {
      tokens.push({ kind: 'number', value: readNumber(), start, end: i });
      continue;
    }

    if (c === '"' || c === "'") {
      tokens.push({ kind: 'string', value: readString(c), start, end: i });
      continue;
    }

    const next = source[i + 1];
    switch (c) {
      case '(':
      case ')':
      case '[':
      case ']':
      case ',':
        i++;
        tokens.push({ kind: c, start, end: i });
        continue;
      case '=':
        i += next === '=' ? 2 : 1;
        tokens.push({ kind: 'op', op: '==', start, end: i });
        continue;
      case '!':
        if (next === '=') {
          i += 2;
          tokens.push({ kind: 'op', op: '!=', start, end: i });
          continue;
        }
        break;
      case '>':
      case '<':
        if (next === '=') {
          i += 2;
          tokens.push({ kind: 'op', op: c === '>' ? '>=' : '<=', start, end: i });
          continue;
        }
        if (next === '-') {
          if (isDigit(source[i + 2])) throw ambiguousArrow(c, start, source[i + 2]);
          i += 2;
          tokens.push({ kind: 'op', op: c === '>' ? '>-' : '<-', start, end: i });
          continue;
        }
        i++;
        tokens.push({ kind: 'op', op: c, start, end: i });
        continue;
      case '&':
      case '|':
        // Doubled so the parser can suggest AND / OR for the whole `&&` / `||`.
        i += next === c ? 2 : 1;
        tokens.push({ kind: 'invalid', start, end: i });
        continue;
    }
    // One whole code point, so a surrogate pair is reported as one character.
    i += (source.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
    tokens.push({ kind: 'invalid', start, end: i });
  }
  tokens.push({ kind: 'eof', start: n, end: n });
  return tokens;

  function readPathRest(first: string): PathSegment[] {
    const segments: PathSegment[] = [first];
    for (;;) {
      if (source[i] === '.') {
        i++;
        if (!isIdentStart(source[i])) throw unexpectedHere('an attribute name after \'.\'');
        segments.push(readIdent());
      } else if (source[i] === '[') {
        i++;
        if (!isDigit(source[i])) throw unexpectedHere('an array index (a non-negative integer)');
        const digitsStart = i;
        while (isDigit(source[i])) i++;
        segments.push(Number(source.slice(digitsStart, i)));
        if (source[i] !== ']') throw unexpectedHere("']' to close the array index");
        i++;
      } else {
        return segments;
      }
    }
  }

  function readNumber(): number {
    const start = i;
    if (source[i] === '-') i++;
    while (isDigit(source[i])) i++;
    if (source[i] === '.') {
      i++;
      if (!isDigit(source[i])) throw unexpectedHere("a digit after '.'");
      while (isDigit(source[i])) i++;
    }
    // Number() rather than parseInt: `0800` (documented time-of-day example) must be decimal 800.
    return Number(source.slice(start, i));
  }

  function readString(quote: string): string {
    const open = i;
    i++;
    let out = '';
    let chunkStart = i;
    while (i < n) {
      const ch = source[i];
      if (ch === quote) {
        out += source.slice(chunkStart, i);
        i++;
        return out;
      }
      if (ch === '\\') {
        out += source.slice(chunkStart, i);
        out += readEscape();
        chunkStart = i;
        continue;
      }
      i++;
    }
    throw new ExpressionSyntaxError(
      `Unterminated string at position ${open}: expected a closing ${quote} before the end of the expression`,
      open,
    );
  }

  function readEscape(): string {
    const at = i;
    const e = source[i + 1];
    if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
      i += 2;
      return ESCAPES[e];
    }
    if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(source.slice(i + 2, i + 6))) {
      i += 6;
      return String.fromCharCode(parseInt(source.slice(at + 2, at + 6), 16));
    }
    const shown = e === undefined ? '\\' : `\\${e}`;
    throw new ExpressionSyntaxError(
      `Invalid escape '${shown}' at position ${at}: expected one of \\\\ \\' \\" \\/ \\n \\r \\t \\uXXXX`,
      at,
    );
  }

  function unexpectedHere(expected: string): ExpressionSyntaxError {
    const what = i >= n ? 'end of expression' : `character '${String.fromCodePoint(source.codePointAt(i)!)}'`;
    return new ExpressionSyntaxError(`Unexpected ${what} at position ${i}: expected ${expected}`, i);
  }
}

function ambiguousArrow(c: '>' | '<', at: number, digit: string): ExpressionSyntaxError {
  const alias = c === '>' ? 'HAS' : 'IN';
  return new ExpressionSyntaxError(
    `Ambiguous '${c}-${digit}' at position ${at}: expected a space, ` +
      `'${c} -${digit}' to compare with a negative number or '${c}- ${digit}' for ${alias}`,
    at,
  );
}
