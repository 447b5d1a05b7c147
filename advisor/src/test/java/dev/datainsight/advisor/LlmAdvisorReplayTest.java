package dev.datainsight.advisor;

import static dev.datainsight.advisor.Fixtures.KEY;
import static dev.datainsight.advisor.Fixtures.config;
import static dev.datainsight.advisor.Fixtures.evidence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.advisor.AdvisorOutcome.Kind;
import dev.datainsight.advisor.AdvisorOutcome.RejectReason;
import dev.datainsight.advisor.ReplayServer.Reply;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The advisor against a local HTTP server replaying recorded chat-completions responses. No
 * model runs here: this covers the client, the validator and the gate, not the quality of any
 * model's advice.
 */
class LlmAdvisorReplayTest {
  private ReplayServer server;
  private final List<AdvisorOutcome> sunk = new CopyOnWriteArrayList<>();
  private LlmAdvisor advisor;

  @BeforeEach
  void start() throws Exception {
    server = new ReplayServer();
  }

  @AfterEach
  void stop() {
    if (advisor != null) {
      advisor.close();
    }
    server.close();
  }

  private LlmAdvisor advisor(AdvisorConfig c) {
    advisor = new LlmAdvisor(c, sunk::add);
    return advisor;
  }

  private static AdvisorOutcome await(java.util.concurrent.CompletableFuture<AdvisorOutcome> f) throws Exception {
    return f.get(10, TimeUnit.SECONDS);
  }

  private AdvisorOutcome replay(String file) throws Exception {
    server.then(Reply.recorded(200, file));
    return await(advisor(config(server.baseUrl())).advise(evidence()));
  }

  @Test
  void validAnswer_isAccepted_andTheRequestCarriesModelKeyAndJsonFormat() throws Exception {
    AdvisorOutcome o = replay("valid.json");

    assertEquals(Kind.ACCEPTED, o.kind(), o.toString());
    assertTrue(o.isAdvice());
    assertEquals(3, o.advice().actions().size());
    assertEquals(Advice.Kind.CREATE_INDEX, o.advice().actions().get(0).kind());
    assertTrue(o.advice().actions().get(0).sql().contains("ON public.orders USING btree (customer_id)"));
    assertEquals(0.85, o.modelConfidence(), 1e-9);
    assertEquals(0.85 * (0.5 + 0.5 * 0.9), o.finalConfidence(), 1e-9);

    assertEquals(1, server.requests());
    ReplayServer.Received r = server.received.get(0);
    assertEquals("/v1/chat/completions", r.path());
    assertEquals("Bearer " + KEY, r.authorization());
    com.fasterxml.jackson.databind.JsonNode req = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
    assertEquals("test-model", req.path("model").asText(), r.body());
    assertEquals("json_object", req.path("response_format").path("type").asText(), r.body());
    assertEquals(2, req.path("messages").size());
    assertTrue(r.body().contains("customer_id"), "the evidence is in the prompt");
    assertEquals(List.of(o), sunk);
    assertEquals(1, advisor.metrics().count("accepted"));
  }

  @Test
  void malformedJson_isMalformed_neverAdvice() throws Exception {
    AdvisorOutcome o = replay("malformed.json");
    assertEquals(Kind.MALFORMED, o.kind(), o.toString());
    assertFalse(o.isAdvice());
    assertNull(o.advice());
    assertTrue(o.rawAnswer().startsWith("Sure! Here is the JSON"), "the raw answer is kept");
  }

  @Test
  void extraField_isRejected() throws Exception {
    AdvisorOutcome o = replay("extra_field.json");
    assertEquals(Kind.REJECTED, o.kind());
    assertEquals(RejectReason.UNKNOWN_FIELD, o.reason());
    assertTrue(o.detail().contains("severity"), o.detail());
    assertNull(o.advice());
  }

