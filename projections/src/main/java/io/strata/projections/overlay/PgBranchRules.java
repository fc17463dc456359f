package io.strata.projections.overlay;

import io.smallrye.mutiny.Uni;
import io.strata.events.EventCodec;
import io.strata.events.TableColumn;
import io.strata.events.TableShape;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.postgres.Sql;
import io.strata.projections.rowdata.BranchObjects.CheckFailed;
import io.strata.projections.rowdata.BranchObjects.DefinedRule;
import io.strata.projections.rowdata.BranchObjects.Undefinable;
import io.strata.projections.rowdata.TrackedTable;
import io.strata.projections.rowdata.UnitOfWork;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * The rules a branch adds to a table, in PostgreSQL ({@link PgBranchObjects} answers for them through this): CHECK
 * constraints — defined by the database on an empty probe, checked over every row the branch reads, then held by
 * its overlay — and indexes of its own on its columns, defined the same way and built on its overlay. The table is
 * not touched.
 */
final class PgBranchRules {
  private static final String STRATA_OWN_DDL = PgBranchObjects.STRATA_OWN_DDL;

  /** The longest CHECK definition a branch keeps: it travels in every event of the branch's shape and its state. */
  static final int MAX_CHECK_DEFINITION = 2000;

  Uni<DefinedRule> defineCheck(UnitOfWork unit, List<TableColumn> columns, String name, String check) {
    String refused = BranchChecksSql.refusal(check);
    if (refused != null) {
      return Uni.createFrom().failure(new Undefinable(name, refused));
    }
    SqlConnection tx = PgUnit.of(unit);
    // the probe made with the types as the catalog printed them (an enum of the table's schema among them), then
    // the search path pinned: the expression resolves among PostgreSQL's own functions only
    String create = "drop table if exists pg_temp." + BranchChecksSql.PROBE + "; create temporary table "
        + BranchChecksSql.PROBE + " (" + columns.stream().map(c -> Sql.quote(c.name()) + " " + c.type())
            .collect(java.util.stream.Collectors.joining(", ")) + ") on commit drop";
    // the expression, one balanced parenthesised expression (BranchChecksSql.refusal), parsed by the database in
    // one ALTER TABLE of an empty temporary table, sent alone: nothing in it is evaluated, and only its printed
    // form is kept
    // NOT VALID: nothing is prepared to run yet (validating prepares the expression, folding its constants, which
    // runs the functions they are given to) until the references below are known to be PostgreSQL's own
    String add = "alter table pg_temp." + BranchChecksSql.PROBE + " add constraint " + BranchChecksSql.PROBE_CONSTRAINT
        + " check (" + check + ") not valid";
    return tx.query("savepoint strata_check").execute()
        .chain(() -> tx.query(create).execute())
        .chain(() -> tx.query("set local search_path = pg_catalog, pg_temp; set local statement_timeout = '5s'")
            .execute())
        .chain(() -> tx.preparedQuery(add).execute())
        // before anything in it is evaluated (the immutability probe below folds constants): PostgreSQL's own
        // functions, operators, types and collations only, and no other relation
        .chain(() -> tx.query(BranchChecksSql.FOREIGN_REFERENCE).execute())
        .invoke(rows -> {
          if (rows.rowCount() > 0) {
            throw new Undefinable(name, "it names " + rows.iterator().next().getString(0) + ", which is not"
                + " PostgreSQL's own: a check reads the row's columns with PostgreSQL's own functions and operators");
          }
        })
        .chain(() -> tx.query("alter table pg_temp." + BranchChecksSql.PROBE + " validate constraint "
            + BranchChecksSql.PROBE_CONSTRAINT).execute())
        .chain(() -> tx.query(BranchChecksSql.PROBED).execute())
        .chain(rows -> {
          if (rows.rowCount() != 1) {
            throw new Undefinable(name, "not one CHECK expression");
          }
          Row r = rows.iterator().next();
          String definition = r.getString(0);
          if (definition.length() > MAX_CHECK_DEFINITION) {
            throw new Undefinable(name, "its definition as the database prints it has " + definition.length()
                + " characters, more than " + MAX_CHECK_DEFINITION);
          }
          java.util.Map<String, String> names = readNames(r.getString(2));
          List<String> named = new ArrayList<>();
          java.util.regex.Matcher v = java.util.regex.Pattern.compile(":varattno (-?\\d+)").matcher(r.getString(1));
          while (v.find()) {
            String column = names.get(v.group(1));
            if (column == null) {
              throw new Undefinable(name, "it names the row as a whole or a system column: a check names the"
                  + " table's columns");
            }
            if (!named.contains(column)) {
              named.add(column);
            }
          }
          // PostgreSQL's own judgement of immutability (every function, operator and cast, as an index expression
          // requires): a check must answer the same for a row every time, and read nothing else
          return tx.preparedQuery("create index on pg_temp." + BranchChecksSql.PROBE + " ("
                  + BranchChecksSql.expression(new TableShape.Constraint(name, "check", definition)) + ")").execute()
              .onFailure(e -> "42P17".equals(PgErrors.sqlState(e))).transform(e -> new Undefinable(name, "it calls"
                  + " a function or operator that is not immutable (" + PgErrors.message(e) + "): a check must"
                  + " answer the same for a row every time, and read nothing else"))
              .replaceWith(new DefinedRule(new TableShape.Constraint(name, "check", definition), List.copyOf(named)));
        })
        .call(() -> tx.query("rollback to savepoint strata_check").execute())
        .call(() -> tx.query("release savepoint strata_check").execute())
        .onFailure(e -> e instanceof Undefinable || PgErrors.sqlState(e) != null).recoverWithUni(e -> tx
            .query("rollback to savepoint strata_check").execute().onItemOrFailure().transformToUni((x, fail) ->
                Uni.createFrom().failure(e instanceof Undefinable ? e : new Undefinable(name, PgErrors.message(e)))));
  }

