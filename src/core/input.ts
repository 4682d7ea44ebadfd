import { invalidParameter } from './errors.ts';

/**
 * What text a caller may send, decided once for every way in (path, query, form, JSON bodies and
 * parameters, the event bridge's envelope, chat frames).
 *
 * NUL: PostgreSQL cannot store it in text and SQLite can, so it is refused everywhere, before it
 * reaches either. Depth: walking or serialising JSON is recursive, so a value nested thousands of
 * levels deep overflows the stack; 32 levels is far beyond any real attributes (Flex's nest 3 or 4).
 * Length: a JSON parameter is bounded on its own; bodies and frames by their transport's limits.
 */
export const JSON_LIMITS = { depth: 32, parameterLength: 64 * 1024 } as const;

/** Refuses text holding a NUL character; `what` names it in the message ("Invalid X: ..."). */
export function refuseNul(text: string, what: string): void {
  if (text.includes('\u0000')) throw invalidParameter(`Invalid ${what}: contains a NUL character`);
}

/**
 * JSON.parse within the limits: no NUL in any string or key (a `\u0000` escape decodes to one),
 * nesting at most `depth` levels. Checked on the text, in one pass and without recursion, before
 * anything is built. Every failure is a TwilioError 20001 naming `what`.
 */
export function parseJson(text: string, what: string, limits: { depth?: number } = {}): unknown {
  const maxDepth = limits.depth ?? JSON_LIMITS.depth;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) throw invalidParameter(`Invalid ${what}: contains a NUL character`);
    if (inString) {
      if (c === BACKSLASH) {
        if (text.startsWith('u0000', i + 1)) throw invalidParameter(`Invalid ${what}: contains a NUL character (\\u0000)`);
        i++; // the escaped character cannot end the string
      } else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) throw invalidParameter(`Invalid ${what}: nested deeper than ${maxDepth} levels`);
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalidParameter(`Invalid ${what}: not valid JSON (${(err as Error).message})`);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
