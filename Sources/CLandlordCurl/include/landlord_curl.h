// HTTP requests over libcurl's multi interface, driven by one thread of their own.
//
// Why not URLSession: on Linux, FoundationNetworking drives libcurl from libdispatch sources
// and never cancels a socket's write source when libcurl stops asking for writability (after
// the request is sent, while the answer is awaited). A connected socket is always writable, so
// that source fires without pause and every request waiting for its answer keeps a core busy
// until the answer, or the timeout, comes. Here libcurl's own curl_multi_poll waits instead.
#ifndef LANDLORD_CURL_H
#define LANDLORD_CURL_H

#include <stddef.h>
#include <stdint.h>

/// One request. Every pointer only needs to live until ll_http_send returns (it copies them).
typedef struct ll_http_request {
    const char *method;              // GET, HEAD, PUT, POST, DELETE, ...
    const char *url;
    const char *const *headers;      // "Name: value" lines
    size_t header_count;
    const uint8_t *body;             // may be NULL when body_length is 0
    size_t body_length;
    int send_body;                   // 1: send the body (and Content-Length), even an empty one
    long connect_timeout_ms;         // TCP and TLS connection set-up
    long total_timeout_ms;           // the whole exchange, first byte to last
    long stall_timeout_ms;           // no byte sent or received for this long
    int fresh_connection;            // 1: a new connection, closed after (libcurl never resends on it)
} ll_http_request;

/// What came back. Pointers are valid only during the completion callback.
typedef struct ll_http_result {
    int curl_code;                   // 0: an HTTP answer arrived (any status); else libcurl's CURLcode
    int timed_out;                   // 1 when curl_code is a timeout (overall, connect or stall)
    long status;                     // HTTP status when curl_code is 0
    const char *error;               // libcurl's message when curl_code is not 0
    const uint8_t *body;
    size_t body_length;
    const char *headers;             // the final answer's header lines, "\r\n"-separated
    size_t headers_length;
} ll_http_result;

/// Called once per request, on the driver thread; must return quickly.
typedef void (*ll_http_done)(void *context, const ll_http_result *result);

/// Queues a request. Returns 0 when queued (`done` will be called exactly once), or a
/// non-zero value when it could not be (`done` is never called then).
int ll_http_send(const ll_http_request *request, void *context, ll_http_done done);

#endif
