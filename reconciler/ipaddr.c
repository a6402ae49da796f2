/* SPDX-License-Identifier: MIT */
/* Stub: to be implemented. */
#include "desired.h"
#include "sha256.h"
