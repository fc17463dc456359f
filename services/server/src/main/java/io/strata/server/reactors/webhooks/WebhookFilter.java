package io.strata.server.reactors.webhooks;

import io.strata.events.EventType;
import java.util.List;

/**
 * Which events an endpoint receives: each dimension is null (any) or a list the event must be in.
 * An event's branch is its data's {@code branch} field, or {@code name} for the {@code io.strata.branch.*}
 * events; an event without one (a tag, a table tracked) passes only an endpoint without a branch filter.
 * A server event (e.g. {@code io.strata.webhook.disabled.v1}, on the stream {@code $server}) is in no
 * repository: it passes only an endpoint without a repository filter (and without a branch filter),
 * and an endpoint filtering on types receives it when it lists its type. A type matches every version of itself (a
 * filter naming {@code io.strata.merge.started.v2}, or {@code io.strata.merge.started}, receives v3's events): a
 * filter keeps working when its events' type gains a version.
 */
public record WebhookFilter(List<String> repositories, List<String> types, List<String> branches) {
  public static final WebhookFilter ALL = new WebhookFilter(null, null, null);

  public boolean matches(String repository, String type, String branch) {
    return (repositories == null || repositories.contains(repository))
        && (types == null || types.stream().anyMatch(t -> EventType.family(t).equals(EventType.family(type))))
        && (branches == null || (branch != null && branches.contains(branch)));
  }
}
