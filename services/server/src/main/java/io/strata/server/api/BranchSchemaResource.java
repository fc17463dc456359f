package io.strata.server.api;

import org.jboss.resteasy.reactive.server.Cancellable;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.server.application.Answer;
import io.strata.server.application.BranchColumnAlterations;
import io.strata.server.application.BranchConstraintCommands;
import io.strata.server.application.BranchSchemaCommands;
import io.strata.server.application.ColumnOperationInput;
import io.strata.server.application.CommandContext;
import io.strata.server.auth.Permission;
import io.strata.server.auth.Requires;
import io.strata.server.domain.StrataException;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** A tracked table's shape on a branch other than the default one: schema operations through Strata. */
@Path("/api/v1/repositories/{repo}/branches/{branch}/tables/{table}/schema")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Tables")
public class BranchSchemaResource {
  /** The operations this build does: one kind a request. */
  static final String ADD_COLUMN = "add_column";
  static final String DROP_COLUMN = "drop_column";
  static final String ALTER_COLUMN = "alter_column";
  static final String RENAME_COLUMN = "rename_column";
  static final String ADD_CONSTRAINT = "add_constraint";
  static final String DROP_CONSTRAINT = "drop_constraint";
  static final String ADD_INDEX = "add_index";
  static final String DROP_INDEX = "drop_index";

  @Inject BranchSchemaCommands commands;
  @Inject BranchColumnAlterations alterations;
  @Inject BranchConstraintCommands constraints;
  @Inject CommandContexts contexts;
  @Inject Repositories repositories;

