// Node-only template tools (keys, template build/sign/inspect/verify) as a library, the same
// functions the `simedge` CLI uses. Import as `@simedge/device-sdk/tools`.
export { parseJwk, toPublicJwk, toPrivateJwk, isKeyPair, checkKid, type KeyPair, type PublicKeyInfo, type PublicJwk, type PrivateJwk } from './jwk.js';
export { writeKeyPair, readKeyFile, readPrivateKeyFile, readTrustDir, publicKeyPath, type WrittenKeyPair } from './keyfile.js';
export { loadTemplateSource, templateFromSource, parseSource, toEpochSeconds } from './source.js';
export { signTemplate } from './sign.js';
export { inspectTemplate, verifyTemplate, keysByKid, MAX_SIGNED_TEMPLATE, type Inspection, type SignatureState, type Verdict } from './inspect.js';
export { toJsonable } from './render.js';
export { main, commandTree, PLUGINS } from './cli.js';
export type { Command, Group, Entry, Io, OptionSpec, OptionValues } from './command.js';
export { UsageError } from './command.js';
export { bad, isObj, obj, str, port, positive, only, pemFile, readConfigFile, type ConfigObj } from './config-file.js';
export { serveDaemon, type ServeIo, type Started } from './serve.js';
