#ifndef GITFLEET_CLIBGIT2_SHIM_H
#define GITFLEET_CLIBGIT2_SHIM_H
// libgit2 1.5 declares git_error_set_str in git2/errors.h (included by git2.h); git2/sys/errors.h only exists
// from 1.8 on, so it is not included here.
#include <git2.h>
#include <git2/sys/stream.h>

/* git_libgit2_opts is variadic, which Swift cannot call: one wrapper per option used. */
static inline int gitfleet_set_cache_object_limit(git_object_t type, size_t bytes) {
    return git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, type, bytes);
}

/* gitfleet's socket stream (FleetGit/DeadlineSocket.swift), laid out exactly as libgit2 1.5's own
 * `git_socket_stream` (src/libgit2/streams/socket.h): its SSH transport takes the socket of a standard stream
 * from this position and hands it to libssh2, so the field order must not change. */
typedef struct {
    git_stream parent;
    char *host;
    char *port;
    int socket;
} gitfleet_socket_stream;

#endif