  @Requires(Permission.WRITE)
  @Cancellable(false)
  @POST
  @Operation(summary = "Change a table's shape on a branch other than the default one, zero-copy: add_column"
      + " operations, checked and defined by the table's database before anything changes, alter_column operations"
      + " (of a column the branch added: a new type, converting the rows the branch wrote as column::type, or"
      + " with using, an expression of the column alone converting its values and its default, for a column added"
      + " since the branch's head; or nullability; of one of the table's own: a wider type that reads every value of the table's type as it is,"
      + " its rows from the table read through a cast, NOT NULL set or dropped, checked over every row the branch"
      + " reads, or a default set or dropped (drop_default), for the rows the branch inserts) or drop_column operations"
      + " of columns the branch added or of the table's own but for its key, or rename_column operations (the"
      + " branch shows a column but for its key under a new name; nothing but its views changes) (one kind a"
      + " request; validate_only: checked alone), or add_constraint operations (a CHECK the branch's rows keep to:"
      + " checked over every row it reads first; only immutable functions; or with unique true and columns, a unique"
      + " constraint on columns of the table's own: no two rows the branch reads share their values, checked first"
      + " (then at the end of every transaction that writes them), the table with a btree index on those columns to"
      + " look written rows up through; a merge carries it, into another branch (rows sharing its values are"
      + " constraint_violation conflicts) or into the default branch (the table's own constraint, its index built"
      + " CONCURRENTLY)) or drop_constraint operations of checks and unique constraints the branch"
      + " added, or add_index operations (an index of the branch's own on columns it reads: built over the"
      + " rows it writes, the table's rows read through the table's indexes; a merge into the default branch builds"
      + " it on the table CONCURRENTLY) or drop_index operations of indexes the branch added; the table is not"
      + " touched; each operation waits at most the migration lock timeout for the branch's objects' locks (409"
      + " ConcurrentWrite past it). In place of operations, statements: DDL on this table (ALTER TABLE with ADD"
      + " [COLUMN], DROP [COLUMN], RENAME [COLUMN], ALTER [COLUMN] … TYPE/SET DEFAULT/DROP DEFAULT/SET NOT NULL/DROP"
      + " NOT NULL, ADD CONSTRAINT … CHECK/UNIQUE, DROP CONSTRAINT; CREATE INDEX; DROP INDEX), read into the"
      + " operations they mean, never run as given; anything else is a 422 naming the statement and where it stops")
  @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = SchemaDtos.BranchSchemaChangedDto.class)))
  public Uni<Response> change(@PathParam("repo") String repo, @PathParam("branch") String branch,
      @PathParam("table") String table,
      @RequestBody(content = @Content(schema = @Schema(implementation = Requests.ChangeBranchSchema.class))) JsonNode body,
      @Context HttpServerRequest request) {
    Requests.ChangeBranchSchema b = Bodies.read(body, Requests.ChangeBranchSchema.class);
    CommandContext ctx = contexts.of(request, b);
    boolean validateOnly = Boolean.TRUE.equals(b.validateOnly());
    if (b.operations() != null && b.statements() != null) {
      throw StrataException.invalid("statements", "give operations or statements, not both");
    }
    if (b.operations() == null && b.statements() == null) {
      throw StrataException.invalid("operations", "give the operations to do, in order (or the DDL statements)");
    }
    if (b.statements() == null) {
      return changeShape(repo, branch, table, b.operations(), validateOnly, ctx);
    }
    // read from statements: a refusal of the operations names the statement too
    DdlStatementInput.Read read = DdlStatementInput.read(table, b.statements());
    try {
      return changeShape(repo, branch, table, read.operations(), validateOnly, ctx)
          .onFailure().transform(read::located);
    } catch (StrataException e) {
      throw (StrataException) read.located(e);
    }
  }

  /** {@link #change} of {@code operations}, given or read from statements. */
  private Uni<Response> changeShape(String repo, String branch, String table, List<Requests.SchemaOperation> operations,
      boolean validateOnly, CommandContext ctx) {
    String first = operations.isEmpty() || operations.get(0) == null ? null : operations.get(0).op();
    for (int i = 0; i < operations.size() && !ADD_INDEX.equals(first); i++) {
      Requests.SchemaOperation o = operations.get(i);
      // (an add_constraint of a unique constraint takes columns and unique too: read below)
      if (o != null && (o.columns() != null || o.method() != null || o.unique() != null)
          && !(ADD_CONSTRAINT.equals(o.op()) && o.method() == null && (o.unique() != null || o.columns() != null))) {
        throw StrataException.invalid("operations[" + i + "]", "columns, method and unique are " + ADD_INDEX
            + "'s alone (and columns and unique those of an " + ADD_CONSTRAINT + " of a unique constraint)");
      }
    }
    for (int i = 0; i < operations.size(); i++) {
      Requests.SchemaOperation o = operations.get(i);
      if (o != null && o.using() != null && !ALTER_COLUMN.equals(o.op())) {
        throw StrataException.invalid("operations[" + i + "].using", "using is " + ALTER_COLUMN + "'s alone: the"
            + " expression that converts a column's values to its new type");
      }
    }
    if (DROP_COLUMN.equals(first)) {
      List<String> names = dropped(operations);
      return repositories.require(repo)
          .chain(() -> commands.dropColumns(repo, branch, table, names, validateOnly, ctx,
              Answers.branchSchemaChanged(table, branch, validateOnly, List.of(), List.of(), names)))
          .map(r -> contexts.respond(r, ctx));
    }
    if (ADD_CONSTRAINT.equals(first) || DROP_CONSTRAINT.equals(first)) {
      Answer answer = Answers.branchSchemaChanged(table, branch, validateOnly, List.of(), List.of(), List.of());
      if (ADD_CONSTRAINT.equals(first) && operations.get(0) != null
          && Boolean.TRUE.equals(operations.get(0).unique())) {
        List<BranchConstraintCommands.NewUnique> uniques = uniques(operations);
        return repositories.require(repo)
            .chain(() -> constraints.addUniques(repo, branch, table, uniques, validateOnly, ctx, answer))
            .map(r -> contexts.respond(r, ctx));
      }
      if (ADD_CONSTRAINT.equals(first)) {
        List<BranchConstraintCommands.NewCheck> checks = checks(operations);
        return repositories.require(repo)
            .chain(() -> constraints.addChecks(repo, branch, table, checks, validateOnly, ctx, answer))
            .map(r -> contexts.respond(r, ctx));
      }
      List<String> names = constraintsDropped(operations);
      return repositories.require(repo)
          .chain(() -> constraints.dropChecks(repo, branch, table, names, validateOnly, ctx, answer))
          .map(r -> contexts.respond(r, ctx));
    }
    if (ADD_INDEX.equals(first) || DROP_INDEX.equals(first)) {
      Answer answer = Answers.branchSchemaChanged(table, branch, validateOnly, List.of(), List.of(), List.of());
      if (ADD_INDEX.equals(first)) {
        List<BranchConstraintCommands.NewIndex> indexes = indexes(operations);
        return repositories.require(repo)
            .chain(() -> constraints.addIndexes(repo, branch, table, indexes, validateOnly, ctx, answer))
            .map(r -> contexts.respond(r, ctx));
      }
      List<String> names = indexesDropped(operations);
      return repositories.require(repo)
          .chain(() -> constraints.dropIndexes(repo, branch, table, names, validateOnly, ctx, answer))
          .map(r -> contexts.respond(r, ctx));
    }
    if (RENAME_COLUMN.equals(first)) {
      List<io.strata.server.domain.BranchSchemaCommand.Rename> renames = renamed(operations);
      return repositories.require(repo)
          .chain(() -> commands.renameColumns(repo, branch, table, renames, validateOnly, ctx,
              Answers.branchSchemaRenamed(table, branch, validateOnly, renames)))
          .map(r -> contexts.respond(r, ctx));
    }
    if (ALTER_COLUMN.equals(first)) {
      List<ColumnOperationInput.ColumnChange> changes = altered(operations);
      return repositories.require(repo)
          .chain(() -> alterations.alterColumns(repo, branch, table, changes, validateOnly, ctx,
              altered -> Answers.branchSchemaChanged(table, branch, validateOnly, List.of(), altered, List.of())))
          .map(r -> contexts.respond(r, ctx));
    }
    List<BranchObjects.NewColumn> columns = columns(operations);
    return repositories.require(repo)
        .chain(() -> commands.addColumns(repo, branch, table, columns, validateOnly, ctx,
            added -> Answers.branchSchemaChanged(table, branch, validateOnly, added, List.of(), List.of())))
        .map(r -> contexts.respond(r, ctx));
  }

  /** The changes of alter_column operations; a default, or another operation among them: 422. */
  private static List<ColumnOperationInput.ColumnChange> altered(List<Requests.SchemaOperation> operations) {
    List<ColumnOperationInput.ColumnChange> changes = new ArrayList<>();
    for (int i = 0; i < operations.size(); i++) {
      Requests.SchemaOperation o = operations.get(i);
      String at = "operations[" + i + "]";
      if (o == null || !ALTER_COLUMN.equals(o.op())) {
        throw StrataException.invalid(at + ".op", "one kind of operation a request: these are " + ALTER_COLUMN);
      }
      if (o.check() != null) {
        throw StrataException.invalid(at + ".check", ALTER_COLUMN + " takes no check: add one with " + ADD_CONSTRAINT);
      }
      if (o.newName() != null) {
        throw StrataException.invalid(at + ".new_name", ALTER_COLUMN + " changes a column's type or nullability: rename"
            + " it with " + RENAME_COLUMN);
      }
      JsonNode d = o.defaultValue();
      if (d != null && !d.isNull() && !d.isValueNode()) {
        throw StrataException.invalid(at + ".default", "a JSON string, number or boolean the column's type reads");
      }
      changes.add(new ColumnOperationInput.ColumnChange(o.name(), o.type(), o.nullable(),
          d == null || d.isNull() ? null : d.asText(), Boolean.TRUE.equals(o.dropDefault()), o.using()));
    }
    return changes;
  }

  /** The checks of add_constraint operations; any other field, or another operation among them: 422. */
  private static List<BranchConstraintCommands.NewCheck> checks(List<Requests.SchemaOperation> operations) {
    List<BranchConstraintCommands.NewCheck> checks = new ArrayList<>();
    for (int i = 0; i < operations.size(); i++) {
      Requests.SchemaOperation o = operations.get(i);
      String at = "operations[" + i + "]";
      if (o == null || !ADD_CONSTRAINT.equals(o.op())) {
        throw StrataException.invalid(at + ".op", "one kind of operation a request: these are " + ADD_CONSTRAINT);
      }
      if (o.type() != null || o.nullable() != null || o.defaultValue() != null || o.newName() != null
          || o.dropDefault() != null || o.columns() != null || o.method() != null || o.unique() != null
          || o.using() != null) {
        throw StrataException.invalid(at, ADD_CONSTRAINT + " takes a constraint's name and its check alone (or"
            + " unique true and columns, in a request of unique constraints)");
      }
      checks.add(new BranchConstraintCommands.NewCheck(o.name(), o.check()));
    }
    return checks;
  }

  /** The unique constraints of add_constraint operations ({@code unique: true}); any other field: 422. */
  private static List<BranchConstraintCommands.NewUnique> uniques(List<Requests.SchemaOperation> operations) {
    List<BranchConstraintCommands.NewUnique> uniques = new ArrayList<>();
    for (int i = 0; i < operations.size(); i++) {
      Requests.SchemaOperation o = operations.get(i);
      String at = "operations[" + i + "]";
      if (o == null || !ADD_CONSTRAINT.equals(o.op()) || !Boolean.TRUE.equals(o.unique())) {
        throw StrataException.invalid(at + ".unique", "one kind of operation a request: these are " + ADD_CONSTRAINT
            + " with unique true");
      }
      if (o.type() != null || o.nullable() != null || o.defaultValue() != null || o.newName() != null
          || o.dropDefault() != null || o.check() != null || o.method() != null || o.using() != null) {
        throw StrataException.invalid(at, ADD_CONSTRAINT + " with unique true takes a constraint's name and its"
            + " columns alone");
      }
      uniques.add(new BranchConstraintCommands.NewUnique(o.name(), o.columns()));
    }
    return uniques;
  }

  /** The indexes of add_index operations; any other field, a unique index, or another operation among them: 422. */
  private static List<BranchConstraintCommands.NewIndex> indexes(List<Requests.SchemaOperation> operations) {
    List<BranchConstraintCommands.NewIndex> indexes = new ArrayList<>();
    for (int i = 0; i < operations.size(); i++) {
      Requests.SchemaOperation o = operations.get(i);
      String at = "operations[" + i + "]";
      if (o == null || !ADD_INDEX.equals(o.op())) {
        throw StrataException.invalid(at + ".op", "one kind of operation a request: these are " + ADD_INDEX);
      }
      if (Boolean.TRUE.equals(o.unique())) {
        throw StrataException.invalid(at + ".unique", "a unique index on a branch is not built yet (the table's rows"
            + " and the branch's would have to be unique together); add it to the table with DDL on the default branch");
      }
      if (o.type() != null || o.nullable() != null || o.defaultValue() != null || o.newName() != null
          || o.dropDefault() != null || o.check() != null) {
        throw StrataException.invalid(at, ADD_INDEX + " takes an index's name, columns and method alone");
      }
      indexes.add(new BranchConstraintCommands.NewIndex(o.name(), o.columns(), o.method()));
    }
    return indexes;
  }

  /** The names of drop_index operations; any other field, or another operation among them: 422. */
  private static List<String> indexesDropped(List<Requests.SchemaOperation> operations) {
    return namesAlone(operations, DROP_INDEX, "an index's");
  }

  /** The names of drop_constraint operations; any other field, or another operation among them: 422. */
  private static List<String> constraintsDropped(List<Requests.SchemaOperation> operations) {
    return namesAlone(operations, DROP_CONSTRAINT, "a constraint's");
  }

  /** The names of operations {@code op}, which take a name alone; any other field, or another operation: 422. */
  private static List<String> namesAlone(List<Requests.SchemaOperation> operations, String op, String whose) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < operations.size(); i++) {
      Requests.SchemaOperation o = operations.get(i);
      String at = "operations[" + i + "]";
      if (o == null || !op.equals(o.op())) {
        throw StrataException.invalid(at + ".op", "one kind of operation a request: these are " + op);
      }
      if (o.type() != null || o.nullable() != null || o.defaultValue() != null || o.newName() != null
          || o.dropDefault() != null || o.check() != null || o.columns() != null || o.method() != null
          || o.unique() != null) {
        throw StrataException.invalid(at, op + " takes " + whose + " name alone");
      }
      names.add(o.name());
    }
    return names;
  }

  /** The renames of rename_column operations; any other field, or another operation among them: 422. */
  private static List<io.strata.server.domain.BranchSchemaCommand.Rename> renamed(List<Requests.SchemaOperation> operations) {
    List<io.strata.server.domain.BranchSchemaCommand.Rename> renames = new ArrayList<>();
    for (int i = 0; i < operations.size(); i++) {
      Requests.SchemaOperation o = operations.get(i);
      String at = "operations[" + i + "]";
      if (o == null || !RENAME_COLUMN.equals(o.op())) {
        throw StrataException.invalid(at + ".op", "one kind of operation a request: these are " + RENAME_COLUMN);
      }
      if (o.type() != null || o.nullable() != null || o.defaultValue() != null || o.dropDefault() != null
          || o.check() != null) {
        throw StrataException.invalid(at, RENAME_COLUMN + " takes a column's name and its new_name alone");
      }
      renames.add(new io.strata.server.domain.BranchSchemaCommand.Rename(o.name(), o.newName()));
    }
    return renames;
  }

  /** The names of drop_column operations; any other field, or another operation among them: 400/422. */
  private static List<String> dropped(List<Requests.SchemaOperation> operations) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < operations.size(); i++) {
      Requests.SchemaOperation o = operations.get(i);
      String at = "operations[" + i + "]";
      if (o == null || !DROP_COLUMN.equals(o.op())) {
        throw StrataException.invalid(at + ".op", "one kind of operation a request: these are " + DROP_COLUMN);
      }
      if (o.type() != null || o.nullable() != null || o.defaultValue() != null || o.newName() != null
          || o.dropDefault() != null || o.check() != null) {
        throw StrataException.invalid(at, DROP_COLUMN + " takes a column's name alone");
      }
      names.add(o.name());
    }
    return names;
  }

  private static List<BranchObjects.NewColumn> columns(List<Requests.SchemaOperation> operations) {
    List<BranchObjects.NewColumn> columns = new ArrayList<>();
    for (int i = 0; i < operations.size(); i++) {
      Requests.SchemaOperation o = operations.get(i);
      String at = "operations[" + i + "]";
      if (o != null && (DROP_COLUMN.equals(o.op()) || ALTER_COLUMN.equals(o.op()) || RENAME_COLUMN.equals(o.op())
          || ADD_CONSTRAINT.equals(o.op()) || DROP_CONSTRAINT.equals(o.op()))) {
        throw StrataException.invalid(at + ".op", "one kind of operation a request: these are " + ADD_COLUMN);
      }
      if (o == null || !ADD_COLUMN.equals(o.op())) {
        throw StrataException.invalid(at + ".op", "the schema operations a branch takes are: " + ADD_COLUMN + ", "
            + ALTER_COLUMN + " (a column the branch added: its type or nullability; one of the table's own: its"
            + " nullability or default), " + DROP_COLUMN + ", " + RENAME_COLUMN + ", " + ADD_CONSTRAINT + " and "
            + DROP_CONSTRAINT);
      }
      if (o.dropDefault() != null || o.check() != null) {
        throw StrataException.invalid(at, ADD_COLUMN + " takes a column's name, type, nullability and default");
      }
      JsonNode d = o.defaultValue();
      if (d != null && !d.isNull() && !d.isValueNode()) {
        throw StrataException.invalid(at + ".default", "a JSON string, number or boolean the column's type reads");
      }
      columns.add(new BranchObjects.NewColumn(o.name(), o.type(), o.nullable() == null || o.nullable(),
          d == null || d.isNull() ? null : d.asText()));
    }
    return columns;
  }
}
