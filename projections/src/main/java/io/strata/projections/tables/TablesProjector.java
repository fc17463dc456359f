package io.strata.projections.tables;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.strata.events.BranchCreated;
import io.strata.events.BranchDeleted;
import io.strata.events.BranchHeadMoved;
import io.strata.events.CommitCreated;
import io.strata.events.EventCodec;
import io.strata.events.RepositoryDeleted;
import io.strata.events.StashApplied;
import io.strata.events.StashCreated;
import io.strata.events.StashDropped;
import io.strata.events.StrataEvent;
import io.strata.events.TableBranchSchemaChanged;
import io.strata.events.TableColumn;
import io.strata.events.TableSchemaChanged;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.events.TableUntracked;
import io.strata.events.TableBranchesChanged;
import io.strata.events.TableMadeOnBranch;
import io.strata.events.TablePlaced;
import io.strata.projections.log.StoredEvent;
import io.strata.projections.runtime.Projector;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.ZoneOffset;
import java.util.List;

/** The tables each repository tracks. */
public final class TablesProjector implements Projector {
  static final String INSERT =
      "insert into strata_meta.tables (repository, name, storage, schema_name, table_name, primary_key, columns,"
          + " row_count, row_sum, content_hash, tracked_at, shape)"
          + " values ($1, $2, $3, $4, $5, $6, $7::text::jsonb, $8, $9, $10, $11, $12::text::jsonb)";
  static final String DELETE = "delete from strata_meta.tables where repository = $1 and name = $2";
  static final String UPDATE_CONTENT =
      "update strata_meta.tables set row_count = $3, row_sum = $4, content_hash = $5 where repository = $1 and name = $2"
          // the recorded content is the default branch's: other branches' commits carry their own
          + " and exists (select 1 from strata_meta.repositories r where r.name = $1 and r.default_branch = $6)";
  /** The recorded shape, and the columns it has, of the default branch's table ($5: the branch the change is on). */
  static final String UPDATE_SHAPE =
      "update strata_meta.tables t set shape = $3::text::jsonb, columns = $4::text::jsonb, ddl_through = $6,"
          + " branch_columns = " + ShapeSources.withFrom("$7::text::jsonb")
          + " where repository = $1 and name = $2"
          + " and exists (select 1 from strata_meta.repositories r where r.name = $1 and r.default_branch = $5)";
  static final String HISTORY =
      "insert into strata_meta.table_shape_history (repository, name, position, tracked, shape, columns, primary_key)"
          + " values ($1, $2, $3, $4, $5::text::jsonb, $6::text::jsonb, $7) on conflict do nothing";
  static final String DELETE_HISTORY = "delete from strata_meta.table_shape_history where repository = $1";
  /** A deleted branch ($2) has columns of its own no more. */
  static final String FORGET_BRANCH = """
      update strata_meta.tables t set branch_columns = coalesce((select jsonb_agg(e order by e->>'branch')
          from jsonb_array_elements(t.branch_columns) e where e->>'branch' <> $2), '[]'),
        branch_added = coalesce((select jsonb_agg(e order by e->>'branch')
          from jsonb_array_elements(t.branch_added) e where e->>'branch' <> $2), '[]'),
        branch_renamed = coalesce((select jsonb_agg(e order by e->>'branch')
          from jsonb_array_elements(t.branch_renamed) e where e->>'branch' <> $2), '[]')
      where t.repository = $1 and (t.branch_columns @> jsonb_build_array(jsonb_build_object('branch', $2::text))
        or t.branch_added @> jsonb_build_array(jsonb_build_object('branch', $2::text))
        or t.branch_renamed @> jsonb_build_array(jsonb_build_object('branch', $2::text)))""";
  /**
   * Branch $3's columns of table $2 are $4, those it added $5, those it shows under other names $6 (their
   * entries replaced; no entry for a branch that renames none) and the table's own it defines otherwise $7
   * and the CHECK constraints it added $8 (both kept with the columns it added).
   */
  static final String BRANCH_SHAPE = """
      update strata_meta.tables t set
        branch_columns = (select jsonb_agg(e order by e->>'branch') from (
            select e from jsonb_array_elements(t.branch_columns) e where e->>'branch' <> $3
            union all select jsonb_build_object('branch', $3::text, 'columns', $4::text::jsonb)
                             || coalesce(""" + ShapeSources.FROM_KEPT + """
                                         , jsonb_build_object('from', """ + ShapeSources.LATEST + """
                                         ))) x(e)),
        branch_added = (select jsonb_agg(e order by e->>'branch') from (
            select e from jsonb_array_elements(t.branch_added) e where e->>'branch' <> $3
            union all select jsonb_build_object('branch', $3::text, 'columns', $5::text::jsonb,
                                                'redefined', $7::text::jsonb, 'constraints', $8::text::jsonb)) x(e)),
        branch_renamed = coalesce((select jsonb_agg(e order by e->>'branch') from (
            select e from jsonb_array_elements(t.branch_renamed) e where e->>'branch' <> $3
            union all select jsonb_build_object('branch', $3::text, 'renamed', $6::text::jsonb)
             where $6::text::jsonb <> '{}'::jsonb) x(e)), '[]')
      where t.repository = $1 and t.name = $2""";
  static final String DELETE_ALL = "delete from strata_meta.tables where repository = $1";
  /**
   * Commit $2, made on branch $3: per table where the branch has columns of its own, those it had added (none:
   * an empty list), the names of all it read, in order, those it showed under other names and the table's own
   * it defined otherwise and the CHECK constraints it had added (none of its own: no row).
   */
  static final String COMMIT_ADDED = """
      insert into strata_meta.commit_added (repository, commit_id, table_name, added, columns, renamed, redefined,
                                            constraints)
      """ + BranchShapeRecords.BRANCH_SHAPES + " on conflict do nothing";
  /**
   * Commit $2 on branch $3 that records the shapes of tables $4 only: {@link #COMMIT_ADDED} of those, then the first
   * parent's ($5) record of every other table, kept (their shape changes on the branch stay working changes).
   */
  static final String COMMIT_ADDED_OF = """
      insert into strata_meta.commit_added (repository, commit_id, table_name, added, columns, renamed, redefined,
                                            constraints)
      """ + BranchShapeRecords.BRANCH_SHAPES + " and t.name = any($4) on conflict do nothing";
  static final String COMMIT_ADDED_KEPT = """
      insert into strata_meta.commit_added (repository, commit_id, table_name, added, columns, renamed, redefined,
                                            constraints)
      select repository, $2, table_name, added, columns, renamed, redefined, constraints
        from strata_meta.commit_added
       where repository = $1 and commit_id = $5 and not (table_name = any($4)) and $3::text is not null
      on conflict do nothing""";
  /**
   * Commit $2 on branch $3, not the default one, that records the shapes of tables $4 (null: all): per table, the
   * position of the table's shape its branch read its columns from, where not the one its {@code shape_position}
   * gives ({@link ShapeSources#SHAPE_FROM}).
   */
  static final String COMMIT_SHAPE_FROM = "insert into strata_meta.commit_shape_from (repository, commit_id, table_name,"
      + " position) " + ShapeSources.SHAPE_FROM + """
       and ($4::text[] is null or t.name = any($4))
      on conflict do nothing""";
  /**
   * For commit $2 on branch $5, not the default one, that keeps its first parent $3's record of the tables not among $4
   * (it holds their rows as the parent does, {@link #COMMIT_ADDED_KEPT}): the position of each such table's shape at the
   * parent, where it is not the one its own {@code shape_position} gives (a merge's is its parents' newest).
   */
  static final String COMMIT_SHAPE_FROM_KEPT = """
      insert into strata_meta.commit_shape_from (repository, commit_id, table_name, position)
      select t.repository, $2, t.name, p.position
        from strata_meta.tables t
        cross join lateral (select coalesce(
            (select f.position from strata_meta.commit_shape_from f
              where f.repository = $1 and f.commit_id = $3 and f.table_name = t.name),
            (select max(h.position) from strata_meta.table_shape_history h
              where h.repository = $1 and h.name = t.name
                and h.position <= (select c.shape_position from strata_meta.commits c
                                    where c.repository = $1 and c.id = $3))) as position) p
        cross join lateral (select max(h.position) as position from strata_meta.table_shape_history h
                             where h.repository = $1 and h.name = t.name
                               and h.position <= (select c.shape_position from strata_meta.commits c
                                                   where c.repository = $1 and c.id = $2)) s
       where t.repository = $1 and t.made_on is null and not (t.name = any($4))
         and p.position is not null and s.position is not null and p.position <> s.position
         and $5::text is distinct from (select r.default_branch from strata_meta.repositories r where r.name = $1)
      on conflict do nothing""";
  static final String DELETE_COMMIT_SHAPE_FROM = "delete from strata_meta.commit_shape_from where repository = $1";
  static final String FORGET_COMMIT_SHAPE_FROM =
      "delete from strata_meta.commit_shape_from where repository = $1 and table_name = $2";
  /** {@link #COMMIT_ADDED} for stash $2 (its key) of branch $3, of the tables $4 whose shape it holds. */
  static final String STASH_ADDED = """
      insert into strata_meta.commit_added (repository, commit_id, table_name, added, columns, renamed, redefined,
                                            constraints)
      """ + BranchShapeRecords.BRANCH_SHAPES + " and t.name = any($4) on conflict do nothing";
  static final String FORGET_STASH = "delete from strata_meta.commit_added where repository = $1 and commit_id = $2";
  /** The records of a deleted branch's stashes (their keys start with $2). */
  static final String FORGET_STASHES =
      "delete from strata_meta.commit_added where repository = $1 and starts_with(commit_id, $2)";
  static final String DELETE_COMMIT_ADDED = "delete from strata_meta.commit_added where repository = $1";
  static final String MADE = "update strata_meta.tables set made_on = $3, made_schema = $4, made_table = $5,"
      + " made_branches = array[$3] where repository = $1 and name = $2";
  static final String MADE_BRANCHES =
      "update strata_meta.tables set made_branches = $3 where repository = $1 and name = $2 and made_on is not null";
  static final String PLACED = "update strata_meta.tables set schema_name = $3, table_name = $4, made_on = null,"
      + " made_schema = null, made_table = null, made_branches = null, placed_position = $5,"
      + " shape = coalesce($6::text::jsonb, shape)"
      + " where repository = $1 and name = $2";
  /** A branch ($3) created from one ($2) that has a table made on a branch has it too. */
  static final String MADE_INHERITED = "update strata_meta.tables set made_branches = array_append(made_branches, $3)"
      + " where repository = $1 and $2 = any(made_branches) and not $3 = any(made_branches)";
  static final String MADE_FORGET_BRANCH = "update strata_meta.tables set made_branches = array_remove(made_branches,"
      + " $2) where repository = $1 and $2 = any(made_branches)";
  /** The made tables commit $2's branch $3 has. */
  static final String COMMIT_MADE = "insert into strata_meta.commit_made (repository, commit_id, table_name)"
      + " select repository, $2, name from strata_meta.tables where repository = $1 and $3 = any(made_branches)"
      + " on conflict do nothing";
  /** An untracked table's commits' (and stashes') records of branches' shapes of it go too (one made again is another). */
  static final String FORGET_COMMIT_ADDED =
      "delete from strata_meta.commit_added where repository = $1 and table_name = $2";
  static final String DELETE_COMMIT_MADE = "delete from strata_meta.commit_made where repository = $1";
  /**
   * A table made on a branch is not the default branch's: its shape as tracked is filed as not tracked there (the
   * commits of the branches that have it read it through commit_made), until its placement files it again.
   */
  static final String MADE_NOT_DEFAULT = """
      update strata_meta.table_shape_history h set tracked = false
       where h.repository = $1 and h.name = $2
         and h.position = (select max(x.position) from strata_meta.table_shape_history x
                            where x.repository = $1 and x.name = $2)""";
  /** A table placed into the default branch ($3: the event's position) is tracked there from then on, in its shape. */
  static final String PLACED_HISTORY = """
      insert into strata_meta.table_shape_history (repository, name, position, tracked, shape, columns, primary_key)
      select repository, name, $3, true, shape, columns, primary_key from strata_meta.tables
       where repository = $1 and name = $2
      on conflict do nothing""";
  /** An untracked table's commits have it no more (a table made again under its name is another). */
  static final String FORGET_COMMIT_MADE = "delete from strata_meta.commit_made where repository = $1 and table_name = $2";

