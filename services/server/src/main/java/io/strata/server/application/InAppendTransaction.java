package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.server.domain.Commands.Command;
import io.strata.server.domain.RepositoryState;
import io.strata.projections.rowdata.UnitOfWork;

/**
 * Work that turns a request into its command inside the transaction that appends the command's events:
 * a commit captures the staged rows of the tables in the metadata database, a new branch gets its
 * overlays, a tracked table its capture. The work and the events commit together, so a refusal or a
 * conflict rolls the work back. The work runs from a copy of the repository's state while commands
 * outside its footprint go on; the command is then decided again on the live state (see
 * {@link CommandProcessor#execute(String, Footprint, InAppendTransaction, CommandContext, Answer)}).
 */
@FunctionalInterface
public interface InAppendTransaction {
  /** Does the work in {@code tx} against the repository's authoritative {@code state}; answers the command to decide. */
  Uni<Command> prepare(UnitOfWork tx, RepositoryState state);
}