  Uni<DefinedRule> defineIndex(UnitOfWork unit, TrackedTable table, List<TableColumn> columns, String name,
      String method, List<String> indexed) {
    if (!BranchIndexesSql.METHODS.contains(method)) {
      return Uni.createFrom().failure(new Undefinable(name, "method '" + method + "' is not one a branch's index"
          + " takes: " + BranchIndexesSql.METHODS));
    }
    SqlConnection tx = PgUnit.of(unit);
    // built on an empty temporary table of the branch's columns and types: the database judges the method and the
    // types (an operator class for each), and prints the definition as the table's shape reads it (the search path
    // pinned as the shape reader pins it)
    String create = "drop table if exists pg_temp." + BranchIndexesSql.PROBE + "; create temporary table "
        + BranchIndexesSql.PROBE + " (" + columns.stream().map(c -> Sql.quote(c.name()) + " " + c.type())
            .collect(java.util.stream.Collectors.joining(", ")) + ") on commit drop";
    // a partitioned table's indexes are not built CONCURRENTLY, as a merge into the default branch builds them
    return tx.preparedQuery("select relkind = 'p' from pg_class where oid = $1::regclass")
        .execute(Tuple.of(OverlaySql.of(table).table()))
        .invoke(rows -> {
          if (rows.rowCount() > 0 && Boolean.TRUE.equals(rows.iterator().next().getBoolean(0))) {
            throw new Undefinable(name, "the table is partitioned: PostgreSQL builds no index of it CONCURRENTLY, as"
                + " a merge into the default branch would; add the index with DDL on the default branch");
          }
        })
        .chain(() -> tx.query("savepoint strata_index").execute())
        .chain(() -> tx.query(create).execute())
        .chain(() -> tx.query("set local search_path = pg_catalog, pg_temp; set local statement_timeout = '5s'")
            .execute())
        .chain(() -> tx.query(BranchIndexesSql.probe(method, indexed)).execute())
        .chain(() -> tx.query(BranchIndexesSql.PROBED).execute())
        .map(rows -> {
          Row r = rows.iterator().next();
          java.util.Map<String, String> names = readNames(r.getString(2));
          List<String> named = new ArrayList<>();
          for (String number : r.getString(1).trim().split(" +")) {
            named.add(names.get(number));
          }
          TableShape.Constraint rule = new TableShape.Constraint(name, TableShape.INDEX, r.getString(0));
          BranchIndexesSql.requireDefinition(rule);
          return new DefinedRule(rule, List.copyOf(named));
        })
        .call(() -> tx.query("rollback to savepoint strata_index; release savepoint strata_index").execute())
        .onFailure(e -> e instanceof Undefinable || PgErrors.sqlState(e) != null).recoverWithUni(e -> tx
            .query("rollback to savepoint strata_index; release savepoint strata_index").execute()
            .onItemOrFailure().transformToUni((x, fail) -> Uni.createFrom().failure(e instanceof Undefinable ? e
                : new Undefinable(name, PgErrors.message(e)))));
  }

