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

  /**
   * {@code call}, with "{@code what}… 3s" counting on stderr while it takes more than a second (on a terminal only):
   * a large merge or commit is one request, whose progress the server does not report, so the time is what shows.
   */
  static <T> T whileWaiting(PrintWriter err, String what, java.util.concurrent.Callable<T> call) throws Exception {
    if (System.console() == null) {
      return call.call();
    }
    long started = System.nanoTime();
    java.util.concurrent.atomic.AtomicBoolean shown = new java.util.concurrent.atomic.AtomicBoolean();
    Thread ticker = new Thread(() -> {
      try {
        Thread.sleep(1000);
        while (!Thread.currentThread().isInterrupted()) {
          shown.set(true);
          err.print("\r" + what + "… " + (System.nanoTime() - started) / 1_000_000_000 + "s");
          err.flush();
          Thread.sleep(500);
        }
      } catch (InterruptedException done) {
        // the call ended
      }
    }, "strata-progress");
    ticker.setDaemon(true);
    ticker.start();
    try {
      return call.call();
    } finally {
      ticker.interrupt();
      ticker.join(1000);
      if (shown.get()) {
        err.print("\r\u001b[2K");
        err.flush();
      }
    }
  }

  static String mib(long bytes) {
    return String.format("%.1f MiB", bytes / 1048576.0);
  }
}
