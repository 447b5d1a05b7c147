package dev.datainsight.cli;

/** Turns exceptions into one line a person can act on. */
final class Errors {
    private Errors() {}

    static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder();
        Throwable cur = t;
        String lastMsg = null;
        while (cur != null) {
            String m = cur.getMessage();
            if (m != null && !m.isBlank() && (lastMsg == null || !lastMsg.contains(m))) {
                if (sb.length() > 0) {
                    sb.append(": ");
                }
                sb.append(m);
                lastMsg = m;
            }
            cur = cur.getCause() == cur ? null : cur.getCause();
        }
        return sb.length() == 0 ? t.getClass().getSimpleName() : sb.toString();
    }
}
