package dev.datainsight.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * A YAML configuration file read once: its tree, where every key was written, and the problems
 * found so far (duplicate keys are errors). Loaders edit the tree (environment substitution,
 * command-line overrides, deprecated key names) before binding it.
 */
public final class YamlDocument {
    private static final YAMLFactory FACTORY = new YAMLFactory();
    private static final ObjectMapper TREE = new ObjectMapper(FACTORY);

    private final JsonNode root;
    private final Locations locations;
    private final Problems problems;

    private YamlDocument(JsonNode root, Locations locations, Problems problems) {
        this.root = root;
        this.locations = locations;
        this.problems = problems;
    }

    /**
     * Reads a file; relative paths in it resolve against its directory.
     *
     * @throws ConfigException when the file cannot be read or is not YAML
     */
    public static YamlDocument read(Path file, String what) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("cannot read " + what + " " + file + ": " + e.getMessage(), e);
        }
        return parse(text, file.toString(), file.toAbsolutePath().getParent());
    }

    /**
     * Parses YAML text; {@code name} is the file name in problems.
     *
     * @throws ConfigException when the text is not YAML
     */
    public static YamlDocument parse(String text, String name, Path baseDir) {
        Locations locations = new Locations(name, baseDir);
        Problems problems = new Problems(locations);
        index(text, locations, problems);
        JsonNode root;
        try {
            root = TREE.readTree(text);
        } catch (JsonProcessingException e) {
            throw syntax(name, e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            root = JsonNodeFactory.instance.objectNode();
        }
        return new YamlDocument(root, locations, problems);
    }

    /** An empty document (a file left out: every setting takes its default). */
    public static YamlDocument empty(String name) {
        Locations locations = new Locations(name, null);
        return new YamlDocument(JsonNodeFactory.instance.objectNode(), locations, new Problems(locations));
    }

    public JsonNode root() {
        return root;
    }

    public Locations locations() {
        return locations;
    }

    public Problems problems() {
        return problems;
    }

    /**
     * Sets {@code a.b.c=value} from the command line (a text value, converted at binding like a
     * YAML scalar, or a list when written {@code [a, b]}); missing sections are created.
     */
    public void override(String assignment) {
        int eq = assignment.indexOf('=');
        if (eq <= 0 || !root.isObject()) {
            problems.error("", "override must be section.key=value, got '" + assignment + "'");
            return;
        }
        String key = assignment.substring(0, eq).trim();
        String[] path = key.split("\\.");
        ObjectNode node = (ObjectNode) root;
        for (int i = 0; i < path.length - 1; i++) {
            JsonNode child = node.get(path[i]);
            node = child instanceof ObjectNode on ? on : node.putObject(path[i]);
        }
        String value = assignment.substring(eq + 1);
        JsonNode list = flowList(value);
        if (list != null) {
            node.set(path[path.length - 1], list);
        } else {
            node.put(path[path.length - 1], value);
        }
        locations.putOverride(key, "--set " + assignment);
    }

    /** A value written as a YAML flow list ({@code [a, b]}), or null for any other text. */
    private JsonNode flowList(String value) {
        String v = value.strip();
        if (!v.startsWith("[") || !v.endsWith("]")) {
            return null;
        }
        try {
            JsonNode n = TREE.readTree(v);
            return n != null && n.isArray() ? n : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /**
     * Renames keys everywhere in the tree (e.g. deprecated camelCase to snake_case), keeping their
     * locations, and warns once per renamed key. Keys under {@code keep} paths are left alone
     * (free-form maps such as Kafka properties).
     */
    public void renameKeys(Function<String, String> rename, Set<String> keep, String warning) {
        rename("", root, rename, keep, warning);
    }

    private void rename(String path, JsonNode node, Function<String, String> rename, Set<String> keep, String warning) {
        if (keep.contains(path)) {
            return;
        }
        if (node instanceof ObjectNode obj) {
            List<String> names = iterate(obj.fieldNames());
            for (String k : names) {
                String to = rename.apply(k);
                String from = join(path, k);
                if (!to.equals(k)) {
                    String target = join(path, to);
                    if (obj.has(to)) {
                        problems.error(from, "both " + k + " and " + to + " are set", "keep " + to);
                    } else {
                        JsonNode v = obj.remove(k);
                        obj.set(to, v);
                        locations.alias(from, target);
                        problems.warn(from, String.format(warning, target));
                    }
                }
            }
            for (String k : iterate(obj.fieldNames())) {
                rename(join(path, k), obj.get(k), rename, keep, warning);
            }
        } else if (node != null && node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                rename(path + "[" + i + "]", node.get(i), rename, keep, warning);
            }
        }
    }

    private static List<String> iterate(Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    /** {@code a} + {@code b} as a key path. */
    public static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** The key path of a parser position, in the form used by problems ({@code a.b[2].c}). */
    public static String path(JsonStreamContext ctx) {
        Deque<String> parts = new ArrayDeque<>();
        for (JsonStreamContext c = ctx; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inObject() && c.getCurrentName() != null) {
                parts.push("." + c.getCurrentName());
            } else if (c.inArray() && c.getCurrentIndex() >= 0) {
                parts.push("[" + c.getCurrentIndex() + "]");
            }
        }
        String s = String.join("", parts);
        return s.startsWith(".") ? s.substring(1) : s;
    }

    private static void index(String text, Locations locations, Problems problems) {
        Deque<Set<String>> keys = new ArrayDeque<>();
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                JsonLocation at = p.currentTokenLocation();
                JsonStreamContext ctx = p.getParsingContext();
                switch (t) {
                    case FIELD_NAME -> {
                        String path = path(ctx);
                        if (!keys.isEmpty() && !keys.peek().add(p.currentName())) {
                            problems.add(new Problem(locations.file(), at.getLineNr(), at.getColumnNr(), path,
                                    "duplicate key '" + p.currentName() + "'", "each key once per mapping"));
                        }
                        locations.put(path, at.getLineNr(), at.getColumnNr());
                    }
                    case START_OBJECT, START_ARRAY -> {
                        if (ctx.getParent() != null && ctx.getParent().inArray()) {
                            locations.put(path(ctx.getParent()), at.getLineNr(), at.getColumnNr());
                        }
                        if (ctx.getParent() != null && ctx.getParent().inRoot()) {
                            locations.put("", at.getLineNr(), at.getColumnNr());
                        }
                        keys.push(t == JsonToken.START_OBJECT ? new HashSet<>() : Set.of());
                    }
                    case END_OBJECT, END_ARRAY -> keys.pop();
                    default -> {
                        if (ctx.inArray()) {
                            locations.put(path(ctx), at.getLineNr(), at.getColumnNr());
                        }
                    }
                }
            }
        } catch (JsonProcessingException e) {
            throw syntax(locations.file(), e);
        } catch (IOException e) {
            throw new ConfigException("cannot read " + locations.file() + ": " + e.getMessage(), e);
        }
    }

    private static ConfigException syntax(String name, JsonProcessingException e) {
        JsonLocation l = e.getLocation();
        String msg = e.getOriginalMessage() == null ? String.valueOf(e.getMessage()) : e.getOriginalMessage();
        Problem p = new Problem(name, l == null ? 0 : l.getLineNr(), l == null ? 0 : l.getColumnNr(), "",
                "not valid YAML: " + msg.lines().findFirst().orElse(msg), "");
        return new ConfigException("", List.of(p));
    }
}
