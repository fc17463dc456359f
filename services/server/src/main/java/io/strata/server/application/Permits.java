package io.strata.server.application;

import io.strata.server.auth.Permission;
import jakarta.enterprise.util.Nonbinding;
import jakarta.interceptor.InterceptorBinding;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The permission an application service's operation needs of its caller's actor, checked by
 * {@link PermissionCheck} before it runs, for every caller: the API (whose {@code AuthFilter} checked the
 * same rule against the token already) and in-process callers alike. The operation's repository is its
 * first parameter (its name, or its row); its {@link CommandContext} names the actor. Every public
 * operation taking a {@code CommandContext} carries one (a test says so).
 */
@InterceptorBinding
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface Permits {
  @Nonbinding
  Permission value();
}
