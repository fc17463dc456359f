package io.strata.server.api;

import io.strata.server.application.TableCommands;


import com.fasterxml.jackson.annotation.JsonInclude;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.strata.events.Author;
import io.strata.events.CommitIds;
import io.strata.events.StorageAdded;
import io.strata.events.TableColumn;
import io.strata.events.TableMadeOnBranch;
import io.strata.events.TableTracked;
import io.strata.projections.graph.CommitRow;
import io.strata.projections.refs.RefRows.BranchRow;
import io.strata.projections.refs.RefRows.RepositoryRow;
import io.strata.projections.refs.RefRows.TagRow;
import io.strata.projections.storage.StorageRow;
import io.strata.projections.tables.TableRow;
import io.strata.server.application.ConflictDetail;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** What the API answers. Field names are snake_case on the wire (quarkus.jackson naming). */
public final class Dtos {
  private Dtos() {}

  public record PageDto<T>(List<T> items, long total, boolean hasMore) {
    public static <T> PageDto<T> of(List<T> items, long total, int offset) {
      return new PageDto<>(items, total, offset + items.size() < total);
    }
  }

  public record RepositoryDto(
      String name, @Schema(nullable = true) String description, String defaultBranch, Instant createdAt, String head,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long position) {
    public static RepositoryDto of(RepositoryRow r) {
      return new RepositoryDto(r.name(), r.description(), r.defaultBranch(), r.createdAt(), r.head(), null);
    }
  }

  public record CommitSummary(String id, String shortId, String message, Author author, Instant createdAt) {
    public static CommitSummary of(CommitRow c) {
      return new CommitSummary(c.id(), CommitIds.shortId(c.id()), c.message(), c.author(), c.createdAt());
    }
  }

  public record BranchDto(
      String name,
      String head,
      @Schema(nullable = true) String from,
      @JsonProperty("protected") boolean isProtected,
      @JsonProperty("is_default") boolean isDefault,
      // null in the answers to PATCH and reset until branch answers are complete (issue 27, item 3)
      @Schema(nullable = true) Instant createdAt,
      Instant updatedAt,
      @JsonInclude(JsonInclude.Include.NON_NULL) CommitSummary headCommit,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long position) {
    public static BranchDto of(BranchRow b, String defaultBranch, CommitSummary headCommit) {
      return new BranchDto(b.name(), b.head(), b.createdFrom(), b.isProtected(), b.name().equals(defaultBranch),
          b.createdAt(), b.updatedAt(), headCommit, null);
    }
  }

  public record CommitDto(
      String id,
      String shortId,
      List<String> parents,
      String message,
      Author author,
      Instant createdAt,
      @Schema(nullable = true) String branch,
      JsonNode stats,
      JsonNode changes,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long position) {
    public static CommitDto of(CommitRow c) {
      return new CommitDto(c.id(), CommitIds.shortId(c.id()), c.parents(), c.message(), c.author(), c.createdAt(),
          c.branch(), c.stats(), c.changes(), null);
    }
  }

  public record TagDto(
      String name, String commit, @Schema(nullable = true) String message, Author tagger, Instant createdAt,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long position) {
    public static TagDto of(TagRow t) {
      return new TagDto(t.name(), t.commit(), t.message(), t.tagger(), t.createdAt(), null);
    }
  }

  public record CompareDto(
      String base, String head, String baseCommit, String headCommit, String mergeBase, long ahead, long behind,
      boolean canFastForward) {}

  public record StorageDto(
      String name,
      String type,
      @Schema(nullable = true) String host,
      @JsonInclude(JsonInclude.Include.NON_NULL) Integer port,
      @Schema(nullable = true) String database,
      @Schema(nullable = true) String username,
      @Schema(nullable = true) String passwordEnv,
      @Schema(nullable = true) String passwordFile,
      boolean builtin,
      @Schema(nullable = true) Instant createdAt,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long position,
      @Schema(description = "A Delta storage's place: file:///directory or s3://bucket/prefix")
      @JsonInclude(JsonInclude.Include.NON_NULL) String url,
      @JsonInclude(JsonInclude.Include.NON_NULL) String endpoint,
      @JsonInclude(JsonInclude.Include.NON_NULL) String region,
      @JsonInclude(JsonInclude.Include.NON_NULL) Boolean pathStyle,
      @Schema(description = "The variable the S3 access key id is read from (never the key)")
      @JsonInclude(JsonInclude.Include.NON_NULL) String accessKeyEnv,
      @Schema(description = "The variable the S3 secret key is read from (never the secret)")
      @JsonInclude(JsonInclude.Include.NON_NULL) String secretKeyEnv,
      @Schema(description = "The file the S3 secret key is read from (never the secret)")
      @JsonInclude(JsonInclude.Include.NON_NULL) String secretKeyFile) {
    public static StorageDto of(StorageAdded s, Instant createdAt, Long position) {
      if (s.holdsDeltaTables()) {
        var d = s.delta();
        return new StorageDto(s.name(), s.type(), null, null, null, null, null, null, false, createdAt, position,
            d.url(), d.endpoint(), d.region(), d.onS3() ? d.pathStyle() : null, d.accessKeyEnv(), d.secretKeyEnv(),
            d.secretKeyFile());
      }
      return new StorageDto(s.name(), s.type(), s.host(), s.port(), s.database(), s.username(), s.passwordEnv(),
          s.passwordFile(), false, createdAt, position, null, null, null, null, null, null, null);
    }

    public static StorageDto of(StorageRow s) {
      return of(s.registration(), s.createdAt(), null);
    }

    /** The server's own database, available to every repository as {@code local}. */
    public static StorageDto local() {
      return new StorageDto("local", "postgresql", null, null, null, null, null, null, true, null, null, null, null,
          null, null, null, null, null);
    }
  }

