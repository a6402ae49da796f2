/* SPDX-License-Identifier: MIT */
/* The one place where libnl's -NLE_* codes become -errno. */
#pragma once

/* r is a libnl return value (< 0: -NLE_*); returns the closest -errno. */
int nlerr_to_errno(int r);
