package io.strata.server.reactors.webhooks;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The SSRF guard: a webhook is a request the server makes to a URL a client chose, so it must not
 * reach what only the server can (its loopback, the private network, a cloud's metadata service).
 * Addresses that are loopback, unspecified, private (10/8, 172.16/12, 192.168/16, fc00::/7),
 * link-local (169.254/16 with the metadata address 169.254.169.254, fe80::/10), CGNAT (100.64/10),
 * multicast or reserved (240/4, broadcast), and the IPv6 forms that embed such an IPv4 address
 * (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16), are refused unless the operator
 * allows them ({@code STRATA_WEBHOOKS_ALLOWED_HOSTS}: host names, or CIDRs).
 *
 * <p>The sender resolves the host, checks every address, and connects to the checked one (naming the
 * host only in {@code Host} and TLS SNI), so a DNS answer that changes between the check and the
 * connection (DNS rebinding) cannot lead it elsewhere.
 */
public final class AddressGuard {
  private final List<String> allowedHosts = new ArrayList<>();
  private final List<Cidr> allowedNetworks = new ArrayList<>();

  /** @param allowed host names (any case) and CIDRs ({@code 10.0.0.0/8}, {@code ::1/128}, a bare address) */
  public AddressGuard(List<String> allowed) {
    for (String entry : allowed) {
      String e = entry.trim();
      if (e.isEmpty()) {
        continue;
      }
      Optional<Cidr> cidr = Cidr.parse(e);
      if (cidr.isPresent()) {
        allowedNetworks.add(cidr.get());
      } else {
        allowedHosts.add(stripDot(e.toLowerCase(Locale.ROOT)));
      }
    }
  }

  /** Whether a host name (as the URL has it) is allowed whatever it resolves to. */
  public boolean hostAllowed(String host) {
    return allowedHosts.contains(stripDot(host.toLowerCase(Locale.ROOT)));
  }

  /** Why {@code address} may not be called (empty: it may). */
  public Optional<String> refusal(InetAddress address) {
    if (allowedNetworks.stream().anyMatch(n -> n.contains(address))) {
      return Optional.empty();
    }
    return forbiddenKind(address).map(kind -> kind + " address " + address.getHostAddress()
        + " (not in STRATA_WEBHOOKS_ALLOWED_HOSTS)");
  }

  /**
   * Resolves {@code host} (blocking: call it off the event loop) and checks every address it has:
   * one forbidden address refuses the host, since a resolver may answer either.
   *
   * @throws Refused when an address is forbidden or the host does not resolve
   */
  public InetAddress resolve(String host) throws Refused {
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(host);
    } catch (UnknownHostException e) {
      throw new Refused("host '" + host + "' does not resolve");
    } catch (SecurityException e) {
      throw new Refused("host '" + host + "' may not be resolved");
    }
    if (addresses.length == 0) {
      throw new Refused("host '" + host + "' does not resolve");
    }
    if (hostAllowed(host)) {
      return addresses[0];
    }
    for (InetAddress a : addresses) {
      Optional<String> why = refusal(a);
      if (why.isPresent()) {
        throw new Refused("host '" + host + "' resolves to a " + why.get());
      }
    }
    return addresses[0];
  }

  /** The kind of an address webhooks may not reach by default, or empty. */
  static Optional<String> forbiddenKind(InetAddress a) {
    if (a instanceof Inet6Address v6) {
      byte[] b = v6.getAddress();
      Optional<InetAddress> embedded = embeddedIpv4(b);
      if (embedded.isPresent()) {
        return forbiddenKind(embedded.get()).map(k -> k + " (embedded in IPv6)");
      }
      if (a.isLoopbackAddress()) {
        return Optional.of("a loopback");
      }
      if (a.isAnyLocalAddress()) {
        return Optional.of("an unspecified");
      }
      if (a.isLinkLocalAddress()) {
        return Optional.of("a link-local");
      }
      if ((b[0] & 0xfe) == 0xfc) {
        return Optional.of("a private (unique local)");
      }
      if ((b[0] & 0xff) == 0xfe && (b[1] & 0xc0) == 0xc0) {
        return Optional.of("a site-local");
      }
      if (a.isMulticastAddress()) {
        return Optional.of("a multicast");
      }
      if ((b[0] & 0xff) == 0x20 && (b[1] & 0xff) == 0x01 && (b[2] & 0xff) == 0x0d && (b[3] & 0xff) == 0xb8) {
        return Optional.of("a documentation");
      }
      return Optional.empty();
    }
    byte[] b = a.getAddress();
    int o0 = b[0] & 0xff;
    int o1 = b[1] & 0xff;
    if (a.isAnyLocalAddress() || o0 == 0) {
      return Optional.of("an unspecified");
    }
    if (a.isLoopbackAddress() || o0 == 127) {
      return Optional.of("a loopback");
    }
    if (o0 == 169 && o1 == 254) {
      return Optional.of(o0 == 169 && o1 == 254 && (b[2] & 0xff) == 169 && (b[3] & 0xff) == 254
          ? "a cloud metadata" : "a link-local");
    }
    if (o0 == 10 || (o0 == 172 && (o1 & 0xf0) == 16) || (o0 == 192 && o1 == 168)) {
      return Optional.of("a private");
    }
    if (o0 == 100 && (o1 & 0xc0) == 64) {
      return Optional.of("a shared (CGNAT)");
    }
    if (o0 == 192 && o1 == 0 && (b[2] & 0xff) == 0) {
      return Optional.of("an IETF protocol");
    }
    if (o0 == 198 && (o1 & 0xfe) == 18) {
      return Optional.of("a benchmarking");
    }
    if (a.isMulticastAddress()) {
      return Optional.of("a multicast");
    }
    if (o0 >= 240) {
      return Optional.of("a reserved");
    }
    return Optional.empty();
  }

  /** The IPv4 address an IPv6 one stands for: IPv4-mapped, IPv4-compatible, NAT64 or 6to4. */
  private static Optional<InetAddress> embeddedIpv4(byte[] b) {
    boolean zeros80 = true;
    for (int i = 0; i < 10; i++) {
      zeros80 &= b[i] == 0;
    }
    boolean mapped = zeros80 && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
    boolean compatible = zeros80 && b[10] == 0 && b[11] == 0 && !(b[12] == 0 && b[13] == 0 && b[14] == 0);
    boolean nat64 = (b[0] & 0xff) == 0x00 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b;
    try {
      if (mapped || compatible || nat64) {
        return Optional.of(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}));
      }
      if ((b[0] & 0xff) == 0x20 && (b[1] & 0xff) == 0x02) {
        return Optional.of(InetAddress.getByAddress(new byte[] {b[2], b[3], b[4], b[5]}));
      }
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // four bytes are always an address
    }
    return Optional.empty();
  }

  private static String stripDot(String host) {
    return host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
  }

  /** A network: an address and a prefix length. */
  record Cidr(byte[] network, int prefix) {
    static Optional<Cidr> parse(String text) {
      int slash = text.indexOf('/');
      String address = slash < 0 ? text : text.substring(0, slash);
      if (!looksNumeric(address)) {
        return Optional.empty();
      }
      try {
        byte[] bytes = InetAddress.getByName(address).getAddress(); // a literal: no lookup
        int prefix = slash < 0 ? bytes.length * 8 : Integer.parseInt(text.substring(slash + 1));
        if (prefix < 0 || prefix > bytes.length * 8) {
          throw new IllegalArgumentException("bad prefix length in '" + text + "'");
        }
        return Optional.of(new Cidr(bytes, prefix));
      } catch (UnknownHostException | NumberFormatException e) {
        throw new IllegalArgumentException("STRATA_WEBHOOKS_ALLOWED_HOSTS: '" + text + "' is no address or CIDR");
      }
    }

    private static boolean looksNumeric(String s) {
      return s.contains(":") || s.matches("[0-9.]+");
    }

    boolean contains(InetAddress a) {
      byte[] b = a.getAddress();
      if (b.length != network.length) {
        return false;
      }
      int bits = prefix;
      for (int i = 0; i < b.length && bits > 0; i++, bits -= 8) {
        int mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
        if ((b[i] & mask) != (network[i] & mask)) {
          return false;
        }
      }
      return true;
    }
  }

  /** A URL the server will not call, and why. */
  public static final class Refused extends Exception {
    public Refused(String message) {
      super(message, null, false, false);
    }
  }
}
