import { describe, expect, it } from 'vitest';
import { isPrivateAddress, outboundProblem } from './outbound.js';

describe('isPrivateAddress', () => {
  it('knows loopback, private, link-local, carrier-grade NAT, multicast and mapped addresses', () => {
    for (const ip of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.4',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
    ])
      expect(isPrivateAddress(ip), ip).toBe(true);
    for (const ip of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])
      expect(isPrivateAddress(ip), ip).toBe(false);
  });

  it('resolves names: localhost is local', async () => {
    expect(await outboundProblem(new URL('http://localhost:9/x'))).toMatch(/private or local address/);
    expect(await outboundProblem(new URL('http://93.184.216.34/x'))).toBeNull();
  });
});
