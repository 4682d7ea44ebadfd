import { addresses, type AddressRow } from '../../conversations/model.ts';
import type { Executor } from '../../store/database.ts';

/**
 * The addresses mail is taken for: the accounts' Conversations address configurations of type
 * `email` (Twilio's AddressConfiguration type enum has it). Compared without case, as mail systems
 * do. One address configured in several accounts belongs to the one that configured it first.
 */
export async function receivingAddress(db: Executor, address: string): Promise<AddressRow | undefined> {
  return addresses.first(db, ["type = 'email'"], ['lower(address) = ?', address.toLowerCase()]);
}

/** Whether an address is one of the gateway's own (any account's): mail from it is a loop. */
export async function isOwnAddress(db: Executor, address: string): Promise<boolean> {
  return (await receivingAddress(db, address)) !== undefined;
}
