package io.strata.server.api;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * Numbers in request bodies keep every digit and their scale ({@code 12345678901234567890.123456789},
 * {@code 1.50}): a row's numeric column is written as given, never through a double.
 */
@Singleton
public class ExactNumbers implements ObjectMapperCustomizer {
  @Override
  public void customize(ObjectMapper mapper) {
    mapper.enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    mapper.setNodeFactory(JsonNodeFactory.withExactBigDecimals(true));
  }
}
