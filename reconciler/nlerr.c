/* SPDX-License-Identifier: MIT */
/*
 * libnl reports errors as -NLE_* codes, already folded from the kernel's
 * errno (lossily: an errno without an NLE_ counterpart became NLE_FAILURE).
 * This maps them back once, so the rest of vpnconf speaks -errno only.
 */
#include <errno.h>
#include <netlink/errno.h>

#include "nlerr.h"

int nlerr_to_errno(int r)
{
	static const struct {
		int nle;
		int err;
	} map[] = {
		{NLE_INTR, EINTR},
		{NLE_BAD_SOCK, EBADF},
		{NLE_AGAIN, EAGAIN},
		{NLE_NOMEM, ENOMEM},
		{NLE_EXIST, EEXIST},
		{NLE_INVAL, EINVAL},
		{NLE_RANGE, ERANGE},
		{NLE_MSGSIZE, EMSGSIZE},
		{NLE_OPNOTSUPP, EOPNOTSUPP},
		{NLE_AF_NOSUPPORT, EAFNOSUPPORT},
		{NLE_OBJ_NOTFOUND, ENOENT},
		{NLE_NOATTR, ENOENT},
		{NLE_MISSING_ATTR, EINVAL},
		{NLE_AF_MISMATCH, EINVAL},
		{NLE_SEQ_MISMATCH, EILSEQ},
		{NLE_MSG_OVERFLOW, EOVERFLOW},
		{NLE_MSG_TRUNC, EMSGSIZE},
		{NLE_NOADDR, EADDRNOTAVAIL},
		{NLE_SRCRT_NOSUPPORT, EOPNOTSUPP},
		{NLE_MSG_TOOSHORT, EBADMSG},
		{NLE_MSGTYPE_NOSUPPORT, EOPNOTSUPP},
		{NLE_OBJ_MISMATCH, EINVAL},
		{NLE_NOCACHE, ENOENT},
		{NLE_BUSY, EBUSY},
		{NLE_PROTO_MISMATCH, EPROTONOSUPPORT},
		{NLE_NOACCESS, EACCES},
		{NLE_PERM, EPERM},
		{NLE_PKTLOC_FILE, ENOENT},
		{NLE_PARSE_ERR, EINVAL},
		{NLE_NODEV, ENODEV},
		{NLE_IMMUTABLE, EPERM},
		{NLE_DUMP_INTR, EINTR},
		{NLE_ATTRSIZE, EINVAL},
	};

	if (r >= 0)
		return r;
	for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].nle == -r)
			return -map[i].err;
	return -EIO;
}
