/**
 * JSON Schemas of the /secrets and /deletedsecrets wire models. Request schemas check shapes (the domain checks
 * meaning: the value's size in UTF-8 bytes, nbf before exp). Response schemas are the allowlist of what may
 * leave: only bundles of getSecret and setSecret carry `value`; the mappers never put it anywhere else.
 */
import { deletionProperties, lifecycleAttributeProperties, nullableIntDate, pageSchemaOf, responseTags, tagsSchema } from '../common-schemas.ts';

const requestAttributesSchema = {
  type: 'object',
  properties: { enabled: { type: 'boolean' }, nbf: nullableIntDate, exp: nullableIntDate },
} as const;

const contentTypeSchema = { type: 'string', maxLength: 255 } as const;

export const setSecretBodySchema = {
  type: 'object',
  required: ['value'],
  properties: {
    // Bounded in bytes by the domain (25,600 bytes of UTF-8), which names the limit; this only stops a runaway.
    value: { type: 'string', maxLength: 200_000 },
    contentType: contentTypeSchema,
    attributes: requestAttributesSchema,
    tags: tagsSchema,
  },
} as const;

export const updateSecretBodySchema = {
  type: 'object',
  properties: { contentType: contentTypeSchema, attributes: requestAttributesSchema, tags: tagsSchema },
} as const;

export const restoreSecretBodySchema = {
  type: 'object',
  required: ['value'],
  properties: { value: { type: 'string', minLength: 1, maxLength: 200_000 } },
} as const;

// --- responses ----------------------------------------------------------------------------------------

const responseAttributes = { type: 'object', properties: lifecycleAttributeProperties } as const;

const itemProperties = {
  id: { type: 'string' },
  contentType: { type: 'string' },
  attributes: responseAttributes,
  tags: responseTags,
  managed: { type: 'boolean' },
} as const;

export const secretBundleSchema = { type: 'object', properties: { value: { type: 'string' }, ...itemProperties } } as const;
/** A deleted secret's bundle: metadata only (reading it needs readMetadata, not getSecret). */
export const deletedSecretBundleSchema = { type: 'object', properties: { ...itemProperties, ...deletionProperties } } as const;

export const secretListSchema = pageSchemaOf(itemProperties);

export const deletedSecretListSchema = pageSchemaOf({ ...itemProperties, ...deletionProperties });
