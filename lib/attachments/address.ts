import dns, { type LookupAddress, type LookupAllOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Agent } from '#lib/undici.ts';

/**
 * The IP rule for attachment downloads: a helpdesk URL must never make the worker reach its own
 * network (the Lambda metadata endpoint, a VPC service, localhost). Checked on every resolved
 * address at connect time, so a public-looking name that resolves to 10.x or 169.254.169.254 is
 * refused too, not only IP literals.
 */

/** IPv4 ranges that are not public unicast (RFC 6890 and friends). */
const RESTRICTED_IPV4: [string, number][] = [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, including the instance metadata endpoint
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, including broadcast
];

const RESTRICTED_IPV6: [string, number][] = [
  ['::', 96], // unspecified, loopback and the deprecated IPv4-compatible form
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001::', 32], // Teredo: the client address inside is obfuscated, so the whole range goes
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local (AWS's IPv6 metadata endpoint fd00:ec2::254 is here)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // deprecated site-local
  ['ff00::', 8], // multicast
];

/** `a.b.c.d` → `hhhh:hhhh`, to write an IPv4 range embedded in an IPv6 prefix. */
function hexGroups(ipv4: string): string {
  const [a = 0, b = 0, c = 0, d = 0] = ipv4.split('.').map(Number);
  return `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

const restricted = new BlockList();
for (const [network, prefix] of RESTRICTED_IPV4) {
  restricted.addSubnet(network, prefix, 'ipv4');
  // The same range reached through NAT64 (DNS64 in an IPv6-only VPC) or 6to4. IPv4-mapped
  // addresses (::ffff:10.0.0.1) need nothing extra: BlockList matches them against IPv4 rules.
  restricted.addSubnet(`64:ff9b::${hexGroups(network)}`, 96 + prefix, 'ipv6');
  restricted.addSubnet(`2002:${hexGroups(network)}::`, 16 + prefix, 'ipv6');
}
for (const [network, prefix] of RESTRICTED_IPV6) restricted.addSubnet(network, prefix, 'ipv6');

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * True when `address` is not a public unicast address. `allowLoopback` (tests and local runs only)
 * lets 127.0.0.0/8 and ::1 through; every other private range stays refused. Anything that is not
 * an IP address counts as restricted.
 */
export function isRestrictedAddress(address: string, allowLoopback = false): boolean {
  const plain = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(plain);
  if (family === 0) return true;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (allowLoopback && loopback.check(plain, type)) return false;
  return restricted.check(plain, type);
}

/** A name resolved to an address the worker must not reach. */
export class RestrictedAddressError extends Error {
  override readonly name = 'RestrictedAddressError';
  readonly code = 'ERR_RESTRICTED_ADDRESS';
  readonly hostname: string;

  constructor(hostname: string) {
    super(`${hostname} resolves to a private or local address`);
    this.hostname = hostname;
  }
}

/** `dns.lookup` with `all: true`: the shape the guard needs, so tests can pass a fake resolver. */
export type Resolver = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export interface GuardOptions {
  allowLoopback?: boolean;
  resolve?: Resolver;
}

/**
 * A `lookup` for net/tls.connect that resolves every address of the name and refuses the
 * connection when any of them is restricted: checking only the first would let a DNS answer that
 * mixes a public and a private address through on the next attempt (happy eyeballs tries several).
 */
export function guardedLookup(options: GuardOptions = {}): LookupFunction {
  const resolve: Resolver = options.resolve ?? dns.lookup;
  return (hostname, lookupOptions, callback) => {
    resolve(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const first = addresses[0];
      if (!first) {
        return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
      }
      if (addresses.some(({ address }) => isRestrictedAddress(address, options.allowLoopback))) {
        return callback(new RestrictedAddressError(hostname), []);
      }
      if (lookupOptions.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}

/** An undici Agent whose connections pass through guardedLookup. */
export function createGuardedAgent(options: GuardOptions = {}): Agent {
  return new Agent({ connect: { lookup: guardedLookup(options) }, keepAliveTimeout: 10_000 });
}
