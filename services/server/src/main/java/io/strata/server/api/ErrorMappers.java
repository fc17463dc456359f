package io.strata.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.strata.projections.postgres.PgErrors;
import io.strata.projections.runtime.ProjectionLagging;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import jakarta.ws.rs.NotAcceptableException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The one place exceptions become HTTP answers. Client mistakes get their documented 4xx; an
 * unreachable database gets 503; anything else is logged with an incident id and answered 500
 * without internals.
 */
public class ErrorMappers {
  private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

  public static Response render(ErrorCode code, String message, Map<String, Object> details) {
    return Response.status(ErrorStatuses.of(code))
        .type(MediaType.APPLICATION_JSON_TYPE)
        .entity(new ErrorBody(code.name(), (String) bounded(message, MAX_MESSAGE), bounded(details)))
        .build();
  }

  /** The longest message an error answer carries: what a client sent is echoed, but not without end. */
  static final int MAX_MESSAGE = 1024;

  /** The longest text in an error's details. */
  static final int MAX_DETAIL = 256;

  @SuppressWarnings("unchecked")
  private static Map<String, Object> bounded(Map<String, Object> details) {
    return details == null ? null : (Map<String, Object>) bounded(details, MAX_DETAIL);
  }

  /** {@code value} with every text in it cut to {@code max} characters (saying how long it was). */
  private static Object bounded(Object value, int max) {
    if (value instanceof String text) {
      return text.length() <= max ? text : text.substring(0, max) + "… (" + text.length() + " characters)";
    }
    if (value instanceof Map<?, ?> map) {
      Map<Object, Object> out = new LinkedHashMap<>();
      map.forEach((k, v) -> out.put(k, bounded(v, MAX_DETAIL)));
      return out;
    }
    if (value instanceof List<?> list) {
      return list.stream().map(v -> bounded(v, MAX_DETAIL)).toList();
    }
    return value;
  }

  @ServerExceptionMapper
  public Response strata(StrataException e) {
    return render(e.code(), e.getMessage(), e.details());
  }

  @ServerExceptionMapper
  public Response lagging(ProjectionLagging e) {
    return render(ErrorCode.ProjectionLagging, e.getMessage(), Map.of());
  }

