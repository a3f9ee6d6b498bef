// AT+UMQTTC: MQTT actions [SARA-R5 AT Manual §24.3; SARA-R4 §23.3]. <op_code> 0 logout, 1 login
// (result URC +UUMQTTC: 1,<r>: R5 reports 1 for success, the R410M 0), 2 publish (text or hex,
// <= 512 bytes), 4 subscribe (URC +UUMQTTC: 4,1,<qos>,"<topic>"), 5 unsubscribe, 6 read the
// unread messages, 9 binary publish with a `>` prompt (R5 only; the R41x lacks it). Each accepted
// action answers +UMQTTC: <op_code>,1 before the OK.
import { fromHex, topicFromAt, topicToAt } from '../../bytes.js';
import { AtFail, CME } from '../../result.js';
import { intArg, maxArgs, needStr, numArg, onlyKinds, type Handler, type Reply } from '../../handlers/types.js';
import type { UmqttState } from './state.js';

/** AT+UMQTTER error class for "not connected" / "operation failed" (emulator choice). */
const ERR_NOT_CONNECTED = 4;
const ERR_FAILED = 1;
const MAX_TEXT_PUBLISH = 512;
const MAX_BINARY_PUBLISH = 1024;

function login(st: UmqttState): Reply {
  if (st.link || st.connecting || st.host === undefined) throw new AtFail();
  st.connecting = true;
  st.ctx.openLink(st.host, st.port, {
    clientId: st.clientId || 'sara', keepalive: st.keepalive, clean: st.clean,
    ...(st.username !== undefined ? { username: st.username } : {}), ...(st.password !== undefined ? { password: st.password } : {}),
  }, {
    message: (topic, payload, qos) => st.received(topic, payload, qos),
    lost: () => st.lost(),
  }).then((link) => {
    st.connecting = false;
    st.link = link;
    st.lastError = [0, 0];
    st.ctx.urc(`+UUMQTTC: 1,${st.r4 ? 0 : 1}`);
  }, () => {
    st.connecting = false;
    st.lastError = [ERR_FAILED, 0];
    // R5: 0 = failed; R410M: the CONNACK-style code, 3 = server unavailable
    st.ctx.urc(`+UUMQTTC: 1,${st.r4 ? 3 : 0}`);
  });
  return ['+UMQTTC: 1,1'];
}

function publish(st: UmqttState, topic: string, payload: Uint8Array, qos: 0 | 1 | 2, retain: boolean, op: number): string[] {
  const link = st.link;
  if (!link) {
    st.lastError = [ERR_NOT_CONNECTED, 0];
    throw new AtFail(CME.NOT_ALLOWED);
  }
  link.publish(topic, payload, qos, retain).catch(() => { st.lastError = [ERR_FAILED, 0]; });
  return [`+UMQTTC: ${op},1`];
}

/** AT+UMQTTC=6[,<one_message>]: the unread messages, raw bytes between quotes with their length. */
function read(st: UmqttState, one: boolean): string[] {
  const batch = st.unread.splice(0, one ? 1 : st.unread.length);
  return batch.map((msg) => {
    const topic = topicToAt(msg.topic);
    const body = Buffer.from(msg.payload).toString('latin1');
    // R4: 6,<qos>,<topic+msg len>,<topic len>,"<topic>",<msg len>,"<msg>"; R5: 6,<qos>,<topic len>,<msg len>,"<topic>","<msg>"
    return st.r4
      ? `+UMQTTC: 6,${msg.qos},${topic.length + body.length},${topic.length},"${topic}",${body.length},"${body}"`
      : `+UMQTTC: 6,${msg.qos},${topic.length},${body.length},"${topic}","${body}"`;
  });
}

export const umqttc = (st: UmqttState): Handler => (_m, c) => {
  if (c.kind === 'test') return [`+UMQTTC: (0-6${st.r4 ? '' : ',9'})`];
  onlyKinds(c, 'set');
  const op = numArg(c, 0, 0, 9);
  switch (op) {
    case 0: {
      maxArgs(c, 1);
      const link = st.link;
      if (!link) throw new AtFail();
      st.link = undefined;
      void link.close();
      return ['+UMQTTC: 0,1'];
    }
    case 1: maxArgs(c, 1); return login(st);
    case 2: {
      maxArgs(c, 6);
      const qos = intArg(c, 1, [0, 1, 2] as const);
      const retain = intArg(c, 2, [0, 1] as const) === 1;
      const hex = c.args.length === 6 ? intArg(c, 3, [0, 1] as const) === 1 : false;
      const t = c.args.length === 6 ? 4 : 3;
      const topic = topicFromAt(needStr(c, t, 256));
      const msg = needStr(c, t + 1, MAX_TEXT_PUBLISH * 2);
      const payload = hex ? fromHex(msg) : new Uint8Array(Buffer.from(msg, 'latin1'));
      if (!payload || payload.length > MAX_TEXT_PUBLISH) throw new AtFail(CME.INCORRECT_PARAMETERS);
      return publish(st, topic, payload, qos, retain, 2);
    }
    case 4: {
      maxArgs(c, 3);
      const qos = intArg(c, 1, [0, 1, 2] as const);
      const topicAt = needStr(c, 2, 256);
      const link = st.link;
      if (!link) throw new AtFail(CME.NOT_ALLOWED);
      link.subscribe(topicFromAt(topicAt), qos).then(
        (g) => st.ctx.urc(`+UUMQTTC: 4,1,${g},"${topicAt}"`),
        () => st.ctx.urc(`+UUMQTTC: 4,0,${qos},"${topicAt}"`),
      );
      return ['+UMQTTC: 4,1'];
    }
    case 5: {
      maxArgs(c, 2);
      const topicAt = needStr(c, 1, 256);
      const link = st.link;
      if (!link) throw new AtFail(CME.NOT_ALLOWED);
      link.unsubscribe(topicFromAt(topicAt)).then(
        () => st.ctx.urc('+UUMQTTC: 5,1'),
        () => st.ctx.urc('+UUMQTTC: 5,0'),
      );
      return ['+UMQTTC: 5,1'];
    }
    case 6: {
      maxArgs(c, 2);
      return read(st, intArg(c, 1, [0, 1] as const, 0) === 1);
    }
    case 9: {
      if (st.r4) throw new AtFail(CME.NOT_SUPPORTED);
      maxArgs(c, 5);
      const qos = intArg(c, 1, [0, 1, 2] as const);
      const retain = intArg(c, 2, [0, 1] as const) === 1;
      const topic = topicFromAt(needStr(c, 3, 256));
      const len = numArg(c, 4, 1, MAX_BINARY_PUBLISH);
      if (!st.link) throw new AtFail(CME.NOT_ALLOWED);
      return { prompt: len, onData: (d) => publish(st, topic, d, qos, retain, 9) };
    }
    default:
      throw new AtFail(CME.NOT_SUPPORTED);
  }
};
