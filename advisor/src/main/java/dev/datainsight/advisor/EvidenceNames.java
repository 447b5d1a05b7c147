package dev.datainsight.advisor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks that a piece of SQL (an action's {@code sql}) or an action {@code target} names only
 * relations, indexes and columns of the evidence. It is a conservative lexer, not a SQL parser:
 *
 * <ul>
 *   <li>string literals, comments, numbers and {@code $n} parameters are skipped; an unterminated
 *       literal, quoted identifier or comment makes the text unparseable (rejected);
 *   <li>every other word is a SQL keyword, an allowed function (only when followed by
 *       {@code (}), a name the text itself declares (the new index of {@code CREATE INDEX name},
 *       an alias after {@code AS} or right after a known relation, a CTE {@code name AS (}), or a
 *       name of the evidence; each part of a dotted name must be one of those;
 *   <li>inside the parenthesised list after a known relation ({@code ON t [USING m] (a, b)},
 *       {@code t(a)}) every bare word must be a column <em>of that relation</em>;
 *   <li>setting names ({@code work_mem}, ...) are allowed in {@code set_work_mem} actions only.
 * </ul>
 *
 * Anything else is unknown and the answer is rejected: a false rejection costs one piece of
 * advice, a false acceptance could show an index on a column that does not exist.
 */
final class EvidenceNames {

  private static final Set<String> KEYWORDS = Set.of(
      "select", "from", "where", "and", "or", "not", "in", "is", "null", "like", "ilike", "between",
      "group", "by", "order", "having", "limit", "offset", "join", "inner", "left", "right", "full",
      "outer", "cross", "on", "using", "as", "distinct", "case", "when", "then", "else", "end",
      "exists", "union", "all", "any", "some", "create", "index", "concurrently", "if", "unique",
      "analyze", "analyse", "verbose", "set", "to", "local", "session", "reset", "vacuum", "with",
      "asc", "desc", "nulls", "first", "last", "true", "false", "default", "btree", "hash", "gin",
      "gist", "brin", "spgist", "include", "lateral", "values", "insert", "into", "update", "delete",
      "returning", "cast", "interval", "text", "integer", "int", "bigint", "smallint", "numeric",
      "date", "timestamp", "timestamptz", "boolean", "varchar", "over", "partition", "filter",
      "within", "fetch", "next", "rows", "row", "only", "array", "show", "drop", "alter", "table",
      "statistics", "begin", "commit", "transaction", "explain", "intersect", "except", "collate",
      "escape", "similar", "recursive", "materialized", "tablesample", "for", "of");

  private static final Set<String> FUNCTIONS = Set.of(
      "lower", "upper", "coalesce", "count", "sum", "min", "max", "avg", "date_trunc", "now", "abs",
      "length", "substr", "substring", "extract", "cast", "greatest", "least", "nullif",
      "array_agg", "string_agg", "row_number", "rank", "to_char", "md5", "exists", "any", "in",
      "values", "over", "filter", "unnest", "current_date", "current_timestamp");

  private static final Set<String> ORDERING = Set.of("asc", "desc", "nulls", "first", "last");

  /** Settings an {@code set_work_mem} action may name. */
  static final Set<String> SETTINGS = Set.of(
      "work_mem", "hash_mem_multiplier", "maintenance_work_mem", "random_page_cost",
      "effective_io_concurrency", "jit");

  private final Set<String> names = new HashSet<>();
  private final Set<String> relationNames = new HashSet<>();
  private final Map<String, Set<String>> columnsOf = new HashMap<>();

  EvidenceNames(EvidenceBundle e) {
    for (String r : e.relations()) {
      addQualified(r, relationNames);
    }
    for (String i : e.indexes()) {
      addQualified(i, null);
    }
    e.columns().forEach((rel, cols) -> {
      addQualified(rel, relationNames);
      Set<String> c = new HashSet<>(cols);
      columnsOf.computeIfAbsent(rel, k -> new HashSet<>()).addAll(c);
      columnsOf.computeIfAbsent(lastPart(rel), k -> new HashSet<>()).addAll(c);
      names.addAll(c);
    });
  }

  private void addQualified(String name, Set<String> also) {
    names.add(name);
    String[] parts = name.split("\\.");
    for (String p : parts) {
      names.add(p); // the schema and the bare name
    }
    if (also != null) {
      also.add(name);
      also.add(lastPart(name));
    }
  }

  private static String lastPart(String name) {
    int dot = name.lastIndexOf('.');
    return dot < 0 ? name : name.substring(dot + 1);
  }

  /** Empty when every name is known; else a key-free description of the first unknown one. */
  Optional<String> check(String text, boolean settingsAllowed) {
    List<Token> toks;
    try {
      toks = lex(text);
    } catch (IllegalArgumentException ex) {
      return Optional.of("unparseable: " + ex.getMessage());
    }
    List<Name> refs = group(toks);
    Set<String> declared = declarations(toks, refs);
    for (int i = 0; i < refs.size(); i++) {
      Name n = refs.get(i);
      if (n.parts.size() == 1) {
        Token t = n.parts.get(0);
        if (!t.quoted && KEYWORDS.contains(t.text)) {
          continue;
        }
        if (!t.quoted && n.followedByParen && FUNCTIONS.contains(t.text)) {
          continue;
        }
        if (!t.quoted && settingsAllowed && SETTINGS.contains(t.text)) {
          continue;
        }
      }
      for (Token p : n.parts) {
        if (!names.contains(p.text) && !declared.contains(p.text)) {
          return Optional.of("unknown name " + quoteForMessage(p.text));
        }
      }
      if (n.columnListOf != null) {
        Set<String> cols = columnsOf.getOrDefault(n.columnListOf, Set.of());
        Token t = n.parts.get(n.parts.size() - 1);
        if (!cols.contains(t.text)) {
          return Optional.of("column " + quoteForMessage(t.text) + " is not a column of " + n.columnListOf);
        }
      }
    }
    return Optional.empty();
  }

  private static String quoteForMessage(String s) {
    String cut = s.length() > 64 ? s.substring(0, 64) + "..." : s;
    return "\"" + cut.replace("\"", "\"\"") + "\"";
  }

  // --- lexer -------------------------------------------------------------------------------

  private record Token(char kind, String text, boolean quoted) {}

  private static List<Token> lex(String s) {
    List<Token> out = new ArrayList<>();
    int i = 0;
    int n = s.length();
    while (i < n) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '-' && i + 1 < n && s.charAt(i + 1) == '-') {
        int e = s.indexOf('\n', i);
        i = e < 0 ? n : e + 1;
      } else if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
        int e = s.indexOf("*/", i + 2);
        if (e < 0) {
          throw new IllegalArgumentException("unterminated comment");
        }
        i = e + 2;
      } else if (c == '\'') {
        i = skipQuoted(s, i, '\'', "unterminated string literal");
      } else if (c == '"') {
        int e = skipQuoted(s, i, '"', "unterminated quoted identifier");
        out.add(new Token('w', s.substring(i + 1, e - 1).replace("\"\"", "\""), true));
        i = e;
      } else if (c == '$') {
        int j = i + 1;
        while (j < n && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) {
          j++;
        }
        if (j < n && s.charAt(j) == '$') { // dollar quoting: $tag$ ... $tag$
          String tag = s.substring(i, j + 1);
          int e = s.indexOf(tag, j + 1);
          if (e < 0) {
            throw new IllegalArgumentException("unterminated dollar quote");
          }
          i = e + tag.length();
        } else {
          i = j; // $1 parameter
        }
      } else if (Character.isDigit(c)) {
        while (i < n && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.')) {
          i++; // 42, 4.2, 64MB
        }
      } else if (Character.isLetter(c) || c == '_') {
        int j = i;
        while (j < n && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_' || s.charAt(j) == '$')) {
          j++;
        }
        String w = s.substring(i, j);
        if ((w.equalsIgnoreCase("e") || w.equalsIgnoreCase("x") || w.equalsIgnoreCase("b"))
            && j < n && s.charAt(j) == '\'') {
          i = skipQuoted(s, j, '\'', "unterminated string literal"); // E'..', X'..'
        } else {
          out.add(new Token('w', w.toLowerCase(java.util.Locale.ROOT), false));
          i = j;
        }
      } else {
        out.add(new Token(c, String.valueOf(c), false));
        i++;
      }
    }
    return out;
  }

  private static int skipQuoted(String s, int start, char q, String error) {
    int i = start + 1;
    while (i < s.length()) {
      if (s.charAt(i) == q) {
        if (i + 1 < s.length() && s.charAt(i + 1) == q) {
          i += 2;
          continue;
        }
        return i + 1;
      }
      i++;
    }
    throw new IllegalArgumentException(error);
  }

  // --- names -------------------------------------------------------------------------------

  private static final class Name {
    final List<Token> parts = new ArrayList<>();
    int firstToken;
    int lastToken;
    boolean followedByParen;
    String columnListOf;
  }

  /** Groups words into dotted names and marks the column lists that follow a known relation. */
  private List<Name> group(List<Token> toks) {
    List<Name> out = new ArrayList<>();
    String listOf = null;
    int listDepth = 0;
    int depth = 0;
    String pendingRelation = null;
    for (int i = 0; i < toks.size(); i++) {
      Token t = toks.get(i);
      if (t.kind == '(') {
        depth++;
        if (pendingRelation != null && listOf == null) {
          listOf = pendingRelation;
          listDepth = depth;
        }
        pendingRelation = null;
        continue;
      }
      if (t.kind == ')') {
        if (listOf != null && depth == listDepth) {
          listOf = null;
        }
        depth--;
        pendingRelation = null;
        continue;
      }
      if (t.kind != 'w') {
        pendingRelation = null;
        continue;
      }
      Name n = new Name();
      n.firstToken = i;
      n.parts.add(t);
      while (i + 2 < toks.size() && toks.get(i + 1).kind == '.' && toks.get(i + 2).kind == 'w') {
        i += 2;
        n.parts.add(toks.get(i));
      }
      n.lastToken = i;
      n.followedByParen = i + 1 < toks.size() && toks.get(i + 1).kind == '(';
      boolean single = n.parts.size() == 1;
      String word = n.parts.get(0).text;
      if (listOf != null && !n.followedByParen
          && !(single && !n.parts.get(0).quoted && (ORDERING.contains(word) || word.equals("collate")))) {
        n.columnListOf = listOf;
      }
      out.add(n);
      String full = String.join(".", n.parts.stream().map(Token::text).toList());
      if (listOf == null && relationNames.contains(full)) {
        pendingRelation = full.contains(".") && columnsOf.containsKey(full) ? full : lastPart(full);
      } else if (!(pendingRelation != null && single && word.equals("using"))
          && !(pendingRelation != null && single && n.parts.get(0).text.matches("btree|hash|gin|gist|brin|spgist"))) {
        pendingRelation = null;
      }
    }
    return out;
  }

  /** Names the text declares itself: a new index name, aliases, CTE names. */
  private Set<String> declarations(List<Token> toks, List<Name> refs) {
    Set<String> d = new HashSet<>();
    for (int k = 0; k < refs.size(); k++) {
      Name n = refs.get(k);
      if (n.parts.size() != 1) {
        continue;
      }
      String w = n.parts.get(0).text;
      Name prev = k > 0 ? refs.get(k - 1) : null;
      boolean prevAdjacent = prev != null && prev.lastToken == n.firstToken - 1;
      // CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] name ON ...
      if (prevAdjacent && isWord(prev, "index", "concurrently", "exists")
          && n.firstToken + 1 < toks.size() && isWordToken(toks.get(n.firstToken + 1), "on")
          && !KEYWORDS.contains(w)) {
        d.add(w);
      }
      // ... AS alias, and name AS ( for a CTE
      if (prevAdjacent && isWord(prev, "as") && !n.followedByParen && !KEYWORDS.contains(w)) {
        d.add(w);
      }
      if (n.firstToken + 2 < toks.size() && isWordToken(toks.get(n.firstToken + 1), "as")
          && toks.get(n.firstToken + 2).kind == '(') {
        d.add(w);
      }
      // relation alias: FROM orders o
      if (prevAdjacent && !KEYWORDS.contains(w) && !n.followedByParen && prev.columnListOf == null
          && relationNames.contains(String.join(".", prev.parts.stream().map(Token::text).toList()))
          && prev.firstToken > 0 && introducesRelation(toks.get(prev.firstToken - 1))) {
        d.add(w);
      }
    }
    return d;
  }

  private static boolean isWord(Name n, String... words) {
    if (n.parts.size() != 1 || n.parts.get(0).quoted) {
      return false;
    }
    for (String w : words) {
      if (n.parts.get(0).text.equals(w)) {
        return true;
      }
    }
    return false;
  }

  /** FROM, JOIN, UPDATE or a comma (FROM a x, b y): the relation after it may carry an alias. */
  private static boolean introducesRelation(Token t) {
    return t.kind == ',' || isWordToken(t, "from") || isWordToken(t, "join") || isWordToken(t, "update");
  }

  private static boolean isWordToken(Token t, String w) {
    return t.kind == 'w' && !t.quoted && t.text.equals(w);
  }
}
