/**
 * The key operation endpoints: POST /keys/{name}/{version}/sign|verify|encrypt|decrypt|wrapkey|unwrapkey (an
 * empty or missing version means the latest; the router collapses `//` and ignores case, so `wrapKey` and
 * `wrapkey` are one route), and POST /rng. Handlers decode base64url members, call `KeyOperations`, and answer
 * with the versioned kid of the key that did the work, as the service does.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { KeyOperations, OperationOutcome } from '../../domain/operations/key-operations.ts';
import { DataActions, type DataAction } from '../../domain/rbac/data-actions.ts';
import { badParameter } from '../../errors/errors.ts';
import { originOf } from '../../http/host.ts';
import { decodeBase64Lenient } from '../../lib/base64url.ts';
import { keyId } from '../keys/key-bundles.ts';
import {
  keyOperationBodySchema,
  keyOperationResultSchema,
  randomBytesBodySchema,
  randomBytesResultSchema,
  signBodySchema,
  verifyBodySchema,
  verifyResultSchema,
} from './crypto-schemas.ts';

type KeyParams = { name: string; version?: string };
type OperationBody = { alg: string; value: string; iv?: string; aad?: string; tag?: string };
type VerifyBody = { alg: string; digest: string; value: string };

export function registerCryptoRoutes(app: FastifyInstance, operations: KeyOperations): void {
  /** Registers one operation on both the versioned and the versionless path. */
  const route = <Body>(
    operation: string,
    dataAction: DataAction,
    schemas: { body: object; response: object },
    handler: (request: FastifyRequest<{ Params: KeyParams; Body: Body }>) => Promise<unknown>,
  ) => {
    for (const path of [`/keys/:name/:version/${operation}`, `/keys/:name/${operation}`]) {
      app.post<{ Params: KeyParams; Body: Body }>(path, {
        schema: { body: schemas.body, response: { 200: schemas.response } },
        config: { dataAction },
      }, handler);
    }
  };
  const result = { body: keyOperationBodySchema, response: keyOperationResultSchema };

  route<OperationBody>('sign', DataActions.sign, { body: signBodySchema, response: keyOperationResultSchema }, async (request) => {
    const { name, version } = request.params;
    const outcome = await operations.sign(name, version, request.body.alg, bytes(request.body.value, 'value'));
    return answer(request, outcome, outcome.result);
  });

  route<VerifyBody>('verify', DataActions.verify, { body: verifyBodySchema, response: verifyResultSchema }, async (request) => {
    const { name, version } = request.params;
    const { alg, digest, value } = request.body;
    const outcome = await operations.verify(name, version, alg, bytes(digest, 'digest'), bytes(value, 'value'));
    return { value: outcome.result };
  });

  route<OperationBody>('encrypt', DataActions.encrypt, result, async (request) => {
    const { name, version } = request.params;
    const outcome = await operations.encrypt(name, version, request.body.alg, {
      plaintext: bytes(request.body.value, 'value'),
      ...optionalBytes(request.body, 'iv'),
      ...optionalBytes(request.body, 'aad'),
    });
    const { ciphertext, iv, tag, aad } = outcome.result;
    return {
      ...answer(request, outcome, ciphertext),
      ...(iv === undefined ? {} : { iv: iv.toString('base64url') }),
      ...(tag === undefined ? {} : { tag: tag.toString('base64url') }),
      ...(aad === undefined ? {} : { aad: aad.toString('base64url') }),
    };
  });

  route<OperationBody>('decrypt', DataActions.decrypt, result, async (request) => {
    const { name, version } = request.params;
    const outcome = await operations.decrypt(name, version, request.body.alg, {
      ciphertext: bytes(request.body.value, 'value'),
      ...optionalBytes(request.body, 'iv'),
      ...optionalBytes(request.body, 'aad'),
      ...optionalBytes(request.body, 'tag'),
    });
    return answer(request, outcome, outcome.result);
  });

  route<OperationBody>('wrapkey', DataActions.wrapKey, result, async (request) => {
    const { name, version } = request.params;
    const outcome = await operations.wrapKey(name, version, request.body.alg, bytes(request.body.value, 'value'));
    return answer(request, outcome, outcome.result);
  });

  route<OperationBody>('unwrapkey', DataActions.unwrapKey, result, async (request) => {
    const { name, version } = request.params;
    const outcome = await operations.unwrapKey(name, version, request.body.alg, bytes(request.body.value, 'value'));
    return answer(request, outcome, outcome.result);
  });

  app.post<{ Body: { count: number } }>('/rng', {
    schema: { body: randomBytesBodySchema, response: { 200: randomBytesResultSchema } },
    config: { dataAction: DataActions.randomBytes },
  }, async (request) => ({ value: randomBytes(request.body.count).toString('base64url') }));
}

function answer(request: FastifyRequest<{ Params: KeyParams; Body: { alg: string } }>, outcome: OperationOutcome<unknown>, value: Buffer) {
  return {
    kid: keyId(originOf(request.host), outcome.record.name, outcome.record.version),
    alg: request.body.alg,
    value: value.toString('base64url'),
  };
}

function bytes(text: string, member: string): Buffer {
  const decoded = decodeBase64Lenient(text);
  if (decoded === undefined) throw badParameter(`'${member}' must be base64url.`);
  return decoded;
}

function optionalBytes<M extends 'iv' | 'aad' | 'tag'>(body: Partial<Record<M, string>>, member: M): Partial<Record<M, Buffer>> {
  const text = body[member];
  return text === undefined ? {} : ({ [member]: bytes(text, member) } as Partial<Record<M, Buffer>>);
}
