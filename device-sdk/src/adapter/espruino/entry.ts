// Entry of the Espruino bundle (dist/espruino/simedge.min.js): Espruino's platform, the Quectel
// QMT driver (the modem-MQTT dialect this bundle carries) and the firmware API, published as
// `SimEdge`. The build declares `var SimEdge` in a banner and copies it to `exports` in a footer,
// so both a module in Storage (`require('simedge').SimEdge`) and pasted code see it.
import { QmtDriver } from '../../core/transport/qmt.js';
import { espruinoEnv, espruinoPlatform } from './platform.js';
import { simEdge, type SimEdge as Handle, type SimEdgeOptions } from './simedge.js';

declare let SimEdge: { start: (o: SimEdgeOptions) => Handle; version: string };

SimEdge = {
  start: simEdge({ quectel: (at, p) => new QmtDriver(at, p) }, espruinoPlatform(espruinoEnv())),
  version: '0.1.0',
};
