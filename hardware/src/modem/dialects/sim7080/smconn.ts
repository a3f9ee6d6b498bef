// AT+SMCONN (connect; the module answers OK only once CONNACK is in, ERROR otherwise),
// AT+SMDISC (disconnect) and AT+SMSTATE? (+SMSTATE: 0|1) [SIM7080 Series AT Command Manual
// §13.2.2-13.2.4, §13.2.10].
import { AtFail } from '../../result.js';
import { onlyKinds, type Handler } from '../../handlers/types.js';
import type { SmState } from './state.js';

export const smconn = (st: SmState): Handler => (m, c) => {
  onlyKinds(c, 'exec');
  const f = st.conf;
  if (st.link || f.host === undefined || f.clientId === '' || !m.registered) throw new AtFail();
  return st.ctx.openLink(f.host, f.port, {
    clientId: f.clientId, keepalive: f.keepTime, clean: f.cleanSession,
    ...(f.username !== undefined ? { username: f.username } : {}), ...(f.password !== undefined ? { password: f.password } : {}),
  }, {
    message: (topic, payload) => st.received(topic, payload),
    lost: () => st.lost(),
  }).then((link) => {
    st.link = link;
    return [];
  }, () => {
    throw new AtFail();
  });
};

export const smdisc = (st: SmState): Handler => (_m, c) => {
  onlyKinds(c, 'exec');
  const link = st.link;
  if (!link) throw new AtFail();
  st.link = undefined;
  return link.close().then(() => []);
};

export const smstate = (st: SmState): Handler => (_m, c) => {
  if (c.kind === 'test') return ['+SMSTATE: (0-2)'];
  onlyKinds(c, 'read');
  return [`+SMSTATE: ${st.link ? 1 : 0}`];
};