  @Override
  public String name() {
    return "tables";
  }

  @Override
  public List<String> tables() {
    return List.of("strata_meta.tables", "strata_meta.table_shape_history", "strata_meta.commit_added",
        "strata_meta.commit_made", "strata_meta.commit_shape_from");
  }

  @Override
  public Uni<Void> apply(SqlConnection tx, StoredEvent stored, StrataEvent event) {
    String repo = stored.repository();
    if (event instanceof TableTracked e) {
      return tx.preparedQuery(INSERT)
          .execute(Tuple.from(new Object[] {repo, e.name(), e.storage(), e.schema(), e.table(),
              e.primaryKey().toArray(String[]::new), EventCodec.mapper().valueToTree(e.columns()).toString(),
              e.rowCount(), e.rowSum(), e.contentHash(), stored.time().atOffset(ZoneOffset.UTC),
              e.shape() == null ? null : EventCodec.mapper().valueToTree(e.shape()).toString()}))
          .chain(() -> history(tx, stored, e.name(), true, e.shape(), e.columns(), e.primaryKey()));
    }
    if (event instanceof TableMadeOnBranch e) {
      return tx.preparedQuery(MADE).execute(Tuple.of(repo, e.name(), e.branch(), e.schema(), e.table()))
          .chain(() -> tx.preparedQuery(MADE_NOT_DEFAULT).execute(Tuple.of(repo, e.name()))).replaceWithVoid();
    }
    if (event instanceof TableBranchesChanged e) {
      return tx.preparedQuery(MADE_BRANCHES).execute(Tuple.of(repo, e.name(), e.branches().toArray(String[]::new)))
          .replaceWithVoid();
    }
    if (event instanceof TablePlaced e) {
      return tx.preparedQuery(PLACED).execute(Tuple.from(new Object[] {repo, e.name(), e.schema(), e.table(),
              stored.position(), e.shape() == null ? null : EventCodec.mapper().valueToTree(e.shape()).toString()}))
          .chain(() -> tx.preparedQuery(PLACED_HISTORY).execute(Tuple.of(repo, e.name(), stored.position())))
          .replaceWithVoid();
    }
    if (event instanceof BranchCreated e && e.from() != null) {
      return tx.preparedQuery(MADE_INHERITED).execute(Tuple.of(repo, e.from(), e.name())).replaceWithVoid();
    }
    if (event instanceof CommitCreated e) {
      Uni<Void> added = e.branch() == null ? Uni.createFrom().voidItem()
          : (e.schemaTables() == null ? tx.preparedQuery(COMMIT_ADDED).execute(Tuple.of(repo, e.id(), e.branch()))
              : tx.preparedQuery(COMMIT_ADDED_OF).execute(Tuple.of(repo, e.id(), e.branch(),
                      e.schemaTables().toArray(String[]::new)))
                  .chain(() -> tx.preparedQuery(COMMIT_ADDED_KEPT).execute(Tuple.from(List.of(repo, e.id(), e.branch(),
                      e.schemaTables().toArray(String[]::new), e.parents().get(0))))))
              .chain(() -> tx.preparedQuery(COMMIT_MADE).execute(Tuple.of(repo, e.id(), e.branch())))
              .chain(() -> shapeFrom(tx, repo, e))
              .replaceWithVoid();
      return e.changes().isEmpty() ? added : Multi.createFrom().iterable(e.changes())
          .onItem().transformToUniAndConcatenate(c -> tx.preparedQuery(UPDATE_CONTENT)
              .execute(Tuple.from(new Object[] {repo, c.table(), c.rowCount(), c.rowSum(), c.contentHash(),
                  e.branch()})))
          .collect().last().replaceWithVoid().chain(() -> added);
    }
    if (event instanceof StashCreated e && !e.schemaTables().isEmpty()) {
      // the branch's shapes before the schema changes appended after it put them back to the head's
      return tx.preparedQuery(STASH_ADDED).execute(Tuple.of(repo, e.schemaKey(), e.branch(),
          e.schemaTables().toArray(String[]::new))).replaceWithVoid();
    }
    if (event instanceof StashApplied e && e.popped()) {
      return tx.preparedQuery(FORGET_STASH).execute(Tuple.of(repo, StashCreated.schemaKey(e.branch(), e.id())))
          .replaceWithVoid();
    }
    if (event instanceof StashDropped e) {
      return tx.preparedQuery(FORGET_STASH).execute(Tuple.of(repo, StashCreated.schemaKey(e.branch(), e.id())))
          .replaceWithVoid();
    }
    if (event instanceof BranchHeadMoved e && !e.tables().isEmpty()) {
      return Multi.createFrom().iterable(e.tables())
          .onItem().transformToUniAndConcatenate(c -> tx.preparedQuery(UPDATE_CONTENT)
              .execute(Tuple.from(new Object[] {repo, c.table(), c.rowCount(), c.rowSum(), c.contentHash(),
                  e.branch()})))
          .collect().last().replaceWithVoid();
    }
    if (event instanceof TableSchemaChanged e) {
      return tx.preparedQuery(UPDATE_SHAPE)
          .execute(Tuple.from(new Object[] {repo, e.name(), EventCodec.mapper().valueToTree(e.shape()).toString(),
              EventCodec.mapper().valueToTree(e.shape().tableColumns()).toString(), e.branch(), e.ddlThrough(),
              EventCodec.mapper().valueToTree(e.branchColumns()).toString()}))
          .chain(() -> history(tx, stored, e.name(), true, e.shape(), e.shape().tableColumns(), e.shape().primaryKey()));
    }
    if (event instanceof TableBranchSchemaChanged e) {
      return tx.preparedQuery(BRANCH_SHAPE)
          .execute(Tuple.from(new Object[] {repo, e.name(), e.branch(),
              EventCodec.mapper().valueToTree(e.columns()).toString(), EventCodec.mapper().valueToTree(e.added()).toString(),
              EventCodec.mapper().valueToTree(e.renamed()).toString(),
              EventCodec.mapper().valueToTree(e.redefined()).toString(),
              EventCodec.mapper().valueToTree(e.rules()).toString()}))
          .replaceWithVoid();
    }
    if (event instanceof BranchDeleted e) {
      return tx.preparedQuery(FORGET_BRANCH).execute(Tuple.of(repo, e.name()))
          .chain(() -> tx.preparedQuery(FORGET_STASHES).execute(Tuple.of(repo, StashCreated.schemaKey(e.name(), ""))))
          .chain(() -> tx.preparedQuery(MADE_FORGET_BRANCH).execute(Tuple.of(repo, e.name()))).replaceWithVoid();
    }
    if (event instanceof TableUntracked e) {
      return tx.preparedQuery(DELETE).execute(Tuple.of(repo, e.name()))
          .chain(() -> tx.preparedQuery(FORGET_COMMIT_MADE).execute(Tuple.of(repo, e.name())))
          .chain(() -> tx.preparedQuery(FORGET_COMMIT_ADDED).execute(Tuple.of(repo, e.name())))
          .chain(() -> tx.preparedQuery(FORGET_COMMIT_SHAPE_FROM).execute(Tuple.of(repo, e.name())))
          .chain(() -> history(tx, stored, e.name(), false, null, List.of(), List.of()));
    }
    if (event instanceof RepositoryDeleted) {
      return tx.preparedQuery(DELETE_ALL).execute(Tuple.of(repo))
          .chain(() -> tx.preparedQuery(DELETE_HISTORY).execute(Tuple.of(repo)))
          .chain(() -> tx.preparedQuery(DELETE_COMMIT_ADDED).execute(Tuple.of(repo)))
          .chain(() -> tx.preparedQuery(DELETE_COMMIT_MADE).execute(Tuple.of(repo)))
          .chain(() -> tx.preparedQuery(DELETE_COMMIT_SHAPE_FROM).execute(Tuple.of(repo))).replaceWithVoid();
    }
    return Uni.createFrom().voidItem();
  }

