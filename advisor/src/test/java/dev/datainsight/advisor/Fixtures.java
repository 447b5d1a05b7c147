package dev.datainsight.advisor;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The evidence the recorded answers are about: orders filtered on customer_id by a seq scan. */
final class Fixtures {
  static final String KEY = "sk-test-9f3c1e77d2b04a5e8c61-SECRET";

  static EvidenceBundle evidence(long queryId, String fingerprint) {
    return new EvidenceBundle(
        queryId,
        fingerprint,
        "SELECT o.id, o.total FROM public.orders o WHERE o.customer_id IN (SELECT c.id FROM public.customers c WHERE lower(c.email) = $1)",
        "[{\"Plan\":{\"Node Type\":\"Seq Scan\",\"Relation Name\":\"orders\",\"Filter\":\"(customer_id = $1)\"}}]",
        new EvidenceBundle.Stats(12_000, 48.5, 582_000, 12_000, 9_800_000, 0),
        Set.of("public.orders", "public.customers"),
        Set.of("orders_pkey", "customers_pkey", "customers_email_key"),
        Map.of("public.orders", Set.of("id", "customer_id", "created_at", "status", "total"),
            "public.customers", Set.of("id", "email", "name")),
        List.of(new EvidenceBundle.Finding("seq_scan_filter", "Seq Scan on orders filters 99.9% of rows", 0.9)));
  }

  static EvidenceBundle evidence() {
    return evidence(4242L, "a1b2c3d4");
  }

  static AdvisorConfig config(String baseUrl) {
    return AdvisorConfig.defaults(baseUrl, "test-model", ApiKey.of(KEY))
        .withEnabled(true)
        .withTimeout(Duration.ofSeconds(3));
  }

  private Fixtures() {}
}
