package io.strata.projections.delta;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;

/**
 * A row-data role built in part: the calls {@code implementation} has a public method for (same name and
 * parameters) go to it; every other refuses with {@link DeltaUnsupported} (a failed {@code Uni} or {@code Multi}
 * where the role answers one), so a Delta table meets what is not built yet as a clear refusal, never as a wrong
 * answer. The roles' interfaces are PostgreSQL-sized (dozens of schema operations); Delta's grow method by method.
 */
final class PartialRole {
  private PartialRole() {
  }

  static <R> R of(Class<R> role, Object implementation) {
    Map<Method, Method> built = new HashMap<>();
    for (Method m : role.getMethods()) {
      for (Method candidate : implementation.getClass().getMethods()) {
        if (matches(m, candidate)) {
          built.put(m, candidate);
        }
      }
    }
    InvocationHandler handler = (proxy, m, args) -> {
      if (m.getDeclaringClass() == Object.class) {
        return m.getName().equals("toString") ? "Delta " + role.getSimpleName() : m.invoke(implementation, args);
      }
      Method target = built.get(m);
      if (target != null) {
        try {
          return target.invoke(implementation, args);
        } catch (InvocationTargetException e) {
          throw e.getCause();
        }
      }
      if (m.isDefault()) {
        return InvocationHandler.invokeDefault(proxy, m, args);
      }
      DeltaUnsupported refused = new DeltaUnsupported(role.getSimpleName() + "." + m.getName());
      if (m.getReturnType() == Uni.class) {
        return Uni.createFrom().failure(refused);
      }
      if (m.getReturnType() == Multi.class) {
        return Multi.createFrom().failure(refused);
      }
      throw refused;
    };
    return role.cast(Proxy.newProxyInstance(role.getClassLoader(), new Class<?>[] {role}, handler));
  }

  /**
   * Whether {@code candidate} implements {@code m}: same name and parameters, where the role's unit of work type
   * (erased to Object) may be the backend's own unit.
   */
  private static boolean matches(Method m, Method candidate) {
    if (!m.getName().equals(candidate.getName()) || m.getParameterCount() != candidate.getParameterCount()
        || candidate.getDeclaringClass() == Object.class) {
      return false;
    }
    Class<?>[] wanted = m.getParameterTypes();
    Class<?>[] given = candidate.getParameterTypes();
    for (int i = 0; i < wanted.length; i++) {
      if (wanted[i] != given[i] && !(wanted[i] == Object.class && given[i] == io.strata.projections.rowdata.UnitOfWork.class)) {
        return false;
      }
    }
    return true;
  }
}
