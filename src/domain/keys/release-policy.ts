/**
 * The secure key release policy of Managed HSM: its grammar (checked when a policy is set, so a key can never
 * carry a policy nobody can satisfy by accident) and its evaluation against the claims of a verified
 * attestation token. The grammar, versions `0.2`, `1.0` and `1.0.0` alike:
 *
 *   policy     {"version": "0.2" | "1.0" | "1.0.0", "anyOf": [authority, …]}
 *   authority  {"authority": "https://<attestation issuer>", "anyOf" | "allOf": [condition, …]}
 *   condition  {"claim": "<name or dotted.path>", <operator>: <value>}
 *            | {"anyOf": [condition, …]} | {"allOf": [condition, …]}          (nested freely)
 *   operator   equals | notEquals | less | lessOrEquals | greater | greaterOrEquals | exists
 *
 * A policy matches when one of its authorities is the token's issuer and that authority's condition holds.
 * Every defect is a 400 naming where it is (`anyOf[0].allOf[1]: …`). An empty `anyOf` is accepted and never
 * matches (a key nobody can release yet); an empty `allOf` is refused, since it would hold for any token.
 */
import { badParameter } from '../../errors/errors.ts';
import { decodeBase64Lenient } from '../../lib/base64url.ts';

export const RELEASE_POLICY_VERSIONS = ['0.2', '1.0', '1.0.0'] as const;
export type ReleasePolicyVersion = (typeof RELEASE_POLICY_VERSIONS)[number];

const OPERATORS = ['equals', 'notEquals', 'less', 'lessOrEquals', 'greater', 'greaterOrEquals', 'exists'] as const;
export type ClaimOperator = (typeof OPERATORS)[number];
type ClaimValue = string | number | boolean;

export type PolicyCondition =
  | { kind: 'claim'; claim: string; operator: ClaimOperator; value: ClaimValue }
  | { kind: 'anyOf' | 'allOf'; conditions: PolicyCondition[] };

export interface AuthorityRule {
  authority: string;
  condition: PolicyCondition;
}

export interface ParsedReleasePolicy {
  version: ReleasePolicyVersion;
  authorities: AuthorityRule[];
}

/** Deep enough for any real policy; a bound so a hostile document cannot exhaust the stack. */
const MAX_DEPTH = 16;

/** Parses the policy document (`release_policy.data`, base64url of JSON). */
export function parseReleasePolicyData(data: string): ParsedReleasePolicy {
  const bytes = decodeBase64Lenient(data);
  if (bytes === undefined) throw defect('release_policy.data', 'must be the base64url encoding of the policy document');
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw defect('release_policy.data', 'is not JSON');
  }
  return parseReleasePolicy(document);
}

export function parseReleasePolicy(document: unknown): ParsedReleasePolicy {
  const top = objectAt(document, '(policy)');
  allowOnly(top, ['version', 'anyOf'], '(policy)');
  const version = top['version'];
  if (!(RELEASE_POLICY_VERSIONS as readonly unknown[]).includes(version)) {
    throw defect('version', `must be one of ${RELEASE_POLICY_VERSIONS.map((v) => `"${v}"`).join(', ')}`);
  }
  const authorities = arrayAt(top['anyOf'], 'anyOf', true).map((item, index) => authorityRule(item, `anyOf[${index}]`));
  return { version: version as ReleasePolicyVersion, authorities };
}

function authorityRule(value: unknown, path: string): AuthorityRule {
  const rule = objectAt(value, path);
  allowOnly(rule, ['authority', 'anyOf', 'allOf'], path);
  const authority = rule['authority'];
  if (typeof authority !== 'string' || normalizedAuthority(authority) === undefined) {
    throw defect(`${path}.authority`, 'must be the https URL of an attestation authority');
  }
  const groups = ['anyOf', 'allOf'].filter((member) => member in rule);
  if (groups.length !== 1) throw defect(path, 'must have exactly one of anyOf or allOf beside its authority');
  return { authority, condition: group(rule, groups[0] as 'anyOf' | 'allOf', path, 1) };
}

function condition(value: unknown, path: string, depth: number): PolicyCondition {
  const node = objectAt(value, path);
  if ('claim' in node) return claimCondition(node, path);
  const groups = ['anyOf', 'allOf'].filter((member) => member in node);
  if (groups.length !== 1) throw defect(path, 'must be a claim condition, or exactly one of anyOf or allOf');
  allowOnly(node, groups, path);
  return group(node, groups[0] as 'anyOf' | 'allOf', path, depth + 1);
}

