package io.strata.server.domain;

import java.util.Map;

/** A refusal the client caused: rendered as {@code {"error", "message", "details"}}, never a 500. */
public class StrataException extends RuntimeException {
  private final ErrorCode code;
  private final Map<String, Object> details;

  public StrataException(ErrorCode code, String message) {
    this(code, message, Map.of());
  }

  public StrataException(ErrorCode code, String message, Map<String, Object> details) {
    super(message, null, false, false); // a client error: no stack trace to fill or log
    this.code = code;
    this.details = details;
  }

  public ErrorCode code() {
    return code;
  }

  public Map<String, Object> details() {
    return details;
  }

  public static StrataException badRequest(String message) {
    return new StrataException(ErrorCode.BadRequest, message);
  }

  public static StrataException invalid(String field, String message) {
    return new StrataException(ErrorCode.ValidationError, field + ": " + message, Map.of("field", field));
  }

  public static StrataException repositoryNotFound(String name) {
    return new StrataException(ErrorCode.RepositoryNotFound, "repository '" + name + "' does not exist",
        Map.of("repository", name));
  }

  public static StrataException branchNotFound(String name) {
    return new StrataException(ErrorCode.BranchNotFound, "branch '" + name + "' does not exist",
        Map.of("branch", name));
  }
}
