/* placeholder */
#include "codegen.h"
