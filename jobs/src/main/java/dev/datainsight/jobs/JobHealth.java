package dev.datainsight.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Reads a running job's restart count and last failure cause from the Flink REST API of its
 * cluster (a standalone or session cluster's JobManager, or a local MiniCluster):
 * {@code GET /jobs/<id>/metrics?get=numRestarts} and {@code GET /jobs/<id>/exceptions}. Used by
 * the demo's progress line and by the tests that assert a job never restarted; see docs/job.md.
 */
public final class JobHealth {
    /** What the JobManager knows: restarts since submission, and the latest failure (null when none). */
    public record Status(long restarts, String lastFailure, long lastFailureAt) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private final String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    /** @param restBase e.g. {@code http://127.0.0.1:8081} */
    public JobHealth(String restBase) {
        this.base = restBase.endsWith("/") ? restBase.substring(0, restBase.length() - 1) : restBase;
    }

    /** The job's restarts and last failure. */
    public Status query(String jobId) throws IOException, InterruptedException {
        JsonNode metrics = get("/jobs/" + jobId + "/metrics?get=numRestarts");
        long restarts = 0;
        for (JsonNode m : metrics) {
            if ("numRestarts".equals(m.path("id").asText())) {
                restarts = (long) Double.parseDouble(m.path("value").asText("0"));
            }
        }
        JsonNode entries = get("/jobs/" + jobId + "/exceptions?maxExceptions=1").path("exceptionHistory").path("entries");
        String cause = null;
        long at = 0;
        if (entries.isArray() && !entries.isEmpty()) {
            JsonNode e = entries.get(0);
            String trace = e.path("stacktrace").asText("");
            int nl = trace.indexOf('\n');
            cause = nl > 0 ? trace.substring(0, nl).trim() : e.path("exceptionName").asText(trace);
            at = e.path("timestamp").asLong(0);
        }
        return new Status(restarts, cause, at);
    }

    private JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(5))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + path + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }
}
