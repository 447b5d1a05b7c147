package dev.datainsight.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the JSON examples out of docs/wire-format.md, by their {@code <!-- example: name -->} marker. */
final class DocExamples {
    private static final Pattern BLOCK = Pattern.compile("<!-- example: (\\w+) -->\\s*```json\\n(.*?)```", Pattern.DOTALL);

    private DocExamples() {}

    static Path doc() {
        // Surefire runs in the module directory; the docs live at the repository root.
        Path p = Paths.get("..", "docs", "wire-format.md");
        if (!Files.exists(p)) {
            throw new IllegalStateException("docs/wire-format.md not found from " + Paths.get("").toAbsolutePath());
        }
        return p;
    }

    static Map<String, byte[]> examples() throws IOException {
        String text = Files.readString(doc());
        Map<String, byte[]> out = new LinkedHashMap<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            out.put(m.group(1), m.group(2).getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }
}