  /** Commit {@code e}'s positions of the tables' shapes its branch read ({@link #COMMIT_SHAPE_FROM}). */
  private static Uni<Void> shapeFrom(SqlConnection tx, String repo, CommitCreated e) {
    String[] tables = e.schemaTables() == null ? null : e.schemaTables().toArray(String[]::new);
    String parent = e.parents().isEmpty() ? null : e.parents().get(0);
    Uni<Void> kept = tables == null || parent == null ? Uni.createFrom().voidItem()
        : tx.preparedQuery(COMMIT_SHAPE_FROM_KEPT).execute(Tuple.of(repo, e.id(), parent, tables, e.branch()))
            .replaceWithVoid();
    return kept.chain(() -> tx.preparedQuery(COMMIT_SHAPE_FROM)
        .execute(Tuple.from(new Object[] {repo, e.id(), e.branch(), tables}))).replaceWithVoid();
  }

  /** Files the table's shape (or its untracking) in its history at the event's position. */
  private static Uni<Void> history(SqlConnection tx, StoredEvent stored, String name, boolean tracked, TableShape shape,
      List<TableColumn> columns, List<String> primaryKey) {
    return tx.preparedQuery(HISTORY).execute(Tuple.from(new Object[] {stored.repository(), name, stored.position(),
            tracked, shape == null ? null : EventCodec.mapper().valueToTree(shape).toString(),
            EventCodec.mapper().valueToTree(columns).toString(), primaryKey.toArray(String[]::new)}))
        .replaceWithVoid();
  }
}
