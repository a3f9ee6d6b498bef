// Who a transport certificate (or, in plaintext in-box mode, an MQTT username) speaks for: a role
// and an id. One encoding, used by the PKI when it issues, by the aedes ACL hook when it reads a
// peer certificate, and by the Mosquitto generator:
//   - SAN URI `urn:simedge:<role>:<id>` is the authoritative identity [RFC5280 §4.2.1.6];
//   - subject CN is the MQTT username a broker derives from the certificate (Mosquitto's
//     `use_identity_as_username`): a device's CN is its bare IMSI, so Mosquitto `pattern` lines
//     can substitute it with %u; every other role's CN is `<role>:<id>`, which contains a colon
//     and so can never be taken for an IMSI (an edge named "244051234567890" must not inherit
//     that device's topics).
import { isEdgeId, isImsi } from '@simedge/device-sdk/wire';

export const ROLES = ['core', 'edge', 'broker', 'device'] as const;
export type Role = (typeof ROLES)[number];

export interface Identity {
  role: Role;
  id: string;
}

const URN = 'urn:simedge:';

export function isRole(s: unknown): s is Role {
  return typeof s === 'string' && (ROLES as readonly string[]).includes(s);
}

/** Whether `id` is valid for `role`: an IMSI for devices; one topic level ([A-Za-z0-9_.-]{1,64}) otherwise. */
export function isValidId(role: Role, id: unknown): id is string {
  return role === 'device' ? isImsi(id) : isEdgeId(id);
}

/** Throws TypeError unless role and id form a valid identity. */
export function checkIdentity(role: unknown, id: unknown): Identity {
  if (!isRole(role)) throw new TypeError(`role must be one of ${ROLES.join(', ')}, got ${String(role)}`);
  if (!isValidId(role, id)) {
    throw new TypeError(role === 'device' ? `a device id is its IMSI (6-15 digits), got ${String(id)}` : `a ${role} id is 1-64 of [A-Za-z0-9_.-], got ${String(id)}`);
  }
  return { role, id };
}

/** `urn:simedge:device:244051234567890`. */
export function identityUri(i: Identity): string {
  return `${URN}${i.role}:${i.id}`;
}

/** The identity a URI names, or undefined when it is not a valid simedge identity URI. */
export function parseIdentityUri(uri: string): Identity | undefined {
  if (!uri.startsWith(URN)) return undefined;
  const rest = uri.slice(URN.length);
  const colon = rest.indexOf(':');
  if (colon < 0) return undefined;
  const role = rest.slice(0, colon);
  const id = rest.slice(colon + 1);
  return isRole(role) && isValidId(role, id) ? { role, id } : undefined;
}

/** The subject CN, which is also the MQTT username on Mosquitto (see the header). */
export function commonName(i: Identity): string {
  return i.role === 'device' ? i.id : `${i.role}:${i.id}`;
}

/** The inverse of commonName: `244051234567890` -> device, `edge:edge-a` -> edge; else undefined. */
export function identityFromName(name: string | undefined | null): Identity | undefined {
  if (typeof name !== 'string') return undefined;
  // isImsi is a type guard; asking through a boolean keeps `name` a string on the false branch.
  const imsi: boolean = isImsi(name);
  if (imsi) return { role: 'device', id: name };
  const colon = name.indexOf(':');
  if (colon < 0) return undefined;
  const role = name.slice(0, colon);
  const id = name.slice(colon + 1);
  return isRole(role) && role !== 'device' && isValidId(role, id) ? { role, id } : undefined;
}

/** The base name of an identity's files in a PKI directory: `edge-edge-a`, `device-244051234567890`. */
export function fileStem(i: Identity): string {
  return `${i.role}-${i.id}`;
}
