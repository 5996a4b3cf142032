/**
 * The key operation endpoints: POST /keys/{name}/{version}/sign|verify|encrypt|decrypt|wrapkey|unwrapkey (an
 * empty or missing version means the latest; the router collapses `//` and ignores case, so `wrapKey` and
 * `wrapkey` are one route), and POST /rng. Inputs are the decoded base64url members; answers carry the
 * versioned kid of the key that did the work, as the service does.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KeyUseOutcome } from '../../domain/keys/key-use.ts';
import { badParameter } from '../../errors/errors.ts';
import { originOf } from '../../http/host.ts';
import { decodeBase64Lenient } from '../../lib/base64url.ts';
import { keyId } from '../keys/key-bundles.ts';
import { operationRoute, type RouteDeps } from '../operation-route.ts';
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
type KeyRequest<B> = { Params: KeyParams; Body: B };

const pathsOf = (operation: string) => [`/keys/:name/:version/${operation}`, `/keys/:name/${operation}`];
const result = { body: keyOperationBodySchema, response: { 200: keyOperationResultSchema } };

export function registerCryptoRoutes(app: FastifyInstance, deps: RouteDeps): void {
  operationRoute<'sign', KeyRequest<OperationBody>>(app, deps, {
    method: 'POST', paths: pathsOf('sign'), operation: 'sign',
    schema: { body: signBodySchema, response: { 200: keyOperationResultSchema } },
    input: (request) => ({ ...keyOf(request), digest: bytes(request.body.value, 'value') }),
    answer: (outcome, request) => answer(request, outcome, outcome.result),
  });

  operationRoute<'verify', KeyRequest<VerifyBody>>(app, deps, {
    method: 'POST', paths: pathsOf('verify'), operation: 'verify',
    schema: { body: verifyBodySchema, response: { 200: verifyResultSchema } },
    input: (request) => ({ ...keyOf(request), digest: bytes(request.body.digest, 'digest'), signature: bytes(request.body.value, 'value') }),
    // Managed HSM answers the key id and algorithm beside the result (recorded traffic: verify-es256k-mhsm).
    answer: (outcome, request) => ({ kid: keyId(originOf(request.host), outcome.key.name, outcome.key.version), alg: request.body.alg, value: outcome.result }),
  });

  operationRoute<'encrypt', KeyRequest<OperationBody>>(app, deps, {
    method: 'POST', paths: pathsOf('encrypt'), operation: 'encrypt',
    schema: result,
    input: (request) => ({
      ...keyOf(request),
      plaintext: bytes(request.body.value, 'value'),
      ...optionalBytes(request.body, 'iv'),
      ...optionalBytes(request.body, 'aad'),
    }),
    answer: (outcome, request) => {
      const { ciphertext, iv, tag, aad } = outcome.result;
      return {
        ...answer(request, outcome, ciphertext),
        ...(iv === undefined ? {} : { iv: iv.toString('base64url') }),
        ...(tag === undefined ? {} : { tag: tag.toString('base64url') }),
        ...(aad === undefined ? {} : { aad: aad.toString('base64url') }),
      };
    },
  });

  operationRoute<'decrypt', KeyRequest<OperationBody>>(app, deps, {
    method: 'POST', paths: pathsOf('decrypt'), operation: 'decrypt',
    schema: result,
    input: (request) => ({
      ...keyOf(request),
      ciphertext: bytes(request.body.value, 'value'),
      ...optionalBytes(request.body, 'iv'),
      ...optionalBytes(request.body, 'aad'),
      ...optionalBytes(request.body, 'tag'),
    }),
    answer: (outcome, request) => answer(request, outcome, outcome.result),
  });

  operationRoute<'wrapKey', KeyRequest<OperationBody>>(app, deps, {
    method: 'POST', paths: pathsOf('wrapkey'), operation: 'wrapKey',
    schema: result,
    input: (request) => ({ ...keyOf(request), keyToWrap: bytes(request.body.value, 'value') }),
    answer: (outcome, request) => answer(request, outcome, outcome.result),
  });

  operationRoute<'unwrapKey', KeyRequest<OperationBody>>(app, deps, {
    method: 'POST', paths: pathsOf('unwrapkey'), operation: 'unwrapKey',
    schema: result,
    input: (request) => ({ ...keyOf(request), wrapped: bytes(request.body.value, 'value') }),
    answer: (outcome, request) => answer(request, outcome, outcome.result),
  });

  operationRoute<'getRandomBytes', { Body: { count: number } }>(app, deps, {
    method: 'POST', paths: ['/rng'], operation: 'getRandomBytes',
    schema: { body: randomBytesBodySchema, response: { 200: randomBytesResultSchema } },
    input: (request) => ({ count: request.body.count }),
    answer: (random) => ({ value: random.toString('base64url') }),
  });
}

function keyOf(request: FastifyRequest<KeyRequest<{ alg: string }>>) {
  return { name: request.params.name, version: request.params.version, alg: request.body.alg };
}

function answer(request: FastifyRequest<KeyRequest<{ alg: string }>>, outcome: KeyUseOutcome<unknown>, value: Buffer) {
  return {
    kid: keyId(originOf(request.host), outcome.key.name, outcome.key.version),
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
