/* SPDX-License-Identifier: MIT */
/*
 * reconcile_check_keys() (see reconcile.h): the key files of the desired
 * state, checked before anything is observed.
 */
#include <stdio.h>

#include "reconcile.h"
#include "wg.h"

static void key_error(DesiredErrors *errors, const char *path, const char *file, int r)
{
	switch (-r) {
	case ENOENT:
		desired_errors_add(errors, path, "key file %s does not exist", file);
		break;
	case EPERM:
		desired_errors_add(errors, path,
				   "key file %s is group- or world-readable; highAssurance "
				   "requires mode 0600 or stricter",
				   file);
		break;
	case EINVAL:
		desired_errors_add(errors, path,
				   "key file %s does not hold one base64 WireGuard key", file);
		break;
	case EISDIR:
	case EBADFD:
		desired_errors_add(errors, path,
				   "key file %s is not a regular file (a directory, FIFO, socket or "
				   "device)",
				   file);
		break;
	default:
		desired_errors_add(errors, path, "cannot read key file %s: %s", file, strerror(-r));
		break;
	}
}

int reconcile_check_keys(const Desired *d, bool generate, DesiredErrors *errors)
{
	size_t before = errors->n;

	FOREACH_ARRAY(ns, d->namespaces, d->n_namespaces)
	{
		bool strict = ns->profile == SECURITY_PROFILE_HIGH_ASSURANCE;
		uint8_t key[WG_KEY_LEN];
		int r;

		if (!ns->wg.managed)
			continue;
		_cleanup_free_ char *path = desired_ns_path(ns->name,
								"wireguard.privateKeyFile");
		if (ns->wg.generate_private_key_file && generate) {
			r = wg_key_generate_file(ns->wg.private_key_file);
			if (r < 0) {
				desired_errors_add(errors, path, "cannot create key file %s: %s",
						   ns->wg.private_key_file, strerror(-r));
				continue;
			}
		}
		r = wg_key_read_file(ns->wg.private_key_file, strict, key);
		explicit_bzero(key, sizeof(key));
		if (r == -ENOENT && ns->wg.generate_private_key_file && !generate)
			r = 0; /* created by the reconcile that needs it */
		if (r < 0)
			key_error(errors, path, ns->wg.private_key_file, r);

		for (size_t i = 0; i < ns->wg.n_peers; i++) {
			const Peer *peer = &ns->wg.peers[i];
			_cleanup_free_ char *ppath = NULL;

			if (!peer->preshared_key_file)
				continue;
			_cleanup_free_ char *sub =
				xasprintf("wireguard.peers[%zu].presharedKeyFile", i);
			ppath = desired_ns_path(ns->name, sub);
			r = wg_key_read_file(peer->preshared_key_file, strict, key);
			explicit_bzero(key, sizeof(key));
			if (r < 0)
				key_error(errors, ppath, peer->preshared_key_file, r);
		}
	}
	return errors->n > before ? -EINVAL : 0;
}
