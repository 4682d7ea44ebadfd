import { createHmac } from 'node:crypto';

/**
 * X-Twilio-Signature, as Twilio computes it for the webhooks it sends: HMAC-SHA1, keyed with the
 * account's auth token, over the full URL followed by every POST parameter as name then value,
 * names in code-unit order (case-sensitive), base64-encoded. A name sent several times contributes
 * each distinct value, in sorted order, which is how the official libraries' validateRequest reads it.
 */
export function twilioSignature(
  authToken: string,
  url: string,
  params: URLSearchParams | Readonly<Record<string, string | readonly string[]>> = {},
): string {
  const grouped = new Map<string, string[]>();
  const entries: [string, string][] =
    params instanceof URLSearchParams
      ? [...params]
      : Object.entries(params).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v] as [string, string]] : v.map((x) => [k, x] as [string, string])));
  for (const [k, v] of entries) {
    const values = grouped.get(k);
    if (values) values.push(v);
    else grouped.set(k, [v]);
  }
  let data = url;
  for (const name of [...grouped.keys()].sort()) {
    const values = grouped.get(name)!;
    const distinct = values.length === 1 ? values : [...new Set(values)].sort();
    for (const v of distinct) data += name + v;
  }
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}
