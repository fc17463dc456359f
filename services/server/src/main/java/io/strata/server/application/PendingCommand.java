package io.strata.server.application;

import io.strata.events.CommitIds;
import io.strata.events.StrataEvent;
import io.strata.server.domain.Commands.Command;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A command waiting in its repository's queue of the {@link CommandProcessor}, with what it became. */
final class PendingCommand {
  Command command;
  InAppendTransaction prepare;
  /** What of the repository it works on: commands overlapping it wait for it, in order. */
  final Footprint footprint;
  final CommandContext context;
  final Answer answer;
  final CompletableFuture<CommandResponse> result = new CompletableFuture<>();
  List<StrataEvent> events = List.of();
  /** Work once its events are recorded, before commands overlapping it start (null: none); see the processor. */
  java.util.function.Function<List<StrataEvent>, io.smallrye.mutiny.Uni<Void>> recorded;
  /** Completed once its turn is over: its work, and the work once its events are recorded, done. */
  final CompletableFuture<Void> settled = new CompletableFuture<>();
  /** Whether it no longer counts among the repository's commands at work (guarded by {@link CommandTurns}). */
  boolean leftWork;
  /** Whether its events were appended here (not refused, not a replay). */
  boolean appended;
  /** The trace context of the command's span (root without tracing): its data work and append go under it. */
  io.opentelemetry.context.Context trace = io.opentelemetry.context.Context.root();
  /** The incarnation of the branch the request names, as it was when the command was decided. */
  String branchIncarnation;
  private final String storedKey;

  PendingCommand(String repository, Command command, Footprint footprint, CommandContext context, Answer answer) {
    this.command = command;
    this.footprint = footprint;
    this.context = context;
    this.answer = answer;
    // scoped to the repository and the operation: the same key elsewhere is another key
    this.storedKey = context.idempotencyKey() == null ? null : CommitIds.sha256Hex(repository + "\u0000"
        + context.idempotencyScope() + "\u0000" + context.idempotencyKey());
  }

  /** The key as stored: the client's, scoped; {@code null} without an Idempotency-Key. */
  String key() {
    return storedKey;
  }
}
