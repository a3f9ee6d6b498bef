// Sign a template: validate, encode deterministically [RFC8949 §4.2.1], wrap in COSE_Sign1 with
// EdDSA and the key's kid [RFC9052 §4.2]. What the factory (and the demo) calls.
import { encodeCbor } from '../wire/cbor.js';
import { sign1 } from '../wire/cose.js';
import { validateTemplate, type Template } from '../wire/template.js';
import type { KeyPair } from './jwk.js';

/** Validate `tpl` (TEMPLATE_INVALID if it does not pass) and return the COSE_Sign1 bytes. */
export function signTemplate(tpl: Template, key: KeyPair): Uint8Array {
  const checked = validateTemplate(tpl);
  return sign1(encodeCbor(checked), key.kid, key.seed);
}
