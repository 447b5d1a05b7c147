package dev.datainsight.jobs.records;

/** An inventory update: the instance was seen with these labels and this server version. */
public class InstanceSeen {
    public String instance;
    /** Instance labels as key, value, key, value, ... */
    public String[] labels;
    public int serverVersionNum;
    public long seenAt;

    public InstanceSeen() {}

    public InstanceSeen(String instance, String[] labels, int serverVersionNum, long seenAt) {
        this.instance = instance;
        this.labels = labels;
        this.serverVersionNum = serverVersionNum;
        this.seenAt = seenAt;
    }
}
