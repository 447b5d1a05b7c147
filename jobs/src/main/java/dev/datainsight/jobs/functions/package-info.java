/**
 * Classes stored in the rollup operator's Flink state, and nothing else: {@link
 * dev.datainsight.jobs.functions.ViewState} (the value of the {@code views} MapState of
 * {@code instance-rates-rollups}) and {@link dev.datainsight.jobs.functions.Bucket} (its buckets).
 *
 * <p><b>Names frozen by savepoints.</b> Flink's POJO serializer writes each class's fully
 * qualified name and its field names into every checkpoint and savepoint, so these classes must
 * stay in this package under these names, and their stored (non-transient) fields may only be
 * added, with defaults, never renamed, retyped or removed; otherwise restoring an existing
 * savepoint fails ({@code SavepointCompatibilityITCase} restores a committed one). The package's
 * name is historical: it held the job's functions before they moved to
 * {@link dev.datainsight.jobs.decode} (decoding, validation, routing) and
 * {@link dev.datainsight.jobs.rollup} (the keyed rates-and-rollups function). Put new code there,
 * not here; new state classes belong here only if they are stored next to these.
 *
 * <p>Imports: the model, {@code jobs.records} and the JDK only (no Flink: state classes are plain
 * POJOs).
 */
package dev.datainsight.jobs.functions;
