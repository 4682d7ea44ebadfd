import twilio from 'twilio';

const TWILIO_URL = /^https:\/\/([a-z0-9-]+)(?:\.[a-z0-9-]+)*\.twilio\.com(\/.*)?$/i;

/**
 * An official `twilio` client whose requests go to a Switchyard server instead of twilio.com.
 * It rewrites https://<product>[.edge.region].twilio.com/... to <baseUrl>/<product>/..., which
 * also covers the absolute next-page URLs of lists.
 */
export function switchyardClient(
  baseUrl: string,
  username: string,
  password: string,
  options: {
    accountSid?: string;
    /** Called with every response, e.g. to log or to check it. */
    onResponse?: (request: { method: string; uri: string }, response: { statusCode: number; body: unknown }) => void;
  } = {},
): twilio.Twilio {
  const base = baseUrl.replace(/\/+$/, '');
  class SwitchyardRequestClient extends twilio.RequestClient {
    override async request<TData>(opts: Parameters<twilio.RequestClient['request']>[0]) {
      const m = TWILIO_URL.exec(opts.uri);
      if (m) opts.uri = `${base}/${m[1].toLowerCase()}${m[2] ?? '/'}`;
      const response = await super.request<TData>(opts as never);
      options.onResponse?.({ method: String(opts.method).toUpperCase(), uri: opts.uri }, response);
      return response;
    }
  }
  return twilio(username, password, {
    accountSid: options.accountSid,
    httpClient: new SwitchyardRequestClient(),
    region: '',
    edge: '',
  } as twilio.ClientOpts);
}
