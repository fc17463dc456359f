package io.strata.cli;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code strata backup}: the server takes a consistent backup of its embedded database while it runs (writes go on)
 * and this writes it to a file, owner-only (it holds the database's password and every row). {@code strata restore}
 * unpacks it into an empty data directory.
 */
@Command(name = "backup", description = "Back up the server's embedded database to a file (while it runs)")
final class BackupCommand extends Verb {
  @Option(names = {"-f", "--file"}, paramLabel = "<file>",
      description = "Where to write it (default: strata-backup-<time>.tar here)")
  Path file;

  @Override
  public Integer call() throws Exception {
    Path target = file != null ? file
        : Path.of("strata-backup-" + Instant.now().truncatedTo(ChronoUnit.SECONDS).toString().replace(":", "") + ".tar");
    HttpResponse<InputStream> answer = send(HttpRequest.newBuilder(URI.create(settings().server()
        + "/api/v1/admin/backup")).header("Accept", "application/x-tar").GET());
    long total = answer.headers().firstValueAsLong("Content-Length").orElse(-1);
    Path partial = Files.createTempFile(target.toAbsolutePath().getParent(), ".strata-backup-", ".part",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Progress progress = new Progress(spec.commandLine().getErr(), "backup", total);
    long written = 0;
    try (InputStream in = answer.body(); OutputStream out = Files.newOutputStream(partial)) {
      byte[] buffer = new byte[256 * 1024];
      for (int n; (n = in.read(buffer)) >= 0; ) {
        out.write(buffer, 0, n);
        written += n;
        progress.advance(n);
      }
    } catch (java.io.IOException | RuntimeException e) {
      Files.deleteIfExists(partial);
      throw e;
    } finally {
      progress.finish();
    }
    if (total >= 0 && written != total) {
      Files.deleteIfExists(partial);
      throw new Failures.Refused(ExitCodes.UNAVAILABLE, "the backup was cut short (" + written + " of " + total
          + " bytes); nothing was written");
    }
    Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    if (!out().printedAsJson(Map.of("file", target.toString(), "bytes", written))) {
      out().line("Backed up to " + target + " (" + Progress.mib(written) + "); restore it with: strata restore "
          + target + " --data-dir <empty directory>");
    }
    return ExitCodes.OK;
  }
}
