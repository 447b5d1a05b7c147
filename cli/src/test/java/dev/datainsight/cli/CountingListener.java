package dev.datainsight.cli;

import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback socket that counts the connections it gets and closes each at once: tests use it as
 * a "server" to prove that a command refused its options before opening any connection.
 */
public final class CountingListener implements AutoCloseable {
    private final ServerSocket server;
    private final AtomicInteger accepted = new AtomicInteger();
    private final Thread thread;
    private final String user;
    private final String database;

    /** Listens on a free port; {@link #url()} names {@code user} and {@code database} on it. */
    public CountingListener(String user, String database) throws Exception {
        this.user = user;
        this.database = database;
        server = new ServerSocket(0);
        server.setSoTimeout(200);
        thread = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    accepted.incrementAndGet();
                } catch (SocketTimeoutException e) {
                    // poll again
                } catch (Exception e) {
                    return;
                }
            }
        }, "counting-listener");
        thread.start();
    }

    /** The port it listens on. */
    public int port() {
        return server.getLocalPort();
    }

    /** How many connections it accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /** {@code postgresql://USER@127.0.0.1:PORT/DATABASE}. */
    public String url() {
        return "postgresql://" + user + "@127.0.0.1:" + port() + "/" + database;
    }

    @Override
    public void close() throws Exception {
        server.close();
        thread.join();
    }
}
