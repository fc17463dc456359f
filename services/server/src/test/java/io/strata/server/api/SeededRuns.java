package io.strata.server.api;

import java.util.Random;

/**
 * The runs of a model-based test: each from its own seed ({@code <property>.seed} plus the run's number), as many
 * as {@code <property>.runs}, of {@code <property>.steps} steps; a failing run names its seed and the steps it took.
 */
final class SeededRuns {
  private SeededRuns() {}

  /** One run: {@code steps} random steps drawn from {@code random}, each written to {@code trace}. */
  @FunctionalInterface
  interface Run {
    void run(Random random, int steps, StringBuilder trace) throws Exception;
  }

  static void run(String property, int runs, int steps, long seed, Run run) throws Exception {
    int n = Integer.getInteger(property + ".runs", runs);
    int length = Integer.getInteger(property + ".steps", steps);
    long first = Long.getLong(property + ".seed", seed);
    for (int i = 0; i < n; i++) {
      StringBuilder trace = new StringBuilder();
      try {
        run.run(new Random(first + i), length, trace);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError("run " + i + " (seed " + (first + i) + ") failed after:\n" + trace, e);
      }
    }
  }
}
