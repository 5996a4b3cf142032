/**
 * JSON Schemas of the rotation policy (reference §3.4). The request schema checks shapes and types; the rules
 * (durations, one action of each type, one trigger each) are the domain's (`domain/keys/rotation-policy.ts`), with
 * clearer messages than a schema's. Members a client echoes back (`id`, `created`, `updated`) are ignored.
 */
const duration = { type: 'string', minLength: 1, maxLength: 64 } as const;

export const rotationPolicyBodySchema = {
  type: 'object',
  properties: {
    lifetimeActions: {
      type: ['array', 'null'],
      maxItems: 10,
      items: {
        type: 'object',
        properties: {
          trigger: { type: 'object', properties: { timeAfterCreate: duration, timeBeforeExpiry: duration } },
          action: { type: 'object', properties: { type: { type: 'string', maxLength: 32 } } },
        },
      },
    },
    attributes: {
      type: 'object',
      properties: { expiryTime: { type: ['string', 'null'], minLength: 1, maxLength: 64 } },
    },
  },
} as const;

export const rotationPolicySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    lifetimeActions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          trigger: { type: 'object', properties: { timeAfterCreate: { type: 'string' }, timeBeforeExpiry: { type: 'string' } } },
          action: { type: 'object', properties: { type: { type: 'string' } } },
        },
      },
    },
    attributes: {
      type: 'object',
      properties: { expiryTime: { type: 'string' }, created: { type: 'integer' }, updated: { type: 'integer' } },
    },
  },
} as const;
