package io.strata.server.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DatabaseSettingsTest {
  @Test
  void parsesTheUsualUrlForms() {
    DatabaseSettings s = DatabaseSettings.parse("postgresql://strata:p%40ss%3Aword@db.example:6543/meta");
    assertThat(s).isEqualTo(new DatabaseSettings("db.example", 6543, "meta", "strata", "p@ss:word"));
    assertThat(s.quarkusProperties())
        .containsEntry("quarkus.datasource.reactive.url", "postgresql://db.example:6543/meta")
        .containsEntry("quarkus.datasource.jdbc.url", "jdbc:postgresql://db.example:6543/meta")
        .containsEntry("quarkus.datasource.password", "p@ss:word");
    assertThat(s.toString()).doesNotContain("p@ss");

    assertThat(DatabaseSettings.parse("postgres://localhost/strata"))
        .isEqualTo(new DatabaseSettings("localhost", 5432, "strata", "postgres", null));
    assertThat(DatabaseSettings.parse("jdbc:postgresql://h:1/d?user=u&password=x"))
        .isEqualTo(new DatabaseSettings("h", 1, "d", "u", "x"));
  }

  @Test
  void refusesWhatIsNotAPostgresUrl() {
    assertThatThrownBy(() -> DatabaseSettings.parse("mysql://h/d")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DatabaseSettings.parse("postgresql:///d")).isInstanceOf(IllegalArgumentException.class);
  }
}
