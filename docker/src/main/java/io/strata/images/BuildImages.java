package io.strata.images;

import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Builds {@code strata-server} and {@code strata-promotion} as image tars in the target directory, without a Docker
 * daemon or a registry: the machine's apt sources and JDK are the only inputs beside the packaged applications.
 *
 * <p>Arguments: the repository's root, the output directory, the version to tag.
 */
public final class BuildImages {

  private BuildImages() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      throw new IllegalArgumentException("usage: BuildImages <repository root> <output directory> <version>");
    }
    String arch = System.getProperty("os.arch");
    if (!"amd64".equals(arch) && !"x86_64".equals(arch)) {
      // the image is labelled linux/amd64 (Jib's default) and its content is this machine's packages and JDK
      throw new IllegalStateException("the images are built on linux/amd64 only, not on " + arch);
    }
    Path repository = Path.of(args[0]).toAbsolutePath().normalize();
    Path output = Path.of(args[1]).toAbsolutePath().normalize();
    String version = args[2];
    Path work = output.resolve("image-work");
    DebianRoot.delete(work);

    Path root = work.resolve("root");
    Map<String, String> packages = DebianRoot.assemble(work.resolve("debs"), root);
    RootFiles.write(root);

    Path runtime = work.resolve("java");
    String javaVersion = JavaRuntime.link(runtime);
    Path certificates = work.resolve("ca-certificates");
    String certificatesVersion = DebianRoot.certificates(work.resolve("debs"), certificates);
    int authorities = JavaRuntime.writeTrustStore(certificates.resolve("usr/share/ca-certificates"), runtime);
    System.out.println("[images] Debian " + packages + ", Java " + javaVersion + ", " + authorities
        + " certificate authorities (ca-certificates " + certificatesVersion + ")");

    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("io.strata.image.debian-packages", packages.entrySet().stream()
        .map(p -> p.getKey() + "=" + p.getValue()).collect(Collectors.joining(" ")));
    labels.put("io.strata.image.java-runtime", javaVersion);

    for (ImageSpec spec : List.of(ImageSpec.server(repository), ImageSpec.promotion(repository))) {
      Map<String, String> owners = new LinkedHashMap<>();
      spec.writable().forEach(dir -> owners.put(dir, ImageSpec.USER));
      List<FileEntriesLayer> shared = List.of(
          DirectoryLayer.of("runtime-root", root, "/", owners),
          DirectoryLayer.of("java-runtime", runtime, ImageAssembly.JAVA_HOME, Map.of()));
      Path tar = output.resolve(spec.name().replace('/', '-') + "-image.tar");
      ImageAssembly.write(spec, shared, labels, version, tar, work.resolve("jib-cache"));
      System.out.println("[images] " + spec.name() + ":" + version + " (and :latest) in " + tar
          + " (" + Files.size(tar) / (1024 * 1024) + " MiB)");
    }
  }

  /** What a Debian base image would hold beside the packages: users, name service, and empty mount points. */
  static final class RootFiles {

    private RootFiles() {
    }

    static void write(Path root) throws IOException {
      // /bin/sh: pg_ctl starts PostgreSQL with it (Debian's dash package would bring dpkg scripts along)
      Files.createSymbolicLink(root.resolve("bin/sh"), Path.of("bash"));
      Path etc = Files.createDirectories(root.resolve("etc"));
      Files.writeString(etc.resolve("passwd"), "root:x:0:0:root:/root:/usr/sbin/nologin\n"
          + "strata:x:10001:10001:Strata:/var/lib/strata:/usr/sbin/nologin\n", StandardCharsets.UTF_8);
      Files.writeString(etc.resolve("group"), "root:x:0:\nstrata:x:10001:\n", StandardCharsets.UTF_8);
      Files.writeString(etc.resolve("nsswitch.conf"), "passwd: files\ngroup: files\nhosts: files dns\n",
          StandardCharsets.UTF_8);
      // mount points the container runtime fills; /tmp is writable by all (Jib writes no sticky bit: with one
      // user in the container that is all it would add; a read-only root needs a volume there anyway)
      for (String dir : List.of("dev", "proc", "sys", "tmp", "root")) {
        Files.createDirectories(root.resolve(dir));
      }
      Files.setPosixFilePermissions(root.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
      Files.setPosixFilePermissions(root.resolve("root"), PosixFilePermissions.fromString("rwx------"));
      Path data = Files.createDirectories(root.resolve("var/lib/strata"));
      Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
    }
  }
}
