package io.strata.server.queries;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.TableShape;
import io.strata.projections.graph.CommitGraph;
import io.strata.projections.graph.CommitRow;
import io.strata.projections.refs.RefRows.RepositoryRow;
import io.strata.projections.rowdata.ShapeChange;
import io.strata.projections.tables.TableQueries;
import io.strata.projections.tables.TableRow;
import io.strata.server.domain.RefResolver;
import io.strata.server.domain.StrataException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The schema history of a ref as versioned migrations a Flyway user can apply: one per commit of its
 * first-parent history whose recorded shapes differ from its first parent's, versioned by the commit's
 * generation (strictly increasing along a first-parent history, and the same for a commit whatever the
 * range asked), named after its message: {@code V<generation>__<message>.sql}, holding the statements
 * that turn the parent's shapes into the commit's.
 */
@ApplicationScoped
public class SchemaMigrations {
  /** How many first-parent commits one export looks at: a longer history is exported in ranges (from). */
  public static final int MAX_COMMITS = 1000;
  private static final int MAX_NAME = 50;

  private final RefResolver resolver;
  private final CommitGraph graph;
  private final TableQueries tables;
  private final SchemaDiffs diffs;

  @Inject
  public SchemaMigrations(RefResolver resolver, CommitGraph graph, TableQueries tables, SchemaDiffs diffs) {
    this.resolver = resolver;
    this.graph = graph;
    this.tables = tables;
    this.diffs = diffs;
  }

  /**
   * One migration: the commit that recorded the change, the tables it changes, and its statements
   * ({@code untracked}: tables whose change is not written, as they are no longer tracked and their
   * place is not known).
   */
  public record Migration(long version, String description, String fileName, String commit, String message,
      List<String> tables, List<String> untracked, String sql) {}

  public record Export(String from, String to, String fromCommit, String toCommit, List<Migration> migrations) {}

  /** The migrations from {@code from} (exclusive; the start of the history when null) to {@code to}. */
  public Uni<Export> export(RepositoryRow repository, String from, String to, String onlyTable) {
    String repo = repository.name();
    String target = to == null || to.isBlank() ? repository.defaultBranch() : to;
    return resolver.resolve(repo, target).chain(t -> (from == null || from.isBlank()
            ? Uni.createFrom().<RefResolver.Resolved>nullItem() : resolver.resolve(repo, from))
        .chain(f -> graph.log(repo, t.commit(), new CommitGraph.LogFilter(true, null, null, null, null),
                MAX_COMMITS + 1, 0)
            .chain(page -> {
              List<CommitRow> chain = range(page.commits(), f == null ? null : f.commit(), from);
              return tables.tables(repo).chain(now -> migrations(repository, chain, now, onlyTable))
                  .map(found -> new Export(f == null ? null : from, target, f == null ? null : f.commit(), t.commit(),
                      found));
            })));
  }

  /** The commits of the range, oldest first, with the one before it (the range's base) in front. */
  private static List<CommitRow> range(List<CommitRow> newestFirst, String fromCommit, String from) {
    List<CommitRow> chain = new ArrayList<>();
    for (CommitRow c : newestFirst) {
      chain.add(0, c);
      if (c.id().equals(fromCommit)) {
        return chain;
      }
    }
    if (fromCommit != null) {
      throw StrataException.invalid("from", "'" + from + "' is not in the first-parent history of the target within "
          + MAX_COMMITS + " commits");
    }
    if (newestFirst.size() > MAX_COMMITS) {
      throw StrataException.invalid("from", "the history is longer than " + MAX_COMMITS + " commits: export it in"
          + " ranges, naming from");
    }
    return chain;
  }

  private Uni<List<Migration>> migrations(RepositoryRow repository, List<CommitRow> chain, List<TableRow> now,
      String onlyTable) {
    String repo = repository.name();
    return tables.shapesAtCommits(repo, chain.stream().map(CommitRow::id).toList())
        .map(byCommit -> chain.stream().map(c -> byCommit.getOrDefault(c.id(), Map.of())).toList())
        .chain(shapes -> {
          List<Uni<List<SchemaDiffs.TableDiff>>> steps = new ArrayList<>();
          for (int i = 1; i < chain.size(); i++) {
            Map<String, TableShape> before = shapes.get(i - 1);
            Map<String, TableShape> after = shapes.get(i);
            steps.add(before.equals(after) ? Uni.createFrom().item(List.of())
                : diffs.tableDiffs(repo, before, after, now, onlyTable));
          }
          return Multi.createFrom().iterable(steps).onItem().transformToUniAndConcatenate(u -> u).collect().asList();
        })
        .map(steps -> {
          List<Migration> out = new ArrayList<>();
          for (int i = 0; i < steps.size(); i++) {
            // tracking and untracking are not migrations; making a table made on a branch (or dropping it) is
            List<SchemaDiffs.TableDiff> modified = steps.get(i).stream()
                .filter(d -> d.changeType() == ShapeChange.Kind.modified || !d.up().isEmpty()).toList();
            if (!modified.isEmpty()) {
              out.add(migration(repo, chain.get(i + 1), modified));
            }
          }
          return out;
        });
  }

  private static Migration migration(String repo, CommitRow commit, List<SchemaDiffs.TableDiff> modified) {
    String title = firstLine(commit.message());
    String name = name(title);
    // Flyway replaces ${…} placeholders in comments too: the message must not name one
    StringBuilder sql = new StringBuilder("-- Strata repository ").append(repo).append(", commit ")
        .append(commit.id()).append(": ").append(title.replace("${", "$ {")).append('\n');
    List<String> untracked = new ArrayList<>();
    for (SchemaDiffs.TableDiff d : modified) {
      if (d.up().isEmpty()) {
        untracked.add(d.table());
        sql.append("-- ").append(d.table()).append(": no longer tracked, its statements are not known\n");
      }
      d.up().forEach(s -> sql.append(s).append(";\n"));
    }
    return new Migration(commit.generation(), name, "V" + commit.generation() + "__" + name + ".sql", commit.id(),
        commit.message(), modified.stream().map(SchemaDiffs.TableDiff::table).toList(), untracked, sql.toString());
  }

  private static String firstLine(String message) {
    String m = message == null ? "" : message.strip();
    int end = m.indexOf('\n');
    int cr = m.indexOf('\r');
    if (cr >= 0 && (end < 0 || cr < end)) {
      end = cr;
    }
    return end < 0 ? m : m.substring(0, end).strip();
  }

  /** A Flyway description: the message's words in lower case, joined by underscores. */
  static String name(String title) {
    String words = title.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_").replaceAll("^_+|_+$", "");
    if (words.length() > MAX_NAME) {
      words = words.substring(0, MAX_NAME).replaceAll("_+$", "");
    }
    return words.isEmpty() ? "schema_change" : words;
  }
}
