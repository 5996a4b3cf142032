/**
 * JSON Schemas of the key operation models (KeyOperationsParameters, KeySignParameters, KeyVerifyParameters,
 * KeyOperationResult, KeyVerifyResult, GetRandomBytesRequest, RandomBytes). Binary members are base64url text.
 */
const base64Text = { type: 'string', maxLength: 64 * 1024 } as const;

export const keyOperationBodySchema = {
  type: 'object',
  required: ['alg', 'value'],
  properties: {
    alg: { type: 'string', minLength: 1, maxLength: 32 },
    value: base64Text,
    iv: base64Text,
    aad: base64Text,
    tag: base64Text,
  },
} as const;

export const signBodySchema = {
  type: 'object',
  required: ['alg', 'value'],
  properties: { alg: { type: 'string', minLength: 1, maxLength: 32 }, value: base64Text },
} as const;

export const verifyBodySchema = {
  type: 'object',
  required: ['alg', 'digest', 'value'],
  properties: { alg: { type: 'string', minLength: 1, maxLength: 32 }, digest: base64Text, value: base64Text },
} as const;

export const keyOperationResultSchema = {
  type: 'object',
  properties: {
    kid: { type: 'string' },
    alg: { type: 'string' },
    value: { type: 'string' },
    iv: { type: 'string' },
    tag: { type: 'string' },
    aad: { type: 'string' },
  },
} as const;

export const verifyResultSchema = {
  type: 'object',
  properties: { kid: { type: 'string' }, alg: { type: 'string' }, value: { type: 'boolean' } },
} as const;

export const randomBytesBodySchema = {
  type: 'object',
  required: ['count'],
  properties: { count: { type: 'integer', minimum: 1, maximum: 128 } },
} as const;

export const randomBytesResultSchema = { type: 'object', properties: { value: { type: 'string' } } } as const;
