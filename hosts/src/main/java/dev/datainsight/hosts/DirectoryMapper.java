package dev.datainsight.hosts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Maps a database's directories (data_directory, pg_wal, each tablespace) to the filesystem that
 * holds them, so an alert can say "pg_wal's filesystem (/var/lib/postgresql/wal, 93% used)" rather
 * than "/dev/sdb1".
 *
 * <p>The filesystem of a path is the one whose mountpoint is the longest prefix of the path, by
 * whole path components ({@code /data2} is not under {@code /data}). With {@code local = true} (the
 * collector runs on the database host) each path is first resolved with
 * {@link Path#toRealPath}, which follows a symlinked pg_wal or tablespace link to its target. With
 * {@code local = false} (remote node_exporter) the paths are matched as the server reports them:
 * pass the resolved WAL location as {@code walDirectory} if it is known, else
 * data_directory/pg_wal is assumed to live on the data directory's filesystem.
 */
public final class DirectoryMapper {
  private DirectoryMapper() {}

  /** What a directory is to PostgreSQL. */
  public enum Role { DATA, WAL, TABLESPACE }

  /** A tablespace as pg_tablespace / pg_tablespace_location() report it. */
  public record Tablespace(String name, String location) {}

  /**
   * One directory and its filesystem (null when no listed filesystem contains it).
   *
   * @param name {@code data_directory}, {@code pg_wal} or the tablespace name
   * @param path the path matched (resolved when local)
   */
  public record DirectoryFilesystem(Role role, String name, String path, HostSample.Filesystem filesystem) {

    /** For alerts, e.g. {@code pg_wal's filesystem (/var/lib/postgresql/wal, 93% used)}. */
    public String describe() {
      String who = switch (role) {
        case DATA -> "the data directory's";
        case WAL -> "pg_wal's";
        case TABLESPACE -> "tablespace " + name + "'s";
      };
      if (filesystem == null) {
        return who + " filesystem (" + path + ", not reported)";
      }
      return String.format(Locale.ROOT, "%s filesystem (%s, %.0f%% used)", who,
          filesystem.mountpoint(), filesystem.usedFraction() * 100);
    }
  }

  /**
   * Maps every directory of one database server.
   *
   * @param dataDirectory the server's {@code data_directory} setting
   * @param walDirectory the WAL directory if known resolved, else null for data_directory/pg_wal
   * @param tablespaces user tablespaces (pg_default and pg_global live in the data directory)
   * @param filesystems the host's filesystems from a {@link HostSample}
   * @param local whether the paths exist on this machine and may be resolved
   */
  public static List<DirectoryFilesystem> map(String dataDirectory, String walDirectory,
      List<Tablespace> tablespaces, List<HostSample.Filesystem> filesystems, boolean local) {
    Objects.requireNonNull(dataDirectory, "dataDirectory");
    List<DirectoryFilesystem> out = new ArrayList<>();
    String data = local ? resolve(dataDirectory) : normalise(dataDirectory);
    out.add(new DirectoryFilesystem(Role.DATA, "data_directory", data, filesystemOf(data, filesystems)));
    String wal = walDirectory != null ? walDirectory : dataDirectory + "/pg_wal";
    wal = local ? resolve(wal) : normalise(wal);
    out.add(new DirectoryFilesystem(Role.WAL, "pg_wal", wal, filesystemOf(wal, filesystems)));
    for (Tablespace t : tablespaces) {
      if (t.location() == null || t.location().isEmpty()) {
        continue; // pg_default / pg_global: inside the data directory
      }
      String p = local ? resolve(t.location()) : normalise(t.location());
      out.add(new DirectoryFilesystem(Role.TABLESPACE, t.name(), p, filesystemOf(p, filesystems)));
    }
    return out;
  }

  /** The filesystem whose mountpoint is the longest whole-component prefix of {@code path}. */
  public static HostSample.Filesystem filesystemOf(String path, List<HostSample.Filesystem> filesystems) {
    String p = normalise(path);
    HostSample.Filesystem best = null;
    int bestLen = -1;
    for (HostSample.Filesystem fs : filesystems) {
      String m = normalise(fs.mountpoint());
      if (contains(m, p) && m.length() > bestLen) {
        best = fs;
        bestLen = m.length();
      }
    }
    return best;
  }

  static boolean contains(String mountpoint, String path) {
    if (mountpoint.equals("/")) {
      return path.startsWith("/");
    }
    return path.equals(mountpoint) || path.startsWith(mountpoint + "/");
  }

  /** Absolute, "." and ".." removed, no trailing slash (symlinks untouched). */
  static String normalise(String path) {
    String n = Path.of(path).normalize().toString();
    return n.length() > 1 && n.endsWith("/") ? n.substring(0, n.length() - 1) : n;
  }

  /**
   * The real path, following symlinks; if the path does not exist (yet), its nearest existing
   * ancestor is resolved and the rest appended.
   */
  static String resolve(String path) {
    Path p = Path.of(path).toAbsolutePath().normalize();
    Path tail = Path.of("");
    while (p != null) {
      if (Files.exists(p)) {
        try {
          return normalise(p.toRealPath().resolve(tail).toString());
        } catch (IOException e) {
          break;
        }
      }
      tail = p.getFileName() == null ? tail : p.getFileName().resolve(tail);
      p = p.getParent();
    }
    return normalise(path);
  }
}
