// Read a certificate back: what `simedge pki show` prints and what the ACL hook needs from a peer
// certificate. Uses node:crypto's X509Certificate (OpenSSL), so it reads any certificate, not
// only the RSA ones node-forge can parse.
import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { SimedgeError } from '@simedge/device-sdk/wire';
import { parseIdentityUri, type Identity } from './identity.js';

export interface CertDescription {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  /** The simedge identity from the SAN URI, if there is exactly one. */
  identity: Identity | undefined;
  subjectAltNames: string[];
  extKeyUsage: string[];
  ca: boolean;
  sha256: string;
}

const EKU_NAMES: Record<string, string> = { '1.3.6.1.5.5.7.3.1': 'serverAuth', '1.3.6.1.5.5.7.3.2': 'clientAuth' };

/** Describe a PEM certificate; CERT_INVALID when it is not one. */
export function describeCert(pem: string): CertDescription {
  let x: X509Certificate;
  try {
    x = new X509Certificate(pem);
  } catch (e) {
    throw new SimedgeError('CERT_INVALID', (e as Error).message);
  }
  const sans = splitSan(x.subjectAltName);
  return {
    subject: x.subject.replace(/\n/g, ', '),
    issuer: x.issuer.replace(/\n/g, ', '),
    serial: x.serialNumber,
    notBefore: new Date(x.validFrom).toISOString(),
    notAfter: new Date(x.validTo).toISOString(),
    identity: identityFromSans(sans),
    subjectAltNames: sans,
    extKeyUsage: (x.keyUsage ?? []).map((o) => EKU_NAMES[o] ?? o),
    ca: x.ca,
    sha256: x.fingerprint256,
  };
}

/** The identity a verified TLS peer certificate carries (node's getPeerCertificate() form). */
export function identityOfPeer(cert: PeerCertificate | Record<string, never> | null | undefined): Identity | undefined {
  if (!cert || !('subjectaltname' in cert)) return undefined;
  return identityFromSans(splitSan(cert.subjectaltname));
}

/** Exactly one simedge URI names the identity; none or several (ambiguous) name nobody. */
function identityFromSans(sans: string[]): Identity | undefined {
  const ids = sans.filter((s) => s.startsWith('URI:urn:simedge:')).map((s) => parseIdentityUri(s.slice(4)));
  return ids.length === 1 ? ids[0] : undefined;
}

/** "URI:urn:simedge:edge:a, DNS:localhost" -> ["URI:urn:simedge:edge:a", "DNS:localhost"]. Our
 *  names contain no ", " (identity.ts restricts ids; DNS names and IPs cannot). */
function splitSan(s: string | undefined): string[] {
  return s ? s.split(', ').filter((p) => p.length > 0) : [];
}
