package io.strata.images;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The images' root file system below the Java runtime: Debian's packages of the C and C++ runtime libraries the JVM
 * and the embedded PostgreSQL link against, and bash (PostgreSQL's pg_ctl starts the server through /bin/sh, and the
 * compose file's health check speaks HTTP in bash). Nothing else: no package manager, no coreutils, no curl.
 *
 * <p>The packages come from the build machine's apt sources ({@code apt-get download}, which checks their
 * signatures); the versions taken are recorded in the image's labels. Their copyright files stay, documentation
 * and translations go.
 */
final class DebianRoot {

  /** What the JVM (libjvm: libstdc++, libgcc_s, libm, libc; libzip: libz) and PostgreSQL need, and a shell. */
  static final List<String> PACKAGES = List.of("libc6", "libgcc-s1", "libstdc++6", "zlib1g", "libtinfo6", "bash");

  /**
   * Packages of which only some paths are taken: glibc's C.UTF-8 locale (the images' LANG; PostgreSQL's initdb
   * refuses a locale it cannot load, and only plain C is built into glibc), and copyright files other packages'
   * documentation links to.
   */
  static final Map<String, List<String>> PARTS = Map.of(
      "libc-bin", List.of("usr/lib/locale/C.utf8", "usr/share/doc/libc-bin/copyright"),
      // libgcc-s1's and libstdc++6's documentation is a link to gcc-12-base's: its copyright file, for theirs
      "gcc-12-base", List.of("usr/share/doc/gcc-12-base/copyright"));

  /** Trusted certificate authorities: read into the Java runtime's trust store, not installed. */
  static final String CERTIFICATES = "ca-certificates";

  private static final List<String> PRUNED = List.of(
      "usr/share/man", "usr/share/info", "usr/share/locale", "usr/share/lintian", "usr/share/bash-completion",
      "usr/share/menu", "usr/share/bug", "usr/lib/x86_64-linux-gnu/gconv");

  private DebianRoot() {
  }

  /** Downloads and unpacks {@link #PACKAGES} into {@code root}; answers package name → version. */
  static Map<String, String> assemble(Path downloads, Path root) throws IOException, InterruptedException {
    Map<String, String> versions = new LinkedHashMap<>();
    for (Path deb : download(downloads, PACKAGES)) {
      versions.put(field(deb, "Package"), field(deb, "Version"));
      run(downloads, "dpkg-deb", "-x", deb.toString(), root.toString());
    }
    for (Map.Entry<String, List<String>> part : PARTS.entrySet()) {
      Path deb = download(downloads, List.of(part.getKey())).get(0);
      versions.put(part.getKey(), field(deb, "Version") + " (" + String.join(", ", part.getValue()) + ")");
      Path unpacked = downloads.resolve(part.getKey());
      run(downloads, "dpkg-deb", "-x", deb.toString(), unpacked.toString());
      for (String path : part.getValue()) {
        Files.createDirectories(root.resolve(path).getParent());
        Files.move(unpacked.resolve(path), root.resolve(path));
      }
    }
    prune(root);
    return versions;
  }

  /** Downloads and unpacks the certificate authorities' package into {@code into}; answers its version. */
  static String certificates(Path downloads, Path into) throws IOException, InterruptedException {
    Path deb = download(downloads, List.of(CERTIFICATES)).get(0);
    run(downloads, "dpkg-deb", "-x", deb.toString(), into.toString());
    return field(deb, "Version");
  }

  private static List<Path> download(Path downloads, List<String> packages) throws IOException, InterruptedException {
    Files.createDirectories(downloads);
    List<String> command = new ArrayList<>(List.of("apt-get", "download"));
    command.addAll(packages);
    run(downloads, command.toArray(String[]::new));
    List<Path> debs = new ArrayList<>();
    for (String name : packages) {
      try (Stream<Path> files = Files.list(downloads)) {
        debs.add(files.filter(f -> f.getFileName().toString().startsWith(name + "_")
                && f.getFileName().toString().endsWith(".deb"))
            .max(Path::compareTo)
            .orElseThrow(() -> new IOException("apt-get download left no package " + name + " in " + downloads)));
      }
    }
    return debs;
  }

  private static void prune(Path root) throws IOException {
    for (String dir : PRUNED) {
      delete(root.resolve(dir));
    }
    Path doc = root.resolve("usr/share/doc");
    if (Files.isDirectory(doc)) {
      try (Stream<Path> files = Files.walk(doc)) {
        for (Path f : files.sorted((a, b) -> b.compareTo(a)).toList()) {
          if (!Files.isDirectory(f) && !f.getFileName().toString().equals("copyright")) {
            Files.delete(f);
          }
        }
      }
    }
  }

  static void delete(Path path) throws IOException {
    if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> files = Files.walk(path)) {
      for (Path f : files.sorted((a, b) -> b.compareTo(a)).toList()) {
        Files.delete(f);
      }
    }
  }

  private static String field(Path deb, String name) throws IOException, InterruptedException {
    return run(deb.getParent(), "dpkg-deb", "-f", deb.toString(), name).strip();
  }

  /** Runs a Debian tool; its failure names the tool and what it printed (say, a machine without apt). */
  private static String run(Path directory, String... command) throws IOException, InterruptedException {
    Process process;
    try {
      process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException(command[0] + " is needed to assemble the images (a Debian or Ubuntu machine): "
          + e.getMessage(), e);
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + " failed:\n" + output);
    }
    return output;
  }
}
