package dev.datainsight.cli.inspect;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.Locale;

/**
 * JSON output of {@code inspect}. Values keep the server's text exactly, but every control
 * character (C0, DEL, C1) and bidi-override character is written as a {@code \\uXXXX} escape, so
 * the document is plain printable text even when it ends up on a terminal ({@code jq .} or
 * {@code cat}).
 */
public final class SafeJson {
    private SafeJson() {}

    /** A mapper with the escapes above, indented output. */
    public static ObjectMapper mapper() {
        ObjectMapper m = new ObjectMapper();
        m.enable(SerializationFeature.INDENT_OUTPUT);
        m.getFactory().setCharacterEscapes(new Escapes());
        return m;
    }

    private static final class Escapes extends CharacterEscapes {
        private static final long serialVersionUID = 1L;
        private final int[] ascii = standardAsciiEscapesForJSON();

        Escapes() {
            ascii[0x7f] = ESCAPE_CUSTOM;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            if (ch == 0x7f || Terminal.isUnsafe(ch)) {
                return new SerializedString(String.format(Locale.ROOT, "\\u%04x", ch));
            }
            return null;
        }
    }
}
