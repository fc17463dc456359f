package io.strata.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class FieldHintsTest {
  private static final List<String> COMMIT = List.of("message", "author", "expected_head", "all", "tables", "allow_empty");

  @Test
  void camelCaseAndTyposPointToTheSnakeCaseField() {
    assertThat(FieldHints.closest("expectedHead", COMMIT)).isEqualTo("expected_head");
    assertThat(FieldHints.closest("AllowEmpty", COMMIT)).isEqualTo("allow_empty");
    assertThat(FieldHints.closest("mesage", COMMIT)).isEqualTo("message");
    assertThat(FieldHints.closest("MESSAGE", COMMIT)).isEqualTo("message");
  }

  @Test
  void anotherWordGetsNoHint() {
    assertThat(FieldHints.closest("zz_undocumented", COMMIT)).isNull();
    assertThat(FieldHints.closest("ref", COMMIT)).isNull();
    assertThat(FieldHints.closest("x".repeat(10_000), COMMIT)).isNull();
  }
}
