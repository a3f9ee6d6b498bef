// The u-blox SARA-R4 / SARA-R5 dialect: the UMQTT command set (the ICCID comes from the generic
// AT+CCID) [SARA-R4 AT Commands Manual UBX-17003787 §23; SARA-R5 UBX-19047455 §24].
import type { Handler } from '../../handlers/types.js';
import type { Dialect, DialectContext, DialectName } from '../types.js';
import { UmqttState } from './state.js';
import { umqtt, umqtter } from './umqtt.js';
import { umqttc } from './umqttc.js';

export const ublox = (name: Extract<DialectName, 'sara-r4' | 'sara-r5'>): Dialect => ({
  name,
  identity: name === 'sara-r4'
    ? { manufacturer: 'u-blox', model: 'SARA-R410M-02B', revision: 'L0.0.00.00.05.08' }
    : { manufacturer: 'u-blox', model: 'SARA-R510M8S', revision: '02.06' },
  handlers(ctx: DialectContext): Record<string, Handler> {
    const st = new UmqttState(ctx, name === 'sara-r4');
    return { '+UMQTT': umqtt(st), '+UMQTTC': umqttc(st), '+UMQTTER': umqtter(st) };
  },
});
