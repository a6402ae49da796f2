/* SPDX-License-Identifier: MIT */
/*
 * vpnconf: fail-closed WireGuard confinement for selected systemd
 * services. Command-line parsing and dispatch; each verb lives in its own
 * cmd-*.c file.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "config.h"
#include "log.h"
#include "vpnconf.h"

const char *arg_config = DESIRED_DEFAULT_PATH;
static bool arg_config_given = false;
const char *arg_state_dir = NULL;
const char *arg_namespace = NULL;
const char *arg_trigger = "cli";
bool arg_json = false;
unsigned arg_lock_timeout_ms = 5000;
unsigned arg_limit = 20;
bool arg_unlock = false;
bool arg_prometheus = false;
unsigned arg_periodic_interval_s = 60;
const char *arg_metrics_file = NULL;
char **saved_argv = NULL;

typedef struct Verb {
	const char *name;
	int min_args;
	int max_args;
	int (*run)(int argc, char **argv);
	const char *usage;
	bool config_arg; /* the one optional argument is the desired-state file */
} Verb;

static const Verb verbs[] = {
	{"check", 0, 1, verb_check, "check [FILE]          validate the desired state file", true},
	{"plan", 0, 1, verb_plan, "plan [FILE]           show what reconcile would change", true},
	{"reconcile", 0, 0, verb_reconcile, "reconcile             converge the kernel to the desired state"},
	{"down", 1, 1, verb_down, "down NAME             tear namespace NAME down, fail-closed"},
	{"status", 0, 0, verb_status, "status                show namespaces, tunnels, sync state"},
	{"history", 0, 0, verb_history, "history               list journaled transactions"},
	{"show", 1, 1, verb_show, "show TXN              show one transaction and its steps"},
	{"daemon", 0, 0, verb_daemon, "daemon                watch the namespaces and repair drift at once"},
	{"help", 0, 1, NULL, "help [COMMAND]        show this help, or one command's"},
};

static const Verb *verb_find(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		if (streq(name, verbs[i].name))
			return &verbs[i];
	return NULL;
}

/* "check [FILE]          validate ...": the length of "check [FILE]". */
static int synopsis_len(const Verb *verb)
{
	const char *gap = strstr(verb->usage, "  ");

	return gap ? (int)(gap - verb->usage) : (int)strlen(verb->usage);
}

static char ascii_toupper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* The general help, or one verb's (its usage line, then the options). */
static void help(FILE *f, const Verb *verb)
{
	if (verb) {
		const char *gap = strstr(verb->usage, "  ");

		fprintf(f, "Usage: vpnconf [OPTIONS] %.*s\n\n", synopsis_len(verb), verb->usage);
		if (gap)
			fprintf(f, "%c%s.\n", ascii_toupper(gap[strspn(gap, " ")]),
				gap + strspn(gap, " ") + 1);
	} else {
		fprintf(f,
			"Usage: vpnconf [OPTIONS] COMMAND [ARGS]\n\n"
			"Fail-closed WireGuard confinement for selected systemd services.\n\n"
			"Commands:\n");
		for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
			fprintf(f, "  %s\n", verbs[i].usage);
	}
	fprintf(f,
		"\nOptions:\n"
		"  -c, --config FILE       desired state (default " DESIRED_DEFAULT_PATH ");\n"
		"                          check and plan also take it as FILE\n"
		"  -s, --state-dir DIR     journal directory (overrides paths.stateDir)\n"
		"  -n, --namespace NAME    only this namespace (plan, reconcile, status, history)\n"
		"      --json              machine-readable output on stdout\n"
		"      --format FORMAT     text, json or prometheus (status only)\n"
		"      --trigger WHAT      recorded with the transaction (default: cli)\n"
		"      --lock-timeout MS   how long to wait for a running reconcile (default 5000)\n"
		"      --limit N           history: show at most N transactions (default 20, 0: all)\n"
		"      --unlock            reconcile: repair namespaces a drift lockdown holds\n"
		"      --periodic-interval S  daemon: check what has no event every S seconds (default 60, 0: off)\n"
		"      --metrics-file PATH daemon: keep a node_exporter textfile up to date\n"
		"  -q, --quiet             only warnings and errors on stderr\n"
		"  -h, --help              show this help\n"
		"      --version           show the version\n"
		"\nExit status: 0 success, 1 failure, 2 plan has pending changes,\n"
		"3 invalid desired state, 4 another reconcile is running, 64 usage error.\n"
		"See vpnconf(8).\n");
}

static int parse_uint(const char *s, const char *what, unsigned *ret)
{
	uint64_t v;

	if (safe_atou64(s, &v) < 0 || v > UINT32_MAX) {
		log_error("invalid %s: %s", what, s);
		return -EINVAL;
	}
	*ret = (unsigned)v;
	return 0;
}

