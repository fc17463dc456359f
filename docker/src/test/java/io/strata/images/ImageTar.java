package io.strata.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/** An image tar as {@code docker load} reads it: its manifest, its configuration, and its layers' entries. */
final class ImageTar {

  /** One file or directory of a layer. */
  record Entry(String path, boolean directory, int mode, long uid, long gid, byte[] content) {
  }

  final JsonNode manifest;
  final JsonNode config;
  /** Layer by layer, bottom first: path → entry. */
  final List<Map<String, Entry>> layers = new ArrayList<>();

  private ImageTar(JsonNode manifest, JsonNode config) {
    this.manifest = manifest;
    this.config = config;
  }

  static ImageTar read(Path tar) throws IOException {
    Map<String, byte[]> files = new HashMap<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(tar))) {
      for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        files.put(e.getName(), in.readAllBytes());
      }
    }
    ObjectMapper json = new ObjectMapper();
    JsonNode manifest = json.readTree(files.get("manifest.json")).get(0);
    ImageTar image = new ImageTar(manifest, json.readTree(files.get(manifest.get("Config").asText())));
    for (JsonNode layer : manifest.get("Layers")) {
      Map<String, Entry> entries = new LinkedHashMap<>();
      try (TarArchiveInputStream in = new TarArchiveInputStream(
          new GZIPInputStream(new java.io.ByteArrayInputStream(files.get(layer.asText()))))) {
        for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
          String path = "/" + e.getName().replaceAll("/$", "");
          if (!e.isDirectory() && !e.isFile()) {
            throw new IOException("an image layer holds " + path + ", neither file nor directory");
          }
          entries.put(path, new Entry(path, e.isDirectory(), e.getMode() & 07777, e.getLongUserId(),
              e.getLongGroupId(), e.isDirectory() ? null : in.readAllBytes()));
        }
      }
      image.layers.add(entries);
    }
    return image;
  }

  /** The entry at {@code path} in the top-most layer that has it. */
  Entry entry(String path) {
    for (int i = layers.size() - 1; i >= 0; i--) {
      Entry e = layers.get(i).get(path);
      if (e != null) {
        return e;
      }
    }
    return null;
  }

  /** Unpacks every layer into {@code root}, owners and modes as the image says (owners only when root runs it). */
  void unpack(Path root, boolean chown) throws IOException {
    for (Map<String, Entry> layer : layers) {
      for (Entry e : layer.values()) {
        Path target = root.resolve(e.path().substring(1)).normalize();
        if (!target.startsWith(root)) {
          throw new IOException("a layer entry escapes the root: " + e.path());
        }
        if (e.directory()) {
          Files.createDirectories(target);
        } else {
          Files.createDirectories(target.getParent());
          try (InputStream in = new java.io.ByteArrayInputStream(e.content())) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
          }
        }
        Files.setPosixFilePermissions(target, permissions(e.mode()));
        if (chown) {
          Files.setAttribute(target, "unix:uid", (int) e.uid());
          Files.setAttribute(target, "unix:gid", (int) e.gid());
        }
      }
    }
  }

  static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> bits = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
    for (int i = 0; i < order.length; i++) {
      if ((mode & (1 << i)) != 0) {
        bits.add(order[i]);
      }
    }
    return bits;
  }

  List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
