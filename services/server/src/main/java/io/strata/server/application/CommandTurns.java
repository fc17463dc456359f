package io.strata.server.application;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Whose turn it is among one repository's commands ({@link CommandProcessor}): a command starts once no earlier one
 * whose {@link Footprint} overlaps its own is still waiting or running; the commands without data work as one batch
 * (when none is being appended), each command with data work on its own, at most {@link #MAX_AT_WORK} at once. A
 * command with data work keeps its footprint until it is done, and may give its place at work up before that (while it
 * finishes what it leaves to do once its events are recorded). Thread-safe: its own monitor guards it.
 */
final class CommandTurns {
  private static final int MAX_BATCH = 256;
  /** Commands of one repository doing data work at once: each holds a connection of the pool. */
  private static final int MAX_AT_WORK = 4;

  private final ArrayDeque<PendingCommand> waiting = new ArrayDeque<>();
  /** Commands started and not finished: the batch being appended, those at their data work. */
  private final List<PendingCommand> active = new ArrayList<>();
  private boolean batchRunning;
  private int atWork;

  /** The commands {@link #start} started: a batch to decide and append together, and those with data work. */
  record Started(List<PendingCommand> batch, List<PendingCommand> toWork) {}

  synchronized void add(PendingCommand p) {
    waiting.add(p);
  }

  /**
   * Starts, in order, every waiting command whose footprint overlaps none of the running ones' nor an earlier waiting
   * one's; footprints are compared knowing {@code defaultName} is the default branch (null: not known yet).
   */
  synchronized Started start(String defaultName) {
    List<PendingCommand> batch = new ArrayList<>();
    List<PendingCommand> toWork = new ArrayList<>();
    List<Footprint> held = new ArrayList<>();
    active.forEach(p -> held.add(p.footprint));
    List<Footprint> batched = new ArrayList<>();
    for (Iterator<PendingCommand> it = waiting.iterator(); it.hasNext(); ) {
      PendingCommand p = it.next();
      boolean free = held.stream().noneMatch(f -> f.overlaps(p.footprint, defaultName));
      if (free && p.prepare == null && !batchRunning && batch.size() < MAX_BATCH) {
        it.remove();
        batch.add(p); // commands of one batch may overlap: they are decided in order
        batched.add(p.footprint);
        continue;
      }
      if (free && p.prepare != null && atWork + toWork.size() < MAX_AT_WORK
          && batched.stream().noneMatch(f -> f.overlaps(p.footprint, defaultName))) {
        it.remove();
        toWork.add(p);
      }
      held.add(p.footprint); // started or waiting: later overlapping commands come after it
    }
    if (!batch.isEmpty()) {
      batchRunning = true;
      active.addAll(batch);
    }
    atWork += toWork.size();
    active.addAll(toWork);
    return new Started(batch, toWork);
  }

  /** The batch is appended (or failed): its footprints are free, and another batch may start. */
  synchronized void batchDone(List<PendingCommand> batch) {
    active.removeAll(batch);
    batchRunning = false;
  }

  /** A command with data work no longer counts among those at work (once); its footprint stays held. */
  synchronized void leftWork(PendingCommand p) {
    if (!p.leftWork) {
      p.leftWork = true;
      atWork--;
    }
  }

  /** A command with data work is done: its footprint is free (and its place at work, if it kept it). */
  synchronized void workDone(PendingCommand p) {
    active.remove(p);
    leftWork(p);
  }
}
