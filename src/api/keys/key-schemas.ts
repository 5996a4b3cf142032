/**
 * JSON Schemas of the /keys and /deletedkeys wire models.
 *
 * Request schemas check shapes and types (the domain checks meaning). Response schemas are the allowlist of
 * what may leave the service: Fastify's serializer drops every property not listed, so private JWK members
 * (`d`, `p`, `q`, `dp`, `dq`, `qi`, `k`) cannot be sent even if a mapper slipped.
 */
import { JWK_MEMBER_MAX_CHARS } from '../../crypto/jwk-members.ts';
import { deletionProperties, lifecycleAttributeProperties, nullableIntDate, pageSchemaOf, responseTags, tagsSchema } from '../common-schemas.ts';


export const keyOperationsSchema = {
  type: 'array',
  maxItems: 16,
  items: { type: 'string', minLength: 1, maxLength: 32 },
} as const;

const requestAttributesSchema = {
  type: 'object',
  properties: {
    enabled: { type: 'boolean' },
    nbf: nullableIntDate,
    exp: nullableIntDate,
    exportable: { type: 'boolean' },
    // Cloud HSM's attributes (docs/cloud-hsm-keys.md): trusted only on PATCH (setKeyTrusted), wrapWithTrusted one-way.
    trusted: { type: 'boolean' },
    wrapWithTrusted: { type: 'boolean' },
  },
} as const;

const releasePolicySchema = {
  type: 'object',
  required: ['data'],
  properties: {
    contentType: { type: 'string', maxLength: 256 },
    immutable: { type: 'boolean' },
    data: { type: 'string', minLength: 1, maxLength: 16384 },
  },
} as const;

const keyProperties = {
  attributes: requestAttributesSchema,
  tags: tagsSchema,
  release_policy: releasePolicySchema,
} as const;

export const createKeyBodySchema = {
  type: 'object',
  required: ['kty'],
  properties: {
    kty: { type: 'string', maxLength: 16 },
    key_size: { type: 'integer' },
    public_exponent: { type: 'integer' },
    crv: { type: 'string', maxLength: 16 },
    key_ops: keyOperationsSchema,
    ...keyProperties,
  },
} as const;

export const importKeyBodySchema = {
  type: 'object',
  required: ['key'],
  properties: {
    Hsm: { type: 'boolean' },
    key: {
      type: 'object',
      required: ['kty'],
      // The key's members are bounded here already (the importer checks them again, byte by byte): a body can
      // never make the service decode, let alone do arithmetic on, an oversized number.
      properties: {
        kty: { type: 'string', maxLength: 16 },
        crv: { type: 'string', maxLength: 16 },
        key_ops: keyOperationsSchema,
        // A BYOK transfer blob (domain/keys/key-transfer-blob.ts bounds its decoded size again).
        key_hsm: { type: 'string', minLength: 1, maxLength: 90_000 },
        ...jwkMemberSchemas(),
      },
    },
    ...keyProperties,
  },
} as const;

function jwkMemberSchemas() {
  return Object.fromEntries(
    Object.entries(JWK_MEMBER_MAX_CHARS).map(([member, maxLength]) => [member, { type: 'string', maxLength }]),
  );
}

export const updateKeyBodySchema = {
  type: 'object',
  properties: { key_ops: keyOperationsSchema, ...keyProperties },
} as const;

// --- responses ----------------------------------------------------------------------------------------

const responseAttributes = {
  type: 'object',
  properties: {
    ...lifecycleAttributeProperties,
    exportable: { type: 'boolean' },
    trusted: { type: 'boolean' },
    wrapWithTrusted: { type: 'boolean' },
    hsmPlatform: { type: 'string' },
    // Only getKeyAttestation sets it (reference §3.7); each member is base64url text.
    attestation: {
      type: 'object',
      properties: {
        certificatePemFile: { type: 'string' },
        privateKeyAttestation: { type: 'string' },
        publicKeyAttestation: { type: 'string' },
        version: { type: 'string' },
      },
    },
  },
} as const;

const responseReleasePolicy = {
  type: 'object',
  properties: { contentType: { type: 'string' }, immutable: { type: 'boolean' }, data: { type: 'string' } },
} as const;

/** The public JSON Web Key: exactly these members, nothing private. */
const publicJsonWebKey = {
  type: 'object',
  properties: {
    kid: { type: 'string' },
    kty: { type: 'string' },
    key_ops: { type: 'array', items: { type: 'string' } },
    n: { type: 'string' },
    e: { type: 'string' },
    crv: { type: 'string' },
    x: { type: 'string' },
    y: { type: 'string' },
  },
} as const;

const keyBundleProperties = {
  key: publicJsonWebKey,
  attributes: responseAttributes,
  tags: responseTags,
  managed: { type: 'boolean' },
  release_policy: responseReleasePolicy,
} as const;

export const keyBundleSchema = { type: 'object', properties: keyBundleProperties } as const;

/**
 * The answer of exportKey: a key bundle whose key also carries `key_hsm`, the wrapped transfer blob. The only
 * bundle that may: every other schema leaves `key_hsm` out, so it cannot leave through them.
 */
export const exportedKeyBundleSchema = {
  type: 'object',
  properties: {
    ...keyBundleProperties,
    key: { type: 'object', properties: { ...publicJsonWebKey.properties, key_hsm: { type: 'string' } } },
  },
} as const;

export const exportKeyBodySchema = {
  type: 'object',
  properties: {
    wrappingKid: { type: 'string', minLength: 1, maxLength: 2048 },
    wrappingKey: {
      type: 'object',
      properties: {
        kid: { type: 'string', maxLength: 1024 },
        kty: { type: 'string', maxLength: 16 },
        key_ops: keyOperationsSchema,
        // Up to an 8192-bit modulus (with a leading zero octet); the domain checks the size exactly.
        n: { type: 'string', maxLength: 1400 },
        e: { type: 'string', maxLength: 16 },
      },
    },
    enc: { type: 'string', maxLength: 32 },
  },
} as const;
export const deletedKeyBundleSchema = {
  type: 'object',
  properties: { ...keyBundleProperties, ...deletionProperties },
} as const;

const keyItemProperties = {
  kid: { type: 'string' },
  attributes: responseAttributes,
  tags: responseTags,
  managed: { type: 'boolean' },
} as const;

export const keyListSchema = pageSchemaOf(keyItemProperties);

export const deletedKeyListSchema = pageSchemaOf({ ...keyItemProperties, ...deletionProperties });