  public record TableDto(
      String name,
      String location,
      String storage,
      String schema,
      String table,
      List<String> primaryKey,
      List<TableColumn> columns,
      long rowCount,
      String contentHash,
      Instant trackedAt,
      @JsonInclude(JsonInclude.Include.NON_NULL) String commit,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long position,
      @JsonInclude(JsonInclude.Include.NON_NULL) MadeDto made) {
    /**
     * A table made on a branch other than the default one and not yet in the default branch (absent otherwise): the
     * branch it was made on and the live branches that have it; its location is where a merge into the default
     * branch makes it.
     */
    public record MadeDto(String branch, List<String> branches) {}

    public static TableDto of(TableTracked t, Instant at, String commit, Long position, TableMadeOnBranch made) {
      String schema = made == null ? t.schema() : made.schema();
      String table = made == null ? t.table() : made.table();
      return new TableDto(t.name(), new TableCommands.Location(t.storage(), schema, table).uri(), t.storage(),
          schema, table, t.primaryKey(), t.columns(), t.rowCount(), t.contentHash(), at, commit, position,
          made == null ? null : new MadeDto(made.branch(), List.of(made.branch())));
    }

    public static TableDto of(TableRow t) {
      TableRow.Made m = t.made();
      String schema = m == null ? t.schema() : m.schema();
      String table = m == null ? t.table() : m.table();
      return new TableDto(t.name(), new TableCommands.Location(t.storage(), schema, table).uri(), t.storage(),
          schema, table, t.primaryKey(), t.columns(), t.rowCount(), t.contentHash(), t.trackedAt(), null, null,
          m == null ? null : new MadeDto(m.branch(), m.branches()));
    }
  }

  public record HealthDto(String status, String version, boolean connected) {}

  /** {@code GET /}: the server's name and version, and where to go from here. */
  public record IndexDto(String name, String version, Links links) {
    /** @param api the REST API's base path; @param docs the Swagger UI; @param health the health checks */
    public record Links(String api, String openapi, String docs, String health) {}
  }

  public record ReadyDto(boolean ready, boolean metadataConnected, boolean projectionsHealthy) {}

  /** One table of a merge: what it did to the target, and its conflicts. */
  public record MergeTableDto(String table, long inserted, long updated, long deleted, long conflicts) {}

  public record MergeStatsDto(int tables, long inserted, long updated, long deleted, List<MergeTableDto> perTable) {}

  /** How a merge was made: the strategy asked for, or {@code fast_forward} when the branch simply moved to the source. */
  public enum MergeStrategy {
    @JsonProperty("three_way") THREE_WAY,
    @JsonProperty("ours") OURS,
    @JsonProperty("theirs") THEIRS,
    @JsonProperty("fail_on_conflict") FAIL_ON_CONFLICT,
    @JsonProperty("fast_forward") FAST_FORWARD;

    /** The strategy named {@code wire} (as requests and events name it). */
    public static MergeStrategy of(String wire) {
      return valueOf(wire.toUpperCase(java.util.Locale.ROOT));
    }
  }

