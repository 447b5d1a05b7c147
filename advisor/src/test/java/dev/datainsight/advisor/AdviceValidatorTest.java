package dev.datainsight.advisor;

import static dev.datainsight.advisor.Fixtures.evidence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.advisor.AdvisorOutcome.Kind;
import dev.datainsight.advisor.AdvisorOutcome.RejectReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The schema checks and the evidence-name check, one answer each. */
class AdviceValidatorTest {
  private final AdviceValidator validator = new AdviceValidator(new ConfidenceGate(0.6));

  private static String answer(String kind, String target, String sql, String confidence) {
    String sqlField = sql == null ? "" : ", \"sql\": \"" + sql.replace("\"", "\\\"") + "\"";
    return "{\"summary\": \"s\", \"explanation\": \"e\", \"actions\": [{\"kind\": \"" + kind
        + "\", \"target\": \"" + target.replace("\"", "\\\"") + "\"" + sqlField + ", \"why\": \"w\"}], \"confidence\": "
        + confidence + "}";
  }

  private AdvisorOutcome check(String json) {
    return validator.validate(evidence(), json);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "create_index|public.orders(customer_id)|CREATE INDEX CONCURRENTLY orders_cust_idx ON public.orders (customer_id)",
      "create_index|orders|CREATE UNIQUE INDEX IF NOT EXISTS ci ON public.customers USING btree (lower(email))",
      "create_index|orders|create index on ORDERS (customer_id desc nulls last, created_at)",
      "analyze|public.orders|ANALYZE VERBOSE public.orders (customer_id)",
      "set_work_mem|work_mem|SET work_mem = '64MB'",
      "rewrite_query|orders|SELECT o.id FROM orders AS o WHERE o.status = 'ghost_table' /* nonexistent_idx */",
      "rewrite_query|orders|WITH recent AS (SELECT id FROM orders WHERE created_at > now()) SELECT count(*) FROM recent",
      "rewrite_query|orders|SELECT \"id\" FROM \"public\".\"orders\" WHERE total > $1",
      "other|customers_email_key|REINDEX",
  })
  void knownNames_areAccepted(String kind, String target, String sql) {
    AdvisorOutcome o = check(answer(kind, target, sql.equals("REINDEX") ? null : sql, "0.9"));
    assertEquals(Kind.ACCEPTED, o.kind(), o.toString());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "create_index|public.orders|CREATE INDEX ON public.orders (ghost)|\"ghost\"",
      "create_index|public.orders|CREATE INDEX ON public.orders (email)|not a column of public.orders",
      "create_index|public.orders|CREATE INDEX ON public.orders USING btree (lower(email))|not a column of public.orders",
      "create_index|public.line_items(order_id)||\"line_items\"",
      "analyze|public.shipments|ANALYZE public.shipments|\"shipments\"",
      "other|orders|DROP INDEX orders_customer_idx|\"orders_customer_idx\"",
      "rewrite_query|orders|SELECT o.id FROM orders o JOIN invoices i ON i.order_id = o.id|\"invoices\"",
      "rewrite_query|orders|SELECT \"Orders\".id FROM \"Orders\"|\"Orders\"",
      "analyze|orders|SET work_mem = '1GB'|\"work_mem\"",
      "rewrite_query|orders|SELECT secret_fn(id) FROM orders|\"secret_fn\"",
      "other|the application layer||\"the\"",
  })
  void unknownNames_areRejected(String kind, String target, String sql, String expected) {
    AdvisorOutcome o = check(answer(kind, target, sql == null || sql.isEmpty() ? null : sql, "0.9"));
    assertEquals(RejectReason.UNKNOWN_IDENTIFIER, o.reason(), o.toString());
    assertTrue(o.detail().contains(expected), o.detail());
  }

  @Test
  void unterminatedLiteral_isUnparseable() {
    AdvisorOutcome o = check(answer("rewrite_query", "orders", "SELECT id FROM orders WHERE status = 'open", "0.9"));
    assertEquals(RejectReason.UNPARSEABLE_SQL, o.reason(), o.toString());
  }

  @Test
  void schemaViolations_haveTheirOwnReasons() {
    String ok = answer("analyze", "orders", null, "0.9");
    assertEquals(Kind.ACCEPTED, check(ok).kind());
    assertEquals(RejectReason.MISSING_FIELD, check(ok.replace("\"explanation\": \"e\", ", "")).reason());
    assertEquals(RejectReason.UNKNOWN_FIELD, check(ok.replace("\"why\": \"w\"", "\"why\": \"w\", \"risk\": \"low\"")).reason());
    assertEquals(RejectReason.WRONG_TYPE, check(ok.replace("\"confidence\": 0.9", "\"confidence\": \"0.9\"")).reason());
    assertEquals(RejectReason.WRONG_TYPE, check(ok.replace("\"summary\": \"s\"", "\"summary\": 3")).reason());
    assertEquals(RejectReason.WRONG_TYPE, check(ok.replace("\"why\": \"w\"", "\"why\": \"w\", \"sql\": 1").replace(", \"sql\": 1", ", \"sql\": [1]")).reason());
    assertEquals(RejectReason.BAD_ENUM, check(answer("drop_index", "orders", null, "0.9")).reason());
    assertEquals(RejectReason.BAD_ENUM, check(answer("ANALYZE", "orders", null, "0.9")).reason());
    assertEquals(RejectReason.CONFIDENCE_OUT_OF_RANGE, check(answer("analyze", "orders", null, "1.7")).reason());
    assertEquals(RejectReason.CONFIDENCE_OUT_OF_RANGE, check(answer("analyze", "orders", null, "-0.1")).reason());
    assertEquals(RejectReason.TOO_LONG, check(ok.replace("\"summary\": \"s\"", "\"summary\": \"" + "x".repeat(501) + "\"")).reason());
    assertEquals(Kind.ACCEPTED, check(ok.replace("\"summary\": \"s\"", "\"summary\": \"" + "x".repeat(500) + "\"")).kind());
    assertEquals(Kind.MALFORMED, check(ok + " trailing").kind(), "trailing text");
    assertEquals(Kind.MALFORMED, check("[1, 2]").kind());
    assertEquals(Kind.MALFORMED, check(ok.replace("\"summary\": \"s\"", "\"summary\": \"s\", \"summary\": \"t\"")).kind(), "duplicate key");
  }

  @Test
  void gate_combinesModelAndEvidenceConfidence() {
    assertEquals(0.9 * 0.95, check(answer("analyze", "orders", null, "0.9")).finalConfidence(), 1e-9);
    EvidenceBundle none = new EvidenceBundle(1, "f", "SELECT 1", "", evidence().stats(), evidence().relations(),
        evidence().indexes(), evidence().columns(), java.util.List.of());
    AdvisorOutcome alone = validator.validate(none, answer("analyze", "orders", null, "1.0"));
    assertEquals(RejectReason.LOW_CONFIDENCE, alone.reason(), "a model alone never passes the default gate");
    assertEquals(0.5, alone.finalConfidence(), 1e-9);
  }
}
