import type { FieldFact } from '../support/conformance.ts';
import type { Context } from './requests.ts';
import { badValue, deepJson, RawJson, stringify, validValue, NUL } from './values.ts';

/** The event bridge's envelope: a relative TaskRouter URL the worker SDK uses, its params, the token. */
export function envelopeBody(c: Context, kinds: string[], mode: string): string {
  const { r, world } = c;
  const t = world.tokens;
  const ws = mode === 'path' && r.chance(0.5) ? (world.foreign('WS') ?? t.workspaceSid) : t.workspaceSid;
  const wk = mode === 'path' && r.chance(0.5) ? (world.real('WK') ?? t.workerSid) : t.workerSid;
  const [method, url] = r.pick<[string, string]>([
    ['GET', `Workspaces/${ws}/Workers/${wk}`],
    ['POST', `Workspaces/${ws}/Workers/${wk}`],
    ['GET', `Workspaces/${ws}/Activities`],
    ['GET', `Workspaces/${ws}/Workers/${wk}/Channels`],
    ['GET', `Workspaces/${ws}/Workers/${wk}/Channels/${r.pick(['default', 'chat', world.real('WC') ?? 'x'])}`],
    ['POST', `Workspaces/${ws}/Workers/${wk}/WorkerChannels/${r.pick(['default', 'chat', world.real('WC') ?? 'x'])}`],
    ['GET', `Workspaces/${ws}/Workers/${wk}/Reservations`],
    ['GET', `Workspaces/${ws}/Workers/${wk}/Reservations/${world.real('WR') ?? 'WR'}`],
    ['POST', `Workspaces/${ws}/Workers/${wk}/Reservations/${world.real('WR') ?? 'WR'}`],
    ['POST', `Workspaces/${ws}/Tasks`],
    ['GET', `Workspaces/${ws}/Tasks/${world.real('WT') ?? 'WT'}`],
    ['POST', `Workspaces/${ws}/Tasks/${world.real('WT') ?? 'WT'}`],
    ['GET', r.pick(['', '/', '..', 'v1/Workspaces', `Workspaces/${ws}/Workers/${wk}/../../..`, 'x'.repeat(5000), `Workspaces/${ws}%00`, 'http://[', `Workspaces/${ws}/Workers/${wk}?a=1`])],
  ]);
  const params: Record<string, unknown> = {};
  for (const name of ['ActivitySid', 'Attributes', 'FriendlyName', 'ReservationStatus', 'Instruction', 'WorkflowSid', 'TaskQueueSid', 'TaskChannel', 'RoutingTarget', 'AssignmentStatus', 'Reason', 'Priority', 'Capacity', 'Available', 'PageSize', 'AfterSid', 'Active', 'RejectPendingReservations']) {
    if (!r.chance(0.2)) continue;
    const fact: FieldFact = /Sid$/.test(name) ? { type: 'string', sid: name === 'ActivitySid' ? 'WA' : name === 'WorkflowSid' ? 'WW' : name === 'TaskQueueSid' ? 'WQ' : 'WT' } : /^(Capacity|Priority|PageSize)$/.test(name) ? { type: 'integer', min: 0, max: 50 } : /^(Available|Active|RejectPendingReservations)$/.test(name) ? { type: 'boolean' } : { type: 'string' };
    if (mode === 'params' && r.chance(0.5)) {
      const bad = badValue(r, name, fact, world, 'json');
      kinds.push(`envelope-${bad.kind}`);
      params[name] = 'text' in bad.value ? bad.value.text : String(bad.value.encoded);
    } else params[name] = name === 'Attributes' && r.chance(0.5) ? { skills: ['sms'], contact_uri: r.pick(['client:x', 'client:alice']) } : validValue(r, name, fact, world, c.now);
  }
  if (mode === 'params' && r.chance(0.3)) {
    params[r.pick(['Attributes', 'FriendlyName'])] = r.pick<unknown>([[1, [2, [3]]], { a: { b: {} } }, new RawJson(deepJson(3000, r)), null, true, 1e400]);
    kinds.push('envelope-json-types');
  }
  const token = mode === 'auth' ? r.pick(['', 'x', t.agentChat, t.customerChat, t.worker.slice(0, -4) + 'AAAA', 'a.b.c', t.worker + NUL]) : t.worker;
  if (mode === 'auth') kinds.push('envelope-token');
  const envelope: Record<string, unknown> = { url, method: mode === 'method' ? r.pick(['DELETE', 'PUT', 'get', '', 1]) : method, params, token };
  if (mode === 'shape') {
    const [kind, text] = r.pick<[string, string]>([
      ['envelope-not-object', r.pick(['[]', '"x"', '1', 'null', ''])],
      ['envelope-bad-json', r.pick(['{', '{"url":}', '\ufeff{}'])],
      ['envelope-deep', deepJson(5000, r)],
      ['envelope-wrong-types', JSON.stringify({ url: [url], method: {}, params: 'Attributes=1', token: 1 })],
      ['envelope-missing', JSON.stringify({ method, params, token })],
      ['envelope-nul', stringify({ ...envelope, url: url + NUL })],
    ]);
    kinds.push(kind);
    return text;
  }
  return stringify(envelope);
}
