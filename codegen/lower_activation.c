/*
 * lower_activation.c -- emits the activation functions of ir/activation.h on f32 scalars
 * or <N x float> vectors.
 * TODO(skeleton): the rnn family fills this in.
 */
#include "cg_impl.h"
