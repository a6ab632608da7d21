/*
 * dropPages(start, length): madvise(MADV_DONTNEED) over one page-aligned range of this
 * process's address space, for db/clickhouse/release-pages.ts.
 *
 * Node has no binding for madvise. The caller passes only ranges of read-only, private file
 * mappings that hold no anonymous (copied-on-write) page: for those, dropping a page only
 * takes it out of this process's resident set; the next access maps it again from the page
 * cache (or the file) with the same bytes. On any other mapping the call would discard data,
 * which is why the choice of ranges stays with the one caller that checks for that.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <node_api.h>

static napi_value fail(napi_env env, const char *code, const char *message) {
  napi_throw_error(env, code, message);
  return NULL;
}

static bool read_u64(napi_env env, napi_value value, uint64_t *out) {
  bool lossless = false;
  return napi_get_value_bigint_uint64(env, value, out, &lossless) == napi_ok && lossless;
}

static napi_value drop_pages(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) {
    return fail(env, "ERR_INVALID_ARG", "dropPages(start, length) takes two bigints");
  }
  uint64_t start = 0;
  uint64_t length = 0;
  if (!read_u64(env, argv[0], &start) || !read_u64(env, argv[1], &length)) {
    return fail(env, "ERR_INVALID_ARG", "dropPages: start and length must be non-negative bigints below 2^64");
  }
  const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
  if (start == 0 || start % page != 0 || length == 0 || length % page != 0 || start + length < start) {
    return fail(env, "ERR_INVALID_ARG", "dropPages: start and length must be non-zero multiples of the page size");
  }
  if (madvise((void *)(uintptr_t)start, (size_t)length, MADV_DONTNEED) != 0) {
    char message[160];
    snprintf(message, sizeof message, "madvise(MADV_DONTNEED) failed: %s", strerror(errno));
    return fail(env, "ERR_MADVISE", message);
  }
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "dropPages", NAPI_AUTO_LENGTH, drop_pages, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "dropPages", fn) != napi_ok) return NULL;
  return exports;
}
