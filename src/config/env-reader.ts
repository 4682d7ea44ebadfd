import { isSid } from '../core/sid.ts';

// Reading the environment: each setting checked and each problem collected as one line saying what was
// expected and what was given (secrets by length only), so config.ts and the channels' settings report alike.

export const BOOLEANS: Record<string, boolean> = { '1': true, true: true, '0': false, false: false };
// What a token or secret may be: what a client can send as a Basic password, and no blanks a paste may carry.
const SECRET = /^[\x21-\x7e]{1,256}$/;

/** A URL with its password replaced: what may be printed of a connection string. */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return text.replace(/^([^:/]*:\/\/[^:@/]*:)[^@]*@/, '$1***@').replace(/(password\s*=\s*)\S+/gi, '$1***');
  }
}

/** A value as given, quoted, control characters escaped and long ones cut. */
export function shown(value: string): string {
  const text = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value).slice(1, -1);
  return `'${text}'`;
}

/** A secret as given: only its length, never its text. */
export const secretShown = (value: string) => `${value.length} characters (not shown)`;

/** Reads variables and collects what is wrong with them, rather than stopping at the first. */
export class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** A variable's value; empty counts as unset (scripts and tests pass '' to clear one). */
  value(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v === '' ? undefined : v;
  }

  refuse(name: string, expected: string, given: string): undefined {
    this.problems.push(`${name} must be ${expected}; got ${given}`);
    return undefined;
  }

  /** An integer setting within bounds; unset gives undefined (the default applies). */
  int(name: string, min: number, max: number, expected = `an integer from ${min} to ${max}`): number | undefined {
    const v = this.value(name);
    if (v === undefined) return undefined;
    if (!/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max) return this.refuse(name, expected, shown(v));
    return Number(v);
  }

  /** A positive integer setting, as the timeouts and limits are. */
  positiveInt(name: string): number | undefined {
    return this.int(name, 1, 999_999, 'a positive integer (1 to 999999)');
  }

  /** An on/off setting: 1, 0, true or false; any other spelling is refused rather than read as off. */
  bool(name: string): boolean | undefined {
    const v = this.value(name);
    if (v === undefined) return undefined;
    const b = BOOLEANS[v.toLowerCase()];
    return b ?? this.refuse(name, '1, 0, true or false', shown(v));
  }

  secret(name: string): string | undefined {
    const v = this.value(name);
    if (v === undefined || SECRET.test(v)) return v;
    return this.refuse(name, 'printable text without spaces, at most 256 characters', secretShown(v));
  }

  sid(name: string, prefix: string): string | undefined {
    const v = this.value(name);
    if (v === undefined || isSid(v, prefix)) return v;
    return this.refuse(name, `${prefix} followed by 32 hexadecimal digits`, shown(v));
  }

  /** A URL the server sends to: http or https. */
  httpUrl(name: string, v: string | undefined): string | undefined {
    if (v === undefined) return undefined;
    if (isHttpUrl(v)) return v;
    return this.refuse(name, 'an http:// or https:// URL', shown(redactUrl(v)));
  }
}

export function isHttpUrl(v: string): boolean {
  try {
    const url = new URL(v);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

