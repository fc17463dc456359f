package io.strata.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image assembly on a small made-up root and application (no apt, no jlink: those run in -Pimages, where
 * ImageSmokeIT starts the real images): what {@code docker load} would find in the tar.
 */
class ImageAssemblyTest {

  @TempDir
  Path dir;

  @Test
  void writesAnImageOfTheRootAndTheApplicationRunByANonRootUser() throws Exception {
    Path root = madeUpRoot();
    Path app = madeUpApplication();
    ImageSpec spec = new ImageSpec("strata-test", "a test image", app, "/opt/strata", 8000,
        Map.of("STRATA_HOST", "0.0.0.0"), List.of("/var/lib/strata"));
    Path tar = dir.resolve("image.tar");

    ImageAssembly.write(spec,
        List.of(DirectoryLayer.of("runtime-root", root, "/", Map.of("/var/lib/strata", ImageSpec.USER))),
        Map.of("io.strata.image.debian-packages", "libc6=1"), "1.2.3", tar, dir.resolve("cache"));

    ImageTar image = ImageTar.read(tar);
    assertThat(image.strings(image.manifest.get("RepoTags")))
        .containsExactlyInAnyOrder("strata-test:1.2.3", "strata-test:latest");
    var config = image.config.get("config");
    assertThat(config.get("User").asText()).isEqualTo("10001:10001");
    assertThat(image.strings(config.get("Entrypoint")))
        .containsExactly("/opt/java/bin/java", "-jar", "/opt/strata/quarkus-run.jar");
    assertThat(config.get("WorkingDir").asText()).isEqualTo("/opt/strata");
    assertThat(image.strings(config.get("Env")))
        .contains("STRATA_HOST=0.0.0.0", "JAVA_HOME=/opt/java", "LANG=C.UTF-8")
        .anyMatch(e -> e.startsWith("PATH=/opt/java/bin:"));
    assertThat(config.get("ExposedPorts").has("8000/tcp")).isTrue();
    assertThat(config.get("Labels").get("org.opencontainers.image.version").asText()).isEqualTo("1.2.3");
    assertThat(config.get("Labels").get("io.strata.image.debian-packages").asText()).isEqualTo("libc6=1");

    // root first, the application's libraries before its own code (they change least)
    assertThat(image.layers).hasSize(5);
    assertThat(image.layers.get(0)).containsKey("/lib64/ld-linux-x86-64.so.2");
    assertThat(image.layers.get(1)).containsKey("/opt/strata/lib/main/dependency.jar");
    assertThat(image.layers.get(4)).containsKey("/opt/strata/quarkus-run.jar");

    // an absolute link is the image's file, not the build machine's; a relative one too
    assertThat(new String(image.entry("/lib64/ld-linux-x86-64.so.2").content(), StandardCharsets.UTF_8))
        .isEqualTo("the image's loader");
    assertThat(new String(image.entry("/bin/sh").content(), StandardCharsets.UTF_8)).isEqualTo("a shell");
    assertThat(image.entry("/bin/sh").mode()).isEqualTo(0755);
    // the data directory is the application user's alone; everything else is root's
    ImageTar.Entry data = image.entry("/var/lib/strata");
    assertThat(data.directory()).isTrue();
    assertThat(data.uid()).isEqualTo(10001);
    assertThat(data.gid()).isEqualTo(10001);
    assertThat(data.mode()).isEqualTo(0700);
    assertThat(image.entry("/opt/strata/quarkus-run.jar").uid()).isZero();
    assertThat(image.entry("/bin/bash").uid()).isZero();
    assertThat(image.entry("/etc/passwd").mode()).isEqualTo(0644);
  }

  @Test
  void sameInputsGiveTheSameImage() throws Exception {
    Path root = madeUpRoot();
    Path app = madeUpApplication();
    ImageSpec spec = new ImageSpec("strata-test", "a test image", app, "/opt/strata", 8000, Map.of(), List.of());
    Path first = dir.resolve("first.tar");
    Path second = dir.resolve("second.tar");
    for (Path tar : List.of(first, second)) {
      ImageAssembly.write(spec, List.of(DirectoryLayer.of("runtime-root", root, "/", Map.of())), Map.of(), "1",
          tar, dir.resolve("cache-" + tar.getFileName()));
    }
    assertThat(ImageTar.read(first).manifest.get("Layers")).isEqualTo(ImageTar.read(second).manifest.get("Layers"));
  }

