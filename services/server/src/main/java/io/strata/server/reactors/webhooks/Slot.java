package io.strata.server.reactors.webhooks;

/** An endpoint whose lease this server holds ({@link WebhookSender}). Its flags change under its own lock. */
final class Slot {
  final String id;
  /** Until when (System.nanoTime) the lease surely holds: its last renewal's start plus the lease. */
  volatile long leasedUntil;
  /** A drain is under way; a second one never runs beside it. */
  boolean draining;
  /** Deliveries may have been queued since the queue was last read: the drain reads it again. */
  boolean dirty;
  /** Attempts since the lease was taken. */
  int attempts;
  /** Let go (or being let go): no drain starts on it any more; a new claim makes a new slot. */
  boolean gone;

  Slot(String id, long leasedUntil) {
    this.id = id;
    this.leasedUntil = leasedUntil;
  }
}
