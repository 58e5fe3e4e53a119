#ifndef GITFLEET_CLIBGIT2_SHIM_H
#define GITFLEET_CLIBGIT2_SHIM_H
// libgit2 1.5 declares git_error_set_str in git2/errors.h (included by git2.h); git2/sys/errors.h only exists
// from 1.8 on, so it is not included here.
#include <git2.h>
#endif
