package io.strata.promotion;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready while the service follows the server's event feed (it connects again by itself when it is not). */
@Readiness
@ApplicationScoped
public class FeedReadiness implements HealthCheck {
  private final PromotionService service;

  FeedReadiness(PromotionService service) {
    this.service = service;
  }

  @Override
  public HealthCheckResponse call() {
    return HealthCheckResponse.named("event-feed").status(service.following()).build();
  }
}
