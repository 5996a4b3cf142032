/** New key material for a key spec: RSA and EC pairs on the libuv pool, AES/HMAC secrets from the CSPRNG. */
import { createSecretKey, generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { CURVES, type KeyMaterial, type KeySpec } from './key-material.ts';

const generateKeyPairAsync = promisify(generateKeyPair);

export async function generateKeyMaterial(spec: KeySpec): Promise<KeyMaterial> {
  switch (spec.family) {
    case 'RSA': {
      const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
        modulusLength: spec.sizeBits,
        publicExponent: spec.publicExponent,
      });
      return { family: 'RSA', sizeBits: spec.sizeBits, privateKey, publicKey };
    }
    case 'EC': {
      const { privateKey, publicKey } = await generateKeyPairAsync('ec', {
        namedCurve: CURVES[spec.curve].openssl,
      });
      return { family: 'EC', curve: spec.curve, privateKey, publicKey };
    }
    case 'oct':
      return { family: 'oct', sizeBits: spec.sizeBits, secretKey: createSecretKey(randomBytes(spec.sizeBits / 8)) };
  }
}
