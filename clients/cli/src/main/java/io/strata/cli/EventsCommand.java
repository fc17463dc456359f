package io.strata.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.client.api.EventsApi;
import io.strata.client.model.CloudEvent;
import io.strata.client.model.EventPage;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code strata events}: the event log, oldest first from {@code --after}: a page, or with {@code -f} the live stream
 * (server-sent events) that goes on until interrupted. Each line starts with the event's position: give the last one
 * as {@code --after} to resume exactly there. {@code --output json}: one CloudEvent per line (NDJSON).
 */
@Command(name = "events", description = "Show the event log, or follow it live (-f), resumable from a position")
final class EventsCommand extends Verb {
  @Option(names = "--after", paramLabel = "<position>", description = "Only events after this position") Long after;

  @Option(names = "--type", split = ",", paramLabel = "<type>",
      description = "Only these types (io.strata.commit.created.v1, …), or a family (io.strata.branch)")
  java.util.List<String> types;

  @Option(names = {"-n", "--limit"}, paramLabel = "<n>", defaultValue = "100", description = "A page's size (default ${DEFAULT-VALUE})")
  int limit;

  @Option(names = {"-f", "--follow"}, description = "Go on with the live stream until interrupted") boolean follow;

  @Option(names = "--all", description = "Every repository's events and the server's (default: the --repo's)") boolean all;

  @Override
  public Integer call() throws Exception {
    String repo = all ? null : repository();
    String typeList = types == null ? null : String.join(",", types);
    if (!follow) {
      EventsApi events = new EventsApi(client());
      EventPage page = repo == null ? events.listEvents(after, null, typeList, null, limit, null)
          : events.listRepositoryEvents(repo, after, typeList, null, limit, null);
      for (CloudEvent e : page.getItems()) {
        print(client().getObjectMapper().valueToTree(e));
      }
      if (!out().json()) {
        spec.commandLine().getErr().println("next: --after " + page.getNext());
        spec.commandLine().getErr().flush();
      }
      return ExitCodes.OK;
    }
    StringBuilder query = new StringBuilder();
    if (repo != null) {
      query.append("&repository=").append(URLEncoder.encode(repo, StandardCharsets.UTF_8));
    }
    if (typeList != null) {
      query.append("&types=").append(URLEncoder.encode(typeList, StandardCharsets.UTF_8));
    }
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(settings().server() + "/api/v1/events"
        + (query.length() == 0 ? "" : "?" + query.substring(1)))).header("Accept", "text/event-stream");
    if (after != null) {
      request.header("Last-Event-ID", after.toString());
    }
    HttpResponse<InputStream> stream = send(request.GET());
    ObjectMapper json = client().getObjectMapper();
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
      StringBuilder data = new StringBuilder();
      for (String line; (line = lines.readLine()) != null; ) {
        if (line.startsWith("data:")) {
          data.append(line.substring(5).strip());
        } else if (line.isEmpty() && data.length() > 0) {
          print(json.readTree(data.toString()));
          data.setLength(0);
        }
      }
    }
    throw new Failures.Refused(ExitCodes.UNAVAILABLE, "the server ended the stream; resume with --after <the last position>");
  }

  private void print(JsonNode event) {
    if (out().json()) {
      out().line(event.toString());
      return;
    }
    out().line(out().yellow(event.path("position").asText()) + "  " + event.path("time").asText() + "  "
        + event.path("type").asText() + "  " + event.path("repository").asText("-") + " "
        + event.path("subject").asText("") + "  " + event.path("actor").asText(""));
  }
}
