/*
 * test_seal_gcm.c - AES-256-GCM of sealed tcp0 records: libcrypto and
 * libsodium make the same records (so a node built with either talks to
 * one built with the other), against the NIST test vector, and each
 * refuses a changed byte, tag, nonce or associated data.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rsm_seal_gcm.h"

/*
 * The GCM specification's test case 16 (AES-256, 96-bit IV, 60 bytes
 * with 20 bytes of associated data).
 */
static const uint8_t kat_key[32] = {
	0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f,
	0x94, 0x67, 0x30, 0x83, 0x08, 0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65,
	0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
};
static const uint8_t kat_iv[12] = {
	0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8,
	0x88,
};
static const uint8_t kat_pt[60] = {
	0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59, 0x09,
	0xc5, 0xaf, 0xf5, 0x26, 0x9a, 0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34,
	0xf7, 0xda, 0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31, 0x8a, 0x72, 0x1c,
	0x3c, 0x0c, 0x95, 0x95, 0x68, 0x09, 0x53, 0x2f, 0xcf, 0x0e, 0x24,
	0x49, 0xa6, 0xb5, 0x25, 0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6,
	0x57, 0xba, 0x63, 0x7b, 0x39,
};
static const uint8_t kat_ad[20] = {
	0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed, 0xfa,
	0xce, 0xde, 0xad, 0xbe, 0xef, 0xab, 0xad, 0xda, 0xd2,
};
static const uint8_t kat_ct[60] = {
	0x52, 0x2d, 0xc1, 0xf0, 0x99, 0x56, 0x7d, 0x07, 0xf4, 0x7f, 0x37,
	0xa3, 0x2a, 0x84, 0x42, 0x7d, 0x64, 0x3a, 0x8c, 0xdc, 0xbf, 0xe5,
	0xc0, 0xc9, 0x75, 0x98, 0xa2, 0xbd, 0x25, 0x55, 0xd1, 0xaa, 0x8c,
	0xb0, 0x8e, 0x48, 0x59, 0x0d, 0xbb, 0x3d, 0xa7, 0xb0, 0x8b, 0x10,
	0x56, 0x82, 0x88, 0x38, 0xc5, 0xf6, 0x1e, 0x63, 0x93, 0xba, 0x7a,
	0x0a, 0xbc, 0xc9, 0xf6, 0x62,
};
static const uint8_t kat_tag[16] = {
	0x76, 0xfc, 0x6e, 0xce, 0x0f, 0x4e, 0x17, 0x68, 0xcd, 0xdf, 0x88,
	0x53, 0xbb, 0x2d, 0x55, 0x1b,
};

static const enum rsm_gcm_impl impls[] = { RSM_GCM_SODIUM, RSM_GCM_LIBCRYPTO };
#define NIMPL	(sizeof(impls) / sizeof(impls[0]))

static void
test_gcm_known_answer(void **state)
{
	uint8_t ct[60], pt[60], tag[16];
	size_t i;
	int ran = 0;

	(void)state;
	for (i = 0; i < NIMPL; i++) {
		struct rsm_gcm *s, *o;

		if (!rsm_gcm_usable(impls[i]))
			continue;
		ran++;
		s = rsm_gcm_new(kat_key, 1, impls[i]);
		o = rsm_gcm_new(kat_key, 0, impls[i]);
		assert_non_null(s);
		assert_non_null(o);
		assert_int_equal(rsm_gcm_seal(s, ct, tag, kat_pt, sizeof(kat_pt),
		    kat_ad, sizeof(kat_ad), kat_iv), 0);
		assert_memory_equal(ct, kat_ct, sizeof(ct));
		assert_memory_equal(tag, kat_tag, sizeof(tag));
		assert_int_equal(rsm_gcm_open(o, pt, kat_ct, sizeof(kat_ct),
		    kat_tag, kat_ad, sizeof(kat_ad), kat_iv), 0);
		assert_memory_equal(pt, kat_pt, sizeof(pt));
		/* Wrong directions are refused, not misused. */
		assert_int_equal(rsm_gcm_seal(o, ct, tag, kat_pt, 1, NULL, 0,
		    kat_iv), -1);
		assert_int_equal(rsm_gcm_open(s, pt, kat_ct, 1, kat_tag, NULL,
		    0, kat_iv), -1);
		rsm_gcm_free(s);
		rsm_gcm_free(o);
	}
#ifdef HAVE_LIBCRYPTO
	assert_true(rsm_gcm_usable(RSM_GCM_LIBCRYPTO));
	assert_string_equal(rsm_gcm_best_name(), "libcrypto");
#endif
	if (ran == 0)
		skip();
}

