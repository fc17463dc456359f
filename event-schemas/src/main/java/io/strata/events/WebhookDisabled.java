package io.strata.events;

/**
 * The server disabled a webhook endpoint: its receiver answered 410 Gone, or every attempt failed for
 * longer than the configured limit. A server event: appended to {@link EventEnvelope#SERVER_STREAM}.
 */
public record WebhookDisabled(String id, String url, String reason) implements StrataEvent {
  @Override
  public String subject() {
    return "webhooks/" + id;
  }
}