  @Test
  void hallucinatedIndex_isRejected() throws Exception {
    AdvisorOutcome o = replay("hallucinated_index.json");
    assertEquals(RejectReason.UNKNOWN_IDENTIFIER, o.reason(), o.toString());
    assertTrue(o.detail().contains("orders_customer_idx"), o.detail());
    assertEquals(1, advisor.metrics().count("rejected:unknown_identifier"));
    assertEquals(List.of(o), sunk, "the rejection goes to the sink with its reason");
    assertTrue(sunk.get(0).rawAnswer().contains("DROP INDEX orders_customer_idx"), "and the raw answer");
  }

  @Test
  void hallucinatedTable_isRejected() throws Exception {
    AdvisorOutcome o = replay("hallucinated_table.json");
    assertEquals(RejectReason.UNKNOWN_IDENTIFIER, o.reason(), o.toString());
    assertTrue(o.detail().contains("order_items"), o.detail());
  }

  @Test
  void columnOfAnotherTable_isRejected() throws Exception {
    AdvisorOutcome o = replay("hallucinated_column.json");
    assertEquals(RejectReason.UNKNOWN_IDENTIFIER, o.reason(), o.toString());
    assertTrue(o.detail().contains("\"email\" is not a column of public.orders"), o.detail());
  }

  @Test
  void confidence1point7_isRejected() throws Exception {
    AdvisorOutcome o = replay("confidence_1_7.json");
    assertEquals(RejectReason.CONFIDENCE_OUT_OF_RANGE, o.reason(), o.toString());
    assertEquals(1.7, o.modelConfidence(), 1e-9);
  }

  @Test
  void lowCombinedConfidence_isNotShownAsAdvice() throws Exception {
    AdvisorOutcome o = replay("low_confidence.json");
    assertEquals(Kind.REJECTED, o.kind());
    assertEquals(RejectReason.LOW_CONFIDENCE, o.reason());
    assertEquals(0.5 * 0.95, o.finalConfidence(), 1e-9);
    assertFalse(o.isAdvice());
  }

  @Test
  void serverSleepingPastTheTimeout_isATimeout_deliveredOnTime() throws Exception {
    server.then(Reply.recorded(200, "valid.json").delayed(3_000));
    LlmAdvisor a = advisor(config(server.baseUrl()).withTimeout(Duration.ofMillis(400)));
    long t0 = System.nanoTime();
    AdvisorOutcome o = await(a.advise(evidence()));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(Kind.TIMEOUT, o.kind(), o.toString());
    assertTrue(ms < 1_500, "outcome after " + ms + " ms");
  }

  @Test
  void http500_isAnHttpError_withoutRetry() throws Exception {
    server.then(Reply.recorded(500, "error_500.json")).then(Reply.recorded(500, "error_500.json"));
    AdvisorOutcome o = await(advisor(config(server.baseUrl())).advise(evidence()));
    assertEquals(Kind.HTTP_ERROR, o.kind(), o.toString());
    assertEquals("endpoint answered HTTP 500", o.detail());
    assertEquals(1, server.requests(), "no retries");
  }

  @Test
  void nonJsonResponseBody_isMalformed() throws Exception {
    server.then(Reply.raw(200, "<html><body>502 Bad Gateway</body></html>"));
    AdvisorOutcome o = await(advisor(config(server.baseUrl())).advise(evidence()));
    assertEquals(Kind.MALFORMED, o.kind(), o.toString());
  }

  @Test
  void slowChunkedBody_withinTheTimeout_isAccepted() throws Exception {
    server.then(Reply.recorded(200, "valid.json").chunked(6, 100));
    AdvisorOutcome o = await(advisor(config(server.baseUrl())).advise(evidence()));
    assertEquals(Kind.ACCEPTED, o.kind(), o.toString());
  }

