import { isSid } from '../../core/sid.ts';
import { secretShown, shown, type EnvReader } from '../../config/env-reader.ts';
import type { ChannelFactory } from '../channel.ts';
import { metaChannel } from './channel.ts';
import { DEFAULT_GRAPH_URL, type CloudNumber, type CloudTemplate, type MetaOptions } from './options.ts';

const V = {
  appSecret: 'SWITCHYARD_META_APP_SECRET',
  verifyToken: 'SWITCHYARD_META_VERIFY_TOKEN',
  graphUrl: 'SWITCHYARD_META_GRAPH_URL',
  pages: 'SWITCHYARD_MESSENGER_PAGES',
  numbers: 'SWITCHYARD_WHATSAPP_CLOUD_NUMBERS',
  templates: 'SWITCHYARD_WHATSAPP_TEMPLATES',
} as const;

/** The variables of the Messenger and WhatsApp Cloud API gateways, for config.ts's list of known settings. */
export const META_VARIABLES: string[] = Object.values(V);

// Meta's ids are decimal; tokens are what EnvReader.secret takes (printable, no blanks).
const META_ID = /^\d{1,32}$/;
const E164 = /^\+[1-9]\d{6,14}$/;
const TOKEN = /^[\x21-\x7e]{1,1024}$/;
const TEMPLATE_NAME = /^[a-z0-9_]{1,512}$/;
const LANGUAGE = /^[a-z]{2,3}(_[A-Za-z]{2,4})?$/;

/** The Messenger and WhatsApp Cloud API gateways, when their variables configure them; problems go to `r`. */
export function metaChannelFromEnv(r: EnvReader): ChannelFactory | undefined {
  const options = metaOptionsFromEnv(r);
  return options ? metaChannel(options) : undefined;
}

export function metaOptionsFromEnv(r: EnvReader): MetaOptions | undefined {
  const pages = jsonObject(r, V.pages, 'a JSON object of Facebook page id → page access token, e.g. {"104160000000000": "EAAG..."}', pageEntry);
  const numbers = jsonObject(
    r,
    V.numbers,
    'a JSON object of phone number id → {"number": "+E.164", "token": "..."}, e.g. {"106540000000000": {"number": "+15550001111", "token": "EAAG..."}}',
    numberEntry,
  );
  const templates = jsonObject(r, V.templates, 'a JSON object of ContentSid → {"name": "...", "language": "en_US"}, e.g. {"HX...": {"name": "order_update", "language": "en_US"}}', templateEntry);
  const appSecret = r.secret(V.appSecret);
  const verifyToken = r.secret(V.verifyToken);
  const graphUrl = r.httpUrl(V.graphUrl, r.value(V.graphUrl));
  const configured = r.value(V.pages) !== undefined || r.value(V.numbers) !== undefined;
  if (!configured) {
    // Half a configuration is most likely a mistake: say so rather than run without the gateway.
    for (const name of [V.appSecret, V.verifyToken, V.graphUrl, V.templates])
      if (r.value(name) !== undefined) r.refuse(name, `set together with ${V.pages} or ${V.numbers}`, 'neither is set');
    return undefined;
  }
  if (r.value(V.appSecret) === undefined) r.refuse(V.appSecret, 'set (the Meta app secret the webhooks are signed with)', 'nothing');
  if (r.value(V.verifyToken) === undefined) r.refuse(V.verifyToken, "set (the token Meta's webhook verification request carries)", 'nothing');
  if (!appSecret || !verifyToken || r.problems.length > 0) return undefined;
  return {
    appSecret,
    verifyToken,
    graphUrl: (graphUrl ?? DEFAULT_GRAPH_URL).replace(/\/+$/, ''),
    pages: pages ?? {},
    numbers: Object.entries(numbers ?? {}).map(([phoneNumberId, n]) => ({ phoneNumberId, ...n })),
    templates: templates ?? {},
    lookupTimeoutMs: 3_000,
  };
}

/** What is wrong with an entry (never the value itself: it may be a token). */
type Problem = { problem: string };
type Entry<T> = (key: string, value: unknown) => T | Problem;
const problem = (text: string): Problem => ({ problem: text });
const isProblem = (v: unknown): v is Problem => typeof v === 'object' && v !== null && 'problem' in v;

/** A JSON object variable whose entries each pass `entry` (which answers the value, or what is wrong with it). */
function jsonObject<T>(r: EnvReader, name: string, expected: string, entry: Entry<T>): Record<string, T> | undefined {
  const text = r.value(name);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {}
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return r.refuse(name, expected, `${text.length} characters of something else (not shown: it may hold tokens)`);
  const out: Record<string, T> = {};
  for (const [key, value] of Object.entries(parsed)) {
    const got = entry(key, value);
    if (isProblem(got)) return r.refuse(name, expected, `${shown(key)}: ${got.problem}`);
    out[key] = got;
  }
  return out;
}

const pageEntry: Entry<string> = (key, value) => {
  if (!META_ID.test(key)) return problem('the page id is not a number');
  if (typeof value !== 'string' || !TOKEN.test(value)) return problem(`the token is not printable text without spaces (${typeof value === 'string' ? secretShown(value) : typeof value})`);
  return value;
};

const numberEntry: Entry<Omit<CloudNumber, 'phoneNumberId'>> = (key, value) => {
  if (!META_ID.test(key)) return problem('the phone number id is not a number');
  const v = value as Record<string, unknown> | null;
  if (!v || typeof v !== 'object') return problem('not an object with number and token');
  if (typeof v.number !== 'string' || !E164.test(v.number)) return problem(`number is not an E.164 number (+15550001111): ${shown(String(v.number))}`);
  if (typeof v.token !== 'string' || !TOKEN.test(v.token)) return problem('token is not printable text without spaces');
  return { number: v.number, token: v.token };
};

const templateEntry: Entry<CloudTemplate> = (key, value) => {
  if (!isSid(key, 'HX')) return problem('not a ContentSid (HX followed by 32 hexadecimal digits)');
  const v = value as Record<string, unknown> | null;
  if (!v || typeof v !== 'object') return problem('not an object with name and language');
  if (typeof v.name !== 'string' || !TEMPLATE_NAME.test(v.name)) return problem(`name is not a WhatsApp template name (lower case, digits, _): ${shown(String(v.name))}`);
  if (typeof v.language !== 'string' || !LANGUAGE.test(v.language)) return problem(`language is not a language code (en, en_US): ${shown(String(v.language))}`);
  return { name: v.name, language: v.language };
};