  /**
   * A merge's answer (a revert's, cherry-pick's or rebase step's when it stops), each fact under one name.
   *
   * @param commit the commit the branch is at after the merge: its merge commit, the source's commit after a
   *     fast-forward, its unchanged head when up to date; null when no commit was made (a dry run, a merge
   *     stopped by conflicts or by {@code no_commit})
   * @param conflicts the conflicts found (settled by the strategy or not)
   * @param mergeInProgress whether the merge stays in progress on the branch (conflicts to resolve, or
   *     {@code no_commit}); never for a dry run, which keeps nothing
   * @param conflictDetails a dry run's conflicts, or those a strategy settled (a stopped merge lists its
   *     first ones in the error's details instead)
   */
  public record MergeDto(
      String source, String sourceCommit, String target, MergeStrategy strategy, boolean fastForward,
      boolean upToDate, @Schema(nullable = true) String mergeBase, @Schema(nullable = true) String commit,
      long conflicts, boolean mergeInProgress, boolean dryRun,
      MergeStatsDto stats,
      @JsonInclude(JsonInclude.Include.NON_NULL) List<ConflictDetail> conflictDetails,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long position) {}

  /**
   * A revert's or cherry-pick's answer: one shape whether it committed (201) or stopped before its commit
   * as {@code no_commit} asked (200).
   *
   * @param commit the commit it made; null when it stopped before its commit
   * @param merge the three-way application that made it: strategy, stats, the conflicts a strategy settled,
   *     and {@code merge_in_progress} when it stopped before its commit
   */
  public record AppliedDto(
      // the type beside nullable: a nullable reference without it is not valid OpenAPI 3.0 (Redocly's lint)
      @Schema(nullable = true, type = SchemaType.OBJECT, description = "The commit it made; null when it stopped"
          + " before its commit") CommitDto commit,
      MergeDto merge) {}

  /**
   * {@code GET …/merge}: the branch's merge in progress and a page of its conflicts ({@code total}: the
   * conflicts left). With none open, {@code merge_in_progress} is false, the merge's fields are null and
   * there are no items: the same 200 as {@code GET …/rebase} answers with no rebase in progress.
   *
   * @param head the branch's head when the merge began (ours)
   */
  public record MergeStateDto(String branch, boolean mergeInProgress, @Schema(nullable = true) String source,
      @Schema(nullable = true) String sourceCommit, @Schema(nullable = true) String base,
      @Schema(nullable = true) String head, @Schema(nullable = true) MergeStrategy strategy, List<String> tables,
      List<ConflictDetail> items, long total, boolean hasMore) {
    public static MergeStateDto none(String branch) {
      return new MergeStateDto(branch, false, null, null, null, null, null, List.of(), List.of(), 0, false);
    }

    public static MergeStateDto of(String branch, io.strata.events.MergeStarted s, List<ConflictDetail> page,
        long remaining, boolean hasMore) {
      return new MergeStateDto(branch, true, s.source(), s.sourceCommit(), s.base(), s.head(),
          MergeStrategy.of(s.strategy()), s.tables().stream().map(t -> t.table()).toList(), page, remaining, hasMore);
    }
  }

  /** The answer of stage and unstage: how many changed rows they concerned, per table and in all. */
  @Schema(name = "StageResult")
  public record StageResult(long count, List<io.strata.events.TableCounts> tables, long position) {}

  public record ResolutionDto(long resolved, long remaining, @JsonInclude(JsonInclude.Include.NON_NULL) Long position) {}

  /** A stash: its index on the branch's stack (0: the newest), and what it saved. */
  /**
   * A stash: its rows per table, and the tables whose shape on the branch it holds ({@code schemaTables}: columns
   * added, dropped, renamed or redefined and checks since the head, given back when it is applied).
   */
  public record StashDto(int index, String id, String branch, @Schema(nullable = true) String message, String head,
      io.strata.events.Author author, List<io.strata.events.StashCreated.StashedTable> tables,
      List<String> schemaTables, Instant createdAt, @JsonInclude(JsonInclude.Include.NON_NULL) Long position) {
    static StashDto of(int index, io.strata.events.StashCreated s, Instant createdAt, Long position) {
      return new StashDto(index, s.id(), s.branch(), s.message(), s.head(), s.author(), s.tables(), s.schemaTables(),
          createdAt, position);
    }
  }

  public record StashListDto(List<StashDto> items) {}

  /** A branch's rebase in progress: onto what, from which head, the commits it replays and how many are done. */
  public record RebaseDto(String branch, boolean rebaseInProgress, @Schema(nullable = true) String onto,
      @Schema(nullable = true) String ontoCommit, @Schema(nullable = true) String originalHead,
      List<String> commits, int done) {}

  /**
   * A stash applied: what it wrote per table (unstaged working changes), the tables whose shape it gave back, and
   * whether it was dropped.
   */
  public record StashAppliedDto(String id, boolean popped, List<io.strata.events.TableCounts> tables,
      List<String> schemaTables, @JsonInclude(JsonInclude.Include.NON_NULL) Long position) {}
}
