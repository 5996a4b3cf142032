/**
 * JSON Schemas of POST /keys/{name}[/{version}]/release (KeyReleaseParameters → KeyReleaseResult). The request
 * schema checks shapes; the domain checks meaning (that `target` is a JWT, that `enc` is a known wrap), so its
 * messages name the defect. The response schema is the allowlist: the signed answer only.
 */
export const releaseKeyBodySchema = {
  type: 'object',
  required: ['target'],
  properties: {
    target: { type: 'string', minLength: 1, maxLength: 65536 },
    nonce: { type: 'string', maxLength: 1024 },
    enc: { type: 'string', maxLength: 32 },
  },
} as const;

export const releaseKeyResultSchema = {
  type: 'object',
  required: ['value'],
  properties: { value: { type: 'string' } },
} as const;
