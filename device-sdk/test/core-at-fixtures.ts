// AT exchanges as data: the command, the exact bytes a modem sends back, and what the engine must
// make of them. Provenance: reply shapes from 3GPP TS 27.007 (sections cited per fixture) and the
// project's reference/at-commands.md (gathered from TinyGSM, ubxlib and vendor manuals).
export interface AtFixture {
  name: string;
  cmd: string;
  /** Bytes from the modem, as a byte string. */
  rx: string;
  /** Resolved information lines, or the rejection. */
  lines?: string[];
  error?: { code: string; detail?: string };
  /** Lines the `+CEREG:` URC handler must receive. */
  urcs?: string[];
}

export const AT_FIXTURES: AtFixture[] = [
  { name: '[TS27.007 §8.3] AT+CPIN? ready', cmd: 'AT+CPIN?', rx: '\r\n+CPIN: READY\r\n\r\nOK\r\n', lines: ['+CPIN: READY'] },
  { name: '[TS27.007 §5.6] AT+CIMI bare IMSI, with echo on', cmd: 'AT+CIMI', rx: 'AT+CIMI\r\r\n240011234000001\r\n\r\nOK\r\n', lines: ['240011234000001'] },
  { name: '[TS27.007 §7.3] AT+COPS? numeric', cmd: 'AT+COPS?', rx: '\r\n+COPS: 0,2,"24405",7\r\n\r\nOK\r\n', lines: ['+COPS: 0,2,"24405",7'] },
  { name: 'AT+CCID with LF-only line ends', cmd: 'AT+CCID', rx: '+CCID: 89460112340000010\nOK\n', lines: ['+CCID: 89460112340000010'] },
  {
    name: '[TS27.007 §10.1.22] AT+CEREG? read form is the reply, not a URC', cmd: 'AT+CEREG?',
    rx: '\r\n+CEREG: 2,1,"0A01","01A2D101",7\r\n\r\nOK\r\n', lines: ['+CEREG: 2,1,"0A01","01A2D101",7'], urcs: [],
  },
  {
    name: '[TS27.007 §10.1.22] +CEREG URC between a command and its OK goes to the handler', cmd: 'AT+CGATT=1',
    rx: '\r\n+CEREG: 5,"0C03","02C4F301",7\r\n\r\nOK\r\n', lines: [], urcs: ['+CEREG: 5,"0C03","02C4F301",7'],
  },
  {
    name: 'URC between information lines and OK, echo on', cmd: 'AT+CGSN=1',
    rx: 'AT+CGSN=1\r\r\n+CGSN: "490154203237518"\r\n\r\n+CEREG: 1,"0A01","01A2D102",7\r\n\r\nOK\r\n',
    lines: ['+CGSN: "490154203237518"'], urcs: ['+CEREG: 1,"0A01","01A2D102",7'],
  },
  { name: '[TS27.007 §9.2] +CME ERROR numeric', cmd: 'AT+CPIN?', rx: '\r\n+CME ERROR: 10\r\n', error: { code: 'AT_CME_ERROR', detail: '10' } },
  { name: '[TS27.007 §9.2] +CME ERROR verbose (CMEE=2)', cmd: 'AT+CPIN?', rx: '\r\n+CME ERROR: SIM not inserted\r\n', error: { code: 'AT_CME_ERROR', detail: 'SIM not inserted' } },
  { name: '[V.250 §5.7.1] ERROR', cmd: 'AT+FOO', rx: 'AT+FOO\r\r\nERROR\r\n', error: { code: 'AT_ERROR' } },
];
