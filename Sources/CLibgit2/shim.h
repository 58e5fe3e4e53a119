#ifndef GITFLEET_CLIBGIT2_SHIM_H
#define GITFLEET_CLIBGIT2_SHIM_H
#include <git2.h>
#include <git2/sys/errors.h>
#endif
