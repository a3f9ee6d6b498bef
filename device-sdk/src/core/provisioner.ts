// The provisioning state machine around ProvisionClient (DESIGN.md: retries with jittered
// exponential backoff, a per-device data budget): one provisioning per reason (`on` after power-up,
// `reset` after a reboot, `roam` after a move), retried with backoff when the failure is temporary,
// every message metered against the data budget (a send only with room for the replies it
// causes), and a graceful switch-off that says bye, waits for the terms with a deadline and
// reports which provisions the core did not acknowledge; the caller then detaches regardless (a
// device that is switching off cannot wait forever).
//
// States (`state`): the client's (idle, hello-sent, prov-sent, accepted, ready, bye-sent,
// terminated, rejected) plus `backoff` while waiting to retry.
//
// What is retried (isRetryable): a failure of the way to the core (TIMEOUT, TRANSPORT, LINK_LOST,
// MODEM_MQTT_*), and a `rej` or pre-ready `term` whose code names a passing condition:
//   NO_EDGE, NO_CAPACITY  the edges may come back or free capacity
//   DEPLOY_FAILED         the edge failed to start the service this time
//   TIMEOUT               the core's operation deadline passed (edge slow or restarting)
//   BAD_NONCE             the nonce expired while the device was slow: a new hello gets a new one
//   NO_ATTACH             the network's attach record (RADIUS) may reach the core after the hello
// Everything else is final: the same request would be refused again (BAD_SIGNATURE, UNKNOWN_KEY,
// TEMPLATE_*, UNKNOWN_IMSI, SIM_BINDING, POLICY_DENIED, QUOTA_EXCEEDED, NOT_ATTESTED, ...), and so
// is BUDGET_EXCEEDED (retrying within the backoff window cannot reach the next day's budget).
// Portable core: no async/await, spread or Map (the Espruino subset).
import { SimedgeError } from '../wire/codes.js';
import type { DevReady, Reason, Term } from '../wire/messages.js';
import type { TraceSink } from '../wire/trace.js';
import { DataBudget, isDataBudget, metered, type BudgetOptions, type ClientIo } from './budget.js';
import { isRejected, ProvisionClient, type DeviceInfo, type ProvisionOptions, type ProvState } from './provision.js';
import { backoffDelay, type BackoffOptions } from './transport/backoff.js';
import { BUDGET, FULL, IOTSAFE, TRACE } from './flags.js';
import { same } from './platform.js';

/** `rej` codes worth another attempt (see the header). */
export const RETRYABLE_REJECTS = ['NO_EDGE', 'NO_CAPACITY', 'DEPLOY_FAILED', 'TIMEOUT', 'BAD_NONCE', 'NO_ATTACH'];
const RETRYABLE_CODES = ['TIMEOUT', 'TRANSPORT', 'LINK_LOST', 'MODEM_MQTT_CONNECT', 'MODEM_MQTT_PUBLISH', 'MODEM_MQTT_SUBSCRIBE'];
/**
 * A bye the link failed under is sent once more after this pause (switchOff): the modem's
 * link-loss URC can arrive just after the publish it broke, and by then the session knows the
 * link is down and the second bye re-opens it. A TIMEOUT (no term came) is not sent again.
 */
export const BYE_RESEND_MS = 1000;

/** Whether a failed provisioning is worth another attempt. */
export function isRetryable(e: unknown): boolean {
  if (isRejected(e)) return RETRYABLE_REJECTS.indexOf(e.rejCode) >= 0;
  return e instanceof SimedgeError && RETRYABLE_CODES.indexOf(e.code) >= 0;
}

export interface ProvisionerOptions extends ProvisionOptions {
  /** Backoff between attempts: baseMs (default 2000), maxMs (60000), attempts = retries after the first try (4). */
  retry?: BackoffOptions;
  /** Data budget of the provisioning traffic; without it nothing is metered. */
  budget?: BudgetOptions | DataBudget;
  /** Deadline for the terms after bye (default: timeoutMs, 10000 ms). */
  byeTimeoutMs?: number;
  /** Told before each wait for a retry. */
  onRetry?: (r: RetryInfo) => void;
}

export interface RetryInfo {
  /** The provisioning's reason, or `link`: the re-open of a lost link (withRetries(), Espruino build). */
  why: Reason | 'link';
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  error: Error;
}

