/* SPDX-License-Identifier: MIT */
/*
 * vpnconf daemon, in the command-line executable: runs the agent
 * executable (vpnconfd) with the same arguments. The agent links
 * libsystemd (sd-event, sd-notify); the command line does not, so that
 * every other command starts without mapping it and the libraries it
 * pulls in. The agent is looked for beside this executable first (a build
 * tree, or both installed in one directory), then in the libexec
 * directory.
 */
#include <limits.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "vpnconf.h"

int verb_daemon(int argc, char **argv)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	_cleanup_free_ char *sibling = NULL;
	const char *agent = VPNCONF_LIBEXECDIR "/vpnconfd";

	if (n > 0) {
		char *slash;

		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			sibling = xasprintf("%s/vpnconfd", self);
			if (access(sibling, X_OK) == 0)
				agent = sibling;
		}
	}
	execv(agent, saved_argv);
	return log_errno(-errno, "Failed to run the agent %s", agent), EXIT_FAIL;
}
