// RADIUS accounting intake [RFC2866] [TS29.061 §16.4.7]: the server and its codec.
export {
  startRadiusAccounting, type NasResetEvent, type RadiusAccounting, type RadiusAccountingOptions, type RadiusSession, type RadiusStats,
} from './server.js';
export { nasName, parseAccounting, STATUS, type AccountingRecord, type Status } from './accounting.js';
export {
  ACCOUNTING_REQUEST, ACCOUNTING_RESPONSE, decodePacket, encodeAccountingRequest, encodeAccountingResponse,
  verifyAccountingRequest, verifyAccountingResponse, type Attribute, type Packet,
} from './packet.js';
export { cellName, decodePlmn, decodeUli, encodePlmn, encodeUliTaiEcgi, taiName, tgppAttribute, type Uli } from './tgpp.js';
