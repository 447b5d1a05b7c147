package dev.datainsight.advisor;

import static dev.datainsight.advisor.Fixtures.KEY;
import static dev.datainsight.advisor.Fixtures.config;
import static dev.datainsight.advisor.Fixtures.evidence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.advisor.AdvisorOutcome.Kind;
import dev.datainsight.advisor.ReplayServer.Reply;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.junit.jupiter.api.Test;

/** The API key appears in no log line (at any level), no outcome and no exception message. */
class ApiKeyLeakTest {

  @Test
  void keyNeverInLogsOutcomesOrToString_acrossEveryOutcomeKind() throws Exception {
    StringWriter captured = new StringWriter();
    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    Configuration cfg = ctx.getConfiguration();
    WriterAppender app = WriterAppender.newBuilder()
        .setName("capture")
        .setTarget(captured)
        .setLayout(PatternLayout.newBuilder().withPattern("%p %c %m %ex%n").build())
        .build();
    app.start();
    cfg.getRootLogger().addAppender(app, Level.ALL, null);
    cfg.getRootLogger().setLevel(Level.ALL);
    ctx.updateLoggers();
    List<AdvisorOutcome> outcomes = new ArrayList<>();
    try (ReplayServer server = new ReplayServer()) {
      server.then(Reply.recorded(200, "valid.json"))
          .then(Reply.recorded(200, "hallucinated_index.json"))
          .then(Reply.recorded(200, "malformed.json"))
          .then(Reply.recorded(500, "error_500.json"))
          .then(Reply.recorded(401, "error_401_echoes_key.json"))
          .then(Reply.recorded(429, "error_429.json"))
          .then(Reply.recorded(200, "valid.json").delayed(3_500));
      try (LlmAdvisor a = new LlmAdvisor(config(server.baseUrl()).withTimeout(Duration.ofMillis(2_500)), outcomes::add)) {
        for (int i = 0; i < 7; i++) {
          a.advise(evidence(i, "fp")).get(10, TimeUnit.SECONDS);
          if (i == 5) {
            Thread.sleep(100);
          }
        }
        assertFalse(a.toString().contains(KEY), a.toString());
        String body = server.received.get(4).authorization();
        assertEquals("Bearer " + KEY, body, "the 401 reply did get the key (and echoed it)");
      }
    } finally {
      cfg.getRootLogger().removeAppender("capture");
      ctx.updateLoggers();
      app.stop();
    }
    // 429 drains the bucket only if the local limit is reached: the 7th call may be local-limited.
    List<Kind> kinds = outcomes.stream().map(AdvisorOutcome::kind).toList();
    assertEquals(List.of(Kind.ACCEPTED, Kind.REJECTED, Kind.MALFORMED, Kind.HTTP_ERROR, Kind.HTTP_ERROR,
        Kind.RATE_LIMITED), kinds.subList(0, 6));
    assertEquals("endpoint answered HTTP 401", outcomes.get(4).detail());
    String log = captured.toString();
    assertTrue(log.contains("advisor 3/fp: http_error"), "the capture works: " + log);
    assertFalse(log.contains(KEY), "key in the log output");
    assertFalse(log.contains(KEY.substring(0, 12)), "key prefix in the log output");
    for (AdvisorOutcome o : outcomes) {
      assertFalse(o.toString().contains(KEY), o.toString());
    }
  }

  @Test
  void configAndKeyToString_maskTheKey() {
    AdvisorConfig c = config("http://127.0.0.1:1/v1");
    assertFalse(c.toString().contains(KEY), c.toString());
    assertTrue(c.toString().contains("ApiKey[***]"), c.toString());
    assertEquals("ApiKey[none]", ApiKey.none().toString());
  }

  @Test
  void keyFromFile_isRead_andErrorsNameTheFileNotTheContent() throws Exception {
    Path dir = Files.createDirectories(Path.of("target", "tmp", "apikey"));
    Path f = dir.resolve("key.txt");
    Files.writeString(f, KEY + "\n");
    ApiKey k = ApiKey.fromFile(f);
    assertEquals(KEY, k.reveal());
    assertFalse(k.toString().contains(KEY));

    Path empty = dir.resolve("empty.txt");
    Files.writeString(empty, "\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ApiKey.fromFile(empty));
    assertTrue(e.getMessage().contains("empty.txt"), e.getMessage());

    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> ApiKey.fromEnv("DATAINSIGHT_TEST_NO_SUCH_VARIABLE_9F3C"));
    assertTrue(missing.getMessage().contains("DATAINSIGHT_TEST_NO_SUCH_VARIABLE_9F3C"));
  }
}
