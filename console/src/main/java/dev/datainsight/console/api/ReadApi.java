package dev.datainsight.console.api;

import dev.datainsight.console.Trends;
import dev.datainsight.console.api.ApiReader.AlertFilter;
import dev.datainsight.console.api.ApiReader.Resolution;
import dev.datainsight.console.api.ApiReader.StatementOrder;
import dev.datainsight.console.api.Rows.Alert;
import dev.datainsight.console.api.Rows.Insight;
import dev.datainsight.console.api.Rows.Instance;
import dev.datainsight.console.api.Rows.Page;
import dev.datainsight.console.api.Rows.Point;
import dev.datainsight.console.api.Rows.Series;
import dev.datainsight.console.api.Rows.Statement;
import graphql.ErrorType;
import graphql.ExecutionInput;
import graphql.ExecutionResult;
import graphql.GraphQL;
import graphql.GraphQLError;
import graphql.GraphqlErrorBuilder;
import graphql.analysis.MaxQueryComplexityInstrumentation;
import graphql.analysis.MaxQueryDepthInstrumentation;
import graphql.execution.AbortExecutionException;
import graphql.execution.DataFetcherExceptionHandler;
import graphql.execution.DataFetcherExceptionHandlerResult;
import graphql.execution.instrumentation.ChainedInstrumentation;
import graphql.language.StringValue;
import graphql.schema.Coercing;
import graphql.schema.CoercingParseLiteralException;
import graphql.schema.CoercingParseValueException;
import graphql.schema.CoercingSerializeException;
import graphql.schema.DataFetcher;
import graphql.schema.DataFetchingEnvironment;
import graphql.schema.GraphQLScalarType;
import graphql.schema.GraphQLSchema;
import graphql.schema.GraphqlTypeComparatorRegistry;
import graphql.schema.idl.RuntimeWiring;
import graphql.schema.idl.SchemaGenerator;
import graphql.schema.idl.SchemaParser;
import graphql.schema.idl.SchemaPrinter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.dataloader.DataLoader;
import org.dataloader.DataLoaderFactory;
import org.dataloader.DataLoaderRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read-only GraphQL API ({@code POST /graphql}) over the store: schema from
 * {@code console/api.graphql} (also printed to {@code docs/api.graphql}), data from
 * {@link ApiReader}.
 *
 * <p>No N+1: every field below a list (an instance's open alerts, series, statements and
 * insights; a series' points) loads through a per-request {@link DataLoader}; graphql-java
 * dispatches each loader once per level of the query, and its batch runs one SQL statement per
 * distinct argument set. A query therefore runs a number of statements fixed by its text, not by
 * the number of rows it returns. Each request uses one connection, opened on its first query.
 *
 * <p>Limits: depth {@value #MAX_DEPTH}, complexity {@value #MAX_COMPLEXITY} (about the number of
 * values a query may return: each field counts 1, a connection multiplies its children by
 * {@code first}, points by their number of buckets), {@code first} at most {@value #MAX_FIRST},
 * {@value #MAX_BUCKETS} points per series.
 */
public final class ReadApi {
    private static final Logger LOG = LoggerFactory.getLogger(ReadApi.class);

    /** Where the SDL is on the class path. */
    public static final String SDL_RESOURCE = "/console/api.graphql";
    static final int MAX_DEPTH = 15;
    static final int MAX_COMPLEXITY = 200_000;
    static final int MAX_FIRST = 500;
    static final int MAX_BUCKETS = 1440;
    static final int MAX_METRICS = 50;

    /** Opens a store connection in the reader role (the console's {@code StoreReader::connect}). */
    @FunctionalInterface
    public interface ConnectionSource {
        Connection open() throws SQLException;
    }

    private final ConnectionSource store;
    private final GraphQL graphql;

    public ReadApi(ConnectionSource store) {
        this.store = store;
        this.graphql = GraphQL.newGraphQL(schema(wiring()))
                .instrumentation(new ChainedInstrumentation(List.of(new DepthLimit(), new ComplexityLimit())))
                .defaultDataFetcherExceptionHandler(new Errors())
                .build();
    }

    /** The SDL the API is built from. */
    public static String sdl() {
        try (InputStream in = ReadApi.class.getResourceAsStream(SDL_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing " + SDL_RESOURCE);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The served schema printed as SDL: what {@code docs/api.graphql} holds. */
    public String printSchema() {
        return print(graphql.getGraphQLSchema());
    }

    /**
     * How {@code docs/api.graphql} is printed: every type (by name), fields and values in the order
     * of the SDL, no built-in directive definitions.
     */
    public static String print(GraphQLSchema schema) {
        return new SchemaPrinter(SchemaPrinter.Options.defaultOptions().includeDirectives(false).includeScalarTypes(true)
                .includeSchemaDefinition(false).setComparators(GraphqlTypeComparatorRegistry.AS_IS_REGISTRY)).print(schema);
    }

    /**
     * Runs one GraphQL request and returns its response in the GraphQL-over-HTTP shape
     * ({@code data} and/or {@code errors}).
     */
    public Map<String, Object> execute(String query, String operationName, Map<String, Object> variables) {
        try (Request req = new Request(store)) {
            ExecutionInput input = ExecutionInput.newExecutionInput()
                    .query(query == null ? "" : query)
                    .operationName(operationName)
                    .variables(variables == null ? Map.of() : variables)
                    .graphQLContext(Map.of(Request.class, req))
                    .dataLoaderRegistry(loaders(req))
                    .build();
            ExecutionResult result = graphql.execute(input);
            return result.toSpecification();
        }
    }

    // ---- per-request state ----------------------------------------------------------------------

    /** The request's connection, opened on first use, closed when the request ends. */
    static final class Request implements AutoCloseable {
        private final ConnectionSource source;
        private Connection connection;
        final Instant now = Instant.now();

        Request(ConnectionSource source) {
            this.source = source;
        }

        Connection connection() throws SQLException {
            if (connection == null) {
                connection = source.open();
            }
            return connection;
        }

        @Override
        public void close() {
            if (connection != null) {
                try {
                    connection.close();
                } catch (SQLException e) {
                    LOG.debug("closing the API's store connection: {}", e.getMessage());
                }
            }
        }
    }

    /** A loader key: the parent (instance name, series id) and the field's arguments. */
    record Keyed<P, A>(P parent, A args) {}

    @FunctionalInterface
    private interface BatchSql<P, A, V> {
        Map<P, V> load(Connection c, Collection<P> parents, A args) throws SQLException;
    }

    record AlertArgs(String severity, String after, int first) {}

    record SeriesArgs(List<String> metrics, String after, int first) {}

    record PointArgs(Resolution resolution, Instant from, Instant to) {}

    record StatementArgs(Instant from, Instant to, StatementOrder order, String after, int first) {}

    record InsightArgs(String after, int first) {}

    private static DataLoaderRegistry loaders(Request req) {
        return DataLoaderRegistry.newRegistry()
                .register("openAlerts", loader(req, Page.<Alert>empty(),
                        (BatchSql<String, AlertArgs, Page<Alert>>) (c, ps, a) -> ApiReader.openAlerts(c, ps, new AlertFilter(a.severity(), null, null, null), a.after(), a.first())))
                .register("series", loader(req, Page.<Series>empty(),
                        (BatchSql<String, SeriesArgs, Page<Series>>) (c, ps, a) -> ApiReader.series(c, ps, a.metrics(), a.after(), a.first())))
                .register("points", loader(req, List.<Point>of(),
                        (BatchSql<Long, PointArgs, List<Point>>) (c, ps, a) -> ApiReader.points(c, ps, a.resolution(), a.from(), a.to())))
                .register("statements", loader(req, Page.<Statement>empty(),
                        (BatchSql<String, StatementArgs, Page<Statement>>) (c, ps, a) -> ApiReader.statements(c, ps, a.from(), a.to(), a.order(), a.after(), a.first())))
                .register("insights", loader(req, Page.<Insight>empty(),
                        (BatchSql<String, InsightArgs, Page<Insight>>) (c, ps, a) -> ApiReader.insights(c, ps, null, null, a.after(), a.first())))
                .build();
    }

    /** A batching loader: one SQL statement per distinct argument set among the keys of a dispatch. */
    private static <P, A, V> DataLoader<Keyed<P, A>, V> loader(Request req, V empty, BatchSql<P, A, V> sql) {
        return DataLoaderFactory.newMappedDataLoader((Set<Keyed<P, A>> keys) -> {
            Map<A, List<P>> byArgs = new LinkedHashMap<>();
            for (Keyed<P, A> k : keys) {
                byArgs.computeIfAbsent(k.args(), a -> new ArrayList<>()).add(k.parent());
            }
            Map<Keyed<P, A>, V> out = new HashMap<>();
            try {
                for (Map.Entry<A, List<P>> e : byArgs.entrySet()) {
                    Map<P, V> rows = sql.load(req.connection(), e.getValue(), e.getKey());
                    for (P p : e.getValue()) {
                        out.put(new Keyed<>(p, e.getKey()), rows.getOrDefault(p, empty));
                    }
                }
            } catch (SQLException | RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
            return CompletableFuture.completedFuture(out);
        });
    }

    // ---- wiring ---------------------------------------------------------------------------------

    private static GraphQLSchema schema(RuntimeWiring wiring) {
        return new SchemaGenerator().makeExecutableSchema(new SchemaParser().parse(sdl()), wiring);
    }

    private RuntimeWiring wiring() {
        return RuntimeWiring.newRuntimeWiring()
                .scalar(DATE_TIME)
                .type("Query", t -> t
                        .dataFetcher("instances", env -> {
                            Map<String, String> labels = new TreeMap<>();
                            List<Map<String, Object>> pairs = env.getArgument("label");
                            if (pairs != null) {
                                for (Map<String, Object> p : pairs) {
                                    labels.put((String) p.get("name"), (String) p.get("value"));
                                }
                            }
                            String after = env.getArgument("after");
                            String afterName = after == null ? null : Cursor.decode(after, "instances", 1).get(0).asText();
                            return connection(ApiReader.instances(req(env).connection(), labels, null, afterName, first(env)));
                        })
                        .dataFetcher("instance", env -> {
                            Page<Instance> p = ApiReader.instances(req(env).connection(), Map.of(), env.getArgument("name"), null, 1);
                            return p.rows().isEmpty() ? null : p.rows().get(0);
                        })
                        .dataFetcher("openAlerts", env -> {
                            String instance = env.getArgument("instance");
                            AlertFilter f = new AlertFilter(lower(env.getArgument("severity")), env.getArgument("rule"), null,
                                    lower(env.getArgument("status")));
                            if ("resolved".equals(f.status())) {
                                return connection(Page.empty());
                            }
                            var pages = ApiReader.openAlerts(req(env).connection(), instance == null ? null : List.of(instance), f,
                                    env.getArgument("after"), first(env));
                            return connection(pages.getOrDefault(instance == null ? ApiReader.ALL : instance, Page.empty()));
                        })
                        .dataFetcher("alerts", env -> {
                            Instant[] r = range(env.getArgument("range"));
                            AlertFilter f = new AlertFilter(lower(env.getArgument("severity")), env.getArgument("rule"),
                                    env.getArgument("instance"), lower(env.getArgument("status")));
                            return connection(ApiReader.alertEvents(req(env).connection(), r[0], r[1], f, env.getArgument("after"), first(env)));
                        })
                        .dataFetcher("statements", env -> {
                            Instant[] r = range(env.getArgument("range"));
                            String instance = env.getArgument("instance");
                            var pages = ApiReader.statements(req(env).connection(), instance == null ? null : List.of(instance), r[0], r[1],
                                    StatementOrder.valueOf(env.getArgument("orderBy")), env.getArgument("after"), first(env));
                            return connection(pages.getOrDefault(instance == null ? ApiReader.ALL : instance, Page.empty()));
                        })
                        .dataFetcher("insights", env -> {
                            String instance = env.getArgument("instance");
                            var pages = ApiReader.insights(req(env).connection(), instance == null ? null : List.of(instance),
                                    env.getArgument("kind"), lower(env.getArgument("severity")), env.getArgument("after"), first(env));
                            return connection(pages.getOrDefault(instance == null ? ApiReader.ALL : instance, Page.empty()));
                        })
                        .dataFetcher("trends", env -> trends(env)))
                .type("Trend", t -> t
                        .dataFetcher("metric", env -> this.<Trends.Row>src(env).metric().key)
                        .dataFetcher("title", env -> this.<Trends.Row>src(env).metric().title)
                        .dataFetcher("unit", env -> this.<Trends.Row>src(env).metric().unit)
                        .dataFetcher("sentence", env -> this.<Trends.Row>src(env).sentence()))
                .type("Instance", t -> t
                        .dataFetcher("version", env -> version(this.<Instance>src(env).serverVersionNum()))
                        .dataFetcher("role", env -> {
                            Boolean r = this.<Instance>src(env).inRecovery();
                            return r == null ? null : r ? "STANDBY" : "PRIMARY";
                        })
                        .dataFetcher("state", env -> this.<Instance>src(env).state().toUpperCase(Locale.ROOT))
                        .dataFetcher("reporting", env -> this.<Instance>src(env).lastSeen().isAfter(req(env).now.minus(Duration.ofMinutes(5))))
                        .dataFetcher("openAlertCounts", env -> {
                            Instance i = src(env);
                            return Map.of("critical", i.critical(), "warning", i.warning(), "info", i.info(), "pending", i.pending());
                        })
                        .dataFetcher("openAlerts", env -> load(env, "openAlerts", this.<Instance>src(env).name(),
                                new AlertArgs(lower(env.getArgument("severity")), env.getArgument("after"), first(env))))
                        .dataFetcher("series", env -> {
                            List<String> metrics = env.getArgument("metrics");
                            if (metrics.isEmpty() || metrics.size() > MAX_METRICS) {
                                throw new ApiException("series: name 1 to " + MAX_METRICS + " metrics");
                            }
                            return load(env, "series", this.<Instance>src(env).name(),
                                    new SeriesArgs(List.copyOf(new java.util.TreeSet<>(metrics)), env.getArgument("after"), first(env)));
                        })
                        .dataFetcher("statements", env -> {
                            Instant[] r = range(env.getArgument("range"));
                            return load(env, "statements", this.<Instance>src(env).name(), new StatementArgs(r[0], r[1],
                                    StatementOrder.valueOf(env.getArgument("orderBy")), env.getArgument("after"), first(env)));
                        })
                        .dataFetcher("insights", env -> load(env, "insights", this.<Instance>src(env).name(),
                                new InsightArgs(env.getArgument("after"), first(env)))))
                .type("Series", t -> t
                        .dataFetcher("points", env -> {
                            Instant[] r = range(env.getArgument("range"));
                            Resolution res = resolution(env.getArgument("resolution"), r[0], r[1]);
                            DataLoader<Keyed<Long, PointArgs>, List<Point>> l = env.getDataLoader("points");
                            return l.load(new Keyed<>(this.<Series>src(env).id(), new PointArgs(res, r[0], r[1])));
                        }))
                .type("Alert", t -> t
                        .dataFetcher("severity", env -> this.<Alert>src(env).severity().toUpperCase(Locale.ROOT))
                        .dataFetcher("status", env -> this.<Alert>src(env).status().toUpperCase(Locale.ROOT)))
                .type("Insight", t -> t
                        .dataFetcher("severity", env -> this.<Insight>src(env).severity().toUpperCase(Locale.ROOT)))
                .build();
    }

    /**
     * Trends: one statement ({@link Trends#weekOverWeek}) with as many rows as the page needs;
     * cursors are positions in the ranking.
     */
    private static Conn trends(DataFetchingEnvironment env) throws SQLException {
        String instance = env.getArgument("instance");
        String after = env.getArgument("after");
        int first = first(env);
        int offset = after == null ? 0 : Cursor.decode(after, "trends", 1).get(0).asInt();
        if (offset < 0 || offset > 100_000) {
            throw new ApiException("invalid cursor");
        }
        Connection c = req(env).connection();
        if (instance != null && !Trends.instanceExists(c, instance)) {
            return connection(Page.empty());
        }
        List<Trends.Row> all = Trends.weekOverWeek(c, instance, req(env).now, offset + first + 1);
        List<Trends.Row> rows = new ArrayList<>();
        List<String> cursors = new ArrayList<>();
        for (int i = offset; i < Math.min(all.size(), offset + first); i++) {
            rows.add(all.get(i));
            cursors.add(Cursor.encode("trends", i + 1));
        }
        return connection(new Page<>(rows, cursors, all.size() > offset + first));
    }

    /** A connection as the schema shapes it: edges (cursor, node), nodes and pageInfo. */
    record Edge(String cursor, Object node) {}

    record PageInfo(boolean hasNextPage, String endCursor) {}

    record Conn(List<Edge> edges, List<?> nodes, PageInfo pageInfo) {}

    private static Conn connection(Page<?> p) {
        List<Edge> edges = new ArrayList<>(p.rows().size());
        for (int i = 0; i < p.rows().size(); i++) {
            edges.add(new Edge(p.cursors().get(i), p.rows().get(i)));
        }
        return new Conn(edges, p.rows(), new PageInfo(p.hasNext(), p.cursors().isEmpty() ? null : p.cursors().get(p.cursors().size() - 1)));
    }

    private static <A> CompletableFuture<Conn> load(DataFetchingEnvironment env, String loader, String instance, A args) {
        DataLoader<Keyed<String, A>, Page<?>> l = env.getDataLoader(loader);
        return l.load(new Keyed<>(instance, args)).thenApply(ReadApi::connection);
    }

    @SuppressWarnings("unchecked")
    private <T> T src(DataFetchingEnvironment env) {
        return (T) env.getSource();
    }

    private static Request req(DataFetchingEnvironment env) {
        return env.getGraphQlContext().get(Request.class);
    }

    private static int first(DataFetchingEnvironment env) {
        Integer first = env.getArgument("first");
        if (first == null || first < 1 || first > MAX_FIRST) {
            throw new ApiException("first must be between 1 and " + MAX_FIRST + ", was " + first);
        }
        return first;
    }

    private static String lower(Object enumName) {
        return enumName == null ? null : enumName.toString().toLowerCase(Locale.ROOT);
    }

    /** {@code [from, to]} of a TimeRange argument; from must be before to. */
    private static Instant[] range(Map<String, Object> range) {
        Instant from = (Instant) range.get("from");
        Instant to = (Instant) range.get("to");
        if (!from.isBefore(to)) {
            throw new ApiException("range: from (" + from + ") must be before to (" + to + ")");
        }
        return new Instant[] {from, to};
    }

    /** The requested resolution, or the one the console pages pick for the range; at most MAX_BUCKETS buckets. */
    static Resolution resolution(Object requested, Instant from, Instant to) {
        long seconds = Duration.between(from, to).toSeconds();
        Resolution r;
        if (requested != null) {
            r = Resolution.valueOf(requested.toString());
        } else if (seconds <= Duration.ofHours(24).toSeconds()) {
            r = Resolution.MINUTE;
        } else if (seconds <= Duration.ofDays(60).toSeconds()) {
            r = Resolution.HOUR;
        } else {
            r = Resolution.DAY;
        }
        long buckets = (seconds + r.seconds - 1) / r.seconds;
        if (buckets > MAX_BUCKETS) {
            throw new ApiException("points: the range holds " + buckets + " buckets at " + r + " resolution, more than the limit of "
                    + MAX_BUCKETS + "; shorten the range or pick a coarser resolution");
        }
        return r;
    }

    /** {@code 170002} → {@code 17.2}, {@code 90624} → {@code 9.6.24}. */
    static String version(int num) {
        if (num >= 100000) {
            return num / 10000 + "." + num % 10000;
        }
        return num / 10000 + "." + num / 100 % 100 + "." + num % 100;
    }

    // ---- scalars, limits, errors ----------------------------------------------------------------

    static final GraphQLScalarType DATE_TIME = GraphQLScalarType.newScalar()
            .name("DateTime")
            .description("An instant as an ISO-8601 string in UTC, e.g. 2026-12-03T12:00:00Z (an offset is accepted in input).")
            .coercing(new Coercing<Instant, String>() {
                @Override
                public String serialize(Object value) {
                    if (value instanceof Instant i) {
                        return i.toString();
                    }
                    throw new CoercingSerializeException("not an instant: " + value);
                }

                @Override
                public Instant parseValue(Object input) {
                    if (input instanceof String s) {
                        return parse(s, CoercingParseValueException::new);
                    }
                    throw new CoercingParseValueException("DateTime must be an ISO-8601 string, e.g. 2026-12-03T12:00:00Z");
                }

                @Override
                public Instant parseLiteral(Object input) {
                    if (input instanceof StringValue s) {
                        return parse(s.getValue(), CoercingParseLiteralException::new);
                    }
                    throw new CoercingParseLiteralException("DateTime must be an ISO-8601 string, e.g. 2026-12-03T12:00:00Z");
                }

                private <E extends RuntimeException> Instant parse(String s, Function<String, E> error) {
                    try {
                        return OffsetDateTime.parse(s).toInstant();
                    } catch (DateTimeParseException e) {
                        throw error.apply("DateTime must be an ISO-8601 string with an offset, e.g. 2026-12-03T12:00:00Z, was " + s);
                    }
                }
            })
            .build();

    private static final class DepthLimit extends MaxQueryDepthInstrumentation {
        DepthLimit() {
            super(MAX_DEPTH);
        }

        @Override
        protected AbortExecutionException mkAbortException(int depth, int maxDepth) {
            return new AbortExecutionException("query too deep: depth " + depth + " is over the limit of " + maxDepth
                    + "; ask for fewer nested levels");
        }
    }

    private static final class ComplexityLimit extends MaxQueryComplexityInstrumentation {
        ComplexityLimit() {
            super(MAX_COMPLEXITY, (env, child) -> {
                Object first = env.getArguments().get("first");
                if (first instanceof Integer n) {
                    return 1 + child * Math.max(1, n);
                }
                if ("points".equals(env.getField().getName())) {
                    return 1 + child * estimatedBuckets(env.getArguments());
                }
                return 1 + child;
            });
        }

        @Override
        protected AbortExecutionException mkAbortException(int complexity, int maxComplexity) {
            return new AbortExecutionException("query too complex: complexity " + complexity + " is over the limit of " + maxComplexity
                    + " (each list counts its children times first, points times their buckets); ask for smaller pages or fewer fields");
        }

        @SuppressWarnings("unchecked")
        private static int estimatedBuckets(Map<String, Object> args) {
            try {
                Instant[] r = range((Map<String, Object>) args.get("range"));
                Resolution res = resolution(args.get("resolution"), r[0], r[1]);
                return (int) Math.max(1, Duration.between(r[0], r[1]).toSeconds() / res.seconds);
            } catch (RuntimeException e) {
                return MAX_BUCKETS; // an invalid range fails in the fetcher; count it at the most
            }
        }
    }

    /** Errors to the client: the API's own refusals as they are, store failures without details. */
    private static final class Errors implements DataFetcherExceptionHandler {
        @Override
        public CompletableFuture<DataFetcherExceptionHandlerResult> handleException(graphql.execution.DataFetcherExceptionHandlerParameters p) {
            Throwable e = p.getException();
            while (e instanceof CompletionException && e.getCause() != null) {
                e = e.getCause();
            }
            GraphQLError error;
            GraphqlErrorBuilder<?> b = GraphqlErrorBuilder.newError().path(p.getPath()).location(p.getSourceLocation());
            if (e instanceof ApiException) {
                error = b.message("%s", e.getMessage()).errorType(ErrorType.ValidationError).build();
            } else if (e instanceof SQLException sql) {
                LOG.warn("API store query failed at {}: {} ({})", p.getPath(), sql.getMessage(), sql.getSQLState());
                error = b.message("the store could not answer (SQLSTATE %s); see the console's log", sql.getSQLState())
                        .errorType(ErrorType.DataFetchingException).build();
            } else {
                LOG.warn("API field {} failed", p.getPath(), e);
                error = b.message("internal error at %s", p.getPath().toString()).errorType(ErrorType.DataFetchingException).build();
            }
            return CompletableFuture.completedFuture(DataFetcherExceptionHandlerResult.newResult(error).build());
        }
    }
}