  private static java.util.Map<String, String> readNames(String json) {
    try {
      return EventCodec.mapper().readValue(json,
          new com.fasterxml.jackson.core.type.TypeReference<java.util.Map<String, String>>() {});
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("unreadable probe columns", e);
    }
  }

  /**
   * The longest the rows of a branch are looked at for a check (a statement of its own): the repository's commands
   * wait meanwhile, so an expression costly enough to take longer is refused rather than waited for.
   */
  static final String CHECK_SCAN_TIMEOUT = "300s";

  Uni<Void> requireRules(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Constraint> rules) {
    // an index holds no row to anything
    List<TableShape.Constraint> checks = rules.stream().filter(r -> !TableShape.INDEX.equals(r.kind())).toList();
    if (checks.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    // (checks and unique rules: each scan below takes its own)
    SqlConnection tx = PgUnit.of(unit);
    // under a savepoint rolled back after (the scans only read), which takes the timeout back with it
    return tx.query("savepoint strata_check_scan; set local statement_timeout = '" + CHECK_SCAN_TIMEOUT + "'")
        .execute()
        .chain(() -> scanChecks(tx, table, branch, checks))
        .onItemOrFailure().call((x, f) -> tx.query("rollback to savepoint strata_check_scan; release savepoint"
            + " strata_check_scan").execute())
        .onFailure(e -> "57014".equals(PgErrors.sqlState(e))).transform(e -> new CheckFailed(checks.get(0).name(),
            "(none found: looking at the branch's rows took longer than " + CHECK_SCAN_TIMEOUT + ")"));
  }

  private static Uni<Void> scanChecks(SqlConnection tx, TrackedTable table, String branch,
      List<TableShape.Constraint> checks) {
    OverlaySql b = OverlaySql.of(table).onBranch(table.branchId(branch));
    Uni<Void> chain = Uni.createFrom().voidItem();
    for (TableShape.Constraint c : checks) {
      if (BranchUniquesSql.KIND.equals(c.kind())) {
        // two rows it reads that share the values (a discard later is checked as any write: the rows it brings back)
        chain = chain.chain(() -> tx.query(BranchUniquesSql.duplicates(b, c)).execute())
            .invoke(rows -> {
              if (rows.rowCount() > 0) {
                Object[] keys = rows.iterator().next().getArrayOfStrings(0);
                throw new CheckFailed(c.name(), java.util.Arrays.stream(keys).map(String::valueOf).toList(), 2);
              }
            })
            .replaceWithVoid();
        continue;
      }
      // the rows it reads, then the before-images its working log keeps (a discard or a reset brings them back)
      chain = chain.chain(() -> CatalogPath.pinned(tx, () -> tx.preparedQuery(BranchChecksSql.violating(b, c)).execute()))
          .invoke(rows -> {
            if (rows.rowCount() > 0) {
              throw new CheckFailed(c.name(), rows.iterator().next().getString(0));
            }
          })
          .chain(() -> CatalogPath.pinned(tx, () -> tx.preparedQuery(BranchChecksSql.violatingLogged(b, c)).execute()))
          .invoke(rows -> {
            if (rows.rowCount() > 0) {
              throw new CheckFailed(c.name(), rows.iterator().next().getString(0) + " (as it was before a change"
                  + " not committed yet, which a discard would bring back: commit or discard first)");
            }
          })
          .replaceWithVoid();
    }
    return chain;
  }

  Uni<Void> addRules(UnitOfWork unit, TrackedTable table, String branch, List<TableShape.Constraint> checks) {
    // a unique rule is held first, then looked at: its triggers wait for the overlay's writers, so no write
    // committed after the look goes unchecked; a check is looked at first (its refusal names the row)
    List<TableShape.Constraint> uniques = checks.stream().filter(c -> BranchUniquesSql.KIND.equals(c.kind())).toList();
    List<TableShape.Constraint> others = checks.stream().filter(c -> !BranchUniquesSql.KIND.equals(c.kind())).toList();
    return hold(unit, table, branch, uniques, false)
        .chain(() -> requireRules(unit, table, branch, checks))
        .chain(() -> indexPreimages(unit, table, branch, uniques))
        .chain(() -> hold(unit, table, branch, others, false));
  }

  /** {@link #addRules}, the branch's rows not looked at: its overlay holds the checks NOT VALID (a merge's). */
  Uni<Void> addPendingRules(UnitOfWork unit, TrackedTable table, String branch, List<TableShape.Constraint> checks) {
    // a unique rule too: registered pending, the rows written from now on checked at the end of their transaction
    // (the merge lists the rows it reads that share values as its conflicts); the pre-image log's index after it
    return hold(unit, table, branch, checks, true).chain(() -> indexPreimages(unit, table, branch, checks));
  }

  /** The pre-image log's index for each unique rule among {@code rules} ({@link BranchUniquesSql#indexPreimages}). */
  private static Uni<Void> indexPreimages(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Constraint> rules) {
    SqlConnection tx = PgUnit.of(unit);
    OverlaySql b = OverlaySql.of(table).onBranch(table.branchId(branch));
    Uni<Void> chain = Uni.createFrom().voidItem();
    for (TableShape.Constraint u : rules) {
      if (BranchUniquesSql.KIND.equals(u.kind())) {
        chain = chain.chain(() -> tx.query(STRATA_OWN_DDL + BranchUniquesSql.indexPreimages(b, u)).execute())
            .replaceWithVoid();
      }
    }
    return chain;
  }

  private static Uni<Void> hold(UnitOfWork unit, TrackedTable table, String branch, List<TableShape.Constraint> checks,
      boolean pending) {
    SqlConnection tx = PgUnit.of(unit);
    OverlaySql b = OverlaySql.of(table).onBranch(table.branchId(branch));
    Uni<Void> chain = tx.query(STRATA_OWN_DDL + "select 1").execute().replaceWithVoid();
    for (TableShape.Constraint c : checks) {
      // an index is built on the overlay (over the rows the branch writes; the table's are the table's indexes')
      chain = TableShape.INDEX.equals(c.kind())
          ? chain.chain(() -> tx.query(BranchIndexesSql.build(b, c)).execute()).replaceWithVoid()
          : BranchUniquesSql.KIND.equals(c.kind())
          ? chain.chain(() -> tx.query(BranchUniquesSql.hold(b, c, branch, table.schema(), table.table(), pending))
              .execute())
              .replaceWithVoid()
          : chain.chain(() -> CatalogPath.pinned(tx, () -> tx.preparedQuery(BranchChecksSql.hold(b, c, pending))
              .execute())).replaceWithVoid();
    }
    return chain;
  }

  Uni<Void> validatePendingRules(UnitOfWork unit, TrackedTable table, String branch,
      List<TableShape.Constraint> rules) {
    SqlConnection tx = PgUnit.of(unit);
    OverlaySql b = OverlaySql.of(table).onBranch(table.branchId(branch));
    List<TableShape.Constraint> uniques = rules.stream().filter(c -> BranchUniquesSql.KIND.equals(c.kind())).toList();
    // a unique rule pending: the branch's rows looked at once more (a fast-forward, or a table the merge did not
    // write, brought rows no conflict listed), then it is held as any
    // (only those looked at are held: a rule of another's record stays pending)
    Uni<List<String>> looked = uniques.isEmpty() ? Uni.createFrom().item(List.of())
        : tx.query(BranchUniquesSql.pending(b)).execute().chain(rows -> {
          java.util.Set<String> pending = new java.util.HashSet<>();
          rows.forEach(r -> pending.add(r.getString(0)));
          List<TableShape.Constraint> scanned = uniques.stream().filter(u -> pending.contains(u.name())).toList();
          return (scanned.isEmpty() ? Uni.createFrom().voidItem() : requireRules(unit, table, branch, scanned))
              .map(done -> scanned.stream().map(TableShape.Constraint::name).toList());
        });
    return looked.chain(scanned -> tx.query(STRATA_OWN_DDL + BranchChecksSql.validate(b)).execute()
        .chain(() -> scanned.isEmpty() ? Uni.createFrom().voidItem()
            : tx.preparedQuery(BranchUniquesSql.validate(b)).execute(Tuple.of(scanned.toArray(String[]::new)))
                .replaceWithVoid()))
        .replaceWithVoid();
  }

  Uni<Void> unholdPendingRules(UnitOfWork unit, TrackedTable table, String branch) {
    SqlConnection tx = PgUnit.of(unit);
    OverlaySql b = OverlaySql.of(table).onBranch(table.branchId(branch));
    return tx.query(STRATA_OWN_DDL + BranchChecksSql.dropPending(b)).execute()
        // the unique rules it carried go too, with what the overlay holds of them
        .chain(() -> tx.query(BranchUniquesSql.pending(b)).execute())
        .chain(rows -> {
          Uni<Void> chain = Uni.createFrom().voidItem();
          for (Row r : rows) {
            String name = r.getString(0);
            chain = chain.chain(() -> tx.query(BranchUniquesSql.drop(b, name)).execute()).replaceWithVoid();
          }
          return chain;
        });
  }

  Uni<List<String>> pendingRules(UnitOfWork unit, TrackedTable table, String branch, List<String> rules) {
    SqlConnection tx = PgUnit.of(unit);
    OverlaySql b = OverlaySql.of(table).onBranch(table.branchId(branch));
    java.util.Map<String, String> byConstraint = new java.util.HashMap<>();
    rules.forEach(r -> byConstraint.put(BranchChecksSql.overlayConstraint(r), r));
    // (a unique rule has no constraint on the overlay: those it holds and not pending are taken out after)
    return tx.preparedQuery(BranchChecksSql.pending(b, true))
        .execute(Tuple.of(byConstraint.keySet().toArray(String[]::new)))
        .map(rows -> {
          List<String> pending = new ArrayList<>();
          rows.forEach(r -> pending.add(byConstraint.get(r.getString(0))));
          return pending;
        })
        .chain(pending -> tx.preparedQuery(BranchUniquesSql.pendingOrUnheld(b))
            .execute(Tuple.of(pending.toArray(String[]::new)))
            .map(rows -> {
              List<String> left = new ArrayList<>();
              rows.forEach(r -> left.add(r.getString(0)));
              return left;
            }));
  }

  Uni<Void> dropRules(UnitOfWork unit, TrackedTable table, String branch, List<String> names) {
    SqlConnection tx = PgUnit.of(unit);
    OverlaySql b = OverlaySql.of(table).onBranch(table.branchId(branch));
    Uni<Void> chain = tx.query(STRATA_OWN_DDL + "select 1").execute().replaceWithVoid();
    for (String name : names) {
      // a rule's name is a check's, an index's or a unique rule's: what the overlay holds of it goes either way
      chain = chain.chain(() -> tx.query(BranchChecksSql.drop(b, name) + "; " + BranchIndexesSql.drop(b, name) + "; "
          + BranchUniquesSql.drop(b, name)).execute()).replaceWithVoid();
    }
    return chain;
  }
}
