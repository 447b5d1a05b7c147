package dev.datainsight.advisor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The endpoint's API key. It is read from an environment variable or a file, handed only to the
 * HTTP client, and never printed: {@link #toString()} is a fixed mask, and errors name the
 * variable or file, never the content.
 */
public final class ApiKey {
  private static final ApiKey NONE = new ApiKey("");
  private final String value;

  private ApiKey(String value) {
    this.value = value;
  }

  /** No key (Ollama and vLLM usually need none). */
  public static ApiKey none() {
    return NONE;
  }

  public static ApiKey of(String value) {
    return value == null || value.isBlank() ? NONE : new ApiKey(value.strip());
  }

  /** The key from environment variable {@code name}; an error if it is unset or blank. */
  public static ApiKey fromEnv(String name) {
    String v = System.getenv(name);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("advisor API key: environment variable " + name + " is not set");
    }
    return new ApiKey(v.strip());
  }

  /** The key from the first line of {@code file}; an error (naming the file only) if unreadable or empty. */
  public static ApiKey fromFile(Path file) {
    String v;
    try {
      v = Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new IllegalArgumentException("advisor API key: cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
    }
    int nl = v.indexOf('\n');
    if (nl >= 0) {
      v = v.substring(0, nl).strip();
    }
    if (v.isEmpty()) {
      throw new IllegalArgumentException("advisor API key: " + file + " is empty");
    }
    return new ApiKey(v);
  }

  boolean isPresent() {
    return !value.isEmpty();
  }

  /** The secret itself: for the HTTP client only. */
  String reveal() {
    return value;
  }

  /** Replaces every occurrence of the key in {@code text} by {@code ***}. */
  String scrub(String text) {
    if (text == null || value.isEmpty()) {
      return text;
    }
    return text.replace(value, "***");
  }

  @Override
  public String toString() {
    return isPresent() ? "ApiKey[***]" : "ApiKey[none]";
  }
}
