/**
 * Schema pieces the key and secret wire models share: Key Vault's dates (IntDate seconds, bounded to year
 * 9999), tags (15 of at most 256 characters), the members of a deleted object and the shape of a listing page.
 */
export const intDate = { type: 'integer', minimum: 0, maximum: 253402300799 } as const;
/** In a request, null clears the date. */
export const nullableIntDate = { type: ['integer', 'null'], minimum: 0, maximum: 253402300799 } as const;

export const tagsSchema = {
  type: 'object',
  maxProperties: 15,
  propertyNames: { minLength: 1, maxLength: 256 },
  additionalProperties: { type: 'string', maxLength: 256 },
} as const;

export const responseTags = { type: 'object', additionalProperties: { type: 'string' } } as const;

/** The attributes every key and secret answers with (their lifecycle and recovery); keys add their own. */
export const lifecycleAttributeProperties = {
  enabled: { type: 'boolean' },
  nbf: intDate,
  exp: intDate,
  created: intDate,
  updated: intDate,
  recoverableDays: { type: 'integer' },
  recoveryLevel: { type: 'string' },
} as const;

/** What a deleted key or secret carries beside its item's members. */
export const deletionProperties = {
  recoveryId: { type: 'string' },
  deletedDate: intDate,
  scheduledPurgeDate: intDate,
} as const;

/** `{value: [items], nextLink}`: one page of a listing. */
export function pageSchemaOf<P extends Record<string, unknown>>(itemProperties: P) {
  return {
    type: 'object',
    properties: {
      value: { type: 'array', items: { type: 'object', properties: itemProperties } },
      nextLink: { type: ['string', 'null'] },
    },
  } as const;
}