export interface SwitchOffResult {
  /** Terms received for the provisions that were live at bye. */
  terms: Term[];
  /** Pids live at bye that got no term before the deadline (the core will end them by lease expiry). */
  unacked: string[];
  /** Why not every provision was acknowledged (TIMEOUT, TRANSPORT, BUDGET_EXCEEDED, ...). */
  error?: Error;
}

interface Wait {
  timer: unknown;
  cancel: () => void;
}

/** The state machine's API (NodeDevice and the Espruino firmware API use it). */
export interface Provisioner {
  /** The underlying client (its pids, readies and state). */
  readonly client: ProvisionClient;
  /** The meter, when a budget was given. */
  readonly budget: DataBudget | undefined;
  /** The client's state, or `backoff` while waiting to retry. */
  readonly state: ProvState | 'backoff';
  /** Pids the core currently serves for this device. */
  active(): string[];
  /**
   * Provision for a reason, retrying temporary failures with jittered exponential backoff;
   * rejects with the last error. A newer provision(), switchOff() or close() ends the retries.
   */
  provision(info: DeviceInfo, why: Reason, template: Uint8Array): Promise<DevReady>;
  /**
   * The retry loop of provision() around any step, e.g. the Espruino firmware API's re-open of a
   * lost link (one backoff for both, core/transport/session.ts). Same rules: a newer call,
   * switchOff() or close() ends it; rejects with the last error.
   */
  withRetries<T>(why: Reason | 'link', fn: () => Promise<T>): Promise<T>;
  /**
   * Graceful switch-off (steps 208-210): stop retrying, say bye, wait up to byeTimeoutMs for the
   * term of every live provision. Never rejects: what was not acknowledged is in the result. The
   * client is closed afterwards (a request still in flight fails with TRANSPORT). A bye the link
   * failed under (TRANSPORT, LINK_LOST, MODEM_MQTT_*) is sent once more after BYE_RESEND_MS, so
   * the wait can reach twice byeTimeoutMs plus that pause.
   */
  switchOff(why?: 'off' | 'leave', timeoutMs?: number): Promise<SwitchOffResult>;
  /** Stop at once: no bye; pending requests and waits fail. */
  close(): void;
}

/**
 * `new Provisioner(opts)`. Closures instead of a class, as ProvisionClient (core/provision.ts):
 * local variables minify to one letter where a class pays `this.` and a member name on every
 * access, and the Espruino bundle keeps its source in RAM.
 */
