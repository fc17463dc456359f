package io.strata.server.reactors.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The SSRF guard without an allow-list (the default), and with one. */
class AddressGuardTest {
  private static final AddressGuard DEFAULT = new AddressGuard(List.of());

  @Test
  void loopbackPrivateLinkLocalMetadataAndTheirIpv6FormsAreRefusedByDefault() throws Exception {
    for (String a : List.of("127.0.0.1", "127.1.2.3", "::1", "0.0.0.0", "::", "10.1.2.3", "172.16.0.1",
        "172.31.255.255", "192.168.0.1", "169.254.169.254", "169.254.1.1", "fe80::1", "fc00::1", "fd12:3456::1",
        "100.64.0.1", "100.127.255.255", "224.0.0.1", "ff02::1", "255.255.255.255", "::ffff:127.0.0.1",
        "::ffff:169.254.169.254", "::127.0.0.1", "64:ff9b::7f00:1", "2002:a9fe:a9fe::1", "fec0::1")) {
      assertThat(DEFAULT.refusal(InetAddress.getByName(a))).as(a).isPresent();
    }
    assertThat(DEFAULT.refusal(InetAddress.getByName("169.254.169.254")).get()).contains("metadata");
  }

  @Test
  void publicAddressesPass() throws Exception {
    for (String a : List.of("8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111",
        "::ffff:8.8.8.8")) {
      assertThat(DEFAULT.refusal(InetAddress.getByName(a))).as(a).isEmpty();
    }
  }

  @Test
  void theHostIsRefusedWhenItResolvesToAForbiddenAddress() {
    assertThatThrownBy(() -> DEFAULT.resolve("localhost")).isInstanceOf(AddressGuard.Refused.class)
        .hasMessageContaining("loopback");
    assertThatThrownBy(() -> DEFAULT.resolve("127.0.0.1")).isInstanceOf(AddressGuard.Refused.class);
    assertThatThrownBy(() -> DEFAULT.resolve("no-such-host.invalid")).isInstanceOf(AddressGuard.Refused.class)
        .hasMessageContaining("does not resolve");
  }

  @Test
  void theOperatorsAllowListOpensNetworksAndHosts() throws Exception {
    AddressGuard guard = new AddressGuard(List.of("127.0.0.0/8", "10.1.0.0/16", "::1", " Hooks.Internal. "));
    assertThat(guard.refusal(InetAddress.getByName("127.0.0.1"))).isEmpty();
    assertThat(guard.refusal(InetAddress.getByName("::1"))).isEmpty();
    assertThat(guard.refusal(InetAddress.getByName("10.1.200.3"))).isEmpty();
    assertThat(guard.refusal(InetAddress.getByName("10.2.0.1"))).isPresent();
    assertThat(guard.refusal(InetAddress.getByName("169.254.169.254"))).isPresent();
    assertThat(guard.hostAllowed("hooks.internal")).isTrue();
    assertThat(guard.resolve("localhost").isLoopbackAddress()).isTrue();
    assertThatThrownBy(() -> new AddressGuard(List.of("10.0.0.0/40"))).isInstanceOf(IllegalArgumentException.class);
  }
}