  @Test
  void slowChunkedBody_pastTheTimeout_isATimeout() throws Exception {
    server.then(Reply.recorded(200, "valid.json").chunked(10, 300));
    LlmAdvisor a = advisor(config(server.baseUrl()).withTimeout(Duration.ofMillis(500)));
    long t0 = System.nanoTime();
    AdvisorOutcome o = await(a.advise(evidence()));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(Kind.TIMEOUT, o.kind(), o.toString());
    assertTrue(ms < 1_500, "outcome after " + ms + " ms");
  }

  @Test
  void http429_isRateLimited_andTheNextCallWaitsLocally() throws Exception {
    server.then(Reply.recorded(429, "error_429.json")).then(Reply.recorded(200, "valid.json"));
    LlmAdvisor a = advisor(config(server.baseUrl()).withRequestsPerMinute(5));
    AdvisorOutcome first = await(a.advise(evidence(1, "f1")));
    assertEquals(Kind.RATE_LIMITED, first.kind(), first.toString());
    assertEquals("endpoint answered HTTP 429", first.detail());
    AdvisorOutcome second = await(a.advise(evidence(2, "f2")));
    assertEquals(Kind.RATE_LIMITED, second.kind());
    assertTrue(second.detail().startsWith("local rate limit"), second.detail());
    assertEquals(1, server.requests(), "the 429 emptied the bucket: no second request");
    assertEquals(2, a.metrics().count("rate_limited"));
  }

  @Test
  void tokenBucket_limitsRequestsPerMinute_andRefills() throws Exception {
    for (int i = 0; i < 3; i++) {
      server.then(Reply.recorded(200, "valid.json"));
    }
    AtomicLong clock = new AtomicLong();
    advisor = new LlmAdvisor(config(server.baseUrl()).withRequestsPerMinute(2), sunk::add, clock::get);
    assertEquals(Kind.ACCEPTED, await(advisor.advise(evidence(1, "f"))).kind());
    assertEquals(Kind.ACCEPTED, await(advisor.advise(evidence(2, "f"))).kind());
    AdvisorOutcome third = await(advisor.advise(evidence(3, "f")));
    assertEquals(Kind.RATE_LIMITED, third.kind());
    assertEquals(2, server.requests());
    clock.addAndGet(Duration.ofSeconds(30).toNanos()); // 2/min: one token back after 30 s
    assertEquals(Kind.ACCEPTED, await(advisor.advise(evidence(3, "f"))).kind(), "a rate limit is not cached");
    assertEquals(3, server.requests());
  }

  @Test
  void cache_answersTheSameQueryAndFingerprintWithoutASecondRequest() throws Exception {
    for (int i = 0; i < 3; i++) {
      server.then(Reply.recorded(200, "valid.json"));
    }
    AtomicLong clock = new AtomicLong();
    advisor = new LlmAdvisor(config(server.baseUrl()).withCacheTtl(Duration.ofHours(1)), sunk::add, clock::get);
    AdvisorOutcome a = await(advisor.advise(evidence(7, "fp1")));
    AdvisorOutcome b = await(advisor.advise(evidence(7, "fp1")));
    assertEquals(Kind.ACCEPTED, b.kind());
    assertEquals(a, b);
    assertEquals(1, server.requests());
    assertEquals(1, advisor.metrics().count("cache_hits"));

    await(advisor.advise(evidence(7, "fp2"))); // a new plan is a new question
    assertEquals(2, server.requests());

    clock.addAndGet(Duration.ofMinutes(61).toNanos());
    await(advisor.advise(evidence(7, "fp1"))); // TTL expired
    assertEquals(3, server.requests());
  }

  @Test
  void timeout_isNotCached_soTheNextCallAsksAgain() throws Exception {
    server.then(Reply.recorded(200, "valid.json").delayed(1_500)).then(Reply.recorded(200, "valid.json"));
    LlmAdvisor a = advisor(config(server.baseUrl()).withTimeout(Duration.ofMillis(300)));
    assertEquals(Kind.TIMEOUT, await(a.advise(evidence())).kind());
    Thread.sleep(1_400); // let the slow reply finish so the next one is served
    AdvisorOutcome o = await(advisor(config(server.baseUrl())).advise(evidence()));
    a.close();
    assertEquals(Kind.ACCEPTED, o.kind(), o.toString());
    assertEquals(2, server.requests());
  }