/* Records of 64 KiB, in place, sealed by one and opened by the other. */
static void
test_gcm_interop(void **state)
{
	size_t len = 64u << 10, i, a, b;
	uint8_t *buf = malloc(len), *ref = malloc(len);
	uint8_t key[32], nonce[12] = { 0 }, ad[4] = { 1, 2, 3, 4 }, tag[16];

	(void)state;
	assert_non_null(buf);
	assert_non_null(ref);
	for (i = 0; i < len; i++)
		ref[i] = (uint8_t)(i * 131u + 7u);
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa5 ^ i);
	if (!rsm_gcm_usable(RSM_GCM_SODIUM) ||
	    !rsm_gcm_usable(RSM_GCM_LIBCRYPTO)) {
		free(buf);
		free(ref);
		skip();
	}
	for (a = 0; a < NIMPL; a++) {
		for (b = 0; b < NIMPL; b++) {
			struct rsm_gcm *s = rsm_gcm_new(key, 1, impls[a]);
			struct rsm_gcm *o = rsm_gcm_new(key, 0, impls[b]);
			uint8_t ctr;

			assert_non_null(s);
			assert_non_null(o);
			for (ctr = 0; ctr < 3; ctr++) {
				nonce[0] = ctr;
				memcpy(buf, ref, len);
				assert_int_equal(rsm_gcm_seal(s, buf, tag, buf,
				    len, ad, sizeof(ad), nonce), 0);
				assert_memory_not_equal(buf, ref, 64);
				assert_int_equal(rsm_gcm_open(o, buf, buf, len,
				    tag, ad, sizeof(ad), nonce), 0);
				assert_memory_equal(buf, ref, len);
			}
			rsm_gcm_free(s);
			rsm_gcm_free(o);
		}
	}
	free(buf);
	free(ref);
}

static void
test_gcm_refusals(void **state)
{
	uint8_t ct[60], pt[60], tag[16], iv[12], ad[20];
	size_t i;
	int ran = 0;

	(void)state;
	assert_null(rsm_gcm_new(NULL, 1, RSM_GCM_BEST));
	assert_null(rsm_gcm_new(kat_key, 1, (enum rsm_gcm_impl)99));
	assert_int_equal(rsm_gcm_seal(NULL, ct, tag, kat_pt, 1, NULL, 0,
	    kat_iv), -1);
	assert_int_equal(rsm_gcm_open(NULL, pt, ct, 1, tag, NULL, 0, kat_iv),
	    -1);
	rsm_gcm_free(NULL);
	for (i = 0; i < NIMPL; i++) {
		struct rsm_gcm *o;

		if (!rsm_gcm_usable(impls[i]))
			continue;
		ran++;
		o = rsm_gcm_new(kat_key, 0, impls[i]);
		assert_non_null(o);
		memcpy(ct, kat_ct, sizeof(ct));
		ct[17] ^= 0x10;
		assert_int_equal(rsm_gcm_open(o, pt, ct, sizeof(ct), kat_tag,
		    kat_ad, sizeof(kat_ad), kat_iv), -1);
		memcpy(tag, kat_tag, sizeof(tag));
		tag[15] ^= 1;
		assert_int_equal(rsm_gcm_open(o, pt, kat_ct, sizeof(kat_ct), tag,
		    kat_ad, sizeof(kat_ad), kat_iv), -1);
		memcpy(iv, kat_iv, sizeof(iv));
		iv[11] ^= 1;
		assert_int_equal(rsm_gcm_open(o, pt, kat_ct, sizeof(kat_ct),
		    kat_tag, kat_ad, sizeof(kat_ad), iv), -1);
		memcpy(ad, kat_ad, sizeof(ad));
		ad[0] ^= 1;
		assert_int_equal(rsm_gcm_open(o, pt, kat_ct, sizeof(kat_ct),
		    kat_tag, ad, sizeof(ad), kat_iv), -1);
		/* After refusals the same context still opens a good record. */
		assert_int_equal(rsm_gcm_open(o, pt, kat_ct, sizeof(kat_ct),
		    kat_tag, kat_ad, sizeof(kat_ad), kat_iv), 0);
		assert_memory_equal(pt, kat_pt, sizeof(pt));
		rsm_gcm_free(o);
	}
	if (ran == 0)
		skip();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gcm_known_answer),
		cmocka_unit_test(test_gcm_interop),
		cmocka_unit_test(test_gcm_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
