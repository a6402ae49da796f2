/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include "config.h"
int main(void)
{
	printf("vpnconf %s\n", VPNCONF_VERSION);
	return 0;
}
