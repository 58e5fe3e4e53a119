#ifndef GITFLEET_CLIBYAML_SHIM_H
#define GITFLEET_CLIBYAML_SHIM_H
#include <yaml.h>
#endif
