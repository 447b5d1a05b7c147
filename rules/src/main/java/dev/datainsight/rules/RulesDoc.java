package dev.datainsight.rules;

import dev.datainsight.rules.defs.RuleCatalog;
import dev.datainsight.rules.engine.AlertLifecycleFunction;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Renders docs/rules.md from the rule definitions, so the catalog page cannot drift from the code
 * (a test compares the committed file with {@link #render()}). Regenerate with
 * {@code java -cp ... dev.datainsight.rules.RulesDoc docs/rules.md}, or run the rules module's
 * tests with {@code -Drules.doc.write=true}.
 */
public final class RulesDoc {
    private RulesDoc() {}

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "docs/rules.md");
        Files.writeString(out, render());
    }

    /** The Markdown page. */
    public static String render() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Rules catalog\n\n")
                .append("<!-- Generated from the rule definitions by dev.datainsight.rules.RulesDoc; ")
                .append("RulesDocTest fails when this file drifts. Do not edit by hand. -->\n\n")
                .append("Every rule evaluates per instance (and per database, table, query id, standby or slot where ")
                .append("it says so) on each new snapshot, in keyed Flink state. Alert rules go through the alert ")
                .append("lifecycle; insights are written to the `insight` table and never page.\n\n")
                .append("## Alert lifecycle\n\n")
                .append("- **pending** (internal, never sent) when a severity's condition first holds;\n")
                .append("- **firing** once it has held for `for`: one event at the highest severity that has held ")
                .append("that long;\n")
                .append("- **escalation** warning → critical: one more firing event, same fingerprint; critical ")
                .append("supersedes warning until the alert resolves (no downgrade event);\n")
                .append("- **re-notify**: a still-firing alert is sent again after `renotify` (default 4h);\n")
                .append("- **resolved** once the condition has been false for `resolve_for` (hysteresis), or when ")
                .append("the series has not been evaluated for `defaults.stale_after` (default ")
                .append(dev.datainsight.rules.engine.Fmt.duration(RulesConfig.DEFAULT_STALE_AFTER_MS)).append("; instance silent, row gone);\n")
                .append("- the fingerprint is 16 hex digits of SHA-256 over (rule, instance, labels); state and ")
                .append("timers are cleared after resolve, except the time of the resolve, kept for ")
                .append(dev.datainsight.rules.engine.Fmt.duration(AlertLifecycleFunction.RESOLVED_MEMORY_MS))
                .append(" of event time: a late snapshot (behind the watermark) from before it does not re-open ")
                .append("the alert (counted in `datainsight.lateEvaluationsAfterResolve`); open alerts live in ")
                .append("checkpointed state, so a restart neither loses an alert nor forgets to resolve;\n")
                .append("- **delivery is at-least-once**: after a failure the job resumes from its last checkpoint and ")
                .append("sends the events since then again. A repeated event is identical (same fingerprint, status, ")
                .append("severity, `started_at` and `event_at`: every event time is the collection time of a snapshot ")
                .append("or derived from one, never processing time), so consumers de-duplicate on that key, as the ")
                .append("notifiers do.\n\n")
                .append("## How it runs\n\n")
                .append("- `RulesPipeline.attach(snapshots, config)`: snapshots keyed by instance → `rules-evaluate` ")
                .append("(every enabled rule, per-series memory in keyed state) → evaluations keyed by fingerprint → ")
                .append("`rules-alert-lifecycle` → alert events; insights leave the evaluator on a side output. Both ")
                .append("operators have stable uids; state descriptor names are constants (the savepoint contract).\n")
                .append("- **Per-key quarantine**: a rule that throws (a bug in the rule or in its memory) does not ")
                .append("fail the job: `datainsight.internalErrors` counts it, the snapshot goes to the dead-letter ")
                .append("topic with reason `internal_error` and the first stack frames, and that rule's memories of ")
                .append("the instance are dropped so it starts again from the next snapshots (the other rules ran as ")
                .append("usual). A failure outside one rule resets the instance's whole rule state; one in the ")
                .append("lifecycle resets that fingerprint (a still-holding alert fires again). Open alerts survive ")
                .append("an evaluator reset. Errors, interrupts, I/O and Flink's own exceptions still fail the task. ")
                .append("See docs/job.md, \"Per-key quarantine\".\n")
                .append("- **Self-health**: `rules-pipeline-health`, a stateless pass-through in front of the ")
                .append("evaluator, adds a snapshot of view `datainsight_pipeline` for the pseudo-instance ")
                .append("`datainsight-job` at the first snapshot after every (re)start and once per minute of event ")
                .append("time: `restarts` = the task's attempt number, the job's restarts since submission. ")
                .append("`pipeline_restarting` alerts on it; `instance_silent` ignores it.\n")
                .append("- Evaluation is driven by the snapshots themselves (event time = collection time), so ")
                .append("detection does not wait for watermarks; a series whose condition turned false keeps being ")
                .append("evaluated until `resolve_for` has passed, so alerts also resolve on data. Timers are the ")
                .append("backstop (resolve due, stale series) and drive absence detection.\n")
                .append("- `instance_silent`: the interval is learnt as the largest recent gap between the ")
                .append("collector's health snapshots (one per probe group and cycle); an event-time timer fires ")
                .append("when other instances move the watermark, a processing-time timer when the whole input is ")
                .append("idle; after a restore the processing-time check waits N intervals before it may fire, so a ")
                .append("replayed backlog is not reported as silence. A silence is dated at the last collection ")
                .append("time + N intervals (each repeat one interval later), whichever timer noticed it, and the ")
                .append("evaluation that clears it no earlier than the last silence sent (a backlog starts with ")
                .append("older snapshots).\n")
                .append("- The final watermark of a bounded input (tests, replays) neither resolves open alerts nor ")
                .append("reports silence.\n\n")
                .append("## Alert context\n\n")
                .append("Beside its one-line summary, an alert carries a structured `context` (who, what, why: ")
                .append("items of kind `session`, `connections`, `statement`, `table`, `setting` or `slot`, each an ordered map of fields) ")
                .append("and the instance's fleet labels (`instance_labels`: env, team, cluster, ...), both outside ")
                .append("the fingerprint. A rule attaches the context with ")
                .append("`RuleContext.alert(..., AlertContext)`; the engine bounds and cleans it (at most 10 items, ")
                .append("values of 200 characters, 4 KB in all; control characters and credentials removed; see ")
                .append("[wire format](wire-format.md#the-context)). A resolved event keeps the context of the last ")
                .append("evaluation that held. The notifiers show it (stdout: indented lines under the event's line; ")
                .append("Alertmanager: annotations `context` and `context_json`, the fleet labels as labels so routes ")
                .append("can match `team`; webhook: the wire JSON) and `alert_event` stores it (`context`, ")
                .append("`instance_labels`).\n\n")
                .append("Statement texts: the rules that name statements learn the normalised texts the collector ")
                .append("sends on the statements stream into their own memory (one per query id, cut to 200 ")
                .append("characters, re-touched hourly while the statement is published, swept after 6 h like every ")
                .append("rule memory); the summary quotes the text cut to the rule's `text_chars`, and a statement ")
                .append("whose text has not reached the job yet says \"text not yet seen\".\n\n")
                .append("## Rules file\n\n")
                .append("YAML, loaded at start (example: `rules/rules.example.yaml`; syntax, errors and ")
                .append("`./datainsight check`: [configuration](configuration.md)). Top level `defaults` ")
                .append("(`renotify`, `stale_after`, `instance_labels`) and `rules`, one entry per rule name below, ")
                .append("with any of the rule's settings plus `overrides`: a list of `{match: {instance|<label>: ")
                .append("<glob>}, <setting>: <value>}`, later ones winning. Match keys are `instance`, the row ")
                .append("labels of the rule's views, and the fleet-file labels listed in `defaults.instance_labels` ")
                .append("(default `[env, cluster, role]`); any other key is an error. Unknown rules or settings, ")
                .append("wrong types, negative durations and a warning threshold beyond the critical one stop the ")
                .append("job at start, all of them reported at once with file, line, column and key; a threshold ")
                .append("set to `null` switches that severity off. A `list` setting takes a YAML list of names or ")
                .append("globs (`*`, `?`), e.g. `[pg_dump, 'etl_*']`, or a single name; `[]` is none.\n\n")
                .append("## Index\n\n| rule | kind | views | for | resolve_for |\n| --- | --- | --- | --- | --- |\n");
        for (Rule r : RuleCatalog.all()) {
            RuleDefinition d = r.definition();
            boolean alert = d.kind() == RuleDefinition.Kind.ALERT;
            sb.append("| [").append(d.name()).append("](#").append(d.name()).append(") | ")
                    .append(alert ? "alert" : "insight").append(" | ")
                    .append(d.views().isEmpty() ? "(timers)" : "`" + String.join("`, `", d.views()) + "`").append(" | ")
                    .append(alert ? d.params().get("for").defaultText() : "-").append(" | ")
                    .append(alert ? d.params().get("resolve_for").defaultText() : "-").append(" |\n");
        }
        for (Rule r : RuleCatalog.all()) {
            RuleDefinition d = r.definition();
            sb.append("\n## ").append(d.name()).append("\n\n")
                    .append("**Detects:** ").append(d.detects()).append("\n\n")
                    .append("**Reads:** ")
                    .append(d.views().isEmpty() ? "no view: event-time and processing-time timers on the arrival of "
                            + "any snapshot of the instance" : "`" + String.join("`, `", d.views()) + "`")
                    .append("\n\n")
                    .append("**Why these defaults:** ").append(d.why()).append("\n\n")
                    .append(d.context().isEmpty() ? "" : "**Context:** " + d.context() + "\n\n")
                    .append("**Runbook:** ").append(d.runbook()).append("\n\n")
                    .append("| setting | type | default | meaning |\n| --- | --- | --- | --- |\n");
            for (ParamDef p : d.params().values()) {
                sb.append("| `").append(p.name()).append("` | ").append(p.type().name().toLowerCase(java.util.Locale.ROOT))
                        .append(p.nullable() ? " or null" : "").append(" | `").append(p.defaultText()).append("` | ")
                        .append(p.doc()).append(" |\n");
            }
        }
        return sb.toString();
    }
}
