// Test helper: an Espruino-like world inside QuickJS (quickjs-emscripten), with no Node globals.
// The bundle sees only what Espruino offers: a `Serial1` object (on/removeListener/write with
// binary strings), setTimeout/clearTimeout, `E.hwRand`, Date, Promise, Uint8Array, and with
// `{ crypto: true }` Espruino's `require('crypto').SHA256` (a string or bytes in, an ArrayBuffer
// of 32 bytes out; computed by node:crypto on the host). Map, Set,
// WeakMap, Symbol, Proxy and Reflect are deleted from the global object first, so a bundle that
// used them would fail here. This is a stand-in: the real Espruino interpreter is not packaged for
// Debian or npm (see README), so it cannot run in CI.
import { createHash, randomInt } from 'node:crypto';
import { getQuickJS, type QuickJSContext, type QuickJSHandle } from 'quickjs-emscripten';

export interface EspruinoVm {
  vm: QuickJSContext;
  /** Evaluate code at global scope (like pasting into the Espruino console). */
  run(code: string): void;
  /** Bytes from the bundle to the modem arrive here (binary strings). */
  onSerialWrite: (data: string) => void;
  /** Deliver modem bytes to Serial1's 'data' listeners. */
  serialData(data: string): void;
  /** Events the firmware reports with host(name, text). */
  events: Array<{ name: string; text: string }>;
  /** The first event of that name (whose text matches, if given), already seen or still to come. */
  waitEvent(name: string, timeoutMs: number, match?: (text: string) => boolean): Promise<string>;
  dispose(): void;
}

