/*
 * Stand-in module for hosts without epoll, eventfd and timerfd. It exports
 * only `unsupported`, so that src/native.ts can raise an error naming the
 * platform instead of the build failing during `npm install`.
 */
#include <node_api.h>

NAPI_MODULE_INIT() {
  napi_value t;
  napi_get_boolean(env, 1, &t);
  napi_set_named_property(env, exports, "unsupported", t);
  return exports;
}
