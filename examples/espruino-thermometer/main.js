// simedge thermometer for an Espruino Pico + SIMCom SIM7080G
// (board profile: hardware/boards/espruino-pico-sim7080.json).
//
// At power-up: modem on, attach (FIG. 2 201-202), modem-internal MQTT to the operator's broker,
// provisioning with the factory-signed template in Storage (203-207). Then one temperature
// reading (E.getTemperature(), the STM32's internal sensor) every PERIOD_MS. A long press of the
// Pico's button switches off: bye -> term (208-210), radio off.
//
// Where the readings go: the edge `fn` service the template asks for answers HTTP (its endpoint
// arrives in `ready`), and this board has no HTTP path to it - the bundle speaks to the network
// only through the modem's MQTT client, which reaches the operator's broker and nothing else.
// So readings are printed on the console (USB: Espruino IDE or `espruino` CLI) as JSON lines,
// tagged with the provision id and the fn endpoint they are meant for. See README.md.
//
// Espruino subset only (no arrow functions needed, no let/const in loops, no Map/Set, no async).
//
// Also runs on Espruino's Linux build against the modem emulator (`simedge modem-emu --dialect
// sim7080 --pty` prints the path): set CONFIG.serialPath to that path. There are no pins, LEDs or
// button there, so the power-up pulse and the LEDs are skipped; call switchOff() at the REPL.

// A board has its pins as globals; the Linux build has none (naming one would be a ReferenceError).
var BOARD = typeof B3 !== 'undefined';

var CONFIG = {
  serialPath: undefined,                // Linux build: the emulator's PTY, e.g. '/dev/pts/3'
  broker: 'mqtt.operator.example:1883', // the core's MQTT broker (the emulator redirects any host)
  apn: 'iot.operator.example',
  periodMs: 60000,                      // one reading a minute
  pwrkey: BOARD ? B3 : undefined,       // PWRKEY through an NPN: pin high = PWRKEY low
  pwrkeyMs: 1000,                       // SIM7080G: PWRKEY low >= 1 s turns it on
  bootMs: 2500                          // then about 2 s until the UART answers
};

var se;         // the SimEdge handle
var ready;      // the `ready` message once provisioned
var timer;      // the reading interval
var readings = 0;

function led(n, on) {
  if (BOARD) (n === 1 ? LED1 : LED2).write(on);
}

function log(kind, o) {
  o.t = kind;
  print(JSON.stringify(o));
}

function reading() {
  readings++;
  var c = E.getTemperature ? Math.round(E.getTemperature() * 10) / 10 : null;
  var fn = ready ? ready.svc.filter(function (s) { return s.n === 'fn'; })[0] : undefined;
  log('reading', { n: readings, celsius: c, pid: ready ? ready.pid : null, fn: fn ? fn.ep : null });
}

function start() {
  if (CONFIG.serialPath) Serial1.setup(115200, { path: CONFIG.serialPath });
  else Serial1.setup(115200, { tx: B6, rx: B7 });
  se = require('simedge').SimEdge.start({
    serial: Serial1,
    template: require('Storage').read('thermo.cose'),
    broker: CONFIG.broker,
    apn: CONFIG.apn,
    dialect: 'sim7080',
    onReady: function (r, info) {
      ready = r;
      led(2, 1);
      log('ready', { pid: r.pid, edge: r.edge, svc: r.svc, imsi: info.imsi, cell: info.cell, roaming: info.roaming });
      reading();
      if (!timer) timer = setInterval(reading, CONFIG.periodMs); // onReady comes again after a roam
    },
    onRoam: function (info) {
      // A new cell or a visited network (+CEREG stat 5): the SDK re-provisions with why 'roam';
      // the old provision serves until the core terms it.
      log('roam', { plmn: info.plmn, cell: info.cell, roaming: info.roaming });
    },
    onTerm: function (t) {
      log('term', { pid: t.pid, why: t.why });
    },
    onError: function (e) {
      led(1, 1);
      log('error', { code: e.code, detail: e.detail || e.message });
    }
  });
}

function switchOff() {
  if (!se) return;
  if (timer) clearInterval(timer);
  timer = undefined;
  var handle = se;
  se = undefined;
  handle.stop().then(function (terms) {
    ready = undefined;
    led(2, 0);
    log('off', { terms: terms.length });
  }, function (e) {
    log('error', { code: e.code, detail: e.detail || e.message });
  });
}

// Power the modem up with its PWRKEY pulse, then wait until its UART answers (board profile).
function powerUp(then) {
  if (!CONFIG.pwrkey) return then(); // Linux build: the emulator is always on
  CONFIG.pwrkey.write(1);
  setTimeout(function () {
    CONFIG.pwrkey.write(0);
    setTimeout(then, CONFIG.bootMs);
  }, CONFIG.pwrkeyMs);
}

// Pressing the Pico's button switches off cleanly (bye -> term, radio off).
if (BOARD) setWatch(switchOff, BTN, { repeat: false, edge: 'rising', debounce: 50 });

// Saved with "Save on Send: direct to flash (execute code at boot)", this runs at every power-up.
powerUp(start);
