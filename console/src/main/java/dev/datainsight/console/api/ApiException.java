package dev.datainsight.console.api;

/**
 * A request the API refuses (bad cursor, range without order, too many buckets, ...): its
 * message goes to the client as the GraphQL error, so it must say what to change and must not
 * carry store internals.
 */
final class ApiException extends RuntimeException {
    ApiException(String message) {
        super(message, null, false, false);
    }
}
