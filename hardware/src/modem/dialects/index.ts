// Dialect lookup: the generic TS 27.007 modem plus the vendor command sets layered on it.
import { quectel } from './quectel/index.js';
import { sim7080 } from './sim7080/index.js';
import { sim7600 } from './sim7600/index.js';
import { DIALECTS, type Dialect, type DialectName } from './types.js';
import { ublox } from './ublox/index.js';

const generic: Dialect = {
  name: 'generic',
  identity: { manufacturer: 'simedge', model: 'EMU-27007', revision: '0.1.0' },
  handlers: () => ({}),
};

export function dialect(name: DialectName): Dialect {
  switch (name) {
    case 'generic': return generic;
    case 'bg95': case 'bg96': return quectel(name);
    case 'sim7600': return sim7600;
    case 'sim7080': return sim7080;
    case 'sara-r4': case 'sara-r5': return ublox(name);
    default: throw new RangeError(`unknown dialect ${String(name)}; one of ${DIALECTS.join(', ')}`);
  }
}

export { DIALECTS, type DialectName } from './types.js';
