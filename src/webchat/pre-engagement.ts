import { invalidParameter } from '../core/errors.ts';

/**
 * A widget's pre-chat form, in the shape of Flex Webchat's `preEngagementConfig` (description,
 * submitLabel, fields of type InputItem, TextareaItem or SelectItem with their `attributes` and
 * `options`), so a Flex configuration carries over. The customer's name is always asked first
 * (Flex's `friendlyName`); the fields here come after it. Pure: checked once when an administrator
 * sets it, and each answer checked against it when a chat starts.
 */
export interface PreEngagementConfig {
  description?: string;
  submitLabel?: string;
  fields: PreEngagementField[];
}

export interface PreEngagementField {
  label: string;
  type: FieldType;
  attributes: { name: string; type?: InputType; required: boolean; placeholder?: string };
  options?: { value: string; label: string }[];
}

const FIELD_TYPES = ['InputItem', 'TextareaItem', 'SelectItem'] as const;
type FieldType = (typeof FIELD_TYPES)[number];
const INPUT_TYPES = ['text', 'email', 'tel'] as const;
type InputType = (typeof INPUT_TYPES)[number];

export const MAX_FIELDS = 10;
const MAX_OPTIONS = 50;
/** The name field the page always shows; its answer is the session's Name. */
export const NAME_FIELD = 'friendlyName';
const MAX_ANSWER: Record<FieldType, number> = { InputItem: 256, TextareaItem: 2000, SelectItem: 100 };

const P = 'Invalid PreEngagementConfig parameter';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function onlyKeys(o: Obj, allowed: string[], at: string): void {
  const extra = Object.keys(o).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw invalidParameter(`${P}: ${at} has '${extra.slice(0, 40)}', which is not one of ${allowed.join(', ')}`);
}

function str(v: unknown, at: string, max: number, opts: { required?: boolean } = {}): string | undefined {
  if (v === undefined && !opts.required) return undefined;
  if (typeof v !== 'string') throw invalidParameter(`${P}: ${at} must be a string`);
  const s = v.trim();
  if (s === '' && opts.required) throw invalidParameter(`${P}: ${at} must not be empty`);
  if (s.length > max) throw invalidParameter(`${P}: ${at} is ${s.length} characters long; the limit is ${max}`);
  if (/[\u0000-\u001f\u007f]/.test(s)) throw invalidParameter(`${P}: ${at} has a control character`);
  return s === '' ? undefined : s;
}

/** Checks and normalises a configuration (its JSON already parsed). */
export function parsePreEngagementConfig(value: unknown): PreEngagementConfig {
  if (!isObj(value)) throw invalidParameter(`${P}: must be a JSON object with a fields array`);
  onlyKeys(value, ['description', 'submitLabel', 'fields'], 'the configuration');
  const description = str(value.description, 'description', 500);
  const submitLabel = str(value.submitLabel, 'submitLabel', 40);
  if (!Array.isArray(value.fields)) throw invalidParameter(`${P}: fields must be an array`);
  if (value.fields.length > MAX_FIELDS) throw invalidParameter(`${P}: fields has ${value.fields.length} entries; the limit is ${MAX_FIELDS}`);
  const names = new Set<string>();
  const fields = value.fields.map((f, i) => {
    const field = parseField(f, `fields[${i}]`);
    const name = field.attributes.name;
    if (name === NAME_FIELD) throw invalidParameter(`${P}: fields[${i}] is named '${NAME_FIELD}', which the page always asks for itself (the customer's name)`);
    if (names.has(name)) throw invalidParameter(`${P}: fields[${i}] is named '${name}' like an earlier field`);
    names.add(name);
    return field;
  });
  return { ...(description ? { description } : {}), ...(submitLabel ? { submitLabel } : {}), fields };
}

