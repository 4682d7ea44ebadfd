import type { EnvReader } from '../../config/env-reader.ts';
import type { ChannelFactory } from '../channel.ts';

/** The variables of the Messenger and WhatsApp Cloud API gateways, for config.ts's list of known settings. */
export const META_VARIABLES: string[] = [];

/** the Messenger and WhatsApp Cloud API gateways, when its variables configure it; problems go to `r`. */
export function metaChannelFromEnv(_r: EnvReader): ChannelFactory | undefined {
  return undefined;
}
