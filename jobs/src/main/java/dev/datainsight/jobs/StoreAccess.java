package dev.datainsight.jobs;

import dev.datainsight.jobs.sinks.StoreWriterFactory;
import dev.datainsight.store.StoreWriter;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;

/**
 * The job's access to the store module: opening a JDBC {@link StoreWriter} and applying the
 * migrations. The store module is developed alongside the job; this class binds to its
 * {@code JdbcStoreWriter} and {@code Migrations} entry points.
 */
public final class StoreAccess {
    static final String WRITER_CLASS = "dev.datainsight.store.JdbcStoreWriter";
    static final String MIGRATIONS_CLASS = "dev.datainsight.store.Migrations";

    private StoreAccess() {}

    /** A factory opening JDBC store writers on (url, user, password). */
    public static StoreWriterFactory writerFactory(String url, String user, String password) {
        return () -> openWriter(url, user, password);
    }

    /** Opens a JDBC store writer. */
    public static StoreWriter openWriter(String url, String user, String password) throws Exception {
        Class<?> c = Class.forName(WRITER_CLASS);
        for (Method m : c.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) && StoreWriter.class.isAssignableFrom(m.getReturnType())
                    && m.getParameterCount() == 3 && allStrings(m.getParameterTypes())) {
                return (StoreWriter) m.invoke(null, url, user, password);
            }
        }
        for (Constructor<?> k : c.getConstructors()) {
            if (k.getParameterCount() == 3 && allStrings(k.getParameterTypes())) {
                return (StoreWriter) k.newInstance(url, user, password);
            }
        }
        throw new IllegalStateException(WRITER_CLASS + " has no (url, user, password) entry point");
    }

    /** Applies the store migrations. */
    public static void migrate(String url, String user, String password) throws Exception {
        Class<?> c = Class.forName(MIGRATIONS_CLASS);
        for (Method m : c.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) && m.getName().startsWith("migrate") && m.getParameterCount() == 3
                    && allStrings(m.getParameterTypes())) {
                m.invoke(null, url, user, password);
                return;
            }
        }
        throw new IllegalStateException(MIGRATIONS_CLASS + " has no migrate(url, user, password)");
    }

    private static boolean allStrings(Class<?>[] types) {
        for (Class<?> t : types) {
            if (t != String.class) {
                return false;
            }
        }
        return true;
    }
}