function parseField(f: unknown, at: string): PreEngagementField {
  if (!isObj(f)) throw invalidParameter(`${P}: ${at} must be an object`);
  onlyKeys(f, ['label', 'type', 'attributes', 'options'], at);
  const label = str(f.label, `${at}.label`, 100, { required: true }) as string;
  const type = FIELD_TYPES.find((t) => t === f.type);
  if (!type) throw invalidParameter(`${P}: ${at}.type must be one of ${FIELD_TYPES.join(', ')}`);
  if (!isObj(f.attributes)) throw invalidParameter(`${P}: ${at}.attributes must be an object with a name`);
  const a = f.attributes;
  onlyKeys(a, ['name', 'type', 'required', 'placeholder'], `${at}.attributes`);
  if (typeof a.name !== 'string' || !/^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(a.name))
    throw invalidParameter(`${P}: ${at}.attributes.name must be a letter then up to 39 letters, digits or underscores`);
  if (a.required !== undefined && typeof a.required !== 'boolean') throw invalidParameter(`${P}: ${at}.attributes.required must be true or false`);
  let inputType: InputType | undefined;
  if (a.type !== undefined) {
    inputType = INPUT_TYPES.find((t) => t === a.type);
    if (type !== 'InputItem' || !inputType) throw invalidParameter(`${P}: ${at}.attributes.type is for an InputItem, one of ${INPUT_TYPES.join(', ')}`);
  }
  const placeholder = str(a.placeholder, `${at}.attributes.placeholder`, 100);
  if (placeholder !== undefined && type === 'SelectItem') throw invalidParameter(`${P}: ${at}.attributes.placeholder is not for a SelectItem`);
  const field: PreEngagementField = {
    label,
    type,
    attributes: { name: a.name, ...(inputType ? { type: inputType } : {}), required: a.required === true, ...(placeholder ? { placeholder } : {}) },
  };
  if (type === 'SelectItem') field.options = parseOptions(f.options, `${at}.options`);
  else if (f.options !== undefined) throw invalidParameter(`${P}: ${at}.options are for a SelectItem`);
  return field;
}

function parseOptions(v: unknown, at: string): { value: string; label: string }[] {
  if (!Array.isArray(v) || v.length === 0) throw invalidParameter(`${P}: ${at} must be a non-empty array`);
  if (v.length > MAX_OPTIONS) throw invalidParameter(`${P}: ${at} has ${v.length} entries; the limit is ${MAX_OPTIONS}`);
  const seen = new Set<string>();
  return v.map((o, i) => {
    if (!isObj(o)) throw invalidParameter(`${P}: ${at}[${i}] must be an object with a value and a label`);
    // Flex's options carry `selected`; the page starts on the first option, so it is accepted and not kept.
    onlyKeys(o, ['value', 'label', 'selected'], `${at}[${i}]`);
    const value = str(o.value, `${at}[${i}].value`, 100, { required: true }) as string;
    const label = str(o.label ?? o.value, `${at}[${i}].label`, 100, { required: true }) as string;
    if (seen.has(value)) throw invalidParameter(`${P}: ${at}[${i}].value '${value}' is given twice`);
    seen.add(value);
    return { value, label };
  });
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const TEL = /^\+?[0-9][0-9 ().-]{2,31}$/;

/**
 * A customer's answers (PreEngagementData, a JSON object of field name → text) checked against
 * the widget's form: every required field answered, no field the form does not have, each answer
 * of its field's kind. Blank optional answers are left out.
 */
export function checkAnswers(config: PreEngagementConfig | null, value: unknown): Record<string, string> {
  const fields = config?.fields ?? [];
  const D = 'Invalid PreEngagementData parameter';
  if (value === undefined || value === null) value = {};
  if (!isObj(value)) throw invalidParameter(`${D}: must be a JSON object of field name to answer`);
  const unknown = Object.keys(value).find((k) => !fields.some((f) => f.attributes.name === k));
  if (unknown !== undefined) throw invalidParameter(`${D}: this chat's form has no field '${unknown.slice(0, 40)}'`);
  const out: Record<string, string> = {};
  for (const f of fields) {
    const name = f.attributes.name;
    const given = value[name];
    if (given !== undefined && given !== null && typeof given !== 'string') throw invalidParameter(`${D}: ${name} must be a string`);
    const answer = typeof given === 'string' ? given.trim() : '';
    if (answer === '') {
      if (f.attributes.required) throw invalidParameter(`${D}: ${name} (${f.label}) is required`);
      continue;
    }
    const max = MAX_ANSWER[f.type];
    if (answer.length > max) throw invalidParameter(`${D}: ${name} is ${answer.length} characters long; the limit is ${max}`);
    const control = f.type === 'TextareaItem' ? /[\u0000-\u0008\u000b-\u001f\u007f]/ : /[\u0000-\u001f\u007f]/;
    if (control.test(answer)) throw invalidParameter(`${D}: ${name} has a control character`);
    if (f.type === 'SelectItem' && !f.options?.some((o) => o.value === answer))
      throw invalidParameter(`${D}: ${name} must be one of ${f.options?.map((o) => o.value).join(', ')}`);
    if (f.attributes.type === 'email' && !EMAIL.test(answer)) throw invalidParameter(`${D}: ${name} is not an email address`);
    if (f.attributes.type === 'tel' && !TEL.test(answer)) throw invalidParameter(`${D}: ${name} is not a phone number`);
    out[name] = answer;
  }
  return out;
}
