package io.strata.server.application;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.server.runtime.EventAppends;
import io.strata.projections.log.IdempotencyRecord;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.StrataException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Idempotency-Keys in the {@link CommandProcessor}: the answers stored under a batch's keys, a replay of
 * one (the same request only), and the branch incarnation that scopes a key.
 */
final class IdempotencyKeys {
  private IdempotencyKeys() {}

  static Uni<Map<String, IdempotencyRecord>> stored(EventAppends log, List<PendingCommand> batch) {
    List<String> keys = batch.stream().map(PendingCommand::key).filter(k -> k != null).distinct().toList();
    if (keys.isEmpty()) {
      return Uni.createFrom().item(Map.of());
    }
    return Multi.createFrom().iterable(keys)
        .onItem().transformToUniAndConcatenate(log::findIdempotencyRecord)
        .collect().asList()
        .map(found -> {
          Map<String, IdempotencyRecord> byKey = new HashMap<>();
          found.stream().flatMap(Optional::stream).forEach(r -> byKey.put(r.key(), r));
          return byKey;
        });
  }

  static void replay(PendingCommand p, IdempotencyRecord record) {
    if (!record.fingerprint().equals(p.context.fingerprint())) {
      p.result.completeExceptionally(keyReused(p.context.idempotencyKey()));
    } else {
      p.result.complete(new CommandResponse(record.status(), record.response(), record.position(), 0, true, false));
    }
  }

  /** The incarnation of the branch {@code p} names (its creation time), or null: it names none, or none exists. */
  static String incarnation(RepositoryState s, PendingCommand p) {
    RepositoryState.Branch b = p.context.branch() == null ? null : s.branch(p.context.branch());
    return b == null || b.createdAt() == null ? null : b.createdAt().toString();
  }

  /**
   * Whether {@code record} answered for an incarnation of the branch that is gone: the branch was deleted
   * and created again since, so the key is a new one there. (A branch deleted and not re-created still
   * replays: a retried delete answers as the delete did.)
   */
  static boolean superseded(IdempotencyRecord record, PendingCommand p) {
    return record.branchIncarnation() != null && p.branchIncarnation != null
        && !record.branchIncarnation().equals(p.branchIncarnation);
  }

  static StrataException keyReused(String key) {
    return new StrataException(ErrorCode.IdempotencyKeyReused,
        "Idempotency-Key '" + key + "' was already used for a different request", Map.of("key", key));
  }
}
