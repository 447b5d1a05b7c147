package dev.datainsight.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects every error and warning found while loading one file, each placed at its file, line
 * and column through the document's {@link Locations}. Loaders keep going after an error so that
 * one run reports all of them; {@link #throwIfErrors(String)} ends the load.
 */
public final class Problems {
    private final Locations locations;
    private final List<Problem> errors = new ArrayList<>();
    private final List<Problem> warnings = new ArrayList<>();

    public Problems(Locations locations) {
        this.locations = locations;
    }

    /** Records an error at a key path ({@code a.b[2].c}); a path with no location takes its parent's. */
    public void error(String path, String message, String hint) {
        errors.add(locations.problem(path, message, hint == null ? "" : hint));
    }

    /** Records an error at a key path, without a hint. */
    public void error(String path, String message) {
        error(path, message, "");
    }

    /** Records an error already placed. */
    public void add(Problem p) {
        errors.add(p);
    }

    /** Records a warning already placed. */
    public void warn(Problem p) {
        warnings.add(p);
    }

    /** Records a warning (printed, never fatal). */
    public void warn(String path, String message) {
        warnings.add(locations.problem(path, message, ""));
    }

    public List<Problem> errors() {
        return List.copyOf(errors);
    }

    public List<Problem> warnings() {
        return List.copyOf(warnings);
    }

    public boolean hasErrors() {
        return !errors.isEmpty();
    }

    /** Number of errors so far (to tell whether a section added any). */
    public int errorCount() {
        return errors.size();
    }

    /** The file the problems are about. */
    public Locations locations() {
        return locations;
    }

    /** @throws ConfigException with every error when there is at least one */
    public void throwIfErrors(String title) {
        if (!errors.isEmpty()) {
            throw new ConfigException(title, errors);
        }
    }
}