enum {
	OPT_JSON = 0x100,
	OPT_TRIGGER,
	OPT_LOCK_TIMEOUT,
	OPT_LIMIT,
	OPT_VERSION,
	OPT_UNLOCK,
	OPT_FORMAT,
	OPT_PERIODIC_INTERVAL,
	OPT_METRICS_FILE,
};

static int parse_argv(int argc, char **argv, const Verb *verb, bool stop_at_verb)
{
	static const struct option options[] = {
		{"config", required_argument, NULL, 'c'},
		{"state-dir", required_argument, NULL, 's'},
		{"namespace", required_argument, NULL, 'n'},
		{"json", no_argument, NULL, OPT_JSON},
		{"trigger", required_argument, NULL, OPT_TRIGGER},
		{"lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT},
		{"limit", required_argument, NULL, OPT_LIMIT},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, OPT_VERSION},
		{"unlock", no_argument, NULL, OPT_UNLOCK},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"periodic-interval", required_argument, NULL, OPT_PERIODIC_INTERVAL},
		{"metrics-file", required_argument, NULL, OPT_METRICS_FILE},
		{},
	};
	int c;

	while ((c = getopt_long(argc, argv, stop_at_verb ? "+c:s:n:qh" : "c:s:n:qh", options,
				NULL)) >= 0) {
		switch (c) {
		case 'c':
			arg_config = optarg;
			arg_config_given = true;
			break;
		case 's':
			arg_state_dir = optarg;
			break;
		case 'n':
			if (!namespace_name_is_valid(optarg)) {
				log_error("invalid namespace name: %s", optarg);
				return -EINVAL;
			}
			arg_namespace = optarg;
			break;
		case OPT_JSON:
			arg_json = true;
			break;
		case OPT_TRIGGER:
			arg_trigger = optarg;
			break;
		case OPT_LOCK_TIMEOUT:
			if (parse_uint(optarg, "lock timeout", &arg_lock_timeout_ms) < 0)
				return -EINVAL;
			break;
		case OPT_LIMIT:
			if (parse_uint(optarg, "limit", &arg_limit) < 0)
				return -EINVAL;
			break;
		case 'q':
			arg_quiet = true;
			break;
		case 'h':
			help(stdout, verb);
			return 0;
		case OPT_UNLOCK:
			arg_unlock = true;
			break;
		case OPT_FORMAT:
			arg_json = streq(optarg, "json");
			arg_prometheus = streq(optarg, "prometheus");
			if (!arg_json && !arg_prometheus && !streq(optarg, "text")) {
				log_error("invalid format: %s (text, json or prometheus)", optarg);
				return -EINVAL;
			}
			break;
		case OPT_METRICS_FILE:
			if (optarg[0] != '/') {
				log_error("--metrics-file needs an absolute path: %s", optarg);
				return -EINVAL;
			}
			arg_metrics_file = optarg;
			break;
		case OPT_PERIODIC_INTERVAL:
			if (parse_uint(optarg, "periodic interval", &arg_periodic_interval_s) < 0)
				return -EINVAL;
			break;
		case OPT_VERSION:
			printf("vpnconf %s\n", VPNCONF_VERSION);
			return 0;
		default:
			return -EINVAL;
		}
	}
	return 1;
}

/* vpnconf help [COMMAND]: the same as --help, or COMMAND --help. */
static int run_help(int nargs, char **args)
{
	const Verb *about = NULL;

	if (nargs == 1 && !(about = verb_find(args[0]))) {
		log_error("unknown command: %s (see vpnconf help)", args[0]);
		return EXIT_USAGE;
	}
	help(stdout, about);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const Verb *verb = NULL;
	int r, nargs;

	saved_argv = argv;
	r = parse_argv(argc, argv, NULL, true);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_OK;
	if (optind >= argc) {
		help(stderr, NULL);
		return EXIT_USAGE;
	}
	verb = verb_find(argv[optind]);
	if (!verb) {
		log_error("unknown command: %s (see vpnconf help)", argv[optind]);
		return EXIT_USAGE;
	}
	/* Options may also follow the command (GNU getopt permutes the
	 * arguments; optind = 0 makes it start over). */
	argc -= optind;
	argv += optind;
	optind = 0;
	r = parse_argv(argc, argv, verb, false);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_OK;
	if (arg_prometheus && verb->run != verb_status) {
		log_error("--format prometheus is only for status");
		return EXIT_USAGE;
	}
	nargs = argc - optind;
	if (nargs < verb->min_args || nargs > verb->max_args) {
		log_error("usage: vpnconf %.*s (see vpnconf help %s)", synopsis_len(verb),
			  verb->usage, verb->name);
		return EXIT_USAGE;
	}
	if (!verb->run)
		return run_help(nargs, argv + optind);
	if (verb->config_arg) {
		if (config_argument(nargs, argv + optind, arg_config, arg_config_given,
				    &arg_config) < 0) {
			log_error("%s names the desired state twice (%s and --config %s); give it once",
				  verb->name, argv[optind], arg_config);
			return EXIT_USAGE;
		}
		nargs = 0;
	}
	return verb->run(nargs, argv + optind);
}
