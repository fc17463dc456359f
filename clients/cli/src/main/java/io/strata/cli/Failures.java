package io.strata.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.client.ApiException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * What went wrong, said in one line on stderr, with the exit status of its kind ({@link ExitCodes}): the server's
 * error ({@code error}, {@code message} and the request's id, to find it in the server's log), or why it was not
 * reached. No stack trace.
 */
final class Failures implements IExecutionExceptionHandler {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public int handleExecutionException(Exception e, CommandLine line, ParseResult parsed) {
    java.io.PrintWriter err = line.getErr();
    String server = line.getCommand() instanceof Verb verb ? verb.serverOrNull() : null;
    String at = server == null ? "" : " at " + server;
    if (e instanceof ApiException api) {
      if (api.getCode() == 0) {
        err.println("strata: cannot reach the server" + at + ": " + unreachable(api.getCause() == null ? api : api.getCause()));
        return ExitCodes.UNAVAILABLE;
      }
      err.println("strata: " + describe(api.getCode(), api.getResponseBody()));
      return ExitCodes.of(api.getCode());
    }
    if (e instanceof Refused refused) {
      err.println("strata: " + refused.getMessage());
      return refused.status;
    }
    if (e instanceof CommandLine.ParameterException usage) {
      err.println("strata: " + usage.getMessage());
      return ExitCodes.USAGE;
    }
    if (e instanceof IOException || e instanceof UncheckedIOException) {
      Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
      if (cause instanceof ConnectException || cause instanceof HttpConnectTimeoutException) {
        err.println("strata: cannot reach the server" + at + ": " + unreachable(cause));
        return ExitCodes.UNAVAILABLE;
      }
      err.println("strata: " + reason(cause));
      return ExitCodes.LOCAL;
    }
    err.println("strata: " + reason(e));
    return ExitCodes.UNAVAILABLE;
  }

  /** An error answer as one line: its message, its type and the request's id. */
  static String describe(int status, String body) {
    try {
      JsonNode error = JSON.readTree(body == null ? "" : body);
      if (error != null && error.hasNonNull("message")) {
        String id = error.hasNonNull("request_id") ? ", request " + error.get("request_id").asText() : "";
        return error.get("message").asText() + " (" + error.path("error").asText("HTTP " + status) + id + ")";
      }
    } catch (IOException notJson) {
      // said below
    }
    return "the server answered HTTP " + status;
  }

  /** Why a connection failed, in words: the JDK's exceptions often carry no message. */
  private static String unreachable(Throwable e) {
    if (e instanceof HttpConnectTimeoutException) {
      return "the connection timed out";
    }
    if (e instanceof ConnectException) {
      return "connection refused (is it running, and is that its address?)";
    }
    if (e instanceof java.nio.channels.UnresolvedAddressException || e instanceof java.net.UnknownHostException) {
      return "unknown host";
    }
    return reason(e);
  }

  private static String reason(Throwable e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  /** A refusal of the command line itself, with its exit status. */
  static final class Refused extends RuntimeException {
    final int status;

    Refused(int status, String message) {
      super(message);
      this.status = status;
    }
  }
}
