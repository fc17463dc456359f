package io.strata.images;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

/**
 * The images' Java runtime: jlink of the JDK running the build (its {@code jmods/}), the modules the two Quarkus
 * applications use and the diagnostics an operator reaches for ({@code jcmd}, JFR), without debug symbols, man pages
 * or headers; and a trust store of the certificate authorities Debian ships (the build JDK's own {@code cacerts}
 * may be a link into its machine's {@code /etc}, which the image does not have).
 */
final class JavaRuntime {

  /**
   * Java SE whole (libraries reach for java.rmi, java.beans, java.sql at class-loading time, and jdeps cannot
   * compute the set over Quarkus' modular jars), and of the JDK's own modules those a server uses or an operator
   * reaches for: crypto providers, DNS, JFR, jcmd. Checked by starting both images (ImageSmokeIT).
   */
  static final List<String> MODULES = List.of(
      "java.se", "jdk.charsets", "jdk.crypto.cryptoki", "jdk.crypto.ec", "jdk.jcmd", "jdk.jfr", "jdk.localedata",
      "jdk.management", "jdk.management.jfr", "jdk.naming.dns", "jdk.net", "jdk.security.auth", "jdk.unsupported",
      "jdk.zipfs");

  /** The password every JDK's cacerts has; a trust store holds no secret. */
  private static final char[] TRUST_STORE_PASSWORD = "changeit".toCharArray();

  private JavaRuntime() {
  }

  /** Links the runtime into {@code output} (which must not exist); answers the linked JDK's version. */
  static String link(Path output) throws IOException {
    Path jmods = Path.of(System.getProperty("java.home"), "jmods");
    if (!Files.isDirectory(jmods)) {
      throw new IOException("the JDK running Maven (" + System.getProperty("java.home") + ") has no jmods/ to link"
          + " a runtime from: install them (Debian: openjdk-17-jmods) or set JAVA_HOME to a JDK that has them");
    }
    ToolProvider jlink = ToolProvider.findFirst("jlink")
        .orElseThrow(() -> new IOException("the JDK running Maven has no jlink"));
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
    int status = jlink.run(out, out,
        "--module-path", jmods.toString(),
        "--add-modules", String.join(",", MODULES),
        "--strip-debug", "--no-man-pages", "--no-header-files", "--compress=2",
        "--output", output.toString());
    if (status != 0) {
      throw new IOException("jlink failed (" + status + "):\n" + log.toString(StandardCharsets.UTF_8));
    }
    return System.getProperty("java.runtime.version");
  }

  /**
   * Writes {@code lib/security/cacerts} of the runtime: every certificate under {@code certificates} (Debian's
   * {@code usr/share/ca-certificates}) as a trusted entry. JKS, which the JDK's PKCS12 key store reads too
   * (keystore.type.compat) without a password, as it reads its own cacerts.
   */
  static int writeTrustStore(Path certificates, Path runtime) throws IOException, GeneralSecurityException {
    KeyStore store = KeyStore.getInstance("JKS");
    store.load(null, null);
    CertificateFactory x509 = CertificateFactory.getInstance("X.509");
    List<Path> files;
    try (Stream<Path> walk = Files.walk(certificates)) {
      files = walk.filter(f -> f.getFileName().toString().endsWith(".crt")).sorted().toList();
    }
    for (Path file : files) {
      try (InputStream in = Files.newInputStream(file)) {
        for (Certificate certificate : x509.generateCertificates(in)) {
          String alias = file.getFileName().toString().replaceFirst("\\.crt$", "").toLowerCase();
          store.setCertificateEntry(store.containsAlias(alias) ? alias + "-" + store.size() : alias, certificate);
        }
      }
    }
    if (store.size() == 0) {
      throw new IOException("no certificate authorities under " + certificates);
    }
    Path cacerts = runtime.resolve("lib/security/cacerts");
    Files.createDirectories(cacerts.getParent());
    try (OutputStream out = Files.newOutputStream(cacerts)) {
      store.store(out, TRUST_STORE_PASSWORD);
    }
    return store.size();
  }
}
