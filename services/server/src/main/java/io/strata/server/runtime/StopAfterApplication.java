package io.strata.server.runtime;

import io.quarkus.runtime.Application;

/**
 * Stops what the application runs on (embedded mode's private PostgreSQL, then the data directory's
 * lock) only once the application has stopped: its {@code ShutdownEvent} observers (the reactors
 * releasing their leases, the webhook sender its endpoints, the feed's subscriptions) and its
 * connection pools must still reach the database. A JVM runs its shutdown hooks at once and in no
 * order, so on SIGTERM this hook first stops the application itself: {@link Application#stop()} is
 * idempotent and returns once the stop, whichever hook began it, is complete. The same hook serves an
 * exit the application asks for (System.exit after its own stop) and a failed start.
 */
public final class StopAfterApplication extends Thread {
  private final Runnable[] underneath;

  private StopAfterApplication(Runnable[] underneath) {
    super("strata-stop-after-application");
    this.underneath = underneath;
  }

  /** Closes {@code underneath}, in that order, when the JVM exits, after the application's stop. */
  public static void register(Runnable... underneath) {
    Runtime.getRuntime().addShutdownHook(new StopAfterApplication(underneath));
  }

  @Override
  public void run() {
    Application application = Application.currentApplication();
    if (application != null) {
      try {
        application.stop();
      } catch (IllegalStateException notStarted) {
        // the signal came before Quarkus began to start: nothing of it runs on the database yet
      }
    }
    for (Runnable step : underneath) {
      try {
        step.run();
      } catch (RuntimeException e) {
        // the logging of the stopped application may be gone; the process is ending either way
        System.out.println("Strata: a step of the stop failed: " + e);
      }
    }
  }
}
