package io.strata.server.api;

import java.util.Map;

/** Every error answer: {@code {"error": <type>, "message": ..., "details": {...}}}. */
public record ErrorBody(String error, String message, Map<String, Object> details) {}
