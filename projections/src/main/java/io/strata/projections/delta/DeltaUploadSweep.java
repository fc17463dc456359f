package io.strata.projections.delta;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Aborts the multipart uploads left open under a repository's Delta tables on S3 ({@link
 * DeltaStorage#abortUploadsBefore}): a file is uploaded in parts when larger than one ({@code S3Upload}), and a process
 * that dies mid-file leaves its upload open, its parts kept and billed by the bucket. Part of the periodic sweep, after
 * that of deleted branches' tables. Any upload under a tracked table's root older than {@link #AGE} is aborted, whoever
 * started it: no writer of a Delta table's file, Strata's or another engine's, takes that long over one file.
 */
final class DeltaUploadSweep {
  private static final Logger LOG = Logger.getLogger(DeltaUploadSweep.class);
  /** Far longer than any writer takes over one file; a bucket's lifecycle rule, where there is one, is quicker. */
  static final Duration AGE = Duration.ofDays(1);

  private DeltaUploadSweep() {}

  /**
   * Aborts the uploads older than {@code age} under each of the repository's tables in {@code unit}'s storage; answers
   * how many. One table's failure is logged and leaves its uploads for the next sweep.
   */
  static Uni<Integer> abortLeft(DeltaUnit unit, String repository, Duration age) {
    Instant before = Instant.now().minus(age);
    return unit.metadata().preparedQuery("select table_name, root from strata_meta.delta_refs"
            + " where repository = $1 and branch = '' order by table_name")
        .execute(Tuple.of(repository))
        .map(rows -> {
          List<String[]> tables = new ArrayList<>();
          for (Row r : rows) {
            if (unit.storage().holds(r.getString(1))) {
              tables.add(new String[] {r.getString(0), r.getString(1)});
            }
          }
          return tables;
        })
        .chain(tables -> Multi.createFrom().iterable(tables)
            .onItem().transformToUniAndConcatenate(t -> unit.blocking(() -> unit.storage().abortUploadsBefore(t[1],
                    before))
                .invoke(n -> {
                  if (n > 0) {
                    LOG.infof("aborted %d multipart uploads left open under table %s of %s (%s)", n, t[0], repository,
                        t[1]);
                  }
                })
                .onFailure().invoke(e -> LOG.warnf("could not abort the uploads left open under table %s of %s (again"
                    + " at the next sweep): %s", t[0], repository, e.toString()))
                .onFailure().recoverWithItem(0))
            .collect().asList())
        .map(counts -> counts.stream().mapToInt(Integer::intValue).sum());
  }
}
