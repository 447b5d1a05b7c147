package dev.datainsight.hosts;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A parser for the Prometheus text exposition format 0.0.4, the format node_exporter serves on
 * {@code /metrics}. The Prometheus Java client only writes this format, so this small parser reads
 * it: {@code # HELP} (with {@code \\} and {@code \n} escapes) and {@code # TYPE} lines, other
 * comments ignored, label values with {@code \\}, {@code \"} and {@code \n} escapes, a trailing
 * comma in the label set, {@code NaN}, {@code +Inf} and {@code -Inf} values, optional integer
 * millisecond timestamps. Histograms and summaries come out as plain samples.
 *
 * <p>A malformed line fails the whole parse with its line number: a half-read exposition would
 * look like vanished filesystems or disks.
 */
public final class PromTextParser {
  private static final Pattern NUMBER =
      Pattern.compile("[+-]?(\\d+\\.?\\d*([eE][+-]?\\d+)?|\\.\\d+([eE][+-]?\\d+)?)");
  private static final Pattern TIMESTAMP = Pattern.compile("-?\\d+");

  private PromTextParser() {}

  /** Thrown for a line that is not in the text format. */
  public static final class ParseException extends RuntimeException {
    private final int line;

    ParseException(int line, String message) {
      super("line " + line + ": " + message);
      this.line = line;
    }

    /** The 1-based line number of the malformed line. */
    public int line() {
      return line;
    }
  }

  /** Parses a whole exposition. */
  public static PromScrape parse(String text) {
    List<PromSample> samples = new ArrayList<>();
    Map<String, String> types = new LinkedHashMap<>();
    Map<String, String> help = new LinkedHashMap<>();
    int lineNo = 0;
    int start = 0;
    int len = text.length();
    while (start < len) {
      int end = text.indexOf('\n', start);
      if (end < 0) {
        end = len;
      }
      lineNo++;
      String line = text.substring(start, end);
      if (line.endsWith("\r")) {
        line = line.substring(0, line.length() - 1);
      }
      start = end + 1;
      parseLine(line, lineNo, samples, types, help);
    }
    return new PromScrape(samples, types, help);
  }

  private static void parseLine(String line, int lineNo, List<PromSample> samples,
      Map<String, String> types, Map<String, String> help) {
    String trimmed = stripLeading(line);
    if (trimmed.isEmpty()) {
      return;
    }
    if (trimmed.charAt(0) == '#') {
      String rest = stripLeading(trimmed.substring(1));
      if (rest.startsWith("HELP ") || rest.startsWith("HELP\t")) {
        String[] parts = splitNameRest(stripLeading(rest.substring(5)));
        if (parts != null) {
          help.put(parts[0], unescapeHelp(parts[1], lineNo));
        }
      } else if (rest.startsWith("TYPE ") || rest.startsWith("TYPE\t")) {
        String[] parts = splitNameRest(stripLeading(rest.substring(5)));
        if (parts == null) {
          throw new ParseException(lineNo, "TYPE without a metric name");
        }
        String type = parts[1].strip();
        switch (type) {
          case "counter", "gauge", "histogram", "summary", "untyped" -> types.put(parts[0], type);
          default -> throw new ParseException(lineNo, "unknown metric type '" + type + "'");
        }
      }
      return; // any other comment
    }
    samples.add(parseSample(trimmed, lineNo));
  }

  private static PromSample parseSample(String s, int lineNo) {
    int i = 0;
    int n = s.length();
    while (i < n && isNameChar(s.charAt(i), i == 0)) {
      i++;
    }
    if (i == 0) {
      throw new ParseException(lineNo, "expected a metric name");
    }
    String name = s.substring(0, i);
    Map<String, String> labels = new LinkedHashMap<>();
    i = skipBlanks(s, i);
    if (i < n && s.charAt(i) == '{') {
      i = skipBlanks(s, i + 1);
      while (true) {
        if (i >= n) {
          throw new ParseException(lineNo, "unterminated label set");
        }
        if (s.charAt(i) == '}') {
          i++;
          break;
        }
        int ls = i;
        while (i < n && isLabelChar(s.charAt(i), i == ls)) {
          i++;
        }
        if (i == ls) {
          throw new ParseException(lineNo, "expected a label name at column " + (i + 1));
        }
        String labelName = s.substring(ls, i);
        i = skipBlanks(s, i);
        if (i >= n || s.charAt(i) != '=') {
          throw new ParseException(lineNo, "expected '=' after label " + labelName);
        }
        i = skipBlanks(s, i + 1);
        if (i >= n || s.charAt(i) != '"') {
          throw new ParseException(lineNo, "expected '\"' to open the value of label " + labelName);
        }
        i++;
        StringBuilder v = new StringBuilder();
        boolean closed = false;
        while (i < n) {
          char c = s.charAt(i++);
          if (c == '\\') {
            if (i >= n) {
              break;
            }
            char e = s.charAt(i++);
            switch (e) {
              case '\\' -> v.append('\\');
              case '"' -> v.append('"');
              case 'n' -> v.append('\n');
              default -> throw new ParseException(lineNo, "invalid escape \\" + e + " in label " + labelName);
            }
          } else if (c == '"') {
            closed = true;
            break;
          } else {
            v.append(c);
          }
        }
        if (!closed) {
          throw new ParseException(lineNo, "unterminated value of label " + labelName);
        }
        if (labels.put(labelName, v.toString()) != null) {
          throw new ParseException(lineNo, "duplicate label " + labelName);
        }
        i = skipBlanks(s, i);
        if (i < n && s.charAt(i) == ',') {
          i = skipBlanks(s, i + 1);
        } else if (i < n && s.charAt(i) != '}') {
          throw new ParseException(lineNo, "expected ',' or '}' after label " + labelName);
        }
      }
    }
    String[] rest = s.substring(i).strip().split("[ \t]+");
    if (rest.length == 0 || rest[0].isEmpty()) {
      throw new ParseException(lineNo, "sample " + name + " has no value");
    }
    if (rest.length > 2) {
      throw new ParseException(lineNo, "unexpected text after the timestamp of " + name);
    }
    double value = parseValue(rest[0], lineNo);
    Long ts = null;
    if (rest.length == 2) {
      if (!TIMESTAMP.matcher(rest[1]).matches()) {
        throw new ParseException(lineNo, "invalid timestamp '" + rest[1] + "'");
      }
      try {
        ts = Long.parseLong(rest[1]);
      } catch (NumberFormatException e) {
        throw new ParseException(lineNo, "timestamp out of range '" + rest[1] + "'");
      }
    }
    return new PromSample(name, labels, value, ts);
  }

  /** A sample value as Go's ParseFloat reads it: decimal, exponent, NaN, ±Inf (any case). */
  static double parseValue(String v, int lineNo) {
    String lower = v.toLowerCase(java.util.Locale.ROOT);
    switch (lower) {
      case "nan", "+nan", "-nan":
        return Double.NaN;
      case "inf", "+inf", "infinity", "+infinity":
        return Double.POSITIVE_INFINITY;
      case "-inf", "-infinity":
        return Double.NEGATIVE_INFINITY;
      default:
        break;
    }
    if (!NUMBER.matcher(v).matches()) {
      throw new ParseException(lineNo, "invalid value '" + v + "'");
    }
    return Double.parseDouble(v);
  }

  private static String unescapeHelp(String text, int lineNo) {
    StringBuilder b = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\' && i + 1 < text.length()) {
        char e = text.charAt(++i);
        switch (e) {
          case '\\' -> b.append('\\');
          case 'n' -> b.append('\n');
          default -> b.append('\\').append(e); // HELP keeps unknown escapes as written
        }
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static String[] splitNameRest(String s) {
    int i = 0;
    while (i < s.length() && isNameChar(s.charAt(i), i == 0)) {
      i++;
    }
    if (i == 0) {
      return null;
    }
    String rest = i < s.length() ? s.substring(i) : "";
    if (!rest.isEmpty() && rest.charAt(0) != ' ' && rest.charAt(0) != '\t') {
      return null;
    }
    return new String[] {s.substring(0, i), stripLeading(rest)};
  }

  private static boolean isNameChar(char c, boolean first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'
        || (!first && c >= '0' && c <= '9');
  }

  private static boolean isLabelChar(char c, boolean first) {
    return c != ':' && isNameChar(c, first);
  }

  private static int skipBlanks(String s, int i) {
    while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
      i++;
    }
    return i;
  }

  private static String stripLeading(String s) {
    int i = skipBlanks(s, 0);
    return i == 0 ? s : s.substring(i);
  }
}
