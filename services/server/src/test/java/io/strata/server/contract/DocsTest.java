package io.strata.server.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.server.TestDatabaseResource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README and docs/ stay true and stand alone: the API guide lists exactly the operations the
 * server documents in /openapi.json, and no page links or names a file outside the repository.
 */
@QuarkusTest
@WithTestResource(value = TestDatabaseResource.class, scope = TestResourceScope.GLOBAL)
class DocsTest {
  private static final Path ROOT = Path.of("../..");
  private static final Pattern OPERATION = Pattern.compile("`(GET|POST|PUT|PATCH|DELETE) (/[^`]*)`");
  private static final Pattern OPERATION_ID = Pattern.compile("\\| `(\\w+)` \\| `((?:GET|POST|PUT|PATCH|DELETE) /[^`]*)` \\|");
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)]+)\\)");

  @Test
  void theApiGuideIndexesExactlyTheDocumentedOperations() throws IOException {
    String guide = Files.readString(ROOT.resolve("docs/api.md"));
    List<String> documented = OpenApiDocument.fetch().operations().stream()
        .map(OpenApiDocument.Op::name).sorted().toList();
    Matcher m = OPERATION.matcher(guide.substring(guide.indexOf("## Operations")));
    List<String> indexed = new ArrayList<>();
    while (m.find()) {
      indexed.add(m.group(1) + " " + m.group(2));
    }
    assertThat(indexed.stream().sorted().toList()).isEqualTo(documented);
  }

  /** The guide's table of operationIds is the document's: the names of the generated clients' methods. */
  @Test
  void theApiGuideNamesEveryOperationIdAsTheDocumentDoes() throws IOException {
    String guide = Files.readString(ROOT.resolve("docs/api.md"));
    Matcher row = OPERATION_ID.matcher(guide.substring(0, guide.indexOf("## Operations")));
    List<String> named = new ArrayList<>();
    while (row.find()) {
      named.add(row.group(2) + " " + row.group(1));
    }
    List<String> documented = OpenApiDocument.fetch().operations().stream()
        .map(op -> op.name() + " " + op.node().path("operationId").asText()).sorted().toList();
    assertThat(named.stream().sorted().toList()).isEqualTo(documented);
  }

  @Test
  void noPagePointsOutsideTheRepository() throws IOException {
    List<Path> pages;
    try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
      pages = Stream.concat(Stream.of(ROOT.resolve("README.md"), ROOT.resolve("benchmarks/README.md")),
          docs.filter(p -> p.toString().endsWith(".md"))).toList();
    }
    for (Path page : pages) {
      String text = Files.readString(page);
      assertThat(text).as(page + " names the team's design files").doesNotContain("shared/design", "ARCHITECTURE §",
          "ARCHITECTURE.md", "API.md");
      Matcher link = LINK.matcher(text);
      while (link.find()) {
        String target = link.group(1);
        if (target.startsWith("http://") || target.startsWith("https://") || target.startsWith("#")) {
          continue;
        }
        Path resolved = page.getParent().resolve(target.replaceFirst("#.*", "")).normalize();
        assertThat(resolved.toAbsolutePath().normalize()).as(page + " links " + target)
            .startsWith(ROOT.toAbsolutePath().normalize());
        assertThat(Files.exists(resolved)).as(page + " links " + target + ", which does not exist").isTrue();
      }
    }
  }
}
