// Entry of this example's Espruino bundle (simedge-sim7080.min.js): the same firmware API as the
// SDK's bundle (device-sdk/src/adapter/espruino/entry.ts), but carrying the SIMCom SIM7080 `SM`
// modem-MQTT driver instead of Quectel's QMT, because the Espruino Pico board profile
// (hardware/boards/espruino-pico-sim7080.json) has a SIM7080G. A firmware pays only for its modem.
import { SmDriver } from '@simedge/device-sdk/core';
import { espruinoEnv, espruinoPlatform, simEdge, type SimEdge as Handle, type SimEdgeOptions } from '@simedge/device-sdk/espruino';

declare let SimEdge: { start: (o: SimEdgeOptions) => Handle; version: string };

SimEdge = {
  start: simEdge({ sim7080: (at, p) => new SmDriver(at, p) }, espruinoPlatform(espruinoEnv())),
  version: '0.1.0',
};
