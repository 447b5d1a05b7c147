package dev.datainsight.console;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A JDBC wrapper around a real connection that records every statement executed through it, with
 * its SQL text and bind parameters (so a test can count them and replay one under EXPLAIN).
 */
final class CountingConnection {
    /** One executed statement: SQL text and its parameters by index (the setter used and the value). */
    record Executed(String sql, Map<Integer, Object[]> params) {}

    final List<Executed> executed = new ArrayList<>();

    Connection wrap(Connection real) {
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (p, m, args) -> {
            Object r = invoke(real, m, args);
            if (r instanceof PreparedStatement ps && m.getName().equals("prepareStatement")) {
                return statement(ps, (String) args[0], PreparedStatement.class);
            }
            if (r instanceof Statement st && m.getName().equals("createStatement")) {
                return statement(st, null, Statement.class);
            }
            return r;
        });
    }

    int count() {
        return executed.size();
    }

    private <S extends Statement> S statement(S real, String sql, Class<S> type) {
        Map<Integer, Object[]> params = new TreeMap<>();
        InvocationHandler h = (p, m, args) -> {
            String name = m.getName();
            if (name.startsWith("set") && args != null && args.length >= 2 && args[0] instanceof Integer i) {
                // Arrays are copied now: the real connection may be closed when a test replays.
                params.put(i, args[1] instanceof java.sql.Array a ? new Object[] {m, args, a.getBaseTypeName(), a.getArray()} : new Object[] {m, args});
            }
            if (name.startsWith("execute")) {
                executed.add(new Executed(sql != null ? sql : (String) args[0], new TreeMap<>(params)));
            }
            return invoke(real, m, args);
        };
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, h));
    }

    /** Runs {@code e}'s SQL on {@code c} with the same parameters, prefixed with {@code prefix} (e.g. EXPLAIN). */
    static PreparedStatement replay(Connection c, Executed e, String prefix) throws Exception {
        PreparedStatement ps = c.prepareStatement(prefix + e.sql());
        for (Object[] set : e.params().values()) {
            Method m = (Method) set[0];
            Object[] args = ((Object[]) set[1]).clone();
            if (set.length == 4) {
                args[1] = c.createArrayOf((String) set[2], (Object[]) set[3]);
            }
            m.invoke(ps, args);
        }
        return ps;
    }

    private static Object invoke(Object target, Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