const NOT_ON_ESPRUINO = ['Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'Symbol', 'Proxy', 'Reflect', 'BigInt'];

export interface EspruinoVmOptions {
  /** A global `require` that knows the 'crypto' module's SHA256, as Espruino builds with crypto have. */
  crypto?: boolean;
}

export async function espruinoVm(opts: EspruinoVmOptions = {}): Promise<EspruinoVm> {
  const QuickJS = await getQuickJS();
  const vm = QuickJS.newContext();
  const timers: { [id: number]: { t: NodeJS.Timeout; fn: QuickJSHandle } } = {};
  let nextTimer = 1;
  let disposed = false;
  const waiters: Array<{ name: string; match?: (text: string) => boolean; resolve: (t: string) => void }> = [];

  const pump = (): void => {
    const r = vm.runtime.executePendingJobs();
    if (r.error) {
      const e = vm.dump(r.error);
      r.error.dispose();
      throw new Error('QuickJS job failed: ' + JSON.stringify(e));
    }
  };
  const call = (fn: QuickJSHandle, args: QuickJSHandle[]): void => {
    if (disposed) return;
    const r = vm.callFunction(fn, vm.undefined, ...args);
    for (const a of args) a.dispose();
    if (r.error) {
      const e = vm.dump(r.error);
      r.error.dispose();
      throw new Error('QuickJS callback threw: ' + JSON.stringify(e));
    }
    r.value.dispose();
    pump();
  };
  const fn = (target: QuickJSHandle, name: string, f: (...a: QuickJSHandle[]) => QuickJSHandle | undefined): void => {
    const h = vm.newFunction(name, f);
    vm.setProp(target, name, h);
    h.dispose();
  };

  const world: EspruinoVm = {
    vm,
    run(code) {
      const r = vm.evalCode(code, 'espruino.js');
      if (r.error) {
        const e = vm.dump(r.error);
        r.error.dispose();
        throw new Error('QuickJS eval failed: ' + JSON.stringify(e));
      }
      r.value.dispose();
      pump();
    },
    onSerialWrite: () => undefined,
    serialData(data) {
      if (data.length === 0 || disposed) return;
      const codes: number[] = [];
      for (let i = 0; i < data.length; i++) codes.push(data.charCodeAt(i));
      world.run(`Serial1._data(${JSON.stringify(codes.join(','))})`);
    },
    events: [],
    waitEvent(name, timeoutMs, match) {
      const seen = world.events.find((e) => e.name === name && (!match || match(e.text)));
      if (seen) return Promise.resolve(seen.text);
      return new Promise((resolve, reject) => {
        // A failure guard only: the event normally arrives long before.
        const t = setTimeout(() => reject(new Error(`no ${name} event within ${timeoutMs} ms; events: ${JSON.stringify(world.events)}`)), timeoutMs);
        waiters.push({ name, match, resolve: (x) => { clearTimeout(t); resolve(x); } });
      });
    },
    dispose() {
      disposed = true;
      for (const id of Object.keys(timers)) {
        clearTimeout(timers[Number(id)]!.t);
        timers[Number(id)]!.fn.dispose();
      }
      vm.dispose();
    },
  };

  world.run(NOT_ON_ESPRUINO.map((n) => `delete globalThis.${n};`).join(''));

  fn(vm.global, 'setTimeout', (cb, ms) => {
    const id = nextTimer++;
    const keep = cb!.dup();
    const t = setTimeout(() => {
      delete timers[id];
      try {
        call(keep, []);
      } finally {
        keep.dispose();
      }
    }, ms ? vm.getNumber(ms) : 0);
    timers[id] = { t, fn: keep };
    return vm.newNumber(id);
  });
  fn(vm.global, 'clearTimeout', (h) => {
    const id = vm.getNumber(h!);
    // Espruino throws for a timer that already fired; so does this stand-in.
    if (!timers[id]) throw new Error('Unknown Timeout');
    clearTimeout(timers[id].t);
    timers[id].fn.dispose();
    delete timers[id];
    return undefined;
  });
  const E = vm.newObject();
  fn(E, 'hwRand', () => vm.newNumber(randomInt(0, 2 ** 32 - 1)));
  vm.setProp(vm.global, 'E', E);
  E.dispose();
  // Serial1 in JS inside the VM; bytes cross the boundary as comma-separated char codes, since
  // the embedding's string conversion stops at a NUL byte and binary strings contain them.
  fn(vm.global, '__serialWrite', (d) => {
    const codes = vm.getString(d!);
    const s = codes ? String.fromCharCode(...codes.split(',').map(Number)) : '';
    setImmediate(() => world.onSerialWrite(s)); // the wire is asynchronous, as on a UART
    return undefined;
  });
  world.run(`var Serial1 = (function () {
    var fns = [];
    return {
      on: function (ev, fn) { if (ev === 'data') fns.push(fn); },
      removeListener: function (ev, fn) { var i = fns.indexOf(fn); if (i >= 0) fns.splice(i, 1); },
      write: function (d) { var a = []; for (var i = 0; i < d.length; i++) a.push(d.charCodeAt(i)); __serialWrite(a.join(',')); },
      _data: function (codes) { var s = String.fromCharCode.apply(null, codes.split(',').map(Number)); fns.slice().forEach(function (f) { f(s); }); }
    };
  })();`);
  if (opts.crypto) {
    // Bytes cross the boundary as comma-separated char codes (as Serial1's do), the digest as hex.
    fn(vm.global, '__sha256', (d) => {
      const codes = vm.getString(d!);
      const bytes = Uint8Array.from(codes ? codes.split(',').map(Number) : []);
      return vm.newString(createHash('sha256').update(bytes).digest('hex'));
    });
    world.run(`var require = (function () {
      function SHA256(d) {
        var a = [];
        for (var i = 0; i < d.length; i++) a.push((typeof d === 'string' ? d.charCodeAt(i) : d[i]) & 255);
        var h = __sha256(a.join(',')), out = new Uint8Array(32);
        for (var j = 0; j < 32; j++) out[j] = parseInt(h.substr(2 * j, 2), 16);
        return out.buffer;
      }
      var crypto = { SHA256: SHA256 };
      return function (name) { if (name === 'crypto') return crypto; throw new Error('Module ' + name + ' not found'); };
    })();`);
  }
  fn(vm.global, 'host', (name, text) => {
    const ev = { name: vm.getString(name!), text: text ? vm.getString(text) : '' };
    world.events.push(ev);
    for (const w of waiters.filter((x) => x.name === ev.name && (!x.match || x.match(ev.text)))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(ev.text);
    }
    return undefined;
  });
  return world;
}
