import type { EnvReader } from '../../config/env-reader.ts';
import type { ChannelFactory } from '../channel.ts';

/** The variables of the email gateway (SMTP in and out), for config.ts's list of known settings. */
export const EMAIL_VARIABLES: string[] = [];

/** the email gateway (SMTP in and out), when its variables configure it; problems go to `r`. */
export function emailChannelFromEnv(_r: EnvReader): ChannelFactory | undefined {
  return undefined;
}
