import { invalidParameter } from '../core/errors.ts';
import type { Params } from '../http/params.ts';

/**
 * What a customer sees of a widget besides its routing: the title over the chat, a greeting, and
 * two colours (the header's and the controls'). Each is optional; null keeps the page's default.
 */
export interface Appearance {
  title: string | null;
  greeting: string | null;
  accentColor: string | null;
  headerColor: string | null;
}

export const MAX_TITLE = 64;
export const MAX_GREETING = 500;

/**
 * The appearance parameters a request gives: undefined for those it does not name, null for those
 * it names empty (back to the default), so an update changes only what it says.
 */
export function appearanceParams(p: Params): Partial<Appearance> {
  const out: Partial<Appearance> = {};
  const title = cleared(p, 'Title');
  if (title !== undefined) out.title = title === null ? null : text('Title', title, MAX_TITLE, false);
  const greeting = cleared(p, 'Greeting');
  if (greeting !== undefined) out.greeting = greeting === null ? null : text('Greeting', greeting, MAX_GREETING, true);
  const accent = cleared(p, 'AccentColor');
  if (accent !== undefined) out.accentColor = accent === null ? null : color('AccentColor', accent);
  const header = cleared(p, 'HeaderColor');
  if (header !== undefined) out.headerColor = header === null ? null : color('HeaderColor', header);
  return out;
}

/** A parameter given empty means "the default"; undefined when not given at all. */
function cleared(p: Params, name: string): string | null | undefined {
  const v = p.string(name, { allowEmpty: true });
  if (v === undefined) return undefined;
  return v.trim() === '' ? null : v;
}

function text(name: string, value: string, max: number, lines: boolean): string {
  const v = value.trim();
  if (v.length > max) throw invalidParameter(`${name} is ${v.length} characters long; the limit is ${max}`);
  const control = lines ? /[\u0000-\u0008\u000b-\u001f\u007f]/ : /[\u0000-\u001f\u007f]/;
  if (control.test(v)) throw invalidParameter(`Invalid ${name} parameter: control characters are not allowed${lines ? ' (line breaks are)' : ''}`);
  return v;
}

/** A CSS hex colour, #rgb or #rrggbb, kept as #rrggbb in lower case. */
export function color(name: string, value: string): string {
  const v = value.trim();
  const m = /^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.exec(v);
  if (!m) throw invalidParameter(`Invalid ${name} parameter: '${v.slice(0, 40)}' is not a hex colour (#rgb or #rrggbb)`);
  const hex = m[1].length === 3 ? [...m[1]].map((c) => c + c).join('') : m[1];
  return '#' + hex.toLowerCase();
}

/**
 * The text colour for a fill, black or white, whichever contrasts more (WCAG's relative luminance):
 * one of them always reaches 4.5:1, so an administrator's colour cannot make a label unreadable.
 */
export function textColorOn(fill: string): string {
  const channel = (i: number) => {
    const c = parseInt(fill.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#000000' : '#ffffff';
}
