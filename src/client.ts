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
  options: { accountSid?: string } = {},
): twilio.Twilio {
  const base = baseUrl.replace(/\/+$/, '');
  class SwitchyardRequestClient extends twilio.RequestClient {
    override request<TData>(opts: Parameters<twilio.RequestClient['request']>[0]) {
      const m = TWILIO_URL.exec(opts.uri);
      if (m) opts.uri = `${base}/${m[1].toLowerCase()}${m[2] ?? '/'}`;
      return super.request<TData>(opts as never);
    }
  }
  return twilio(username, password, {
    accountSid: options.accountSid,
    httpClient: new SwitchyardRequestClient(),
    region: '',
    edge: '',
  } as twilio.ClientOpts);
}
