// The one table of stable error codes shared by device, core and edge.
// A code never changes meaning once released; messages may be reworded. Devices receive
// these codes in `rej` and `term` messages, operators see them in logs and records.

export const CODES = {
  // wire format (decoding hostile input)
  CBOR_TOO_LARGE: 'message exceeds the size limit',
  CBOR_INCOMPLETE: 'CBOR data ends before the item is complete',
  CBOR_INVALID: 'CBOR data is not well-formed or uses an unsupported feature',
  CBOR_LIMIT: 'CBOR nesting, length or item count exceeds a decode limit',
  COSE_INVALID: 'not a COSE_Sign1 structure with an EdDSA protected header',
  MSG_INVALID: 'message fields are missing or of the wrong type',
  MSG_UNKNOWN_TYPE: 'message type is not known',
  TEMPLATE_INVALID: 'resource template fields are missing or of the wrong type',
  // validation (step 204)
  BAD_SIGNATURE: 'manufacturer signature does not verify',
  UNKNOWN_KEY: 'signing key is not in the trust store',
  KEY_NOT_VALID: 'signing key is outside its validity window, revoked or not allowed for this class',
  TEMPLATE_EXPIRED: 'resource template has expired or is not yet valid',
  TEMPLATE_ROLLBACK: 'resource template sequence is lower than one already accepted (rollback)',
  SIM_BINDING: 'resource template is bound to other SIMs (ICCID/IMSI prefix) or networks (PLMN)',
  UNKNOWN_IMSI: 'IMSI is not a known subscriber',
  SUBSCRIBER_SUSPENDED: 'subscription is suspended',
  BAD_SIM_PROOF: 'IoT SAFE SIM proof is missing or does not verify with the key registered for the SIM',
  NO_ATTACH: 'no network attach record for this IMSI',
  NOT_ATTESTED: 'the request does not come from the network session of this IMSI',
  BAD_NONCE: 'challenge nonce is unknown, used or expired',
  NO_EDGE: 'no edge serves the device location',
  POLICY_DENIED: 'service or version not allowed by policy',
  QUOTA_EXCEEDED: 'subscription quota exceeded (concurrent provisions or services)',
  NO_CAPACITY: 'no edge near the device has the capacity the template asks for',
  // operations (steps 205-210)
  DEPLOY_FAILED: 'the edge could not start the service',
  ORDER_INVALID: 'order signature, expiry or replay check failed',
  TIMEOUT: 'operation did not complete before its deadline',
  FN_ERROR: 'the edge function threw, timed out or returned a value that is not JSON',
  FN_BAD_INPUT: 'the request to the edge function is not a JSON body of at most 64 KiB',
  ARTEFACT_TOO_LARGE: 'artefact is larger than its declared size or the edge limit',
  ARTEFACT_DIGEST_MISMATCH: 'artefact bytes do not match their SHA-256 digest',
  ARTEFACT_FETCH_FAILED: 'artefact download failed (network error, HTTP status or truncated body)',
  ARTEFACT_QUOTA: 'artefact cache quota exceeded and nothing unreferenced is left to remove',
  // network intake (RADIUS accounting, step 201)
  RADIUS_MALFORMED: 'RADIUS packet or attribute lengths are inconsistent',
  RADIUS_BAD_AUTHENTICATOR: 'RADIUS Request Authenticator does not match the shared secret',
  RADIUS_UNSUPPORTED: 'RADIUS packet is not an Accounting-Request this server handles',
  RADIUS_MISSING_ATTRIBUTE: 'RADIUS Accounting-Request lacks an attribute needed for the event',
  // core operations (admin HTTP API, daemon configuration)
  ADMIN_UNAUTHORIZED: 'admin request lacks a valid bearer token',
  ADMIN_NOT_FOUND: 'no such admin resource (route, SIM, key or provision)',
  ADMIN_METHOD: 'method not allowed on this admin resource',
  ADMIN_BAD_REQUEST: 'admin request body or parameters are invalid (the detail says which)',
  ADMIN_TOO_LARGE: 'admin request body exceeds the size limit',
  ADMIN_CSV_INVALID: 'SIM import CSV has invalid rows; nothing was imported (row numbers in the detail)',
  ADMIN_UNREACHABLE: 'the admin API cannot be reached or answered something that is not JSON',
  ADMIN_INTERNAL: 'the core failed while answering the admin request (see its log)',
  CONFIG_INVALID: 'configuration is invalid (the detail names the field)',
  BROKER_NO_MQTT5: 'shared subscriptions need an MQTT 5 broker; this one refused protocol version 5',
  // device side
  AT_TIMEOUT: 'modem did not answer in time',
  AT_ERROR: 'modem answered ERROR',
  AT_CME_ERROR: 'modem answered +CME ERROR (the error number is in the detail)',
  AT_CLOSED: 'the link to the modem is closed',
  SIM_NOT_READY: 'SIM is not ready',
  NOT_REGISTERED: 'modem did not register to the network',
  TRANSPORT: 'transport to the core failed',
  REJECTED: 'the core rejected the provisioning request (its code is in the detail)',
  SERVICE_ERROR: 'the edge service answered with an error status',
  MODEM_MQTT_CONNECT: 'the modem could not open its internal MQTT connection (result code in the detail)',
  MODEM_MQTT_PUBLISH: 'the modem did not publish the message (result code in the detail)',
  MESSAGE_TOO_LARGE: 'the message is larger than the modem can publish at once (a prov carries the template: make it smaller)',
  MODEM_MQTT_SUBSCRIBE: 'the modem did not subscribe to the topic (result code in the detail)',
  LINK_LOST: 'the modem reported the MQTT link lost and reconnecting gave up',
  IOTSAFE_FAILED: 'the IoT SAFE applet on the SIM refused or failed (status word in the detail)',
  BUDGET_EXCEEDED: 'sending would exceed the device data budget for the day (bytes used and limit in the detail)',
  // tools (simedge keys / template)
  INPUT_UNREADABLE: 'input file does not exist or cannot be read',
  INPUT_INVALID: 'input file is not valid JSON or YAML, or too large',
  KEY_FILE_INVALID: 'key file is not an Ed25519 JWK [RFC8037] or its keys do not match',
  OUTPUT_EXISTS: 'output file already exists (use --force to replace it)',
  OUTPUT_UNWRITABLE: 'output file cannot be written (missing directory or no permission)',
  // transport security (simedge pki, broker topic ACLs)
  CERT_INVALID: 'not a PEM X.509 certificate or private key this PKI can use, or the key does not match the certificate',
  TOPIC_DENIED: 'the client identity may not publish or subscribe on this topic (topic ACL)',
  // test bench (hardware: modem emulator)
  PTY_UNAVAILABLE: 'socat could not create the pseudo-terminal (binary missing or it exited; detail says which)',
} as const;

export type Code = keyof typeof CODES;

/** A domain error carrying a stable code from CODES. */
export class SimedgeError extends Error {
  readonly code: Code;
  readonly detail: string | undefined;
  constructor(code: Code, detail?: string) {
    super(detail ? `${code}: ${CODES[code]} (${detail})` : `${code}: ${CODES[code]}`);
    this.name = 'SimedgeError';
    this.code = code;
    this.detail = detail;
  }
}

export function isSimedgeError(e: unknown): e is SimedgeError {
  return e instanceof SimedgeError;
}

export function isCode(s: unknown): s is Code {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(CODES, s);
}