function group(node: Record<string, unknown>, kind: 'anyOf' | 'allOf', path: string, depth: number): PolicyCondition {
  if (depth > MAX_DEPTH) throw defect(path, `nests conditions deeper than ${MAX_DEPTH} levels`);
  const at = `${path}.${kind}`;
  // An empty allOf would hold for every token; an empty anyOf holds for none, which is safe.
  const items = arrayAt(node[kind], at, kind === 'anyOf');
  return { kind, conditions: items.map((item, index) => condition(item, `${at}[${index}]`, depth)) };
}

function claimCondition(node: Record<string, unknown>, path: string): PolicyCondition {
  const claim = node['claim'];
  if (typeof claim !== 'string' || claim.length === 0) throw defect(`${path}.claim`, 'must be a non-empty string');
  const operators = OPERATORS.filter((operator) => operator in node);
  if (operators.length !== 1) throw defect(path, `must have exactly one operator (${OPERATORS.join(', ')})`);
  const operator = operators[0] as ClaimOperator;
  allowOnly(node, ['claim', operator], path);
  const value = node[operator];
  if (operator === 'exists') {
    if (typeof value !== 'boolean') throw defect(`${path}.exists`, 'must be true or false');
  } else if (operator === 'equals' || operator === 'notEquals') {
    if (!isClaimValue(value)) throw defect(`${path}.${operator}`, 'must be a string, a number, true or false');
  } else if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw defect(`${path}.${operator}`, 'must be a number');
  }
  return { kind: 'claim', claim, operator, value: value as ClaimValue };
}

/** Whether the policy releases to a token of `issuer` (verified) carrying `claims`. */
export function releasePolicyAllows(policy: ParsedReleasePolicy, issuer: string, claims: Readonly<Record<string, unknown>>): boolean {
  const wanted = normalizedAuthority(issuer);
  if (wanted === undefined) return false;
  return policy.authorities.some((rule) => normalizedAuthority(rule.authority) === wanted && holds(rule.condition, claims));
}

function holds(node: PolicyCondition, claims: Readonly<Record<string, unknown>>): boolean {
  switch (node.kind) {
    case 'anyOf':
      return node.conditions.some((child) => holds(child, claims));
    case 'allOf':
      return node.conditions.every((child) => holds(child, claims));
    case 'claim':
      return compare(node.operator, claimValue(claims, node.claim), node.value);
  }
}

function compare(operator: ClaimOperator, actual: unknown, expected: ClaimValue): boolean {
  if (operator === 'exists') return (actual !== undefined && actual !== null) === expected;
  // A claim that is absent, or not a scalar, satisfies no comparison (notEquals included): deny by default.
  if (!isClaimValue(actual)) return false;
  switch (operator) {
    case 'equals':
      return sameValue(actual, expected);
    case 'notEquals':
      return !sameValue(actual, expected);
    default: {
      const number = typeof actual === 'number' ? actual : typeof actual === 'string' && actual.trim() !== '' ? Number(actual) : Number.NaN;
      if (!Number.isFinite(number)) return false;
      const limit = expected as number;
      if (operator === 'less') return number < limit;
      if (operator === 'lessOrEquals') return number <= limit;
      if (operator === 'greater') return number > limit;
      return number >= limit;
    }
  }
}

/**
 * Claims and policy values compare by their JSON text, so `"equals": "true"` matches a boolean `true` claim and
 * `"equals": 2` a `"2"` (policies written for Azure rely on this). Strings compare exactly, case included.
 */
function sameValue(actual: ClaimValue, expected: ClaimValue): boolean {
  return String(actual) === String(expected);
}

/** A claim by its name, else by its dotted path into nested objects (`x-ms-isolation-tee.x-ms-attestation-type`). */
function claimValue(claims: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  let current: unknown = claims;
  for (const part of name.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** An authority URL compared without a trailing slash and with the host lower-cased: `https://a.attest.azure.net/` is `https://a.attest.azure.net`. */
export function normalizedAuthority(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' || parsed.search !== '' || parsed.hash !== '' || parsed.username !== '') return undefined;
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

function isClaimValue(value: unknown): value is ClaimValue {
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

function objectAt(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw defect(path, 'must be a JSON object');
  return value as Record<string, unknown>;
}

function arrayAt(value: unknown, path: string, mayBeEmpty: boolean): unknown[] {
  if (!Array.isArray(value)) throw defect(path, 'must be an array');
  if (!mayBeEmpty && value.length === 0) throw defect(path, 'must list at least one condition');
  return value;
}

function allowOnly(node: Record<string, unknown>, allowed: readonly string[], path: string): void {
  const unknown = Object.keys(node).find((member) => !allowed.includes(member));
  // The member name is the client's own text; shown only when it is short and plain.
  if (unknown !== undefined) throw defect(path, `has an unknown member ${/^[\w.-]{1,40}$/.test(unknown) ? `'${unknown}'` : '(not shown)'}`);
}

function defect(path: string, problem: string) {
  return badParameter(`The key release policy is malformed: ${path} ${problem}.`);
}
