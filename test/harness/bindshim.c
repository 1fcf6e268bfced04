/*
 * LD_PRELOAD bind shim for tests: Orthanc and dcmtk listen on every address; with this shim a
 * server started with OPENDOOR_BIND_ADDR=127.0.77.3 listens on that loopback address only, so
 * each test server can be its own "host" with the default ports.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
  static bind_fn real = NULL;
  if (real == NULL) real = (bind_fn)dlsym(RTLD_NEXT, "bind");
  const char *want = getenv("OPENDOOR_BIND_ADDR");
  if (want != NULL && addr != NULL) {
    if (addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
      struct sockaddr_in in;
      memcpy(&in, addr, sizeof in);
      if (in.sin_addr.s_addr == htonl(INADDR_ANY) && inet_pton(AF_INET, want, &in.sin_addr) == 1) {
        return real(fd, (const struct sockaddr *)&in, sizeof in);
      }
    } else if (addr->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
      struct sockaddr_in6 in6;
      memcpy(&in6, addr, sizeof in6);
      if (memcmp(&in6.sin6_addr, &in6addr_any, sizeof in6addr_any) == 0) {
        char mapped[64] = "::ffff:";
        strncat(mapped, want, sizeof mapped - 8);
        if (inet_pton(AF_INET6, mapped, &in6.sin6_addr) == 1) return real(fd, (const struct sockaddr *)&in6, sizeof in6);
      }
    }
  }
  return real(fd, addr, len);
}
