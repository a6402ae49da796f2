/* SPDX-License-Identifier: MIT */
/*
 * The module's convenience entry points: replacing and deleting a table
 * in one call (build a batch with the socket's next sequence number, send
 * it, wait for every acknowledgement).
 */
#include "nft-internal.h"

int nft_table_replace(NftSocket *s, const NftTable *t)
{
	_cleanup_(nft_batch_freep) NftBatch *b = NULL;
	int r;

	assert(s && t);
	r = nft_batch_build_replace(t, nft_socket_next_seq(s), &b);
	if (r < 0)
		return r;
	return nft_batch_send(s, b);
}

int nft_forwarded_update(NftSocket *s, bool tcp, bool udp, uint16_t old_port, uint16_t new_port)
{
	_cleanup_(nft_batch_freep) NftBatch *b = NULL;
	int r;

	assert(s);
	r = nft_batch_build_forwarded(tcp, udp, old_port, new_port, nft_socket_next_seq(s), &b);
	if (r < 0)
		return r;
	return nft_batch_send(s, b);
}

int nft_table_create(NftSocket *s, const NftTable *t)
{
	_cleanup_(nft_batch_freep) NftBatch *b = NULL;
	int r;

	assert(s && t);
	r = nft_batch_build_create(t, nft_socket_next_seq(s), &b);
	if (r < 0)
		return r;
	return nft_batch_send(s, b);
}

int nft_table_delete(NftSocket *s, const char *name)
{
	_cleanup_(nft_batch_freep) NftBatch *b = NULL;
	int r;

	assert(s && name);
	r = nft_batch_build_delete(name, nft_socket_next_seq(s), &b);
	if (r < 0)
		return r;
	return nft_batch_send(s, b);
}

int nft_table_delete_any(NftSocket *s, const char *family, const char *name)
{
	_cleanup_(nft_batch_freep) NftBatch *b = NULL;
	int r;

	assert(s && family && name);
	r = nft_batch_build_delete_any(family, name, nft_socket_next_seq(s), &b);
	if (r < 0)
		return r;
	return nft_batch_send(s, b);
}
