package dev.datainsight.console.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * Opaque keyset cursors: the sort key of a row, tagged with the list it belongs to, as base64url
 * of a JSON array. A page continues strictly after the key, so rows added or removed between two
 * pages never shift the others (no duplicates, no gaps among rows that stay). Clients must not
 * build cursors; a cursor of another list, or a damaged one, is refused.
 */
final class Cursor {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Cursor() {}

    /** A cursor of list {@code kind} holding {@code key} (strings, numbers, booleans). */
    static String encode(String kind, Object... key) {
        ArrayNode a = JSON.createArrayNode();
        a.add(kind);
        for (Object o : key) {
            a.add(JSON.valueToTree(o));
        }
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(JSON.writeValueAsBytes(a));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The key of a cursor of list {@code kind} with {@code size} parts, or null when
     * {@code cursor} is null.
     *
     * @throws ApiException when the cursor is not one this list gave out
     */
    static List<JsonNode> decode(String cursor, String kind, int size) {
        if (cursor == null) {
            return null;
        }
        try {
            JsonNode a = JSON.readTree(new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8));
            if (a != null && a.isArray() && a.size() == size + 1 && kind.equals(a.get(0).asText())) {
                List<JsonNode> out = new java.util.ArrayList<>(size);
                for (int i = 1; i <= size; i++) {
                    if (a.get(i).isNull() || a.get(i).isContainerNode()) {
                        throw new ApiException("invalid cursor for " + kind);
                    }
                    out.add(a.get(i));
                }
                return out;
            }
        } catch (ApiException e) {
            throw e;
        } catch (Exception e) {
            // fall through: not base64 or not JSON
        }
        throw new ApiException("invalid cursor for " + kind + ": pass a cursor this list returned (pageInfo.endCursor or an edge's cursor)");
    }
}
