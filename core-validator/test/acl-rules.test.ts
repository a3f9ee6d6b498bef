// The topic ACL as data: filter coverage [MQTT-4.7], the rules table per role, identities read
// from names, the Mosquitto rendering of the same table, and property tests that no device can
// reach another device's topics.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topics } from '@simedge/device-sdk/wire';
import { covers, grantsFor, mayPublish, maySubscribe, mosquittoAcl, mosquittoConf, DEVICE_PATTERNS } from '../src/acl/index.js';
import { identityFromName, parseIdentityUri, type Identity } from '../src/pki/index.js';

const A = '244051234567890';
const B = '244051234567891';
const dev = (id: string): Identity => ({ role: 'device', id });

describe('covers(pattern, filter) [MQTT-4.7]', () => {
  it.each([
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a/+/c', true],
    ['a/+/c', 'a/b/c/d', false],
    ['a/+/c', 'a/b', false],
    ['a/b/c', 'a/+/c', false],
    ['a/b/c', 'a/#', false],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['a/#', 'a/+/#', true],
    ['#', 'x/y', true],
    ['a/+', 'a/#', false],
    ['a/b', 'a/b', true],
    ['a/b', 'a/c', false],
  ])('%s covers %s: %s', (p, f, want) => {
    expect(covers(p, f)).toBe(want);
  });
});

describe('rules per role', () => {
  it('a device: publish its own up, subscribe its own down, nothing else', () => {
    expect(mayPublish(dev(A), topics.deviceUp(A))).toBe(true);
    expect(mayPublish(dev(A), topics.deviceUp(B))).toBe(false);
    expect(mayPublish(dev(A), topics.deviceDown(A))).toBe(false);
    expect(mayPublish(dev(A), topics.edgeEvents('e1'))).toBe(false);
    expect(maySubscribe(dev(A), topics.deviceDown(A))).toBe(true);
    expect(maySubscribe(dev(A), topics.deviceDown(B))).toBe(false);
    expect(maySubscribe(dev(A), 'simedge/v1/d/+/down')).toBe(false);
    expect(maySubscribe(dev(A), '#')).toBe(false);
  });

  it('an edge: its own events and status, its own orders', () => {
    const e: Identity = { role: 'edge', id: 'edge-a' };
    expect(mayPublish(e, topics.edgeEvents('edge-a'))).toBe(true);
    expect(mayPublish(e, topics.edgeStatus('edge-a'))).toBe(true);
    expect(mayPublish(e, topics.edgeStatus('edge-b'))).toBe(false);
    expect(mayPublish(e, topics.edgeOrders('edge-a'))).toBe(false);
    expect(mayPublish(e, topics.deviceDown(A))).toBe(false);
    expect(maySubscribe(e, topics.edgeOrders('edge-a'))).toBe(true);
    expect(maySubscribe(e, 'simedge/v1/e/+/orders')).toBe(false);
  });

  it('the core: all ups (plain and shared), edge events and status; publishes downs and orders', () => {
    const c: Identity = { role: 'core', id: 'core-1' };
    for (const f of [topics.allDeviceUp, topics.sharedDeviceUp, topics.allEdgeEvents, topics.allEdgeStatus, topics.deviceUp(A)]) expect(maySubscribe(c, f)).toBe(true);
    expect(maySubscribe(c, '$share/other/simedge/v1/d/+/up')).toBe(false);
    expect(maySubscribe(c, 'simedge/v1/d/+/down')).toBe(false);
    expect(mayPublish(c, topics.deviceDown(A))).toBe(true);
    expect(mayPublish(c, topics.edgeOrders('edge-a'))).toBe(true);
    expect(mayPublish(c, topics.deviceUp(A))).toBe(false);
  });

  it('a broker certificate and an unknown client may do nothing', () => {
    expect(grantsFor({ role: 'broker', id: 'b1' })).toEqual({ publish: [], subscribe: [] });
    expect(mayPublish(undefined, topics.deviceUp(A))).toBe(false);
    expect(maySubscribe(undefined, '#')).toBe(false);
  });

  it('property: a device never publishes nor reads under another IMSI', () => {
    const imsi = fc.stringMatching(/^[0-9]{6,15}$/);
    fc.assert(
      fc.property(imsi, imsi, (x, y) => {
        fc.pre(x !== y);
        return !mayPublish(dev(x), topics.deviceUp(y)) && !maySubscribe(dev(x), topics.deviceDown(y)) && mayPublish(dev(x), topics.deviceUp(x));
      }),
    );
  });
});

