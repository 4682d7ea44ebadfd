import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { shown, type EnvReader } from '../../config/env-reader.ts';
import type { ChannelFactory } from '../channel.ts';
import { emailChannel } from './channel.ts';
import { DEFAULT_MAX_BYTES, type EmailOptions, type ListenOptions, type RelayOptions, type RelayTls } from './options.ts';

const LARGEST_MAX_BYTES = 25 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;
const TLS_MODES: RelayTls[] = ['starttls', 'implicit', 'none'];
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

const V = {
  port: 'SWITCHYARD_SMTP_PORT',
  host: 'SWITCHYARD_SMTP_HOST',
  name: 'SWITCHYARD_SMTP_NAME',
  maxBytes: 'SWITCHYARD_SMTP_MAX_BYTES',
  tlsKey: 'SWITCHYARD_SMTP_TLS_KEY_FILE',
  tlsCert: 'SWITCHYARD_SMTP_TLS_CERT_FILE',
  relayHost: 'SWITCHYARD_SMTP_RELAY_HOST',
  relayPort: 'SWITCHYARD_SMTP_RELAY_PORT',
  relayTls: 'SWITCHYARD_SMTP_RELAY_TLS',
  relayUser: 'SWITCHYARD_SMTP_RELAY_USER',
  relayPassword: 'SWITCHYARD_SMTP_RELAY_PASSWORD',
  relayTimeout: 'SWITCHYARD_SMTP_RELAY_TIMEOUT_MS',
} as const;

/** The variables of the email gateway (SMTP in and out), for config.ts's list of known settings. */
export const EMAIL_VARIABLES: string[] = Object.values(V);

/** The email gateway (SMTP in and out), when its variables configure it; problems go to `r`. */
export function emailChannelFromEnv(r: EnvReader): ChannelFactory | undefined {
  const options = emailOptionsFromEnv(r);
  return options.listen || options.relay ? emailChannel(options) : undefined;
}

export function emailOptionsFromEnv(r: EnvReader): EmailOptions {
  return { listen: listenOptions(r), relay: relayOptions(r) };
}

function hostSetting(r: EnvReader, name: string): string | undefined {
  const v = r.value(name);
  if (v !== undefined && !isIP(v) && !HOSTNAME.test(v)) return r.refuse(name, 'an IP address or a host name', shown(v));
  return v;
}

function listenOptions(r: EnvReader): ListenOptions | undefined {
  const port = r.int(V.port, 1, 65535);
  const others = [V.host, V.name, V.maxBytes, V.tlsKey, V.tlsCert].filter((n) => r.value(n) !== undefined);
  if (port === undefined) {
    // Settings of a listener that is not on are most likely a forgotten port: say so rather than ignore them.
    if (others.length > 0 && r.value(V.port) === undefined) r.problems.push(`${others.join(', ')} set without ${V.port}: the SMTP listener is off`);
    return undefined;
  }
  const host = hostSetting(r, V.host) ?? '0.0.0.0';
  const name = hostSetting(r, V.name) ?? hostname();
  const maxBytes = r.int(V.maxBytes, 1024, LARGEST_MAX_BYTES, `an integer from 1024 to ${LARGEST_MAX_BYTES} (bytes)`) ?? DEFAULT_MAX_BYTES;
  const keyFile = r.value(V.tlsKey);
  const certFile = r.value(V.tlsCert);
  let tls: ListenOptions['tls'];
  if ((keyFile === undefined) !== (certFile === undefined)) r.problems.push(`${V.tlsKey} and ${V.tlsCert} go together: set both or neither`);
  else if (keyFile !== undefined && certFile !== undefined) {
    const key = readable(r, V.tlsKey, keyFile);
    const cert = readable(r, V.tlsCert, certFile);
    if (key && cert) tls = { key, cert };
  }
  return { port, host, name, maxBytes, tls };
}

function readable(r: EnvReader, name: string, file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (err) {
    return r.refuse(name, 'a readable PEM file', `${shown(file)} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}

function relayOptions(r: EnvReader): RelayOptions | undefined {
  const host = hostSetting(r, V.relayHost);
  const others = [V.relayPort, V.relayTls, V.relayUser, V.relayPassword, V.relayTimeout].filter((n) => r.value(n) !== undefined);
  if (host === undefined) {
    if (others.length > 0 && r.value(V.relayHost) === undefined) r.problems.push(`${others.join(', ')} set without ${V.relayHost}: no mail is sent`);
    return undefined;
  }
  const tlsText = r.value(V.relayTls)?.toLowerCase();
  let tls: RelayTls = 'starttls';
  if (tlsText !== undefined) {
    if ((TLS_MODES as string[]).includes(tlsText)) tls = tlsText as RelayTls;
    else r.refuse(V.relayTls, TLS_MODES.join(', '), shown(r.value(V.relayTls) as string));
  }
  const port = r.int(V.relayPort, 1, 65535) ?? (tls === 'implicit' ? 465 : 587);
  const user = r.value(V.relayUser);
  const pass = r.secret(V.relayPassword);
  if ((user === undefined) !== (r.value(V.relayPassword) === undefined)) r.problems.push(`${V.relayUser} and ${V.relayPassword} go together: set both or neither`);
  const timeoutMs = r.int(V.relayTimeout, 1000, 600_000, 'an integer from 1000 to 600000 (milliseconds)') ?? DEFAULT_TIMEOUT_MS;
  return { host, port, tls, auth: user !== undefined && pass !== undefined ? { user, pass } : undefined, timeoutMs };
}
