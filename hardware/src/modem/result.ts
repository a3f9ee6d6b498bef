// Final result codes of the emulated modem: the +CME ERROR numbers it uses and the exception a
// command handler throws to end its command with ERROR or +CME ERROR.

/** Mobile termination error result codes [TS27.007 §9.2.1]. */
export const CME = {
  NOT_ALLOWED: 3,
  NOT_SUPPORTED: 4,
  SIM_PIN_REQUIRED: 11,
  SIM_PUK_REQUIRED: 12,
  INCORRECT_PASSWORD: 16,
  NO_NETWORK_SERVICE: 30,
  INCORRECT_PARAMETERS: 50,
} as const;

/** Verbose texts for AT+CMEE=2 [TS27.007 §9.2.1]. */
export const CME_TEXT: Readonly<Record<number, string>> = {
  3: 'operation not allowed',
  4: 'operation not supported',
  11: 'SIM PIN required',
  12: 'SIM PUK required',
  16: 'incorrect password',
  30: 'no network service',
  50: 'Incorrect parameters',
};

/** Thrown by a handler: `cme` undefined means a plain ERROR [ITU-T V.250 §5.7.1]. */
export class AtFail extends Error {
  readonly cme: number | undefined;
  constructor(cme?: number) {
    super(cme === undefined ? 'ERROR' : `+CME ERROR: ${cme}`);
    this.name = 'AtFail';
    this.cme = cme;
  }
}