export const Provisioner = function Provisioner(opts: ProvisionerOptions): Provisioner {
  const o = opts;
  const platform = o.platform;
  const b = o.budget;
  // The Espruino firmware API passes its own meter (it outlives the Provisioner): FULL only.
  // A bundle built without the data budget (BUDGET, core/flags.ts) has none to pass.
  const budget = !BUDGET || b === undefined ? undefined : !FULL || isDataBudget(b) ? b as DataBudget : new DataBudget(platform, b);
  let wait: Wait | undefined;
  /** Bumped by every provision(), switchOff() and close(): older retry loops stop. */
  let gen = 0;
  /** Terms seen since switchOff began. */
  let seen: Term[] | undefined;
  const userTerm = o.onTerm;
  // With a budget, every message is metered and a send reserves for its replies; a bye is
  // answered with one term per live provision (core/budget.ts).
  const io: ClientIo = budget ? metered(o, budget, (): number => client.active().length) : o;
  const client: ProvisionClient = new ProvisionClient({
    imsi: o.imsi, codec: io.codec, platform: platform, timeoutMs: o.timeoutMs, trace: o.trace,
    // FULL: options the Espruino firmware API cannot pass; IOTSAFE: proofs, in the bundle built with them (core/flags.ts)
    readyTimeoutMs: FULL ? o.readyTimeoutMs : undefined, prove: FULL || IOTSAFE ? o.prove : undefined, onUpdate: FULL ? o.onUpdate : undefined,
    transport: io.transport,
    onTerm: (t) => {
      if (seen) seen.push(t);
      if (userTerm) userTerm(t);
    },
  });

  const trace = (ev: string, detail: string): void => {
    const sink: TraceSink | undefined = o.trace;
    if (!TRACE || !sink) return; // the lean build has no traces (core/flags-lean.ts)
    try {
      sink({ at: platform.now(), actor: 'device:' + o.imsi, imsi: o.imsi, ev: ev, detail: detail });
    } catch (e) {
      // A failing trace sink must not break provisioning.
    }
  };

  const sleep = (ms: number, err: Error): Promise<void> => new Promise<void>((resolve, reject) => {
    const w: Wait = {
      timer: undefined,
      cancel: () => reject(err),
    };
    w.timer = platform.setTimer(() => {
      if (wait === w) wait = undefined;
      resolve();
    }, ms);
    wait = w;
  });

  const cancelWait = (): void => {
    const w = wait;
    if (!w) return;
    wait = undefined;
    platform.clearTimer(w.timer);
    w.cancel();
  };

  const retry = <T>(why: Reason | 'link', fn: () => Promise<T>): Promise<T> => {
    const g = ++gen;
    cancelWait();
    const r = o.retry;
    const max = r && r.attempts !== undefined ? r.attempts : 4;
    const backoff: BackoffOptions = { baseMs: r && r.baseMs !== undefined ? r.baseMs : 2000, maxMs: r && r.maxMs !== undefined ? r.maxMs : 60000 };
    const run = (n: number): Promise<T> => fn().then(same, (e: Error) => {
      if (n >= max || g !== gen || !isRetryable(e)) throw e;
      const ms = backoffDelay(platform, n, backoff);
      if (TRACE) trace('retry', 'why=' + why + ' attempt=' + (n + 1) + ' in ' + ms + ' ms after ' + (e as SimedgeError).code + (isRejected(e) ? ' ' + e.rejCode : ''));
      if (o.onRetry) {
        try {
          o.onRetry({ why: why, attempt: n + 1, delayMs: ms, error: e });
        } catch (err) {
          // the listener's failure must not stop the retries
        }
      }
      return sleep(ms, e).then(() => {
        if (g !== gen) throw e;
        return run(n + 1);
      });
    });
    return run(0);
  };

  return {
    client: client,
    budget: budget,

    get state(): ProvState | 'backoff' {
      return wait ? 'backoff' : client.state;
    },

    active: () => client.active(),

    provision(info: DeviceInfo, why: Reason, template: Uint8Array): Promise<DevReady> {
      return retry(why, () => client.provision(info, why, template));
    },

    withRetries: retry,


    switchOff(why?: 'off' | 'leave', timeoutMs?: number): Promise<SwitchOffResult> {
      gen++;
      cancelWait();
      const pids = client.active();
      const terms: Term[] = [];
      seen = terms;
      const done = (error: Error | undefined): SwitchOffResult => {
        seen = undefined;
        const live = client.active();
        const res: SwitchOffResult = {
          terms: terms.filter((t) => pids.indexOf(t.pid) >= 0),
          unacked: pids.filter((p) => live.indexOf(p) >= 0),
        };
        if (error && res.unacked.length > 0) res.error = error;
        if (TRACE && res.unacked.length > 0) trace('bye-unacked', 'pids=' + res.unacked.join(',') + ' (' + String(error && error.message) + ')');
        client.close();
        return res;
      };
      const t = timeoutMs !== undefined ? timeoutMs : o.byeTimeoutMs;
      const g = gen;
      const bye = (again: boolean): Promise<Term[]> => {
        let sent: Promise<Term[]>;
        try {
          sent = client.bye(why, t);
        } catch (e) {
          return Promise.reject(e);
        }
        return sent.then(same, (e: Error) => {
          // The link went down under it (not a TIMEOUT, not the budget): once more, after the
          // link-loss URC had time to arrive (BYE_RESEND_MS). close() ends the pause.
          if (!again || g !== gen || !isRetryable(e) || (e as SimedgeError).code === 'TIMEOUT') throw e;
          if (TRACE) trace('bye-resend', 'after ' + (e as SimedgeError).code);
          return sleep(BYE_RESEND_MS, e).then(() => bye(false));
        });
      };
      return bye(true).then(() => done(undefined), (e: unknown) => done(e instanceof Error ? e : new Error(String(e))));
    },

    close(): void {
      gen++;
      cancelWait();
      client.close();
    },
  };
} as unknown as new (opts: ProvisionerOptions) => Provisioner;
