/* print.c -- placeholder until the ir helper lands it */
#include "ir.h"
#include "ir_impl.h"
