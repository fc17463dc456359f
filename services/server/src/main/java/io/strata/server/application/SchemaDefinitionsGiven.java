package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.events.TableShape;
import io.strata.events.TableTracked;
import io.strata.projections.rowdata.BranchObjects;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.RepositoryState;
import io.strata.server.domain.SchemaChoices;
import io.strata.server.domain.StrataException;
import io.strata.server.runtime.StorageBackends;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The definitions a merge's resolutions give columns ({@code schema_resolutions[].definition}), defined by the
 * table's database as {@code add_column} defines a column (its type as PostgreSQL formats it, its default the
 * constant it keeps; an unknown type, a default the type cannot hold or one that is not a constant: 422, nothing
 * changed), so that they compare with the sides' definitions as equals do. Reads nothing else, changes nothing.
 */
final class SchemaDefinitionsGiven {
  private SchemaDefinitionsGiven() {}

  /** {@code choices} afresh (its own record of the resolutions it applies), each definition as the database has it. */
  static Uni<SchemaChoices> defined(StorageBackends backends, String repo, RepositoryState state,
      SchemaChoices choices) {
    List<SchemaChoices.Resolution> defined = new ArrayList<>();
    Uni<Void> chain = Uni.createFrom().voidItem();
    for (int i = 0; i < choices.resolutions().size(); i++) {
      SchemaChoices.Resolution r = choices.resolutions().get(i);
      String at = "schema_resolutions[" + i + "]";
      TableTracked t = state.tables().get(r.table());
      if (t == null) {
        throw new StrataException(ErrorCode.ValidationError, "schema_resolutions names table '" + r.table()
            + "', which the repository does not track", Map.of("table", r.table(), "field", at + ".table"));
      }
      if (r.definition() == null) {
        chain = chain.invoke(() -> defined.add(r));
        continue;
      }
      TableShape.Column d = r.definition();
      BranchObjects.NewColumn asked = new BranchObjects.NewColumn(d.name(), d.type(), d.nullable(), d.defaultValue());
      chain = chain.chain(() -> backends.begin(repo, t.storage())
          .chain(open -> open.unit().roles().branchObjects().define(open.unit(), List.of(asked))
              .onTermination().call(open::rollback))
          .onFailure(BranchObjects.Undefinable.class).transform(e -> new StrataException(ErrorCode.ValidationError,
              "the definition given to column '" + d.name() + "' of table '" + t.name() + "': " + e.getMessage(),
              Map.of("table", t.name(), "column", d.name(), "field", at + ".definition")))
          .invoke(columns -> ColumnOperationInput.requireStoredDefaultFits(columns.get(0), at + ".definition"))
          .invoke(columns -> defined.add(new SchemaChoices.Resolution(r.table(), r.column(), null, null,
              columns.get(0))))
          .replaceWithVoid());
    }
    return chain.map(x -> SchemaChoices.of(choices.strategy(), defined));
  }
}
