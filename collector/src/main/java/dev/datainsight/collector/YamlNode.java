package dev.datainsight.collector;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML document as a tree that remembers where each node was written, so configuration errors
 * can name the line. Duplicate keys are rejected while parsing.
 */
final class YamlNode {
    enum Kind { MAP, SEQ, SCALAR, NULL }

    final Kind kind;
    final int line;
    final int column;
    final Map<String, YamlNode> map = new LinkedHashMap<>();
    final List<YamlNode> seq = new ArrayList<>();
    final String text;

    private YamlNode(Kind kind, JsonLocation loc, String text) {
        this.kind = kind;
        this.line = loc == null ? 0 : loc.getLineNr();
        this.column = loc == null ? 0 : loc.getColumnNr();
        this.text = text;
    }

    /** Parses one document; the empty document is an empty map. */
    static YamlNode parse(Reader in, String file) {
        try (JsonParser p = new YAMLFactory().createParser(in)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return new YamlNode(Kind.MAP, null, null);
            }
            return read(p, file);
        } catch (ConfigException e) {
            throw e;
        } catch (IOException e) {
            String loc = "";
            if (e instanceof com.fasterxml.jackson.core.JsonProcessingException jpe && jpe.getLocation() != null) {
                loc = ":" + jpe.getLocation().getLineNr() + ":" + jpe.getLocation().getColumnNr();
            }
            String msg = e instanceof com.fasterxml.jackson.core.JsonProcessingException jpe
                    ? jpe.getOriginalMessage() : e.getMessage();
            throw new ConfigException(file + loc + ": not valid YAML: " + msg.lines().findFirst().orElse(msg), e);
        }
    }

    private static YamlNode read(JsonParser p, String file) throws IOException {
        JsonLocation loc = p.currentTokenLocation();
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                YamlNode n = new YamlNode(Kind.MAP, loc, null);
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    JsonLocation kl = p.currentTokenLocation();
                    p.nextToken();
                    YamlNode v = read(p, file);
                    if (n.map.put(key, v) != null) {
                        throw new ConfigException(file + ":" + kl.getLineNr() + ":" + kl.getColumnNr()
                                + ": duplicate key '" + key + "'");
                    }
                }
                return n;
            }
            case START_ARRAY -> {
                YamlNode n = new YamlNode(Kind.SEQ, loc, null);
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    n.seq.add(read(p, file));
                }
                return n;
            }
            case VALUE_NULL -> {
                return new YamlNode(Kind.NULL, loc, null);
            }
            default -> {
                return new YamlNode(Kind.SCALAR, loc, p.getText());
            }
        }
    }

    String where(String file) {
        return file + ":" + line + ":" + column;
    }
}
