// Entry of the Espruino bundle with the IoT SAFE client (dist/espruino/simedge-iotsafe.min.js):
// entry.ts plus core/iotsafe.ts, so `SimEdge.start({ iotSafe: true, sha256: require('crypto').SHA256 })`
// makes every prov carry the SIM's proof (the SIM signs, the MCU only moves APDUs through
// AT+CSIM). Built with IOTSAFE on (scripts/build-espruino.ts `iotSafe`), which keeps the
// core's proof path; simEdge refuses the option unless both are built in.
import { iotSafeProver } from '../../core/iotsafe.js';
import { QmtDriver } from '../../core/transport/qmt.js';
import { espruinoEnv, espruinoPlatform } from './platform.js';
import { simEdge, type DriverFactory, type SimEdge as Handle, type SimEdgeOptions } from './simedge.js';

declare let SimEdge: { start: (o: SimEdgeOptions) => Handle; version: string };

/** The QMT driver under each Quectel dialect name SimEdge.start accepts (`dialect: 'bg95'` too). */
const qmt: DriverFactory = (at, p) => new QmtDriver(at, p);

SimEdge = {
  start: simEdge({ quectel: qmt, bg95: qmt, bg96: qmt }, espruinoPlatform(espruinoEnv()), iotSafeProver),
  version: '0.1.0',
};
