/* SPDX-License-Identifier: MIT */
/* Stub: to be implemented. */
#include "journal.h"
