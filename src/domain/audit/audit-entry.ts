/**
 * What an audit record says, in the field names of Managed HSM's `AuditEvent` resource log where one fits
 * (`operationName`, `resultType`, `resultSignature`, `callerIpAddress`, `identity.claim.oid`, `correlationId`,
 * `durationMs`, `properties.id`…), so tools that read those logs read ours.
 *
 * Never a token, secret, key material, plaintext, digest or signature, by construction: an entry is built from
 * the kernel event's identifiers and from `fields` members on an allowlist (AUDIT_FIELD_NAMES), strings capped
 * in length; the HTTP hook hands in only the status, the codes, the request ids and the path.
 */
import { errorCatalogue } from '../../errors/catalogue.ts';
import type { AuditEvent } from '../kernel/audit.ts';
import { auditOperationName } from './audit-operation-names.ts';
import type { AuditDraft } from './audit-record.ts';

/** The kernel event, plus how long the operation took when the kernel says so. */
export type TimedAuditEvent = AuditEvent & { readonly durationMs?: number | undefined };

/** A request that never reached the kernel (401, 404, 429/503 shed, bad api-version, the token endpoint). */
export interface RequestAuditEvent {
  readonly operationName: string;
  readonly statusCode: number;
  readonly errorCode?: string | undefined;
  readonly principalId?: string | undefined;
  /** The key the route names, if any. */
  readonly keyName?: string | undefined;
  readonly sourceAddress?: string | undefined;
  readonly requestId: string;
  readonly clientRequestId?: string | undefined;
  /** Path and query only (never headers or body). */
  readonly requestUri?: string | undefined;
  readonly durationMs?: number | undefined;
}

/** The `fields` members operations declare that a record keeps; anything else is dropped. */
export const AUDIT_FIELD_NAMES: ReadonlySet<string> = new Set([
  'key', 'version', 'alg', 'count', 'certificates', 'downloaded', 'transferKey', 'uploaded',
  'roleDefinition', 'roleAssignment', 'principal', 'jobId', 'purged', 'kek', 'kekVersion', 'authority',
  'secret', 'wrappingKid', 'trusted',
]);

const MAX_STRING = 256;
const MAX_URI = 1024;

const capped = (value: string | undefined, max = MAX_STRING) => (value === undefined ? undefined : value.length > max ? `${value.slice(0, max)}…` : value);
const round = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms * 1000) / 1000);

function allowedFields(fields: AuditEvent['fields']): Record<string, string | number | boolean> {
  const kept: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || !AUDIT_FIELD_NAMES.has(name)) continue;
    kept[name] = typeof value === 'string' ? (capped(value) ?? '') : value;
  }
  return kept;
}

function keyOf(event: AuditEvent): { name: string; id: string } | undefined {
  const name = typeof event.fields['key'] === 'string' ? event.fields['key'] : event.scope.startsWith('/keys/') ? event.scope.slice('/keys/'.length) : undefined;
  if (name === undefined || name === '') return undefined;
  const version = event.fields['version'];
  return { name: capped(name) ?? name, id: typeof version === 'string' && version !== '' ? `/keys/${name}/${version}` : `/keys/${name}` };
}

/**
 * The body as canonical JSON, fast: the entry objects below are written with their members in code-point order
 * at every level (and `properties` sorted here), so `JSON.stringify`, which leaves undefined members out, gives
 * exactly `canonicalJson` (audit-entry.test checks it); this is on every request's path.
 */
function sortedProperties(properties: Record<string, string | number | boolean | undefined>): Record<string, string | number | boolean | undefined> {
  const sorted: Record<string, string | number | boolean | undefined> = {};
  for (const name of Object.keys(properties).sort()) sorted[name] = properties[name];
  return sorted;
}

export function eventDraft(event: TimedAuditEvent, timeMs: number): AuditDraft {
  const operationName = auditOperationName(event.operation);
  const key = keyOf(event);
  const failed = event.outcome === 'failure';
  const code = event.errorCode ?? (failed ? 'InternalServerError' : undefined);
  const body = {
    callerIpAddress: capped(event.sourceAddress),
    category: 'AuditEvent',
    correlationId: capped(event.clientRequestId),
    durationMs: round(event.durationMs),
    httpStatusCode: code === undefined ? undefined : (errorCatalogue as Record<string, { status: number }>)[code]?.status,
    identity: { callerType: event.caller.kind, claim: { oid: capped(event.caller.id) } },
    operationName,
    properties: sortedProperties({ ...allowedFields(event.fields), channel: event.channel, dataAction: event.dataAction, id: key?.id, scope: capped(event.scope) }),
    requestId: capped(event.requestId),
    resultSignature: code ?? 'OK',
    resultType: failed ? 'Failure' : 'Success',
    time: new Date(timeMs).toISOString(),
  };
  return {
    time: timeMs,
    kind: 'event',
    operationName,
    principalId: capped(event.caller.id),
    keyName: key?.name.toLowerCase(),
    body: JSON.stringify(body),
  };
}

export function requestDraft(event: RequestAuditEvent, timeMs: number): AuditDraft {
  const failed = event.statusCode >= 400;
  const keyName = capped(event.keyName);
  const body = {
    callerIpAddress: capped(event.sourceAddress),
    category: 'AuditEvent',
    correlationId: capped(event.clientRequestId),
    durationMs: round(event.durationMs),
    httpStatusCode: event.statusCode,
    identity: event.principalId === undefined ? undefined : { claim: { oid: capped(event.principalId) } },
    operationName: event.operationName,
    properties: { channel: 'http', id: keyName === undefined ? undefined : `/keys/${keyName}` },
    requestId: capped(event.requestId),
    requestUri: capped(event.requestUri, MAX_URI),
    resultSignature: failed ? (capped(event.errorCode) ?? String(event.statusCode)) : 'OK',
    resultType: failed ? 'Failure' : 'Success',
    time: new Date(timeMs).toISOString(),
  };
  return { time: timeMs, kind: 'event', operationName: event.operationName, principalId: capped(event.principalId), keyName: keyName?.toLowerCase(), body: JSON.stringify(body) };
}