describe('identities from names and URIs', () => {
  it('reads the CN forms and refuses everything else', () => {
    expect(identityFromName(A)).toEqual(dev(A));
    expect(identityFromName('edge:edge-a')).toEqual({ role: 'edge', id: 'edge-a' });
    expect(identityFromName('core:core-1')).toEqual({ role: 'core', id: 'core-1' });
    for (const bad of ['device:' + A, 'edge:a/b', 'edge:+', 'edge:', 'admin:x', 'mqttjs_1234', '12345', '', undefined, null]) expect(identityFromName(bad)).toBeUndefined();
  });

  it('reads identity URIs and refuses malformed ones', () => {
    expect(parseIdentityUri(`urn:simedge:device:${A}`)).toEqual(dev(A));
    expect(parseIdentityUri('urn:simedge:edge:edge-a')).toEqual({ role: 'edge', id: 'edge-a' });
    for (const bad of ['urn:simedge:device:edge-a', 'urn:simedge:edge:a/#', 'urn:other:edge:a', 'urn:simedge:edge', 'urn:simedge:root:x']) expect(parseIdentityUri(bad)).toBeUndefined();
  });
});

describe('Mosquitto rendering', () => {
  it('the device patterns are the device rules with %u for the IMSI', () => {
    const g = grantsFor(dev(A));
    const rendered = DEVICE_PATTERNS.map((l) => l.replace('%u', A));
    expect(rendered).toEqual([...g.publish.map((t) => `pattern write ${t}`), ...g.subscribe.map((t) => `pattern read ${t}`)]);
  });

  it('one user block per core and edge, none for devices or brokers', () => {
    const acl = mosquittoAcl([{ role: 'core', id: 'core-1' }, { role: 'edge', id: 'edge-a' }, { role: 'edge', id: 'edge-a' }, dev(A), { role: 'broker', id: 'b1' }]);
    expect(acl.match(/^user /gm)).toHaveLength(2);
    expect(acl).toContain('user core:core-1\ntopic write simedge/v1/d/+/down\ntopic write simedge/v1/e/+/orders\ntopic read simedge/v1/d/+/up\n');
    expect(acl).toContain('user edge:edge-a\ntopic write simedge/v1/e/edge-a/events\ntopic write simedge/v1/e/edge-a/status\ntopic read simedge/v1/e/edge-a/orders\n');
    expect(acl).not.toContain(A);
    expect(acl).not.toContain('%c');
  });

  it('the conf requires certificates and takes the CN as the username', () => {
    const conf = mosquittoConf({ port: 8883, cafile: '/c/ca.crt', certfile: '/c/b.crt', keyfile: '/c/b.key', aclFile: '/c/simedge.acl' });
    for (const line of ['listener 8883 127.0.0.1', 'require_certificate true', 'use_identity_as_username true', 'acl_file /c/simedge.acl', 'allow_anonymous false', 'cafile /c/ca.crt']) expect(conf).toContain(line);
    expect(conf).not.toMatch(/^user /m);
    expect(() => mosquittoConf({ port: 1, cafile: '/c/ca.crt\nallow_anonymous true', certfile: 'x', keyfile: 'x', aclFile: 'x' })).toThrow(TypeError);
    expect(() => mosquittoConf({ port: 70000, cafile: 'x', certfile: 'x', keyfile: 'x', aclFile: 'x' })).toThrow(RangeError);
  });
});
