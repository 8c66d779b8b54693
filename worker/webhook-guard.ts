import { lookup as dnsLookup, promises as dns } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Webhooks without SSRF (server-side request forgery): a county admin names the URL, the worker
 * POSTs to it from inside the platform's network. So only public addresses are reached: loopback,
 * private (RFC 1918), CGNAT, link-local (the cloud metadata services live there and in CGNAT),
 * unique-local, documentation, multicast, reserved and IPv4-in-IPv6 forms are refused, after DNS
 * resolution, both when the URL is registered and again at each delivery. At delivery the
 * connection goes to the very address that was checked (the check is the socket's DNS lookup),
 * so a name that resolves to a public address for the check and to 127.0.0.1 a moment later (DNS
 * rebinding) cannot slip through. An allow-list (`WEBHOOK_ALLOWED_HOSTS`: names, addresses or
 * CIDR blocks) admits receivers a deployment runs on its own network, and the tests' 127.0.0.1.
 */
const ipv4NonPublic: [string, number][] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // RFC 1918
  ['100.64.0.0', 10], // CGNAT (RFC 6598); also some clouds' metadata (100.100.100.200)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local; the metadata service 169.254.169.254
  ['172.16.0.0', 12], // RFC 1918
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // RFC 1918
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
];
const ipv6NonPublic: [string, number][] = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['::', 96], // IPv4-compatible (deprecated)
  ['::ffff:0:0', 96], // IPv4-mapped: would reach the IPv4 address behind it
  ['64:ff9b::', 96], // NAT64 (RFC 6052)
  ['64:ff9b:1::', 48], // local-use NAT64 (RFC 8215)
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments (Teredo and others)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['fc00::', 7], // unique local; e.g. the metadata service fd00:ec2::254
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

// One list per family: a BlockList also matches IPv4 addresses against IPv6 rules in their
// IPv4-mapped form, so `::/96` in a shared list would refuse every IPv4 address.
const nonPublicV4 = new BlockList();
const nonPublicV6 = new BlockList();
for (const [net, prefix] of ipv4NonPublic) nonPublicV4.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of ipv6NonPublic) nonPublicV6.addSubnet(net, prefix, 'ipv6');

const family = (ip: string): 'ipv4' | 'ipv6' => (isIP(ip) === 6 ? 'ipv6' : 'ipv4');

/** True for an address on the public internet (by the tables above). */
export function isPublicAddress(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) return !nonPublicV4.check(ip, 'ipv4');
  if (v === 6) return !nonPublicV6.check(ip, 'ipv6');
  return false;
}

/** A URL's host without IPv6 brackets, lower-cased: `http://[::1]/` → `::1`. */
export function hostOf(url: string | URL): string {
  const h = (typeof url === 'string' ? new URL(url) : url).hostname.toLowerCase();
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

export type AddressRefusal = 'not-public-address';

/** Thrown by the guarded lookup: the dispatcher records it as `not-public-address`. */
export class NotPublicAddressError extends Error {
  readonly code = 'EADDRNOTPUBLIC';
  constructor() {
    super('the webhook host does not resolve to a public address');
    this.name = 'NotPublicAddressError';
  }
}

export class AddressGuard {
  private readonly names = new Set<string>();
  private readonly allowed = new BlockList();

  /** `allow`: host names (exact), IP addresses or CIDR blocks (`10.0.0.0/8`, `fd00::/8`). */
  constructor(allow: readonly string[] = []) {
    for (const raw of allow) {
      const entry = raw.trim().toLowerCase();
      if (!entry) continue;
      const [net, bits] = entry.split('/');
      if (bits !== undefined && isIP(net!)) this.allowed.addSubnet(net!, Number(bits), family(net!));
      else if (isIP(entry)) this.allowed.addAddress(entry, family(entry));
      else this.names.add(entry);
    }
  }

  /** The address may be reached: public, or on the allow-list. */
  permits(ip: string): boolean {
    return isPublicAddress(ip) || (isIP(ip) !== 0 && this.allowed.check(ip, family(ip)));
  }

  /** The host is allow-listed by name: reached whatever it resolves to (the operator's choice). */
  private allowsName(host: string): boolean {
    return this.names.has(host);
  }

  /**
   * At registration: every address the URL's host resolves to must be permitted (one private
   * address among public ones is enough to refuse: the resolver may hand out either). A name that
   * does not resolve (yet: a receiver's DNS entry may come later) is accepted, since each delivery
   * checks again; `resolved: false` says so.
   */
  async check(url: string, timeoutMs = 3000): Promise<{ ok: true; resolved: boolean } | { ok: false; reason: AddressRefusal }> {
    const host = hostOf(url);
    if (this.allowsName(host)) return { ok: true, resolved: true };
    if (isIP(host)) return this.permits(host) ? { ok: true, resolved: true } : { ok: false, reason: 'not-public-address' };
    let timer: NodeJS.Timeout | undefined;
    try {
      const addresses = await Promise.race([
        dns.lookup(host, { all: true, verbatim: true }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
        }),
      ]);
      if (!addresses.length) return { ok: true, resolved: false };
      return addresses.every((a) => this.permits(a.address)) ? { ok: true, resolved: true } : { ok: false, reason: 'not-public-address' };
    } catch {
      return { ok: true, resolved: false };
    } finally {
      clearTimeout(timer);
    }
  }

  /** At delivery, before connecting to an address literal (the socket does no lookup for one). */
  literalRefused(url: string | URL): boolean {
    const host = hostOf(url);
    return isIP(host) !== 0 && !this.allowsName(host) && !this.permits(host);
  }

  /**
   * The socket's DNS lookup at delivery: resolves the name and fails with NotPublicAddressError
   * when any address is not permitted, so the connection can only go to a checked address.
   */
  lookupFor(host: string): LookupFunction {
    const allowName = this.allowsName(host);
    return (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true, verbatim: true }, (err, addresses) => {
        if (err) return callback(err, '', 0);
        const list = addresses as { address: string; family: number }[];
        if (!list.length || (!allowName && !list.every((a) => this.permits(a.address)))) {
          return callback(new NotPublicAddressError() as NodeJS.ErrnoException, '', 0);
        }
        if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
        return callback(null, list[0]!.address, list[0]!.family);
      });
    };
  }
}
