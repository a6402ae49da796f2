/* SPDX-License-Identifier: MIT */
/* NAT-PMP (RFC 6886): requests against their bytes, responses parsed and
 * refused, the retransmission schedule, renewal and the epoch check. */
#include <arpa/inet.h>

#include "natpmp.h"
#include "test.h"

TEST(external_address_request_bytes)
{
	static const uint8_t want[] = {0x00, 0x00};
	uint8_t buf[NATPMP_REQUEST_MAX];

	ASSERT_EQ(natpmp_build_external_address(buf, sizeof(buf)), sizeof(want));
	ASSERT_MEMEQ(buf, want, sizeof(want));
	ASSERT_EQ(natpmp_build_external_address(buf, 1), 0);
}

TEST(map_request_bytes)
{
	/* ProtonVPN's form: internal port 1, no suggestion, 60 s. */
	static const uint8_t udp[] = {0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
				      0x00, 0x00, 0x00, 0x00, 0x00, 0x3c};
	/* TCP 51413 suggesting 51413 for two hours. */
	static const uint8_t tcp[] = {0x00, 0x02, 0x00, 0x00, 0xc8, 0xd5,
				      0xc8, 0xd5, 0x00, 0x00, 0x1c, 0x20};
	/* Deletion: lifetime 0, suggested port 0. */
	static const uint8_t del[] = {0x00, 0x02, 0x00, 0x00, 0x00, 0x01,
				      0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	uint8_t buf[NATPMP_REQUEST_MAX];

	ASSERT_EQ(natpmp_build_map(buf, sizeof(buf), NATPMP_OP_MAP_UDP, 1, 0, 60), sizeof(udp));
	ASSERT_MEMEQ(buf, udp, sizeof(udp));
	ASSERT_EQ(natpmp_build_map(buf, sizeof(buf), NATPMP_OP_MAP_TCP, 51413, 51413, 7200),
		  sizeof(tcp));
	ASSERT_MEMEQ(buf, tcp, sizeof(tcp));
	ASSERT_EQ(natpmp_build_map(buf, sizeof(buf), NATPMP_OP_MAP_TCP, 1, 0, 0), sizeof(del));
	ASSERT_MEMEQ(buf, del, sizeof(del));

	ASSERT_EQ(natpmp_build_map(buf, 11, NATPMP_OP_MAP_UDP, 1, 0, 60), 0);
	ASSERT_EQ(natpmp_build_map(buf, sizeof(buf), NATPMP_OP_EXTERNAL_ADDRESS, 1, 0, 60), 0);
}

TEST(map_response_parsed)
{
	/* UDP mapping granted: epoch 1000, internal 1, external 43210, 60 s. */
	static const uint8_t msg[] = {0x00, 0x81, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8,
				      0x00, 0x01, 0xa8, 0xca, 0x00, 0x00, 0x00, 0x3c};
	NatpmpResponse r;

	ASSERT_OK(natpmp_parse_response(msg, sizeof(msg), &r));
	ASSERT_EQ(r.op, NATPMP_OP_MAP_UDP);
	ASSERT_EQ(r.result, NATPMP_RESULT_SUCCESS);
	ASSERT_EQ(r.epoch, 1000);
	ASSERT_EQ(r.internal_port, 1);
	ASSERT_EQ(r.external_port, 43210);
	ASSERT_EQ(r.lifetime, 60);
	ASSERT_TRUE(natpmp_response_matches(&r, NATPMP_OP_MAP_UDP, 1));
	ASSERT_FALSE(natpmp_response_matches(&r, NATPMP_OP_MAP_TCP, 1));
	ASSERT_FALSE(natpmp_response_matches(&r, NATPMP_OP_MAP_UDP, 2));
}

TEST(external_address_response_parsed)
{
	static const uint8_t msg[] = {0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07,
				      0xc0, 0x00, 0x02, 0x2a};
	NatpmpResponse r;
	char s[INET_ADDRSTRLEN];

	ASSERT_OK(natpmp_parse_response(msg, sizeof(msg), &r));
	ASSERT_EQ(r.op, NATPMP_OP_EXTERNAL_ADDRESS);
	ASSERT_EQ(r.epoch, 7);
	ASSERT_STREQ(inet_ntop(AF_INET, &r.external_address, s, sizeof(s)), "192.0.2.42");
}

TEST(failure_response_parsed_short_or_full)
{
	static const uint8_t header[] = {0x00, 0x82, 0x00, 0x02, 0x00, 0x00, 0x00, 0x09};
	static const uint8_t full[] = {0x00, 0x82, 0x00, 0x04, 0x00, 0x00, 0x00, 0x09,
				       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	NatpmpResponse r;

	ASSERT_OK(natpmp_parse_response(header, sizeof(header), &r));
	ASSERT_EQ(r.op, NATPMP_OP_MAP_TCP);
	ASSERT_EQ(r.result, NATPMP_RESULT_NOT_AUTHORIZED);
	ASSERT_STREQ(natpmp_result_to_string(r.result), "not authorized");
	ASSERT_TRUE(natpmp_response_matches(&r, NATPMP_OP_MAP_TCP, 1));

	ASSERT_OK(natpmp_parse_response(full, sizeof(full), &r));
	ASSERT_EQ(r.result, NATPMP_RESULT_OUT_OF_RESOURCES);
	ASSERT_EQ(r.external_port, 0); /* undefined on failure: not read */
	ASSERT_STREQ(natpmp_result_to_string(77), "unknown");
}

TEST(malformed_responses_refused)
{
	static const uint8_t good[] = {0x00, 0x81, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8,
				       0x00, 0x01, 0xa8, 0xca, 0x00, 0x00, 0x00, 0x3c};
	uint8_t msg[sizeof(good) + 1];
	NatpmpResponse r = {.epoch = 4242};

	/* Every truncation, and one byte too many. */
	for (size_t len = 0; len < sizeof(good); len++)
		ASSERT_ERR(natpmp_parse_response(good, len, &r), EBADMSG);
	memcpy(msg, good, sizeof(good));
	msg[sizeof(good)] = 0;
	ASSERT_ERR(natpmp_parse_response(msg, sizeof(msg), &r), EBADMSG);

	/* Version 2 (PCP), a request echoed back, an unknown opcode. */
	memcpy(msg, good, sizeof(good));
	msg[0] = 2;
	ASSERT_ERR(natpmp_parse_response(msg, sizeof(good), &r), EBADMSG);
	memcpy(msg, good, sizeof(good));
	msg[1] = 0x01;
	ASSERT_ERR(natpmp_parse_response(msg, sizeof(good), &r), EBADMSG);
	msg[1] = 0x83;
	ASSERT_ERR(natpmp_parse_response(msg, sizeof(good), &r), EBADMSG);
	msg[1] = 0xff;
	ASSERT_ERR(natpmp_parse_response(msg, sizeof(good), &r), EBADMSG);

	/* Granted with external port 0. */
	memcpy(msg, good, sizeof(good));
	msg[10] = msg[11] = 0;
	ASSERT_ERR(natpmp_parse_response(msg, sizeof(good), &r), EBADMSG);

	/* An external address answer of mapping size. */
	memcpy(msg, good, sizeof(good));
	msg[1] = 0x80;
	ASSERT_ERR(natpmp_parse_response(msg, sizeof(good), &r), EBADMSG);

	ASSERT_ERR(natpmp_parse_response(NULL, 16, &r), EBADMSG);
	ASSERT_EQ(r.epoch, 4242); /* untouched on failure */
}

TEST(deleted_mapping_response_accepted)
{
	/* The answer to a deletion: lifetime 0, external port 0. */
	static const uint8_t msg[] = {0x00, 0x82, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8,
				      0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	NatpmpResponse r;

	ASSERT_OK(natpmp_parse_response(msg, sizeof(msg), &r));
	ASSERT_EQ(r.lifetime, 0);
	ASSERT_EQ(r.external_port, 0);
}

TEST(retry_schedule_doubles_and_gives_up)
{
	uint64_t total = 0;

	ASSERT_EQ(natpmp_retry_delay_usec(0), 250000);
	ASSERT_EQ(natpmp_retry_delay_usec(1), 500000);
	ASSERT_EQ(natpmp_retry_delay_usec(7), 32000000);
	ASSERT_EQ(natpmp_retry_delay_usec(8), 0);
	ASSERT_EQ(natpmp_retry_delay_usec(1000), 0);
	for (unsigned i = 0; natpmp_retry_delay_usec(i); i++)
		total += natpmp_retry_delay_usec(i);
	/* Nine sends, the last one 63.75 s after the first. */
	ASSERT_EQ(total, 63750000);
}

TEST(renewal_at_half_the_lifetime)
{
	ASSERT_EQ(natpmp_renew_after_usec(60), 30000000);
	ASSERT_EQ(natpmp_renew_after_usec(7200), 3600000000ULL);
	ASSERT_EQ(natpmp_renew_after_usec(1), 1000000);
	ASSERT_EQ(natpmp_renew_after_usec(0), 1000000);
	ASSERT_EQ(natpmp_renew_after_usec(UINT32_MAX), (uint64_t)UINT32_MAX * 500000);
}

TEST(epoch_check_detects_gateway_restart)
{
	const uint64_t t0 = 5000000000ULL;

	/* 30 s later the gateway says 30 s more: continuous. */
	ASSERT_TRUE(natpmp_epoch_continuous(1000, t0, 1030, t0 + 30000000));
	/* 7/8 of 30 s is 26.25 s: 25 s plus the 2 s slack passes, 24 s does not. */
	ASSERT_TRUE(natpmp_epoch_continuous(1000, t0, 1000 + 27 - 2, t0 + 30000000));
	/* Restarted: its epoch began again. */
	ASSERT_FALSE(natpmp_epoch_continuous(1000, t0, 3, t0 + 30000000));
	ASSERT_FALSE(natpmp_epoch_continuous(1000, t0, 1000 + 26 - 2, t0 + 30000000));
	/* Went backwards with no time elapsed. */
	ASSERT_FALSE(natpmp_epoch_continuous(1000, t0, 997, t0));
	/* A clock that steps backwards on the client side is no restart. */
	ASSERT_TRUE(natpmp_epoch_continuous(1000, t0, 1000, t0 - 1));
	/* No overflow near the top of the range. */
	ASSERT_TRUE(natpmp_epoch_continuous(UINT32_MAX - 1, t0, UINT32_MAX, t0 + 1000000));
}
