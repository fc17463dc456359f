package io.strata.events;

import java.time.Instant;
import java.util.List;

/** One realistic instance of every event type, with optional fields both set and unset. */
final class SampleEvents {
  static final Author ADA = new Author("Ada Lovelace", "ada@example.com");
  static final Instant T0 = Instant.parse("2026-11-20T10:15:30.123456Z");

  private SampleEvents() {}

  static List<StrataEvent> all() {
    String root = CommitIds.of(List.of(), CommitIds.EMPTY_TREE, ADA, T0, "Initial commit");
    String second = CommitIds.of(List.of(root), CommitIds.EMPTY_TREE, ADA, T0.plusSeconds(1), "x");
    return List.of(
        new RepositoryCreated("warehouse", "Sales data", "main"),
        new RepositoryCreated("w2", null, "trunk"),
        new RepositoryDeleted("warehouse", true),
        new BranchCreated("main", root, null, false),
        new BranchCreated("feature/x", root, "main~1", true),
        new BranchDeleted("feature/x", second, false),
        new BranchProtectionChanged("main", true),
        new CommitCreated(
            root, null, List.of(), CommitIds.EMPTY_TREE, "Initial commit", ADA, T0,
            CommitStats.EMPTY, List.of()),
        new CommitCreated(
            second, "main", List.of(root), CommitIds.EMPTY_TREE, "x", ADA, T0.plusSeconds(1),
            new CommitStats(1, 3, 2, 1),
            List.of(new TableChange("users", CommitIds.sha256Hex("rows"), 3, 2, 1, 12, "884021",
                TableTracked.contentHash(12, "884021")))),
        new TagCreated("v1.0", second, "first release", ADA),
        new TagCreated("v0", root, null, ADA),
        new TagDeleted("v0", root),
        new StorageAdded("warehouse", "postgresql", "db.example", 5432, "sales", "etl", "WAREHOUSE_PASSWORD", null),
        new StorageAdded("lake", "postgresql", "10.0.0.7", 6543, "lake", "reader", null, "/run/secrets/lake"),
        new StorageRemoved("lake"),
        new TableTracked("users", "local", "public", "users", List.of("tenant", "id"),
            List.of(new TableColumn("tenant", "integer", false), new TableColumn("id", "bigint", false),
                new TableColumn("name", "character varying(200)", true)),
            3, "1152921504606846975", TableTracked.contentHash(3, "1152921504606846975")),
        new TableTracked("orders", "local", "public", "orders", List.of("id"),
            List.of(new TableColumn("id", "bigint", false), new TableColumn("total", "numeric(12,2)", false),
                new TableColumn("note", "text", true)),
            0, "0", TableTracked.contentHash(0, "0"),
            new TableShape(List.of(
                new TableShape.Column("id", "bigint", false, null, null, null, "always"),
                new TableShape.Column("total", "numeric(12,2)", false, null, "0", null, null),
                new TableShape.Column("note", "text", true, null, null, "(('total: '::text || total))", null)),
                List.of("id"),
                List.of(new TableShape.Constraint("orders_total_check", "check", "CHECK ((total >= (0)::numeric))")),
                List.of(new TableShape.Index("orders_note_idx", false, "btree (note) WHERE (note IS NOT NULL)")))),
        new TableSchemaChanged("orders", "main",
            new TableShape(List.of(
                new TableShape.Column("id", "bigint", false, null, null, null, "always"),
                new TableShape.Column("total", "numeric(12,2)", false, null, "0", null, null),
                new TableShape.Column("note", "text", true, null, null, "(('total: '::text || total))", null)),
                List.of("id"),
                List.of(new TableShape.Constraint("orders_total_check", "check", "CHECK ((total >= (0)::numeric))")),
                List.of()),
            CommitIds.sha256Hex("shape after"), CommitIds.sha256Hex("shape before"),
            List.of(new TableSchemaChanged.Statement("DROP INDEX", "public.orders_note_idx", "etl", T0)), 42,
            List.of(new TableSchemaChanged.BranchColumns("dev", List.of(new TableColumn("id", "bigint", false),
                new TableColumn("total", "numeric(12,2)", false)))),
            List.of("DROP INDEX public.orders_note_idx")),
        new TableBranchSchemaChanged("orders", "dev",
            List.of(new TableBranchSchemaChanged.Operation(TableBranchSchemaChanged.ADD_COLUMN,
                new TableShape.Column("region", "text", false, null, "'eu'::text", null, null))),
            List.of(new TableColumn("id", "bigint", false), new TableColumn("total", "numeric(12,2)", false),
                new TableColumn("region", "text", false)),
            List.of(new TableShape.Column("region", "text", false, null, "'eu'::text", null, null))),
        new TableBranchSchemaChanged("orders", "dev",
            List.of(new TableBranchSchemaChanged.Operation(TableBranchSchemaChanged.ALTER_COLUMN,
                new TableShape.Column("region", "character varying(8)", true, null, "'eu'::character varying", null,
                    null))),
            List.of(new TableColumn("id", "bigint", false), new TableColumn("total", "numeric(12,2)", false),
                new TableColumn("region", "character varying(8)", true)),
            List.of(new TableShape.Column("region", "character varying(8)", true, null, "'eu'::character varying",
                null, null))),
        new TableUntracked("users"),
        new ChangesStaged("main", List.of(new TableCounts("users", 2, 1, 0)), false),
        new ChangesStaged("dev", List.of(new TableCounts("users", 1, 0, 0)), true),
        new ChangesUnstaged("main", List.of(new TableCounts("users", 0, 1, 0), new TableCounts("orders", 1, 0, 0))),
        new ChangesDiscarded("main", List.of(new TableCounts("users", 2, 0, 0))),
        new CommitRolledBack("main", "0b7e2f64-3c1d-4e58-9a7f-2d6c1e0b9a31", List.of("warehouse"), List.of("orders"), 3),
        new CommitCreated(
            CommitIds.of(List.of(second, root), CommitIds.EMPTY_TREE, ADA, T0.plusSeconds(2), "Merge dev into main"),
            "main", List.of(second, root), CommitIds.EMPTY_TREE, "Merge dev into main", ADA, T0.plusSeconds(2),
            new CommitStats(1, 1, 0, 0),
            List.of(new TableChange("users", CommitIds.sha256Hex("merged"), 1, 0, 0, 13, "884022",
                TableTracked.contentHash(13, "884022"))),
            new MergeInfo("dev~1", root, root, "three_way",
                List.of(new MergeInfo.ChangeSetRef("users", CommitIds.sha256Hex("from dev"))))),
        new MergeStarted("main", "dev", second, root, root, "three_way", null, ADA, 2,
            List.of(new MergeStarted.TableConflicts("users", 2, CommitIds.sha256Hex("conflicts")),
                new MergeStarted.TableConflicts("orders", 0, null))),
        new MergeStarted("main", "main~1", second, second, root, "three_way", "Revert \"work\"", ADA, 1,
            List.of(new MergeStarted.TableConflicts("users", 1, CommitIds.sha256Hex("conflict"))),
            AppliedCommit.REVERT, null),
        new CommitCreated(
            CommitIds.of(List.of(second), CommitIds.EMPTY_TREE, ADA, T0.plusSeconds(3), "Revert \"work\""),
            "main", List.of(second), CommitIds.EMPTY_TREE, "Revert \"work\"", ADA, T0.plusSeconds(3),
            new CommitStats(1, 0, 1, 0),
            List.of(new TableChange("users", CommitIds.sha256Hex("reverted"), 0, 1, 0, 13, "884022",
                TableTracked.contentHash(13, "884022"))),
            null, new AppliedCommit(AppliedCommit.REVERT, second, null)),
        new MergeConflictsResolved("main", "users", "[7]", "name", "theirs", 1, 1),
        new MergeConflictsResolved("main", null, null, null, "ours", 1, 0),
        new MergeAborted("main", second, List.of("users")),
        new StashCreated("dev", "6a1f0c2e-9d4b-4e7a-8c3f-1b2d3e4f5a6b", "half-done", second, ADA,
            List.of(new StashCreated.StashedTable("users", CommitIds.sha256Hex("stash"), 1, 2, 0))),
        new StashApplied("dev", "6a1f0c2e-9d4b-4e7a-8c3f-1b2d3e4f5a6b", true, List.of(new TableCounts("users", 1, 2, 0))),
        new StashDropped("dev", "6a1f0c2e-9d4b-4e7a-8c3f-1b2d3e4f5a6b"),
        new RebaseStarted("dev", "main", second, root, List.of(root), ADA),
        new RebaseStepSkipped("dev", root),
        new RebaseFinished("dev", second),
        new RebaseAborted("dev", root),
        new MergeRolledBack("dev", "5d0c5a1e-8f6b-4c1e-9b1a-3f2e7d6c4b21", List.of("warehouse"), List.of("orders"), 7),
        new BranchHeadMoved("main", root, second, "fast_forward",
            List.of(new BranchHeadMoved.TableContent("users", 12, "884021", TableTracked.contentHash(12, "884021")))),
        new BranchHeadMoved("dev", root, second, "fast_forward", List.of()),
        new BranchHeadMoved("main", second, root, "reset_hard",
            List.of(new BranchHeadMoved.TableContent("users", 3, "1152921504606846975",
                TableTracked.contentHash(3, "1152921504606846975")))),
        new WebhookDisabled("wh_0123456789abcdef", "https://hooks.example.com/strata", "the receiver answered 410 Gone"));
  }
}