  @Test
  void disabledByDefault_makesNoRequest() throws Exception {
    AdvisorConfig off = AdvisorConfig.defaults(server.baseUrl(), "test-model", ApiKey.of(KEY));
    assertFalse(off.enabled());
    AdvisorOutcome o = await(advisor(off).advise(evidence()));
    assertEquals(Kind.DISABLED, o.kind());
    assertEquals(0, server.requests());
  }

  @Test
  void unreachableEndpoint_isAnHttpError_notAnException() throws Exception {
    String url = server.baseUrl();
    server.close();
    AdvisorOutcome o = await(advisor(config(url)).advise(evidence()));
    assertEquals(Kind.HTTP_ERROR, o.kind(), o.toString());
    assertNotNull(o.detail());
  }

  @Test
  void aTimedOutRequest_releasesItsWorker_forTheNextCall() throws Exception {
    server.then(Reply.recorded(200, "valid.json"))
        .then(Reply.recorded(200, "valid.json").chunked(20, 250))
        .then(Reply.recorded(200, "valid.json"));
    AdvisorConfig one = new AdvisorConfig(true, server.baseUrl(), "test-model", ApiKey.of(Fixtures.KEY),
        Duration.ofMillis(1_500), 1, 4, 20, Duration.ofHours(1), 0.6, 20_000);
    LlmAdvisor a = advisor(one);
    assertEquals(Kind.ACCEPTED, await(a.advise(evidence(0, "warm"))).kind(), "warm-up");
    assertEquals(Kind.TIMEOUT, await(a.advise(evidence(1, "slow"))).kind());
    long t0 = System.nanoTime();
    AdvisorOutcome next = await(a.advise(evidence(2, "next")));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    // one worker: if the timed-out request still held it (the body streams for 5 s), this call
    // would wait in the queue and time out too
    assertEquals(Kind.ACCEPTED, next.kind(), next + " after " + ms + " ms");
    assertTrue(ms < 1_500, "after " + ms + " ms");
  }

  @Test
  void fullQueue_isRateLimited_withoutARequest() throws Exception {
    for (int i = 0; i < 2; i++) {
      server.then(Reply.recorded(200, "valid.json").delayed(600));
    }
    AdvisorConfig narrow = new AdvisorConfig(true, server.baseUrl(), "test-model", ApiKey.of(Fixtures.KEY),
        Duration.ofSeconds(5), 1, 1, 20, Duration.ofHours(1), 0.6, 20_000);
    LlmAdvisor a = advisor(narrow);
    var first = a.advise(evidence(1, "f")); // runs
    var second = a.advise(evidence(2, "f")); // waits in the queue
    AdvisorOutcome third = await(a.advise(evidence(3, "f")));
    assertEquals(Kind.RATE_LIMITED, third.kind(), third.toString());
    assertTrue(third.detail().startsWith("queue full"), third.detail());
    assertEquals(Kind.ACCEPTED, await(first).kind());
    assertEquals(Kind.ACCEPTED, await(second).kind());
    assertEquals(2, server.requests());
  }

  @Test
  void concurrentCallsForTheSameKey_shareOneRequest() throws Exception {
    server.then(Reply.recorded(200, "valid.json").delayed(300));
    LlmAdvisor a = advisor(config(server.baseUrl()));
    var f1 = a.advise(evidence(9, "fp"));
    var f2 = a.advise(evidence(9, "fp"));
    assertEquals(Kind.ACCEPTED, await(f1).kind());
    assertEquals(await(f1), await(f2));
    assertEquals(1, server.requests());
    assertEquals(1, sunk.size(), "one outcome for the store, not one per caller");
  }
}
