/* tensor_io.c -- placeholder until the frontend helper lands it */
#include "frontend.h"
