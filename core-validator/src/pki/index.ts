// Transport PKI: operator CA, certificates per role and id, PKI directories, reading certificates.
export { ROLES, checkIdentity, commonName, fileStem, identityFromName, identityUri, isRole, isValidId, parseIdentityUri, type Identity, type Role } from './identity.js';
export { KEY_USAGE, createCa, issueCert, readCa, type CaOptions, type CertAndKey, type IssueOptions, type IssuedCert } from './issue.js';
export { describeCert, identityOfPeer, type CertDescription } from './describe.js';
export { caPaths, identityPaths, initPki, issueToDir, listIssued, loadCa, readPem, type IssuedFiles, type PkiPaths } from './files.js';
