// Entry of the Espruino bundle (dist/espruino/simedge.min.js): Espruino's platform, the Quectel
// QMT driver (the modem-MQTT dialect this bundle carries) and the firmware API, published as
// `SimEdge`. The build declares `var SimEdge` in a banner and copies it to `exports` in a footer,
// so both a module in Storage (`require('simedge').SimEdge`) and pasted code see it.
import { QmtDriver } from '../../core/transport/qmt.js';
import { espruinoEnv, espruinoPlatform } from './platform.js';
import { simEdge, type DriverFactory, type SimEdge as Handle, type SimEdgeOptions } from './simedge.js';

declare let SimEdge: { start: (o: SimEdgeOptions) => Handle; version: string };

/** The QMT driver under each Quectel dialect name SimEdge.start accepts (`dialect: 'bg95'` too). */
const qmt: DriverFactory = (at, p) => new QmtDriver(at, p);

SimEdge = {
  start: simEdge({ quectel: qmt, bg95: qmt, bg96: qmt }, espruinoPlatform(espruinoEnv())),
  version: '0.1.0',
};
