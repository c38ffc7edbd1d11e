// See include/landlord_curl.h. One driver thread owns the multi handle and every easy handle
// in it; other threads only append to `pending` (under `lock`) and wake the driver.
#include "landlord_curl.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct buffer {
    char *bytes;
    size_t length;
    size_t capacity;
    int failed;
} buffer;

typedef struct transfer {
    CURL *easy;
    struct curl_slist *headers;
    buffer body;
    buffer response_headers;
    char error[CURL_ERROR_SIZE];
    void *context;
    ll_http_done done;
    /// The stall deadline, and when a byte last went out or came in (monotonic milliseconds).
    int64_t stall_ms;
    int64_t last_activity_ms;
    curl_off_t last_uploaded;
    struct transfer *next;  // in `pending`, then in `active`
} transfer;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static CURLM *multi;
static transfer *pending;
static int started;
/// The transfers in the multi handle (the driver thread's only).
static transfer *active;

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int append(buffer *b, const char *bytes, size_t length) {
    if (b->failed) return 0;
    if (b->length + length + 1 > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 1024;
        while (capacity < b->length + length + 1) capacity *= 2;
        char *grown = realloc(b->bytes, capacity);
        if (!grown) { b->failed = 1; return 0; }
        b->bytes = grown;
        b->capacity = capacity;
    }
    memcpy(b->bytes + b->length, bytes, length);
    b->length += length;
    b->bytes[b->length] = 0;
    return 1;
}

static size_t on_body(char *data, size_t size, size_t count, void *user) {
    transfer *t = user;
    t->last_activity_ms = now_ms();
    // Returning less than given makes libcurl fail the transfer (CURLE_WRITE_ERROR).
    return append(&t->body, data, size * count) ? size * count : 0;
}

static size_t on_header(char *data, size_t size, size_t count, void *user) {
    transfer *t = user;
    t->last_activity_ms = now_ms();
    size_t length = size * count;
    // A new status line (after `100 Continue`, say) starts the headers of a new answer.
    if (length >= 5 && memcmp(data, "HTTP/", 5) == 0) t->response_headers.length = 0;
    return append(&t->response_headers, data, length) ? length : 0;
}

static void release(transfer *t) {
    if (t->easy) curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    free(t->body.bytes);
    free(t->response_headers.bytes);
    free(t);
}

/// Takes `t` out of the multi handle and the active list (the driver thread only).
static void deactivate(transfer *t) {
    curl_multi_remove_handle(multi, t->easy);
    for (transfer **link = &active; *link; link = &(*link)->next) {
        if (*link == t) {
            *link = t->next;
            break;
        }
    }
}

static void finish(transfer *t, CURLcode code) {
    ll_http_result result = {0};
    if (code == CURLE_OK && (t->body.failed || t->response_headers.failed)) code = CURLE_OUT_OF_MEMORY;
    result.curl_code = (int)code;
    result.timed_out = code == CURLE_OPERATION_TIMEDOUT;
    if (code == CURLE_OK) {
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &result.status);
    } else {
        result.error = t->error[0] ? t->error : curl_easy_strerror(code);
    }
    result.body = (const uint8_t *)t->body.bytes;
    result.body_length = t->body.length;
    result.headers = t->response_headers.bytes;
    result.headers_length = t->response_headers.length;
    t->done(t->context, &result);
    release(t);
}

