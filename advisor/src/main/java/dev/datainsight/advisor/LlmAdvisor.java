package dev.datainsight.advisor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.datainsight.advisor.AdvisorOutcome.Kind;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatModel;
import java.net.http.HttpTimeoutException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks an OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM, ...) for advice on
 * one {@link EvidenceBundle}, through langchain4j's {@code OpenAiChatModel} (JDK HTTP client,
 * {@code response_format: json_object}, no retries, request logging off).
 *
 * <p>{@link #advise} never throws and never blocks the caller: it returns a future that always
 * completes, within the configured timeout, with an {@link AdvisorOutcome}. Before a request the
 * call passes the cache (per {@link CacheKey}, with TTL; a call for a key already in flight
 * shares that request), the token bucket (requests/min) and a bounded queue in front of
 * {@code maxConcurrent} worker threads; failing either is {@code RATE_LIMITED} without a
 * request. Only answers (accepted, rejected, malformed) are cached; timeouts, HTTP errors and
 * rate limits are not, so a later call retries.
 *
 * <p>The API key goes to the HTTP client's {@code Authorization} header only; it is never
 * logged, and outcome details carry HTTP status codes and exception class names, never
 * response bodies (a provider's 401 body may echo part of the key).
 */
public final class LlmAdvisor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LlmAdvisor.class);
  private static final ObjectMapper JSON = JsonMapper.builder().build();

  static final String SYSTEM_PROMPT = """
      You review one PostgreSQL statement for a monitoring tool. You get JSON evidence: the \
      normalized statement, its plan, its statistics, the relations, indexes and columns that \
      exist, and findings that deterministic rules already made. Answer with ONE JSON object and \
      nothing else, exactly these fields:
      {"summary": string (<= 500 chars), "explanation": string (<= 4000 chars),
       "actions": [{"kind": "create_index" | "analyze" | "set_work_mem" | "rewrite_query" | "other",
                    "target": string, "sql": string or null, "why": string}],
       "confidence": number between 0 and 1}
      Name only relations, indexes and columns listed in the evidence; an answer naming anything \
      else is discarded. Use no other fields. If you are unsure, return no actions and a low \
      confidence.""";

  private final AdvisorConfig config;
  private final OutcomeSink sink;
  private final LongSupplier nanoClock;
  private final AdviceValidator validator;
  private final TokenBucket bucket;
  private final AdvisorMetrics metrics = new AdvisorMetrics();
  private final ConcurrentHashMap<CacheKey, Entry> cache = new ConcurrentHashMap<>();
  private final ThreadPoolExecutor workers;
  private final ChatModel model;

  private record Entry(CompletableFuture<AdvisorOutcome> future, long expiresAtNanos) {}

  public LlmAdvisor(AdvisorConfig config, OutcomeSink sink) {
    this(config, sink, System::nanoTime);
  }

  /** {@code nanoClock} drives the token bucket and the cache TTL (tests pass a manual clock). */
  public LlmAdvisor(AdvisorConfig config, OutcomeSink sink, LongSupplier nanoClock) {
    this.config = config;
    this.sink = sink == null ? OutcomeSink.none() : sink;
    this.nanoClock = nanoClock;
    this.validator = new AdviceValidator(new ConfidenceGate(config.minConfidence()));
    this.bucket = new TokenBucket(config.requestsPerMinute(), nanoClock);
    AtomicInteger n = new AtomicInteger();
    this.workers = new ThreadPoolExecutor(config.maxConcurrent(), config.maxConcurrent(), 60, TimeUnit.SECONDS,
        config.queueCapacity() == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(config.queueCapacity()), r -> {
          Thread t = new Thread(r, "advisor-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    this.workers.allowCoreThreadTimeOut(true);
    this.model = config.enabled() ? buildModel(config) : null;
  }

  private static ChatModel buildModel(AdvisorConfig c) {
    OpenAiChatModel.OpenAiChatModelBuilder b = OpenAiChatModel.builder()
        .baseUrl(c.baseUrl())
        .modelName(c.model())
        .timeout(c.timeout())
        .maxRetries(0)
        .responseFormat("json_object")
        .temperature(0.0)
        .logRequests(false)
        .logResponses(false);
    // Ollama and vLLM take any key; the client wants a non-empty one.
    b.apiKey(c.apiKey().isPresent() ? c.apiKey().reveal() : "none");
    return b.build();
  }

  public AdvisorMetrics metrics() {
    return metrics;
  }

  /** Advice for {@code evidence}; the future always completes normally, within the timeout. */
  public CompletableFuture<AdvisorOutcome> advise(EvidenceBundle evidence) {
    try {
      return adviseUnsafe(evidence);
    } catch (RuntimeException | Error e) {
      AdvisorOutcome o = AdvisorOutcome.failure(evidence == null ? null : evidence.cacheKey(), Kind.HTTP_ERROR,
          "advisor failed before the request: " + e.getClass().getSimpleName());
      finish(o);
      return CompletableFuture.completedFuture(o);
    }
  }

  private CompletableFuture<AdvisorOutcome> adviseUnsafe(EvidenceBundle evidence) {
    CacheKey key = evidence.cacheKey();
    if (!config.enabled()) {
      AdvisorOutcome o = AdvisorOutcome.failure(key, Kind.DISABLED, "the advisor is off");
      finish(o);
      return CompletableFuture.completedFuture(o);
    }
    long now = nanoClock.getAsLong();
    CompletableFuture<AdvisorOutcome> mine = new CompletableFuture<>();
    Entry fresh = new Entry(mine, now + config.cacheTtl().toNanos());
    Entry e = cache.compute(key, (k, old) -> old != null && old.expiresAtNanos - now > 0 ? old : fresh);
    if (e != fresh) {
      metrics.increment("cache_hits");
      return e.future.copy();
    }
    if (!bucket.tryAcquire()) {
      complete(fresh, key, AdvisorOutcome.failure(key, Kind.RATE_LIMITED,
          "local rate limit of " + config.requestsPerMinute() + " requests/min"));
      return mine.copy();
    }
    CompletableFuture<AdvisorOutcome> work;
    Call call = new Call();
    try {
      work = CompletableFuture.supplyAsync(() -> call.run(() -> ask(evidence), key), workers);
    } catch (RejectedExecutionException ex) {
      complete(fresh, key, AdvisorOutcome.failure(key, Kind.RATE_LIMITED,
          "queue full (" + config.maxConcurrent() + " in flight, " + config.queueCapacity() + " waiting)"));
      return mine.copy();
    }
    work.orTimeout(config.timeout().toMillis(), TimeUnit.MILLISECONDS)
        .handle((o, ex) -> {
          if (ex == null) {
            return o;
          }
          call.abandon(); // frees the worker: the JDK client's timeout does not cover a slow body
          return classify(key, ex);
        })
        .thenAccept(o -> complete(fresh, key, o));
    return mine.copy();
  }

  /**
   * One request on a worker thread. On timeout the caller already has its outcome; abandoning
   * interrupts the worker (the JDK HTTP client then cancels the exchange), or, if the request
   * has not started yet, makes it return without sending anything.
   */
  private static final class Call {
    private Thread thread;
    private boolean done;

    AdvisorOutcome run(java.util.function.Supplier<AdvisorOutcome> request, CacheKey key) {
      synchronized (this) {
        if (done) {
          return AdvisorOutcome.failure(key, Kind.TIMEOUT, "timed out in the queue");
        }
        thread = Thread.currentThread();
      }
      try {
        return request.get();
      } finally {
        synchronized (this) {
          thread = null;
          done = true;
        }
        Thread.interrupted(); // a late interrupt must not leak into the pool's next task
      }
    }

    synchronized void abandon() {
      done = true;
      if (thread != null) {
        thread.interrupt();
      }
    }
  }

  private void complete(Entry entry, CacheKey key, AdvisorOutcome o) {
    switch (o.kind()) {
      case ACCEPTED, REJECTED, MALFORMED -> { }
      default -> cache.remove(key, entry); // transient: the next call asks again
    }
    finish(o);
    entry.future.complete(o);
  }

  private void finish(AdvisorOutcome o) {
    metrics.increment(o.label());
    if (o.kind() == Kind.ACCEPTED || o.kind() == Kind.DISABLED) {
      LOG.debug("advisor {}: {}", o.key(), o.label());
    } else {
      LOG.info("advisor {}: {} ({})", o.key(), o.label(), o.detail());
    }
    try {
      sink.accept(o);
    } catch (RuntimeException ex) {
      LOG.warn("advisor outcome sink failed: {}", ex.getClass().getName());
    }
  }

  private AdvisorOutcome ask(EvidenceBundle evidence) {
    CacheKey key = evidence.cacheKey();
    metrics.increment("requests");
    try {
      ChatResponse r = model.chat(ChatRequest.builder()
          .messages(SystemMessage.from(SYSTEM_PROMPT), UserMessage.from(prompt(evidence)))
          .responseFormat(ResponseFormat.JSON)
          .build());
      AiMessage m = r == null ? null : r.aiMessage();
      if (m == null || m.text() == null) {
        return AdvisorOutcome.failure(key, Kind.MALFORMED, "the response has no message content");
      }
      return validator.validate(evidence, m.text());
    } catch (RuntimeException | Error ex) {
      return classify(key, ex);
    }
  }

  String prompt(EvidenceBundle e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("statement", e.normalizedText());
    String plan = e.plan();
    m.put("plan", plan.length() > config.maxPlanChars() ? plan.substring(0, config.maxPlanChars()) + " ...(cut)" : plan);
    m.put("stats", e.stats());
    // sorted, so the same evidence always gives the same prompt
    m.put("relations", new TreeSet<>(e.relations()));
    m.put("indexes", new TreeSet<>(e.indexes()));
    Map<String, Object> cols = new TreeMap<>();
    e.columns().forEach((rel, c) -> cols.put(rel, new TreeSet<>(c)));
    m.put("columns", cols);
    m.put("findings", e.findings());
    try {
      return JSON.writeValueAsString(m);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException("evidence is not serializable", ex);
    }
  }

  private AdvisorOutcome classify(CacheKey key, Throwable t) {
    Throwable root = t;
    while ((root instanceof CompletionException || root instanceof ExecutionException) && root.getCause() != null) {
      root = root.getCause();
    }
    for (Throwable c = root; c != null; c = c.getCause()) {
      if (c instanceof java.util.concurrent.TimeoutException || c instanceof HttpTimeoutException
          || c instanceof dev.langchain4j.exception.TimeoutException) {
        return AdvisorOutcome.failure(key, Kind.TIMEOUT, "no answer within " + config.timeout().toMillis() + " ms");
      }
      if (c instanceof RateLimitException || (c instanceof HttpException h && h.statusCode() == 429)) {
        bucket.drain();
        return AdvisorOutcome.failure(key, Kind.RATE_LIMITED, "endpoint answered HTTP 429");
      }
      if (c instanceof HttpException h) {
        return AdvisorOutcome.failure(key, Kind.HTTP_ERROR, "endpoint answered HTTP " + h.statusCode());
      }
      if (c instanceof JsonProcessingException) {
        return AdvisorOutcome.failure(key, Kind.MALFORMED, "the response is not a chat completion");
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return AdvisorOutcome.failure(key, Kind.HTTP_ERROR, "request failed: " + root.getClass().getSimpleName());
  }

  @Override
  public void close() {
    workers.shutdownNow();
  }

  @Override
  public String toString() {
    return "LlmAdvisor[" + config.baseUrl() + ", model " + config.model() + ", key " + config.apiKey() + "]";
  }
}