  @ServerExceptionMapper
  public Response json(JsonProcessingException e) {
    if (e instanceof UnrecognizedPropertyException unknown) {
      return strata(Bodies.unknownField(unknown));
    }
    if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
      String field = Bodies.fieldPath(mapping);
      return render(ErrorCode.BadRequest, "request body field '" + field + "' has the wrong type or shape",
          Map.of("field", field));
    }
    return render(ErrorCode.BadRequest, "request body is not valid JSON", Map.of());
  }

  /** More specific than Quarkus' own mapper for this type, which answers an empty 400. */
  @ServerExceptionMapper
  public Response mismatched(MismatchedInputException e) {
    return json(e);
  }

  @ServerExceptionMapper
  public Response web(WebApplicationException e) {
    if (e.getCause() instanceof JsonProcessingException json) {
      return json(json);
    }
    if (e instanceof NotFoundException) {
      return render(ErrorCode.NotFound, "no such endpoint", Map.of());
    }
    if (e instanceof NotAllowedException) {
      return render(ErrorCode.MethodNotAllowed, "method not allowed on this endpoint", Map.of());
    }
    if (e instanceof NotSupportedException) {
      return render(ErrorCode.UnsupportedMediaType, "send application/json", Map.of());
    }
    if (e instanceof NotAcceptableException) {
      return render(ErrorCode.NotAcceptable, "this endpoint answers application/json", Map.of());
    }
    int status = e.getResponse() == null ? 400 : e.getResponse().getStatus();
    if (status == 413) {
      return render(ErrorCode.PayloadTooLarge, "request body too large", Map.of());
    }
    if (status >= 400 && status < 500) {
      return render(ErrorCode.BadRequest, "bad request", Map.of());
    }
    return unexpected(e);
  }

  @ServerExceptionMapper
  public Response unexpected(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof io.strata.projections.delta.DeltaUnsupported) {
        // what Strata does not do with Delta tables yet, refused by name before anything changed
        return render(ErrorCode.ValidationError, c.getMessage(), Map.of());
      }
      if (c instanceof io.strata.projections.delta.ClientValues.Refused refused) {
        return render(ErrorCode.ValidationError, refused.getMessage(), Map.of("column", refused.column()));
      }
      if (c instanceof io.strata.projections.delta.DeltaStateGone) {
        // a state Strata recorded that the table's log no longer has: nothing to retry, nothing changed
        return render(ErrorCode.ValidationError, c.getMessage(), Map.of());
      }
      if (c instanceof io.delta.kernel.exceptions.TableNotFoundException) {
        // a state a commit names whose Delta table was removed outside Strata
        return render(ErrorCode.StorageUnavailable, "a Delta table this request reads is gone: " + c.getMessage(),
            Map.of());
      }
      if (c instanceof io.strata.projections.delta.DeltaMerge.TargetMoved) {
        return render(ErrorCode.ConcurrentWrite, "another writer wrote the Delta table first; retry", Map.of());
      }
    }
    // (after the refusals above, which may wrap an S3 failure of their own)
    RuntimeException s3 = io.strata.projections.delta.S3Failures.of(e);
    if (s3 != null) {
      LOG.warnf("a Delta storage's S3 server failed: %s", s3.toString());
      return render(ErrorCode.StorageUnavailable, io.strata.projections.delta.S3Failures.clientIsToBlame(s3)
          ? "the S3 server of a Delta storage this request needs refused it ("
              + io.strata.projections.delta.S3Failures.describe(s3) + "): the storage's settings or keys need mending"
              + " by the repository's admin; nothing was changed"
          : "the S3 server of a Delta storage this request needs failed ("
              + io.strata.projections.delta.S3Failures.describe(s3) + "); nothing was changed, retry later", Map.of());
    }
    switch (PgErrors.kind(e)) {
      case CONCURRENCY:
        return render(ErrorCode.StorageUnavailable, "the database kept aborting this request for concurrent"
            + " writers; retry", Map.of());
      case REJECTED_DATA:
        // a value the client sent that its column or parameter does not take (out of range, invalid
        // form, NUL, a constraint): translated here once, whatever the endpoint
        LOG.debugf("refused a value the database does not take: %s", PgErrors.message(e));
        return render(ErrorCode.ValidationError, "a value in this request does not fit: " + PgErrors.message(e),
            Map.of("sqlstate", PgErrors.sqlState(e)));
      case PRIVILEGE:
        // the database refusing an object to Strata's own role (a system catalog, say) refuses what the
        // request named; it is not a server failure
        return render(ErrorCode.ValidationError, "the database refused this: " + PgErrors.message(e),
            Map.of("sqlstate", PgErrors.sqlState(e)));
      case RESOURCE_LIMIT:
        if (String.valueOf(PgErrors.sqlState(e)).startsWith("54")) {
          // a limit of the database the request's shape reached (1 600 columns a table, counting dropped
          // ones; a statement too complex): the request cannot be done as it is
          return render(ErrorCode.ValidationError, "this reaches a limit of the database: " + PgErrors.message(e),
              Map.of("sqlstate", PgErrors.sqlState(e)));
        }
        LOG.warnf("database out of resources: %s", e.toString());
        return render(ErrorCode.StorageUnavailable, "a database this request needs is out of resources ("
            + PgErrors.message(e) + "); retry later", Map.of());
      case UNAVAILABLE:
        LOG.warnf("database unavailable: %s", e.toString());
        return render(ErrorCode.StorageUnavailable, "a database this request needs (the metadata database or a"
            + " registered storage) is unavailable; retry later", Map.of());
      default:
        break;
    }
    String incident = UUID.randomUUID().toString();
    LOG.errorf(e, "unexpected error, incident %s", incident);
    return render(ErrorCode.InternalError, "internal error; incident " + incident, Map.of("incident", incident));
  }
}