static void *drive(void *unused) {
    (void)unused;
    for (;;) {
        pthread_mutex_lock(&lock);
        transfer *added = pending;
        pending = NULL;
        pthread_mutex_unlock(&lock);
        while (added) {
            transfer *t = added;
            added = t->next;
            CURLMcode code = curl_multi_add_handle(multi, t->easy);
            if (code != CURLM_OK) {
                strncpy(t->error, curl_multi_strerror(code), CURL_ERROR_SIZE - 1);
                finish(t, CURLE_FAILED_INIT);
                continue;
            }
            t->last_activity_ms = now_ms();
            t->next = active;
            active = t;
        }
        int running = 0;
        curl_multi_perform(multi, &running);
        CURLMsg *message;
        int left = 0;
        while ((message = curl_multi_info_read(multi, &left))) {
            if (message->msg != CURLMSG_DONE) continue;
            transfer *t = NULL;
            curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            CURLcode result = message->data.result;
            deactivate(t);
            finish(t, result);
        }
        // Stalls: no byte in or out for the stall deadline. Checked here rather than with
        // CURLOPT_LOW_SPEED_TIME, whose average over the last seconds lets a stall run on
        // several seconds past the deadline.
        int64_t now = now_ms();
        for (transfer *t = active, *next; t; t = next) {
            next = t->next;
            curl_off_t uploaded = 0;
            curl_easy_getinfo(t->easy, CURLINFO_SIZE_UPLOAD_T, &uploaded);
            if (uploaded != t->last_uploaded) {
                t->last_uploaded = uploaded;
                t->last_activity_ms = now;
            }
            if (now - t->last_activity_ms >= t->stall_ms) {
                deactivate(t);
                snprintf(t->error, CURL_ERROR_SIZE, "no byte sent or received for %lld ms", (long long)(now - t->last_activity_ms));
                finish(t, CURLE_OPERATION_TIMEDOUT);
            }
        }
        // Sleeps until a socket is ready, libcurl's next timeout, a new request
        // (curl_multi_wakeup) or a quarter second (the stall check's grain), whichever is first.
        curl_multi_poll(multi, NULL, 0, active ? 250 : 1000, NULL);
    }
    return NULL;
}

static void start(void) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return;
    multi = curl_multi_init();
    if (!multi) return;
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    started = pthread_create(&thread, &attributes, drive, NULL) == 0;
    pthread_attr_destroy(&attributes);
}

int ll_http_send(const ll_http_request *request, void *context, ll_http_done done) {
    pthread_once(&once, start);
    if (!started) return 1;
    transfer *t = calloc(1, sizeof(transfer));
    if (!t) return 2;
    t->context = context;
    t->done = done;
    t->easy = curl_easy_init();
    if (!t->easy) { release(t); return 3; }
    CURL *e = t->easy;
    int failed = 0;
    failed |= curl_easy_setopt(e, CURLOPT_URL, request->url) != CURLE_OK;
    failed |= curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)t) != CURLE_OK;
    failed |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error) != CURLE_OK;
    failed |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    failed |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
    failed |= curl_easy_setopt(e, CURLOPT_WRITEDATA, t) != CURLE_OK;
    failed |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
    failed |= curl_easy_setopt(e, CURLOPT_HEADERDATA, t) != CURLE_OK;
    failed |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, request->connect_timeout_ms) != CURLE_OK;
    failed |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, request->total_timeout_ms) != CURLE_OK;
    t->stall_ms = request->stall_timeout_ms > 0 ? request->stall_timeout_ms : 30000;
    // libcurl sends a request again by itself when a reused connection dies before any byte of
    // the answer ("Connection died, retrying a fresh connect"); on a connection of its own it
    // reports the failure instead, for a request that must not be sent twice.
    if (request->fresh_connection) {
        failed |= curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L) != CURLE_OK;
        failed |= curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK;
    }
    failed |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    if (strcmp(request->method, "HEAD") == 0) {
        failed |= curl_easy_setopt(e, CURLOPT_NOBODY, 1L) != CURLE_OK;
    } else if (request->send_body) {
        failed |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)request->body_length) != CURLE_OK;
        failed |= curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, request->body ? (const char *)request->body : "") != CURLE_OK;
        failed |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, request->method) != CURLE_OK;
    } else if (strcmp(request->method, "GET") != 0) {
        failed |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, request->method) != CURLE_OK;
    }
    for (size_t i = 0; i < request->header_count; i++) {
        struct curl_slist *grown = curl_slist_append(t->headers, request->headers[i]);
        if (!grown) { failed = 1; break; }
        t->headers = grown;
    }
    // No `Expect: 100-continue` round trip before a body (unless the caller asks for one).
    int expects = 0;
    for (size_t i = 0; i < request->header_count; i++) expects |= strncasecmp(request->headers[i], "expect:", 7) == 0;
    if (!expects && !failed) {
        struct curl_slist *grown = curl_slist_append(t->headers, "Expect:");
        if (grown) t->headers = grown; else failed = 1;
    }
    failed |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers) != CURLE_OK;
    if (failed) { release(t); return 4; }
    pthread_mutex_lock(&lock);
    t->next = pending;
    pending = t;
    pthread_mutex_unlock(&lock);
    curl_multi_wakeup(multi);
    return 0;
}
