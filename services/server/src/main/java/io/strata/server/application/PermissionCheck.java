package io.strata.server.application;

import io.smallrye.mutiny.Uni;
import io.strata.projections.refs.RefRows.RepositoryRow;
import io.strata.server.auth.AccessRules;
import io.strata.server.auth.Grants;
import io.strata.server.auth.Permission;
import io.strata.server.domain.ErrorCode;
import io.strata.server.domain.StrataException;
import jakarta.annotation.Priority;
import jakarta.interceptor.AroundInvoke;
import jakarta.interceptor.Interceptor;
import jakarta.interceptor.InvocationContext;
import java.util.Map;

/**
 * The one place the application checks who may run an operation ({@link Permits}): the rule is the API's
 * ({@link AccessRules}), the grants the actor's. A repository the actor may not see is refused as missing
 * (404 RepositoryNotFound, as the API does), one it sees but may not change with 403 Forbidden. A refused
 * operation does nothing.
 */
@Permits(Permission.OPEN)
@Interceptor
@Priority(Interceptor.Priority.APPLICATION)
public class PermissionCheck {
  @AroundInvoke
  Object check(InvocationContext call) throws Exception {
    Permits rule = call.getMethod().getAnnotation(Permits.class);
    if (rule == null) {
      rule = call.getMethod().getDeclaringClass().getAnnotation(Permits.class);
    }
    Object[] args = call.getParameters();
    CommandContext context = null;
    for (Object a : args) {
      if (a instanceof CommandContext c) {
        context = c;
      }
    }
    String repository = args.length == 0 ? null : repositoryOf(args[0]);
    StrataException refused = refusal(rule == null ? null : rule.value(),
        context == null ? Grants.NONE : context.actor().grants(), context == null ? null : context.actor(), repository);
    if (refused == null) {
      return call.proceed();
    }
    if (Uni.class.isAssignableFrom(call.getMethod().getReturnType())) {
      return Uni.createFrom().failure(refused);
    }
    throw refused;
  }

  /** Why {@code actor} may not run an operation needing {@code permission} on {@code repository}; null: it may. */
  static StrataException refusal(Permission permission, Grants grants, Actor actor, String repository) {
    return switch (AccessRules.decide(permission, grants, repository)) {
      case ALLOW -> null;
      case HIDDEN -> new StrataException(ErrorCode.RepositoryNotFound,
          "repository '" + repository + "' does not exist", Map.of("repository", repository));
      case FORBIDDEN -> new StrataException(ErrorCode.Forbidden, (actor == null ? "anonymous" : actor.label("anonymous"))
          + " (role " + grants.role().wire() + ") may not do this: it needs " + permission, Map.of());
    };
  }

  private static String repositoryOf(Object first) {
    if (first instanceof String name) {
      return name;
    }
    return first instanceof RepositoryRow row ? row.name() : null;
  }
}
