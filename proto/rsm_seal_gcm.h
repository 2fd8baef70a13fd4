/*
 * rsm_seal_gcm.h - AES-256-GCM for sealed tcp0 records (rsm_data_seal.c):
 * one direction's key, expanded once, then a record at a time.
 *
 * Two implementations of the one standard cipher (96-bit nonce, 128-bit
 * tag, so either end may use either): OpenSSL's libcrypto where the build
 * found it, because its AES-NI/VAES code runs about twice as fast as
 * libsodium 1.0.18's on the machines measured (rsm_data_seal.h), and
 * libsodium's, which needs AES-NI and PCLMUL.
 */
#ifndef RSM_SEAL_GCM_H
#define RSM_SEAL_GCM_H

#include <stddef.h>
#include <stdint.h>

#define RSM_GCM_KEY_LEN		32u
#define RSM_GCM_NONCE_LEN	12u
#define RSM_GCM_TAG_LEN		16u

/* Which implementation: the fastest this build has, or a named one. */
enum rsm_gcm_impl {
	RSM_GCM_BEST = 0,
	RSM_GCM_SODIUM,
	RSM_GCM_LIBCRYPTO,
};

struct rsm_gcm;

/* Whether impl can run here (RSM_GCM_BEST: whether any can). */
int	 rsm_gcm_usable(enum rsm_gcm_impl impl);
/* The name of what RSM_GCM_BEST picks ("libcrypto", "libsodium", "none"). */
const char *rsm_gcm_best_name(void);

/* A key for sealing (seal = 1) or opening; NULL: unusable or no memory. */
struct rsm_gcm *rsm_gcm_new(const uint8_t key[RSM_GCM_KEY_LEN], int seal,
	    enum rsm_gcm_impl impl);
/* Forget the key (NULL: nothing). */
void	 rsm_gcm_free(struct rsm_gcm *);

/*
 * Seal len bytes of pt into ct (ct == pt: in place) with ad as associated
 * data, writing the tag: 0, or -1 when the cipher failed.
 */
int	 rsm_gcm_seal(struct rsm_gcm *, uint8_t *ct,
	    uint8_t tag[RSM_GCM_TAG_LEN], const uint8_t *pt, size_t len,
	    const uint8_t *ad, size_t adlen,
	    const uint8_t nonce[RSM_GCM_NONCE_LEN]);
/*
 * Open len bytes of ct into pt (pt == ct: in place): 0, or -1 when the
 * tag does not verify (pt then holds no usable bytes).
 */
int	 rsm_gcm_open(struct rsm_gcm *, uint8_t *pt, const uint8_t *ct,
	    size_t len, const uint8_t tag[RSM_GCM_TAG_LEN],
	    const uint8_t *ad, size_t adlen,
	    const uint8_t nonce[RSM_GCM_NONCE_LEN]);

#endif /* RSM_SEAL_GCM_H */
