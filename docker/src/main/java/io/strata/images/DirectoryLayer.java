package io.strata.images;

import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FileEntry;
import com.google.cloud.tools.jib.api.buildplan.FilePermissions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A directory of the build as one image layer, every file root's with its permission bits, except the paths given
 * their own owner. Jib writes no symbolic links (it copies what a link points to, on the build machine), so a link
 * is resolved inside the directory itself, as it will be inside the container, and its target's content is put at
 * the link's path: {@code /lib64/ld-linux-x86-64.so.2} must be the image's loader, never the build machine's.
 */
final class DirectoryLayer {

  private static final String ROOT_OWNER = "0:0";
  /** Links resolving through more links than this are a loop (Linux's own limit). */
  private static final int MAX_LINKS = 40;

  private DirectoryLayer() {
  }

  /**
   * @param name     the layer's name (Jib's log, the image's history)
   * @param source   the directory whose content becomes {@code into}
   * @param into     where in the image
   * @param owners   image paths → "uid:gid" of their own; the rest is root's
   */
  static FileEntriesLayer of(String name, Path source, String into, Map<String, String> owners) throws IOException {
    List<FileEntry> entries = new ArrayList<>();
    add(entries, source, source, AbsoluteUnixPath.get(into), owners, 0);
    return FileEntriesLayer.builder().setName(name).setEntries(entries).build();
  }

  private static void add(List<FileEntry> entries, Path root, Path directory, AbsoluteUnixPath into,
      Map<String, String> owners, int depth) throws IOException {
    List<Path> children;
    try (Stream<Path> list = Files.list(directory)) {
      children = list.sorted().toList();
    }
    for (Path child : children) {
      AbsoluteUnixPath target = into.resolve(child.getFileName().toString());
      Path content = Files.isSymbolicLink(child) ? resolveInside(root, child) : child;
      entries.add(new FileEntry(content, target, permissions(content),
          FileEntriesLayer.DEFAULT_MODIFICATION_TIME, owners.getOrDefault(target.toString(), ROOT_OWNER)));
      if (Files.isDirectory(content, LinkOption.NOFOLLOW_LINKS)) {
        if (depth > MAX_LINKS) {
          throw new IOException("directories nest too deep (a link loop?) at " + child);
        }
        add(entries, root, content, target, owners, depth + (content == child ? 0 : 1));
      }
    }
  }

  /** Where {@code link} leads when {@code root} is "/": absolute targets are read under it, never outside it. */
  static Path resolveInside(Path root, Path link) throws IOException {
    Path current = link;
    for (int i = 0; i < MAX_LINKS && Files.isSymbolicLink(current); i++) {
      Path target = Files.readSymbolicLink(current);
      Path next = target.isAbsolute()
          ? root.resolve(target.toString().substring(1))
          : current.getParent().resolve(target);
      next = next.normalize();
      if (!next.startsWith(root)) {
        throw new IOException(link + " leads out of " + root + " (" + target + ")");
      }
      current = next;
    }
    if (Files.isSymbolicLink(current)) {
      throw new IOException(link + " is a loop of links");
    }
    if (!Files.exists(current, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(link + " leads nowhere (" + Files.readSymbolicLink(link) + ")");
    }
    return current;
  }

  private static FilePermissions permissions(Path file) throws IOException {
    Set<PosixFilePermission> bits = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
    return FilePermissions.fromPosixFilePermissions(bits);
  }
}
