package dev.datainsight.cli.inspect;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * An aligned text table: a header row, then rows of cells, columns two spaces apart, numbers
 * right-aligned. Cells are padded on their plain text and coloured afterwards, so colour codes
 * never break the alignment. Cell text must already be {@link Terminal#safe safe}.
 */
public final class Table {
    private final String[] headers;
    private final boolean[] right;
    private final List<String[]> rows = new ArrayList<>();
    private final List<UnaryOperator<String>[]> styles = new ArrayList<>();

    /** Columns by header; a header ending in {@code >} is right-aligned (the {@code >} is not printed). */
    public Table(String... headers) {
        this.headers = new String[headers.length];
        this.right = new boolean[headers.length];
        for (int i = 0; i < headers.length; i++) {
            right[i] = headers[i].endsWith(">");
            this.headers[i] = right[i] ? headers[i].substring(0, headers[i].length() - 1) : headers[i];
        }
    }

    /** A row of cells (null prints as {@code -}). */
    public Table row(String... cells) {
        return row(null, cells);
    }

    /** A row with a style per cell (null: plain). */
    @SuppressWarnings("unchecked")
    public Table row(UnaryOperator<String>[] cellStyles, String... cells) {
        if (cells.length != headers.length) {
            throw new IllegalArgumentException(cells.length + " cells for " + headers.length + " columns");
        }
        String[] c = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            c[i] = cells[i] == null || cells[i].isEmpty() ? "-" : cells[i];
        }
        rows.add(c);
        styles.add(cellStyles == null ? new UnaryOperator[cells.length] : cellStyles);
        return this;
    }

    /** The same style for every cell of a row. */
    @SuppressWarnings("unchecked")
    public static UnaryOperator<String>[] all(int n, UnaryOperator<String> style) {
        UnaryOperator<String>[] s = new UnaryOperator[n];
        java.util.Arrays.fill(s, style);
        return s;
    }

    public int size() {
        return rows.size();
    }

    public int columns() {
        return headers.length;
    }

    /** Prints the table; the header bold when the terminal has colour. */
    public void print(Terminal t) {
        int[] w = new int[headers.length];
        for (int i = 0; i < headers.length; i++) {
            w[i] = width(headers[i]);
        }
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                w[i] = Math.max(w[i], width(r[i]));
            }
        }
        t.println(line(headers, w, null, t));
        for (int k = 0; k < rows.size(); k++) {
            t.println(line(rows.get(k), w, styles.get(k), null));
        }
    }

    private String line(String[] cells, int[] w, UnaryOperator<String>[] st, Terminal header) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            boolean last = i == cells.length - 1;
            String pad = " ".repeat(w[i] - width(cells[i]));
            String text = cells[i];
            if (header != null) {
                text = header.bold(text);
            } else if (st != null && st[i] != null) {
                text = st[i].apply(text);
            }
            if (right[i]) {
                b.append(pad).append(text);
            } else {
                b.append(text);
                if (!last) {
                    b.append(pad);
                }
            }
            if (!last) {
                b.append("  ");
            }
        }
        return b.toString();
    }

    /** Display width: code points, wide East Asian characters counting two. */
    static int width(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            n += isWide(cp) ? 2 : 1;
        }
        return n;
    }

    private static boolean isWide(int cp) {
        return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3)
                || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60)
                || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) || (cp >= 0x20000 && cp <= 0x3fffd);
    }
}