  @Test
  void refusesLinksOutOfTheRootAndLinksToNothing() throws Exception {
    Path root = Files.createDirectories(dir.resolve("escaping"));
    Files.createSymbolicLink(root.resolve("out"), Path.of("../../etc/passwd"));
    assertThatThrownBy(() -> DirectoryLayer.of("r", root, "/", Map.of()))
        .hasMessageContaining("leads out of");

    Path dangling = Files.createDirectories(dir.resolve("dangling"));
    Files.createSymbolicLink(dangling.resolve("nothing"), Path.of("/no/such/file"));
    assertThatThrownBy(() -> DirectoryLayer.of("r", dangling, "/", Map.of()))
        .hasMessageContaining("leads nowhere");

    Path loop = Files.createDirectories(dir.resolve("loop"));
    Files.createSymbolicLink(loop.resolve("a"), Path.of("b"));
    Files.createSymbolicLink(loop.resolve("b"), Path.of("a"));
    assertThatThrownBy(() -> DirectoryLayer.of("r", loop, "/", Map.of())).hasMessageContaining("loop");
  }

  @Test
  void refusesAnApplicationThatWasNotPackaged() {
    ImageSpec spec = new ImageSpec("strata-test", "d", dir.resolve("no-app"), "/opt/strata", 8000, Map.of(),
        List.of());
    assertThatThrownBy(() -> ImageAssembly.write(spec, List.of(), Map.of(), "1", dir.resolve("x.tar"),
        dir.resolve("cache"))).hasMessageContaining("holds no packaged application");
  }

  @Test
  void theTrustStoreHoldsEveryAuthorityAndIsReadLikeTheJdksOwn() throws Exception {
    Path authorities = Files.createDirectories(dir.resolve("usr/share/ca-certificates/mozilla"));
    try (InputStream in = getClass().getResourceAsStream("/test-authority.crt")) {
      Files.copy(in, authorities.resolve("Strata_Test_Authority.crt"));
    }
    Path runtime = dir.resolve("java");

    int count = JavaRuntime.writeTrustStore(dir.resolve("usr/share/ca-certificates"), runtime);

    assertThat(count).isEqualTo(1);
    // as the JDK reads cacerts: its default key store type, no password
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    try (InputStream in = Files.newInputStream(runtime.resolve("lib/security/cacerts"))) {
      store.load(in, null);
    }
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(store);
    X509TrustManager manager = (X509TrustManager) trust.getTrustManagers()[0];
    assertThat(manager.getAcceptedIssuers()).singleElement()
        .satisfies(c -> assertThat(c.getSubjectX500Principal().getName()).isEqualTo("CN=Strata test authority"));

    assertThatThrownBy(() -> JavaRuntime.writeTrustStore(Files.createDirectories(dir.resolve("empty")),
        dir.resolve("java2"))).hasMessageContaining("no certificate authorities");
  }

  /** Debian's layout in little: an absolute link to the loader, a relative one for the shell, the data dir. */
  private Path madeUpRoot() throws Exception {
    Path root = Files.createDirectories(dir.resolve("root"));
    Path libs = Files.createDirectories(root.resolve("lib/x86_64-linux-gnu"));
    Files.writeString(libs.resolve("ld-linux-x86-64.so.2"), "the image's loader");
    Files.createDirectories(root.resolve("lib64"));
    Files.createSymbolicLink(root.resolve("lib64/ld-linux-x86-64.so.2"),
        Path.of("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"));
    Path bash = Files.writeString(Files.createDirectories(root.resolve("bin")).resolve("bash"), "a shell");
    Files.setPosixFilePermissions(bash, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createDirectories(root.resolve("etc"));
    BuildImages.RootFiles.write(root);
    return root;
  }

  private Path madeUpApplication() throws Exception {
    Path app = Files.createDirectories(dir.resolve("quarkus-app"));
    Files.writeString(Files.createDirectories(app.resolve("lib/main")).resolve("dependency.jar"), "lib");
    Files.writeString(Files.createDirectories(app.resolve("lib/boot")).resolve("boot.jar"), "boot");
    Files.writeString(Files.createDirectories(app.resolve("quarkus")).resolve("generated-bytecode.jar"), "gen");
    Files.writeString(Files.createDirectories(app.resolve("app")).resolve("strata.jar"), "app");
    Files.writeString(app.resolve("quarkus-run.jar"), "run");
    return app;
  }
}
