// Who is who in a chat, as the customer's page tells them apart: names to show, and the staff
// (agents, supervisors) whose presence and reading the page reports.

/** A participant's name: the friendlyName its attributes give (Flex's), else its identity. */
export function displayName(p) {
  const a = (p && p.attributes) || {};
  for (const k of ['friendlyName', 'friendly_name', 'name']) if (typeof a[k] === 'string' && a[k].trim()) return a[k].trim();
  return (p && p.identity) || 'Someone';
}

/** Agents and supervisors: chat users who are not web chat guests (an SMS customer has no identity); `me`: the customer's identity. */
export function isStaff(p, me) {
  const type = p.attributes && p.attributes.member_type;
  if (type === 'agent' || type === 'supervisor') return true;
  return !!p.identity && p.identity !== me && !p.identity.startsWith('guest-');
}

/** How far the staff have read: the furthest read horizon among them (horizons only move forward here). */
export function readHorizon(people, me, max = null) {
  for (const p of people) if (isStaff(p, me) && typeof p.lastReadMessageIndex === 'number') max = Math.max(max ?? -1, p.lastReadMessageIndex);
  return max;
}
