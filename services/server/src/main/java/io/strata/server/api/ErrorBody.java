package io.strata.server.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * Every error answer: {@code {"error": <type>, "message": ..., "details": {...}, "request_id": ...}}; the request's id
 * is the one its {@code X-Request-Id} answer header gives, filled in as the answer leaves ({@link RequestIds}).
 */
public record ErrorBody(String error, String message, Map<String, Object> details,
    @JsonInclude(JsonInclude.Include.NON_NULL) String requestId) {

  public ErrorBody(String error, String message, Map<String, Object> details) {
    this(error, message, details, null);
  }

  ErrorBody withRequestId(String id) {
    return new ErrorBody(error, message, details, id);
  }
}
