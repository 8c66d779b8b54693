/** Which addresses a webhook may reach (worker/webhook-guard.ts): the table, and the allow-list. */
import { describe, expect, test } from 'vitest';
import { AddressGuard, hostOf, isPublicAddress } from '../../worker/webhook-guard.js';

describe('isPublicAddress', () => {
  test.each([
    ['8.8.8.8', true],
    ['59.110.10.8', true],
    ['1.1.1.1', true],
    ['2400:3200::1', true],
    ['2001:4860:4860::8888', true],
    ['127.0.0.1', false],
    ['127.255.255.254', false],
    ['10.0.0.1', false],
    ['172.16.0.1', false],
    ['172.31.255.255', false],
    ['172.32.0.1', true],
    ['192.168.0.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['100.100.100.200', false],
    ['100.128.0.1', true],
    ['0.0.0.0', false],
    ['224.0.0.1', false],
    ['255.255.255.255', false],
    ['192.0.2.1', false],
    ['198.18.0.1', false],
    ['::', false],
    ['::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:8.8.8.8', false],
    ['fd00:ec2::254', false],
    ['fc00::1', false],
    ['fe80::1', false],
    ['ff02::1', false],
    ['2001:db8::1', false],
    ['2002:7f00:1::', false],
    ['64:ff9b::7f00:1', false],
    ['not an ip', false],
  ])('%s → %s', (ip, expected) => {
    expect(isPublicAddress(ip)).toBe(expected);
  });
});

describe('AddressGuard', () => {
  test('the allow-list admits names, addresses and CIDR blocks, nothing else', async () => {
    const g = new AddressGuard(['127.0.0.1', '10.8.0.0/16', 'hooks.internal', ' ']);
    expect(g.permits('127.0.0.1')).toBe(true);
    expect(g.permits('127.0.0.2')).toBe(false);
    expect(g.permits('10.8.3.4')).toBe(true);
    expect(g.permits('10.9.0.1')).toBe(false);
    expect(g.literalRefused('http://10.8.1.1/')).toBe(false);
    expect(g.literalRefused('http://[::1]/')).toBe(true);
    expect(g.literalRefused('https://hooks.internal/')).toBe(false);
    expect(await g.check('https://hooks.internal/in')).toEqual({ ok: true, resolved: true });
    expect(await g.check('http://10.9.0.1/')).toEqual({ ok: false, reason: 'not-public-address' });
    expect(await new AddressGuard().check('http://localhost:3000/')).toEqual({ ok: false, reason: 'not-public-address' });
  });

  test('URL hosts are normalised before the check', () => {
    expect(hostOf('http://[::1]:80/')).toBe('::1');
    expect(hostOf('http://2130706433/')).toBe('127.0.0.1');
    expect(hostOf('http://0x7F.1/')).toBe('127.0.0.1');
    expect(hostOf('http://HOOKS.Example/')).toBe('hooks.example');
  });
});
