package dev.datainsight.hosts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PromTextParserTest {

  @Test
  void readsHelpTypeLabelsAndValues() {
    String text = """
        # HELP node_filesystem_size_bytes Filesystem size in bytes.\\nSecond line with \\\\ backslash.
        # TYPE node_filesystem_size_bytes gauge
        node_filesystem_size_bytes{device="/dev/vda",fstype="ext4",mountpoint="/"} 2.70553174016e+11
        # a free comment
        node_load1 0.42
        """;
    PromScrape s = PromTextParser.parse(text);
    assertEquals(2, s.samples().size());
    assertEquals("gauge", s.types().get("node_filesystem_size_bytes"));
    assertEquals("Filesystem size in bytes.\nSecond line with \\ backslash.",
        s.help().get("node_filesystem_size_bytes"));
    PromSample fs = s.samples().get(0);
    assertEquals(Map.of("device", "/dev/vda", "fstype", "ext4", "mountpoint", "/"), fs.labels());
    assertEquals(2.70553174016e11, fs.value());
    assertNull(fs.timestampMs());
    assertEquals(0.42, s.first("node_load1"));
  }

  @Test
  void unescapesLabelValues() {
    PromSample p = PromTextParser.parse(
        "m{path=\"C:\\\\dir\\\\x\",q=\"say \\\"hi\\\"\",nl=\"a\\nb\", brace=\"}{,=\"} 1\n").samples().get(0);
    assertEquals("C:\\dir\\x", p.label("path"));
    assertEquals("say \"hi\"", p.label("q"));
    assertEquals("a\nb", p.label("nl"));
    assertEquals("}{,=", p.label("brace"));
  }

  @Test
  void acceptsTrailingCommaBlanksEmptyLabelSetAndCrLf() {
    List<PromSample> s = PromTextParser.parse(
        "a{x=\"1\",} 1\r\n  b { y = \"2\" , z=\"3\" }\t2\r\nc{} 3\n\n").samples();
    assertEquals(3, s.size());
    assertEquals(Map.of("x", "1"), s.get(0).labels());
    assertEquals(Map.of("y", "2", "z", "3"), s.get(1).labels());
    assertEquals(2.0, s.get(1).value());
    assertTrue(s.get(2).labels().isEmpty());
  }

  @Test
  void readsSpecialValuesAndTimestamps() {
    List<PromSample> s = PromTextParser.parse("""
        a NaN
        b +Inf
        c -Inf 1700000000000
        d -1.5e-3 -5
        e 12345678901234567890
        """).samples();
    assertTrue(Double.isNaN(s.get(0).value()));
    assertEquals(Double.POSITIVE_INFINITY, s.get(1).value());
    assertEquals(Double.NEGATIVE_INFINITY, s.get(2).value());
    assertEquals(1700000000000L, s.get(2).timestampMs());
    assertEquals(-0.0015, s.get(3).value());
    assertEquals(-5L, s.get(3).timestampMs());
    assertEquals(1.2345678901234567e19, s.get(4).value());
  }

  @Test
  void histogramsAndSummariesArePlainSamples() {
    PromScrape s = PromTextParser.parse("""
        # TYPE http_request_duration_seconds histogram
        http_request_duration_seconds_bucket{le="0.05"} 24054
        http_request_duration_seconds_bucket{le="+Inf"} 144320
        http_request_duration_seconds_sum 53423
        http_request_duration_seconds_count 144320
        # TYPE rpc_duration_seconds summary
        rpc_duration_seconds{quantile="0.99"} 76656
        rpc_duration_seconds_sum 1.7560473e+07
        rpc_duration_seconds_count 2693
        """);
    assertEquals("histogram", s.types().get("http_request_duration_seconds"));
    assertEquals("summary", s.types().get("rpc_duration_seconds"));
    assertEquals("+Inf", s.named("http_request_duration_seconds_bucket").get(1).label("le"));
    assertEquals(144320.0, s.first("http_request_duration_seconds_count"));
    assertEquals(76656.0, s.first("rpc_duration_seconds"));
    assertEquals(7, s.samples().size());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "m{a=\"1\" 1", // unterminated label set
      "m{a=1} 1", // unquoted value
      "m{a=\"x\\q\"} 1", // bad escape
      "m{a=\"1\",a=\"2\"} 1", // duplicate label
      "m", // no value
      "m 1x", // bad value
      "m 0x10", // hex is not in the format
      "m 1 2 3", // junk after the timestamp
      "m 1 1.5", // fractional timestamp
      "{a=\"1\"} 1", // no name
      "# TYPE m bogus",
  })
  void rejectsMalformedLinesWithTheirNumber(String bad) {
    PromTextParser.ParseException e = assertThrows(PromTextParser.ParseException.class,
        () -> PromTextParser.parse("ok 1\n" + bad + "\n"));
    assertEquals(2, e.line());
  }
}
