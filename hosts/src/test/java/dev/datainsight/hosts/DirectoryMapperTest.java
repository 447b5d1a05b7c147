package dev.datainsight.hosts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.datainsight.hosts.DirectoryMapper.DirectoryFilesystem;
import dev.datainsight.hosts.DirectoryMapper.Role;
import dev.datainsight.hosts.DirectoryMapper.Tablespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class DirectoryMapperTest {
  private static HostSample.Filesystem fs(String mount, String dev, long size, long avail) {
    return new HostSample.Filesystem(mount, dev, "ext4", size, avail, 100L, 50L);
  }

  private static final HostSample.Filesystem ROOT = fs("/", "/dev/sda1", 100, 50);
  private static final HostSample.Filesystem DATA = fs("/data", "/dev/sdb1", 1000, 300);
  private static final HostSample.Filesystem WAL = fs("/var/lib/postgresql/wal", "/dev/sdc1", 100, 7);
  private static final List<HostSample.Filesystem> FILESYSTEMS = List.of(ROOT, DATA, WAL);

  @Test
  void longestMountpointPrefixByWholeComponents() {
    assertSame(DATA, DirectoryMapper.filesystemOf("/data/pg/17/main", FILESYSTEMS));
    assertSame(DATA, DirectoryMapper.filesystemOf("/data", FILESYSTEMS));
    assertSame(DATA, DirectoryMapper.filesystemOf("/data/", FILESYSTEMS));
    assertSame(ROOT, DirectoryMapper.filesystemOf("/data2/pg", FILESYSTEMS));
    assertSame(ROOT, DirectoryMapper.filesystemOf("/data/../etc", FILESYSTEMS));
    assertSame(WAL, DirectoryMapper.filesystemOf("/var/lib/postgresql/wal/17", FILESYSTEMS));
    assertSame(ROOT, DirectoryMapper.filesystemOf("/var/lib/postgresql/walnut", FILESYSTEMS));
    assertNull(DirectoryMapper.filesystemOf("/data", List.of(WAL)));
  }

  @Test
  void remoteMappingUsesThePathsAsReported() {
    List<DirectoryFilesystem> m = DirectoryMapper.map("/data/pg/17/main", "/var/lib/postgresql/wal/17",
        List.of(new Tablespace("pg_default", ""), new Tablespace("fast", "/data2/ts")), FILESYSTEMS, false);
    assertEquals(3, m.size());
    assertEquals(Role.DATA, m.get(0).role());
    assertSame(DATA, m.get(0).filesystem());
    assertSame(WAL, m.get(1).filesystem());
    assertSame(ROOT, m.get(2).filesystem());
    assertEquals("pg_wal's filesystem (/var/lib/postgresql/wal, 93% used)", m.get(1).describe());
    assertEquals("the data directory's filesystem (/data, 70% used)", m.get(0).describe());
    assertEquals("tablespace fast's filesystem (/, 50% used)", m.get(2).describe());
    // without a resolved WAL path, pg_wal is assumed inside the data directory
    assertSame(DATA, DirectoryMapper.map("/data/pg/17/main", null, List.of(), FILESYSTEMS, false)
        .get(1).filesystem());
    assertEquals("pg_wal's filesystem (/x/pg_wal, not reported)",
        DirectoryMapper.map("/x", null, List.of(), List.of(DATA), false).get(1).describe());
  }

  @Test
  void localMappingFollowsThePgWalAndTablespaceSymlinks() throws Exception {
    Path base = Files.createDirectories(Path.of("target", "dirmap").toAbsolutePath()).toRealPath();
    Path data = base.resolve("pgdata");
    Path walTarget = base.resolve("walvol/wal");
    Path tsTarget = base.resolve("tsvol/ts1");
    Files.createDirectories(data);
    Files.createDirectories(walTarget);
    Files.createDirectories(tsTarget);
    Path walLink = data.resolve("pg_wal");
    Files.deleteIfExists(walLink);
    Files.createSymbolicLink(walLink, walTarget);
    Path tsLink = base.resolve("tslink");
    Files.deleteIfExists(tsLink);
    Files.createSymbolicLink(tsLink, tsTarget);
    String real = base.toRealPath().toString();
    HostSample.Filesystem dataFs = fs(real, "/dev/a", 10, 5);
    HostSample.Filesystem walFs = fs(real + "/walvol", "/dev/b", 10, 1);
    HostSample.Filesystem tsFs = fs(real + "/tsvol", "/dev/c", 10, 9);
    List<HostSample.Filesystem> all = List.of(ROOT, dataFs, walFs, tsFs);

    List<DirectoryFilesystem> local = DirectoryMapper.map(data.toString(), null,
        List.of(new Tablespace("ts1", tsLink.toString())), all, true);
    assertSame(dataFs, local.get(0).filesystem());
    assertSame(walFs, local.get(1).filesystem());
    assertEquals(walTarget.toRealPath().toString(), local.get(1).path());
    assertSame(tsFs, local.get(2).filesystem());
    assertEquals("pg_wal's filesystem (" + real + "/walvol, 90% used)", local.get(1).describe());

    // unresolved (remote) the same paths stay on the data directory's filesystem
    List<DirectoryFilesystem> remote = DirectoryMapper.map(data.toString(), null,
        List.of(new Tablespace("ts1", tsLink.toString())), all, false);
    assertSame(dataFs, remote.get(1).filesystem());
    assertSame(dataFs, remote.get(2).filesystem());

    // a path that does not exist yet resolves through its nearest existing ancestor
    assertEquals(walTarget.toRealPath() + "/x/y", DirectoryMapper.resolve(walLink + "/x/y"));
  }
}
