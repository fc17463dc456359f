package io.strata.server.reactors.webhooks;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Whom webhook receivers' certificates may chain to: the JDK's certificate authorities and, with
 * STRATA_WEBHOOKS_TRUSTED_CERTIFICATES, an operator's own (an internal CA for receivers inside the
 * company). A certificate is accepted when either trusts it; the host name is checked either way
 * (the extended checks take the connection, which carries the host to verify).
 */
final class ReceiverTrust extends X509ExtendedTrustManager {
  private final X509ExtendedTrustManager jdk;
  private final X509ExtendedTrustManager operator;

  private ReceiverTrust(X509ExtendedTrustManager jdk, X509ExtendedTrustManager operator) {
    this.jdk = jdk;
    this.operator = operator;
  }

  /**
   * The JDK's authorities and those of the PEM files {@code paths}; refuses (at start-up) a file it
   * cannot read or that holds no certificate, rather than deliver to fewer receivers than meant.
   */
  static ReceiverTrust of(List<Path> paths) {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      CertificateFactory x509 = CertificateFactory.getInstance("X.509");
      int n = 0;
      for (Path path : paths) {
        Collection<? extends Certificate> found;
        try (InputStream in = Files.newInputStream(path)) {
          found = x509.generateCertificates(in);
        } catch (IOException | CertificateException e) {
          throw new IllegalArgumentException("STRATA_WEBHOOKS_TRUSTED_CERTIFICATES: cannot read " + path + ": "
              + e.getMessage(), e);
        }
        if (found.isEmpty()) {
          throw new IllegalArgumentException("STRATA_WEBHOOKS_TRUSTED_CERTIFICATES: no certificate in " + path);
        }
        for (Certificate c : found) {
          store.setCertificateEntry("operator-" + n++, c);
        }
      }
      return new ReceiverTrust(managerOf(null), managerOf(store));
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("the JDK's trust managers are unavailable", e);
    }
  }

  /** The PKIX trust manager of {@code store} (null: the JDK's own authorities). */
  private static X509ExtendedTrustManager managerOf(KeyStore store) throws GeneralSecurityException {
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    for (TrustManager m : factory.getTrustManagers()) {
      if (m instanceof X509ExtendedTrustManager x) {
        return x;
      }
    }
    throw new GeneralSecurityException("no X.509 trust manager");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    byEither(m -> m.checkServerTrusted(chain, authType, engine));
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    byEither(m -> m.checkServerTrusted(chain, authType, socket));
  }

  private interface Check {
    void by(X509ExtendedTrustManager manager) throws CertificateException;
  }

  /** Passes if the JDK's authorities or the operator's pass the check; else fails with both reasons. */
  private void byEither(Check check) throws CertificateException {
    try {
      check.by(jdk);
    } catch (CertificateException notByTheJdk) {
      try {
        check.by(operator);
      } catch (CertificateException notByTheOperator) {
        notByTheOperator.addSuppressed(notByTheJdk);
        throw notByTheOperator;
      }
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("a receiver's certificate is checked with its connection (host name included)");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return Stream.concat(Arrays.stream(jdk.getAcceptedIssuers()), Arrays.stream(operator.getAcceptedIssuers()))
        .toArray(X509Certificate[]::new);
  }

  // the sender is a client only: it never checks a client's certificate

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    throw new CertificateException("webhooks do not take client certificates");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw new CertificateException("webhooks do not take client certificates");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("webhooks do not take client certificates");
  }
}
