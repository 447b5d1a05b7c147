package dev.datainsight.model;

import java.util.Objects;

/**
 * A record the job (or collector) refused, with why (topic {@code datainsight.deadletter}). The
 * original bytes are kept: as text in {@link #getPayload()} when they are valid UTF-8, otherwise
 * base64 in {@link #getPayloadBase64()}.
 */
public final class DeadLetterRecord {
    private int schema = WireFormat.SCHEMA_VERSION;
    private String reason;
    private String detail;
    private String sourceTopic;
    private Integer partition;
    private Long offset;
    private Long recordTimestamp;
    private long failedAt;
    private String instance;
    private String payload;
    private String payloadBase64;

    public int getSchema() {
        return schema;
    }

    public void setSchema(int schema) {
        this.schema = schema;
    }

    /** Machine-readable reason code, one of {@link RejectReason#code()}. */
    public String getReason() {
        return reason;
    }

    public void setReason(String reason) {
        this.reason = reason;
    }

    /** Human-readable detail: which field, which value, which bound. */
    public String getDetail() {
        return detail;
    }

    public void setDetail(String detail) {
        this.detail = detail;
    }

    public String getSourceTopic() {
        return sourceTopic;
    }

    public void setSourceTopic(String sourceTopic) {
        this.sourceTopic = sourceTopic;
    }

    public Integer getPartition() {
        return partition;
    }

    public void setPartition(Integer partition) {
        this.partition = partition;
    }

    public Long getOffset() {
        return offset;
    }

    public void setOffset(Long offset) {
        this.offset = offset;
    }

    /** Kafka timestamp of the original record (epoch ms), if known. */
    public Long getRecordTimestamp() {
        return recordTimestamp;
    }

    public void setRecordTimestamp(Long recordTimestamp) {
        this.recordTimestamp = recordTimestamp;
    }

    /** When it was rejected (epoch ms). */
    public long getFailedAt() {
        return failedAt;
    }

    public void setFailedAt(long failedAt) {
        this.failedAt = failedAt;
    }

    /** Instance id when it could be read from the record; null otherwise. */
    public String getInstance() {
        return instance;
    }

    public void setInstance(String instance) {
        this.instance = instance;
    }

    public String getPayload() {
        return payload;
    }

    public void setPayload(String payload) {
        this.payload = payload;
    }

    public String getPayloadBase64() {
        return payloadBase64;
    }

    public void setPayloadBase64(String payloadBase64) {
        this.payloadBase64 = payloadBase64;
    }

    /** The original bytes, whichever way they were stored. */
    public byte[] originalBytes() {
        if (payload != null) {
            return payload.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        return payloadBase64 == null ? null : java.util.Base64.getDecoder().decode(payloadBase64);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof DeadLetterRecord d)) {
            return false;
        }
        return schema == d.schema && failedAt == d.failedAt && Objects.equals(reason, d.reason)
                && Objects.equals(detail, d.detail) && Objects.equals(sourceTopic, d.sourceTopic)
                && Objects.equals(partition, d.partition) && Objects.equals(offset, d.offset)
                && Objects.equals(recordTimestamp, d.recordTimestamp) && Objects.equals(instance, d.instance)
                && Objects.equals(payload, d.payload) && Objects.equals(payloadBase64, d.payloadBase64);
    }

    @Override
    public int hashCode() {
        return Objects.hash(reason, detail, sourceTopic, partition, offset, failedAt);
    }

    @Override
    public String toString() {
        return "DeadLetterRecord{" + reason + ": " + detail + " @" + sourceTopic + "/" + partition + "/" + offset + "}";
    }
}
