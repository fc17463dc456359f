package io.strata.server.runtime;

import io.smallrye.mutiny.Uni;
import io.strata.projections.log.AppendResult;
import io.strata.projections.log.EventLog;
import io.strata.projections.log.IdempotencyRecord;
import io.strata.projections.log.NewEvent;
import io.strata.projections.overlay.PgUnit;
import io.strata.projections.rowdata.UnitOfWork;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The event log's append transaction as the application sees it: a unit of work in the server's own
 * database, so that data work on tables there ({@code local}) runs in it and commits with the events.
 */
@ApplicationScoped
public class EventAppends {
  private final EventLog log;

  @Inject
  public EventAppends(EventLog log) {
    this.log = log;
  }

  /** {@code work} in a transaction that may append ({@link EventLog#inAppendTransaction}). */
  public <T> Uni<T> inAppendTransaction(Function<UnitOfWork, Uni<T>> work) {
    return log.inAppendTransaction(c -> work.apply(new PgUnit(c)));
  }

  /** Appends {@code events} to {@code stream} at {@code expectedVersion}, in {@code append}'s transaction. */
  public Uni<AppendResult> append(UnitOfWork append, String stream, long expectedVersion, List<NewEvent> events) {
    return log.append(PgUnit.of(append), stream, expectedVersion, events, List.of());
  }

  public Uni<Void> storeIdempotencyRecords(UnitOfWork append, String stream, List<IdempotencyRecord> keys) {
    return log.storeIdempotencyRecords(PgUnit.of(append), stream, keys);
  }

  /** The answer stored for an Idempotency-Key, if any (read outside any append). */
  /** The stream's latest version in the log (0: none). */
  public Uni<Long> streamVersion(String stream) {
    return log.streamVersion(stream);
  }

  public Uni<Optional<IdempotencyRecord>> findIdempotencyRecord(String key) {
    return log.findIdempotencyRecord(key);
  }

  public Uni<Void> forgetIdempotencyRecords(UnitOfWork append, String stream) {
    return log.forgetIdempotencyRecords(PgUnit.of(append), stream);
  }
}
