package io.strata.server.runtime;

import io.smallrye.mutiny.Uni;
import io.strata.projections.overlay.PgUnit;
import io.strata.projections.rowdata.UnitOfWork;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The intents of attempts that write in other storages before their event is appended
 * ({@code application.CrossStorageCommits}), kept in the server's own database: the append's
 * transaction holds an attempt's intent by a row lock (not an advisory lock: a query through the API
 * may take advisory locks, never this row's) and deletes it with the event.
 */
@ApplicationScoped
public class CommitIntents {
  private static final String LOCK =
      "select branch, storages, kind from strata_meta.commit_intents where id = $1 for update";
  /** Nothing when the intent's owner still holds it, or when it is gone. */
  private static final String TRY_LOCK = LOCK + " skip locked";
  private static final String INSERT = "insert into strata_meta.commit_intents (id, repository, branch,"
      + " storages, kind) values ($1, $2, $3, $4, $5)";
  private static final String DELETE = "delete from strata_meta.commit_intents where id = $1";
  private static final String EXISTS = "select 1 from strata_meta.commit_intents where id = $1";
  private static final String OF_REPOSITORY = "select id from strata_meta.commit_intents where repository = $1";
  /** Repositories with an intent left behind, or with tables in other storages (sidecars to drop). */
  private static final String TO_SWEEP = "select repository from strata_meta.commit_intents"
      + " union select repository from strata_meta.tables where storage <> 'local'";

  /** An intent as recovery finds it: the branch written, the storages written in and the attempt's kind. */
  public record Intent(String branch, List<String> storages, String kind) {}

  private final Pool metadata;

  @Inject
  public CommitIntents(Pool metadata) {
    this.metadata = metadata;
  }

  /** Records an attempt's intent, committed at once (no owner holds it yet). */
  public Uni<Void> insert(String attempt, String repository, String branch, Collection<String> storages, String kind) {
    return metadata.preparedQuery(INSERT).execute(params(attempt, repository, branch, storages, kind)).replaceWithVoid();
  }

  /** Records an intent in {@code append}'s transaction: it stands with the event, or not at all. */
  public Uni<Void> insertIn(UnitOfWork append, String attempt, String repository, String branch,
      Collection<String> storages, String kind) {
    return PgUnit.of(append).preparedQuery(INSERT).execute(params(attempt, repository, branch, storages, kind))
        .replaceWithVoid();
  }

  /** Makes {@code append}'s transaction the intent's owner until it ends; false when the intent is gone. */
  public Uni<Boolean> hold(UnitOfWork append, String attempt) {
    return PgUnit.of(append).preparedQuery(LOCK).execute(Tuple.of(attempt)).map(rows -> rows.size() > 0);
  }

  /** Deletes the intent in {@code append}'s transaction: the attempt's writes stand with the event. */
  public Uni<Void> delete(UnitOfWork append, String attempt) {
    return PgUnit.of(append).preparedQuery(DELETE).execute(Tuple.of(attempt)).replaceWithVoid();
  }

  public Uni<Boolean> exists(String attempt) {
    return metadata.preparedQuery(EXISTS).execute(Tuple.of(attempt)).map(rows -> rows.size() > 0);
  }

  /** The attempts of the repository with an intent. */
  public Uni<List<String>> attempts(String repository) {
    return metadata.preparedQuery(OF_REPOSITORY).execute(Tuple.of(repository)).map(CommitIntents::firsts);
  }

  /** Repositories with an intent left behind, or with tables in other storages. */
  public Uni<List<String>> repositoriesToSweep() {
    return metadata.query(TO_SWEEP).execute().map(CommitIntents::firsts);
  }

  /**
   * {@code settle} on the attempt's intent if nobody holds it (waiting for its owner when {@code wait}),
   * holding it meanwhile, then deletes it with the same transaction; empty when it is held (and not
   * waited for), gone, or settled to nothing.
   */
  public <T> Uni<Optional<T>> settleUnheld(String attempt, boolean wait, Function<Intent, Uni<T>> settle) {
    return metadata.withTransaction(tx -> tx.preparedQuery(wait ? LOCK : TRY_LOCK).execute(Tuple.of(attempt))
        .chain(intent -> {
          if (intent.size() == 0) { // still in flight (skip locked), or settled meanwhile
            return Uni.createFrom().item(Optional.<T>empty());
          }
          Row i = intent.iterator().next();
          return settle.apply(new Intent(i.getString(0), List.of(i.getArrayOfStrings(1)), i.getString(2)))
              .call(() -> tx.preparedQuery(DELETE).execute(Tuple.of(attempt)))
              .map(Optional::ofNullable);
        }));
  }

  private static Tuple params(String attempt, String repository, String branch, Collection<String> storages,
      String kind) {
    return Tuple.of(attempt, repository, branch, storages.toArray(String[]::new), kind);
  }

  private static List<String> firsts(RowSet<Row> rows) {
    List<String> values = new ArrayList<>();
    rows.forEach(r -> values.add(r.getString(0)));
    return values;
  }
}
