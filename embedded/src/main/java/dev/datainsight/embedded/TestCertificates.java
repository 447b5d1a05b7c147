package dev.datainsight.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made at test time with the JDK's {@code keytool}: a CA, and a server certificate it
 * signed for {@code 127.0.0.1} / {@code localhost} (subject alternative names, so hostname
 * verification — Kafka's https endpoint identification, PostgreSQL's {@code verify-full} —
 * passes). Written as PKCS#12 key and trust stores (Kafka, Java clients) and as PEM files
 * (PostgreSQL's {@code ssl_cert_file} / {@code ssl_key_file}, a client's {@code sslrootcert}).
 *
 * @param dir the folder holding every file
 * @param password the password of both stores and of the server key inside the key store
 * @param keyStore PKCS#12 with the server's key and certificate chain
 * @param trustStore PKCS#12 with the CA certificate
 * @param caPem the CA certificate, PEM
 * @param serverCertPem the server certificate, PEM
 * @param serverKeyPem the server's private key, unencrypted PKCS#8 PEM, readable by its owner only
 */
public record TestCertificates(Path dir, String password, Path keyStore, Path trustStore, Path caPem,
        Path serverCertPem, Path serverKeyPem) {

    /** Makes a fresh CA and server certificate under {@code dir} (eight keytool commands). */
    public static TestCertificates create(Path dir) {
        try {
            Files.createDirectories(dir);
            String pw = "test-" + UUID.randomUUID().toString().substring(0, 8);
            Path ca = dir.resolve("ca.p12");
            Path server = dir.resolve("server.p12");
            Path trust = dir.resolve("truststore.p12");
            Path caCrt = dir.resolve("ca.crt");
            Path csr = dir.resolve("server.csr");
            Path signed = dir.resolve("server-signed.crt");
            for (Path p : List.of(ca, server, trust, caCrt, csr, signed)) {
                Files.deleteIfExists(p);
            }
            keytool(dir, "-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                    "-dname", "CN=DataInsight test CA", "-ext", "bc:c", "-keystore", ca.toString(),
                    "-storetype", "PKCS12", "-storepass", pw, "-keypass", pw);
            keytool(dir, "-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", pw,
                    "-file", caCrt.toString());
            keytool(dir, "-genkeypair", "-alias", "server", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                    "-dname", "CN=localhost", "-keystore", server.toString(), "-storetype", "PKCS12",
                    "-storepass", pw, "-keypass", pw);
            keytool(dir, "-certreq", "-alias", "server", "-keystore", server.toString(), "-storepass", pw,
                    "-file", csr.toString());
            keytool(dir, "-gencert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", pw,
                    "-infile", csr.toString(), "-outfile", signed.toString(), "-validity", "2",
                    "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-ext", "KU=digitalSignature,keyEncipherment",
                    "-ext", "EKU=serverAuth");
            keytool(dir, "-importcert", "-noprompt", "-alias", "ca", "-file", caCrt.toString(),
                    "-keystore", server.toString(), "-storepass", pw);
            keytool(dir, "-importcert", "-noprompt", "-alias", "server", "-file", signed.toString(),
                    "-keystore", server.toString(), "-storepass", pw);
            keytool(dir, "-importcert", "-noprompt", "-alias", "ca", "-file", caCrt.toString(),
                    "-keystore", trust.toString(), "-storetype", "PKCS12", "-storepass", pw);

            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(server)) {
                ks.load(in, pw.toCharArray());
            }
            Key key = ks.getKey("server", pw.toCharArray());
            Certificate cert = ks.getCertificate("server");
            Path certPem = dir.resolve("server.crt");
            Path keyPem = dir.resolve("server.key");
            Files.writeString(certPem, pem("CERTIFICATE", cert.getEncoded()));
            Files.deleteIfExists(keyPem);
            Files.createFile(keyPem, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded()));
            return new TestCertificates(dir, pw, server, trust, caCrt, certPem, keyPem);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("making test certificates in " + dir + ": " + e, e);
        }
    }

    /**
     * Only a CA certificate (PEM), of a CA that signed nothing here: for a client that must refuse
     * the server (two keytool runs).
     */
    public static Path unrelatedCa(Path dir) {
        try {
            Files.createDirectories(dir);
            String pw = "test-" + UUID.randomUUID().toString().substring(0, 8);
            Path ks = dir.resolve("unrelated-ca.p12");
            Path crt = dir.resolve("unrelated-ca.crt");
            Files.deleteIfExists(ks);
            Files.deleteIfExists(crt);
            keytool(dir, "-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                    "-dname", "CN=Unrelated test CA", "-ext", "bc:c", "-keystore", ks.toString(),
                    "-storetype", "PKCS12", "-storepass", pw, "-keypass", pw);
            keytool(dir, "-exportcert", "-rfc", "-alias", "ca", "-keystore", ks.toString(), "-storepass", pw,
                    "-file", crt.toString());
            return crt;
        } catch (IOException e) {
            throw new IllegalStateException("making a test CA in " + dir + ": " + e, e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    /**
     * Runs one keytool command: inside this JVM when the JVM opens keytool's package to this code
     * (the build's surefire {@code argLine} does), else as a child process. A JVM start per
     * command costs about a second of CPU, seconds of wall time on a loaded 2-core machine, and
     * {@link #create} runs eight.
     */
    private static void keytool(Path dir, String... args) throws IOException {
        if (!KeytoolInProcess.run(args)) {
            keytoolProcess(dir, args);
        }
    }

    /**
     * keytool's own code ({@code sun.security.tools.keytool.Main}), called as its {@code run}
     * does: {@code parseArgs}, then {@code doCommands}, whose failures are exceptions. Not
     * {@code run} itself, which on JDK 17 calls {@code System.exit} when a command fails.
     * {@code parseArgs} still exits on a malformed command line, which the constant arguments
     * of this class never are. Every path argument here is absolute, so the working directory
     * of the process path does not matter.
     */
    private static final class KeytoolInProcess {
        private static final java.lang.reflect.Constructor<?> NEW;
        private static final java.lang.reflect.Method PARSE;
        private static final java.lang.reflect.Method DO;

        static {
            java.lang.reflect.Constructor<?> c = null;
            java.lang.reflect.Method parse = null;
            java.lang.reflect.Method run = null;
            try {
                Class<?> main = Class.forName("sun.security.tools.keytool.Main");
                c = main.getDeclaredConstructor();
                parse = main.getDeclaredMethod("parseArgs", String[].class);
                run = main.getDeclaredMethod("doCommands", java.io.PrintStream.class);
                c.setAccessible(true);
                parse.setAccessible(true);
                run.setAccessible(true);
            } catch (ReflectiveOperationException | RuntimeException e) {
                c = null; // not opened to this code (or another JDK's keytool): child processes
            }
            NEW = c;
            PARSE = parse;
            DO = run;
        }

        /** True when the command ran here and succeeded; false when it should run as a process. */
        static boolean run(String... args) {
            if (NEW == null) {
                return false;
            }
            try {
                Object tool = NEW.newInstance();
                PARSE.invoke(tool, (Object) args.clone());
                DO.invoke(tool, new java.io.PrintStream(java.io.OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8));
                return true;
            } catch (ReflectiveOperationException | RuntimeException e) {
                return false; // the process path runs it again and reports keytool's own message
            }
        }
    }

    private static void keytoolProcess(Path dir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("keytool " + args[0] + " failed: " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running keytool", e);
        }
    }
}
