package io.strata.server.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Where the listener may bind: loopback by default; open addresses only with auth, or with an explicit open API. */
class ListenerPolicyTest {
  @Test
  void theDefaultListenerIsLoopback() throws Exception {
    assertThat(ListenerPolicy.check(null, null)).isEqualTo(new ListenerPolicy.Verdict(true, null));
    // the packaged configuration's default host (quarkus.http.host=${STRATA_HOST:127.0.0.1})
    java.util.Properties p = new java.util.Properties();
    try (var in = java.nio.file.Files.newInputStream(java.nio.file.Path.of("src/main/resources/application.properties"))) {
      p.load(in);
    }
    assertThat(p.getProperty("quarkus.http.host")).isEqualTo("${STRATA_HOST:127.0.0.1}");
  }

  @Test
  void aLoopbackHostNeedsNothing() {
    for (String host : new String[] {"127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3"}) {
      assertThat(ListenerPolicy.check(null, host).start()).as(host).isTrue();
      assertThat(ListenerPolicy.check(null, host).message()).as(host).isNull();
    }
  }

  @Test
  void anOpenAddressWithAuthUnsetRefusesToStart() {
    ListenerPolicy.Verdict v = ListenerPolicy.check(null, "0.0.0.0");
    assertThat(v.start()).isFalse();
    assertThat(v.message()).contains("STRATA_HOST=0.0.0.0").contains("STRATA_AUTH=token").contains("STRATA_AUTH=none");
    assertThat(ListenerPolicy.check(null, "10.0.0.5").start()).isFalse();
    assertThat(ListenerPolicy.check(null, "127.0.0.1.evil.example").start()).isFalse();
  }

  @Test
  void anExplicitOpenApiStartsAndSaysSo() {
    ListenerPolicy.Verdict v = ListenerPolicy.check("none", "0.0.0.0");
    assertThat(v.start()).isTrue();
    assertThat(v.message()).contains("OPEN").contains("0.0.0.0");
  }

  @Test
  void tokenModeMayListenAnywhere() {
    assertThat(ListenerPolicy.check("token", "0.0.0.0")).isEqualTo(new ListenerPolicy.Verdict(true, null));
  }

  @Test
  void anUnknownModeRefusesToStart() {
    ListenerPolicy.Verdict v = ListenerPolicy.check("oidc", null);
    assertThat(v.start()).isFalse();
    assertThat(v.message()).contains("'none' or 'token'");
  }
}
