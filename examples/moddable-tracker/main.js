// Moddable XS entry of the simedge tracker: ESP32 + Quectel BG95 (board profile
// hardware/boards/esp32-moddable-bg95.json). It only wires things up - the serial port (ECMA-419
// `device.io.Serial` on UART2, GPIO17/16), Moddable's Timer and RNG as the Platform, the SDK
// modules from the simedge manifest, an HTTP client for the edge function - and hands them to
// tracker.ts, which holds the logic (and is what the example's test runs, in Node).
//
// Not compiled in this repository's CI: there is no Moddable SDK here (see README.md).
import Timer from "timer";
import Resource from "Resource";
import config from "mc/config";
import { Request } from "http";
import RNG from "rng";
import { moddableSerial, moddablePlatform, deviceCodec } from "simedge/adapter/moddable/index";
import { AtEngine } from "simedge/core/at/engine";
import { attach, detach, readOperator, watchRegistration } from "simedge/core/modem";
import { modemMqtt } from "simedge/core/transport/index";
import { ProvisionClient } from "simedge/core/provision";
import { startTracker } from "tracker";

const sdk = { AtEngine, attach, detach, readOperator, watchRegistration, modemMqtt, ProvisionClient, deviceCodec };

const serial = moddableSerial(device.io.Serial, { ...device.Serial.default, port: 2, transmit: 17, receive: 16, baud: 115200 });
const platform = moddablePlatform({ Timer, randomBytes: (n) => new Uint8Array(RNG.get(n)) });

// POST JSON over the ESP32's own IP (Wi-Fi, from manifest_net.json): the BG95's internal MQTT
// reaches the operator's broker only, not the edge function's HTTP endpoint.
function post(url, body) {
  return new Promise((resolve, reject) => {
    const u = /^http:\/\/([^/:]+)(?::(\d+))?(\/.*)?$/.exec(url);
    if (!u) { reject(new Error("not an http:// endpoint: " + url)); return; }
    const text = JSON.stringify(body);
    const req = new Request({
      host: u[1], port: u[2] ? Number(u[2]) : 80, path: u[3] || "/", method: "POST", response: String,
      headers: ["content-type", "application/json", "content-length", String(text.length)], body: text,
    });
    req.callback = function (message, value) {
      if (message === Request.responseComplete) {
        try { resolve(JSON.parse(value)); } catch (e) { reject(e); }
      } else if (message < 0) reject(new Error("http error " + message));
    };
  });
}

const tracker = startTracker({
  sdk, serial, platform,
  template: new Uint8Array(new Resource("tracker.cose")),
  broker: { host: config.simedge.broker, port: config.simedge.port },
  apn: config.simedge.apn,
  dialect: "bg95",
  post: config.ssid ? post : undefined,
  on: (kind, data) => trace(kind + " " + JSON.stringify(data instanceof Error ? { code: data.code, detail: data.detail } : data) + "\n"),
});

// Switch off cleanly (bye -> term, radio off) on the DevKitC's BOOT button (GPIO0, active low).
const button = new device.io.Digital({
  pin: 0, mode: device.io.Digital.InputPullUp, edge: device.io.Digital.Falling,
  onReadable() {
    button.close();
    tracker.stop().then((terms) => trace("off " + terms.length + "\n"), (e) => trace("error " + e.code + "\n"));
  },
});
