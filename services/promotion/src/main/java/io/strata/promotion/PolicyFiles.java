package io.strata.promotion;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * The GitOps loop: a directory of policy files — a mounted ConfigMap, or a Git checkout kept current beside the
 * service — each named for its repository ({@code pipeline.yaml} is repository {@code pipeline}'s policy). The
 * file is the truth: whenever a file's content changes (and once on start) it is sent to the server as it is,
 * which validates it whole and records it with its origin, or records nothing when it is the policy in force
 * already. A file the server refuses is reported once with every error and its path, and the policy in force
 * stays; it is sent again when it changes. Hidden entries are skipped (a ConfigMap volume's {@code ..data}).
 * Removing a file leaves its policy in force: the server has no policy deletion (a policy without paths and with
 * {@code direct_changes: allow} undoes one).
 */
final class PolicyFiles {
  private static final Logger LOG = Logger.getLogger(PolicyFiles.class);
  static final long MAX_BYTES = 256 * 1024;

  /** A file's outcome at the content it had: applied, refused for good (4xx), or to try again (null). */
  private final Map<Path, String> settled = new HashMap<>();
  /** A file not applied yet, and why (its digest and the answer's status), to say so once. */
  private final Map<Path, String> waiting = new HashMap<>();
  private final StrataApi api;
  private final Path dir;

  PolicyFiles(StrataApi api, Path dir) {
    this.api = api;
    this.dir = dir;
  }

  /** Sends every file whose content changed since it was last settled; answers the repositories it applied. */
  synchronized List<String> apply() {
    List<String> applied = new java.util.ArrayList<>();
    List<Path> files;
    try (Stream<Path> entries = Files.list(dir)) {
      files = entries.filter(p -> !p.getFileName().toString().startsWith("."))
          .filter(p -> repositoryOf(p) != null && !Files.isDirectory(p)).sorted().toList();
    } catch (IOException e) {
      if (!String.valueOf(e).equals(waiting.put(dir, String.valueOf(e)))) {
        LOG.warnf("the policy directory %s cannot be read: %s", dir, e);
      }
      return applied;
    }
    waiting.remove(dir);
    for (Path file : files) {
      try {
        if (Files.size(file) > MAX_BYTES) {
          refuse(file, "larger than 256 KiB");
          continue;
        }
        byte[] content = Files.readAllBytes(file);
        String digest = sha256(content);
        if (digest.equals(settled.get(file))) {
          continue;
        }
        String repository = repositoryOf(file);
        String name = file.getFileName().toString();
        boolean yaml = !name.endsWith(".json");
        HttpResponse<String> answer = api.putPolicy(repository, content, yaml,
            "file:" + file.toAbsolutePath() + " sha256:" + digest.substring(0, 16));
        int status = answer.statusCode();
        if (status == 200 || status == 202) {
          settled.put(file, digest);
          waiting.remove(file);
          JsonNode body = StrataApi.errorBody(answer.body());
          LOG.infof("%s: the policy of %s is in force (digest %s)", repository, file,
              body == null ? "?" : body.path("digest").asText());
          applied.add(repository);
        } else if (status == 404 || status == 401 || status == 403 || status >= 500 || status == 429) {
          // the repository may come, the token may get its grant, the server may recover: try again next round
          // (said once for the file's content and the answer, not at every round)
          if (!(digest + status).equals(waiting.put(file, digest + status))) {
            LOG.warnf("%s: the policy of %s was not applied (HTTP %d: %s); trying again every round", repository,
                file, status, abbreviate(answer.body()));
          }
        } else {
          settled.put(file, digest);
          LOG.errorf("%s: the policy of %s is refused, the policy in force stays: HTTP %d %s", repository, file,
              status, abbreviate(answer.body()));
        }
      } catch (IOException e) {
        if (!String.valueOf(e).equals(waiting.put(file, String.valueOf(e)))) {
          LOG.warnf("the policy of %s was not applied (%s); trying again every round", file, e.toString());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return applied;
      }
    }
    settled.keySet().retainAll(files);
    waiting.keySet().removeIf(p -> !p.equals(dir) && !files.contains(p));
    return applied;
  }

  private void refuse(Path file, String why) {
    String key = "refused:" + why;
    if (!key.equals(settled.put(file, key))) {
      LOG.errorf("the policy of %s is refused, the policy in force stays: %s", file, why);
    }
  }

  /** {@code pipeline.yaml} → {@code pipeline}; null for a file that is no policy. */
  static String repositoryOf(Path file) {
    String name = file.getFileName().toString();
    for (String ext : List.of(".yaml", ".yml", ".json")) {
      if (name.endsWith(ext) && name.length() > ext.length()) {
        return name.substring(0, name.length() - ext.length());
      }
    }
    return null;
  }

  private static String abbreviate(String body) {
    return body == null ? "" : body.length() > 4000 ? body.substring(0, 4000) + "…" : body;
  }

  private static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
