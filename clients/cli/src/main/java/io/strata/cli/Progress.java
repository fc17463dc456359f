package io.strata.cli;

import java.io.PrintWriter;

/** A progress bar on stderr for long transfers, drawn only on a terminal (a script's stderr stays clean). */
final class Progress {
  private final PrintWriter err;
  private final String what;
  private final long total;
  private final boolean shown;
  private long done;
  private int lastPercent = -1;

  Progress(PrintWriter err, String what, long total) {
    this.err = err;
    this.what = what;
    this.total = total;
    this.shown = System.console() != null;
  }

  void advance(long bytes) {
    done += bytes;
    if (!shown) {
      return;
    }
    int percent = total > 0 ? (int) Math.min(100, done * 100 / total) : -1;
    if (percent == lastPercent && total > 0) {
      return;
    }
    lastPercent = percent;
    int filled = percent < 0 ? 0 : percent * 30 / 100;
    err.print("\r" + what + " [" + "#".repeat(filled) + " ".repeat(30 - filled) + "] "
        + (percent < 0 ? "" : percent + "% ") + mib(done) + (total > 0 ? " of " + mib(total) : ""));
    err.flush();
  }

  void finish() {
    if (shown) {
      err.println();
      err.flush();
    }
  }

  static String mib(long bytes) {
    return String.format("%.1f MiB", bytes / 1048576.0);
  }
}
