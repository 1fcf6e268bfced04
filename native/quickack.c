/*
 * quickack.node: one function, quickAck(fd), that asks the kernel to acknowledge received data
 * now (TCP_QUICKACK) instead of after the delayed-ACK timer. Servers built on DCMTK (Orthanc,
 * dcmqrscp, many PACS) write a PDU header and its body as two segments with Nagle on; the body
 * waits for our ACK of the header, and a delayed ACK costs 40 ms per exchange. Node has no
 * setsockopt, hence this addon (Node-API, no dependencies).
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <node_api.h>
#include <sys/socket.h>

static napi_value quick_ack(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  napi_value out;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) fd = -1;
  int one = 1;
  int ok = fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one) == 0;
  napi_get_boolean(env, ok, &out);
  return out;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn;
  if (napi_create_function(env, "quickAck", NAPI_AUTO_LENGTH, quick_ack, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "quickAck", fn) != napi_ok) return NULL;
  return exports;
}
