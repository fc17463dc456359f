package io.strata.cli;

import io.strata.client.api.WebhooksApi;
import io.strata.client.model.CreateWebhook;
import io.strata.client.model.DeliveryPageDto;
import io.strata.client.model.FilterInput;
import io.strata.client.model.PageDtoWebhookDto;
import io.strata.client.model.PatchWebhook;
import io.strata.client.model.RedeliverSince;
import io.strata.client.model.RedeliveredDto;
import io.strata.client.model.WebhookDto;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code strata webhooks}: endpoints that get the events (Standard Webhooks): list, add, remove, pause and resume,
 * rotate the signing secret, see deliveries and send them again.
 */
@Command(name = "webhooks", description = "List, add, change or remove webhooks; see and resend their deliveries",
    subcommands = {WebhooksCommand.Add.class, WebhooksCommand.Remove.class, WebhooksCommand.Deliveries.class,
        WebhooksCommand.Rotate.class, WebhooksCommand.Enable.class, WebhooksCommand.Disable.class,
        WebhooksCommand.Redeliver.class})
final class WebhooksCommand extends Verb {
  @Override
  public Integer call() throws Exception {
    PageDtoWebhookDto page = new WebhooksApi(client()).listWebhooks(1000, 0, null);
    if (!out().printedAsJson(page)) {
      out().table(List.of("ID", "URL", "ENABLED", "DESCRIPTION"), page.getItems().stream().map(w -> List.of(w.getId(),
          w.getUrl(), Boolean.TRUE.equals(w.getEnabled()) ? "yes" : "no (" + w.getDisabledReason() + ")",
          w.getDescription() == null ? "" : w.getDescription())).toList());
    }
    return ExitCodes.OK;
  }

  @Command(name = "add", description = "Add an endpoint; its signing secret is shown this once")
  static final class Add extends Verb {
    @Parameters(paramLabel = "<url>") String url;

    @Option(names = "--description", paramLabel = "<text>") String description;

    @Option(names = "--type", split = ",", paramLabel = "<type>", description = "Only these event types (io.strata.tag.created.v1, …)")
    List<String> types;

    @Option(names = "--repository", split = ",", paramLabel = "<name>", description = "Only these repositories' events")
    List<String> repositories;

    @Option(names = "--branch", split = ",", paramLabel = "<pattern>", description = "Only these branches' events")
    List<String> branches;

    @Override
    public Integer call() throws Exception {
      FilterInput filter = types == null && repositories == null && branches == null ? null
          : new FilterInput().types(types).repositories(repositories).branches(branches);
      WebhookDto w = new WebhooksApi(client()).createWebhook(new CreateWebhook().url(url).description(description)
          .filter(filter), null);
      if (!out().printedAsJson(w)) {
        out().line("Added webhook " + w.getId() + " for " + w.getUrl() + ". Its signing secret, shown once:");
        out().line(w.getSecret());
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "rm", description = "Remove an endpoint")
  static final class Remove extends Verb {
    @Parameters(paramLabel = "<id>") String id;

    @Override
    public Integer call() throws Exception {
      new WebhooksApi(client()).deleteWebhook(id, null);
      if (!out().printedAsJson(Map.of("removed", id))) {
        out().line("Removed webhook " + id);
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "deliveries", description = "An endpoint's deliveries, newest first")
  static final class Deliveries extends Verb {
    @Parameters(paramLabel = "<id>") String id;

    @Option(names = {"-n", "--limit"}, defaultValue = "20", paramLabel = "<n>") int limit;

    @Override
    public Integer call() throws Exception {
      DeliveryPageDto page = new WebhooksApi(client()).listDeliveries(id, limit, null, null);
      if (!out().printedAsJson(page)) {
        out().table(List.of("DELIVERY", "EVENT", "REPOSITORY", "STATE", "ATTEMPTS"), page.getItems().stream()
            .map(d -> List.of(String.valueOf(d.getId()), d.getEventType(), String.valueOf(d.getRepository()),
                d.getState(), String.valueOf(d.getAttempts() == null ? 0 : d.getAttempts().size()))).toList());
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "rotate", description = "A new signing secret, shown this once; the old one signs too for a while")
  static final class Rotate extends Verb {
    @Parameters(paramLabel = "<id>") String id;

    @Option(names = "--overlap", paramLabel = "<duration>",
        description = "How long deliveries are also signed with the old secret (30m, 1h, 2d; default: the server's, 24h)")
    String overlap;

    @Override
    public Integer call() throws Exception {
      WebhookDto w = new WebhooksApi(client()).updateWebhook(id, new PatchWebhook().rotateSecret(true)
          .overlap(overlap), null);
      if (!out().printedAsJson(w)) {
        out().line("Rotated the secret of webhook " + w.getId() + " (the old one signs too for "
            + (overlap == null ? "the server's default overlap" : overlap) + "). The new one, shown once:");
        out().line(w.getSecret());
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "enable", description = "Resume deliveries to an endpoint (its queued ones go first)")
  static final class Enable extends Verb {
    @Parameters(paramLabel = "<id>") String id;

    @Override
    public Integer call() throws Exception {
      return enabled(this, id, true);
    }
  }

  @Command(name = "disable", description = "Pause an endpoint: events appended meanwhile are not queued for it")
  static final class Disable extends Verb {
    @Parameters(paramLabel = "<id>") String id;

    @Override
    public Integer call() throws Exception {
      return enabled(this, id, false);
    }
  }

  private static Integer enabled(Verb verb, String id, boolean enabled) throws Exception {
    WebhookDto w = new WebhooksApi(verb.client()).updateWebhook(id, new PatchWebhook().enabled(enabled), null);
    if (!verb.out().printedAsJson(w)) {
      verb.out().line((enabled ? "Enabled" : "Disabled") + " webhook " + w.getId());
    }
    return ExitCodes.OK;
  }

  @Command(name = "redeliver", description = "Send one delivery again, or every event since a log position",
      customSynopsis = "strata webhooks redeliver <id> (--delivery <delivery> | --since <position>)")
  static final class Redeliver extends Verb {
    @Parameters(paramLabel = "<id>") String id;

    @picocli.CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    What what;

    static final class What {
      @Option(names = "--delivery", paramLabel = "<delivery>", description = "One delivery (see deliveries)")
      String delivery;

      @Option(names = "--since", paramLabel = "<position>",
          description = "Every matching event from this log position on")
      Long since;
    }

    @Override
    public Integer call() throws Exception {
      WebhooksApi webhooks = new WebhooksApi(client());
      RedeliveredDto queued = what.delivery != null ? webhooks.redeliverDelivery(id, what.delivery, null)
          : webhooks.redeliverSince(id, new RedeliverSince().sincePosition(what.since), null);
      if (!out().printedAsJson(queued)) {
        out().line("Queued " + queued.getRedelivered() + " delivery(ies) to webhook " + id + " again");
      }
      return ExitCodes.OK;
    }
  }
}
