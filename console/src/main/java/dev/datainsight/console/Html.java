package dev.datainsight.console;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Builds HTML with every piece of store text escaped. Query texts, application names, table names,
 * labels and alert summaries are attacker-controlled (anyone who can connect to a monitored server
 * chooses them), so nothing from the store reaches a page except through {@link #text} or
 * {@link #attr}; literal markup is appended with {@link #raw} from constants only.
 */
final class Html {
    private final StringBuilder out = new StringBuilder(8192);

    /** Appends trusted markup (a literal of this code base, never store data). */
    Html raw(String markup) {
        out.append(markup);
        return this;
    }

    /** Appends text, escaped for element content. */
    Html text(Object value) {
        out.append(escape(value == null ? "" : value.toString()));
        return this;
    }

    /** Appends {@code name="value"} with the value escaped for a double-quoted attribute. */
    Html attr(String name, Object value) {
        out.append(' ').append(name).append("=\"").append(escape(value == null ? "" : value.toString())).append('"');
        return this;
    }

    /** Appends an element holding escaped text: {@code <tag class="cls">text</tag>}. */
    Html el(String tag, String cls, Object text) {
        out.append('<').append(tag);
        if (cls != null) {
            attr("class", cls);
        }
        out.append('>');
        text(text);
        return raw("</" + tag + ">");
    }

    /** Appends a link with an escaped href and text. */
    Html link(String href, Object text) {
        raw("<a").attr("href", href).raw(">").text(text);
        return raw("</a>");
    }

    @Override
    public String toString() {
        return out.toString();
    }

    /** Escapes the five characters that matter in element content and quoted attributes. */
    static String escape(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String rep = switch (c) {
                case '<' -> "&lt;";
                case '>' -> "&gt;";
                case '&' -> "&amp;";
                case '"' -> "&quot;";
                case '\'' -> "&#39;";
                default -> null;
            };
            if (rep != null) {
                if (b == null) {
                    b = new StringBuilder(s.length() + 16).append(s, 0, i);
                }
                b.append(rep);
            } else if (b != null) {
                b.append(c);
            }
        }
        return b == null ? s : b.toString();
    }

    /** Percent-encodes one path segment or query value (spaces as %20, never '+'). */
    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
