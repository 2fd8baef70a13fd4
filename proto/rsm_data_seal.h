/*
 * rsm_data_seal.h - the sealed records of a tcp0 data connection whose
 * CHALLENGE named a cipher (data_encrypt = yes on the serving daemon);
 * shared by the daemon's data server and the tcp transport.
 *
 * Keys: one per direction, BLAKE2b-256 keyed with the capability's token
 * over RSM_SEAL_KEY_LABEL, the server's nonce, the cipher, the importer's
 * nonce and the direction.  Both nonces are fresh, so every connection
 * has keys of its own, even two of one token, and the token is never on
 * the wire (rsm_data.h).
 *
 * After HELLO and its reply each direction is a stream of records:
 *
 *   len    4 bytes, host order: plaintext bytes, 1..RSM_SEAL_REC_MAX
 *   data   len bytes of ciphertext
 *   tag    RSM_SEAL_TAG_LEN bytes
 *
 * AEAD (AES-256-GCM or ChaCha20-Poly1305-IETF) with the 4 length bytes as
 * associated data and the record's number in its direction as nonce (a
 * counter from 0, never reused: the connection ends before it could
 * wrap).  A record changed, dropped, replayed, reordered or cut short
 * fails, and the connection with it.  The records carry the frames of
 * rsm_data.h as one byte stream: frame and record boundaries are
 * independent, so a 4 MiB PUT travels in 64 KiB records and a burst of
 * small requests shares one.
 *
 * Bytes are only handed out of a record once its tag verified: the
 * daemon copies into a segment only what was authenticated.
 */
#ifndef RSM_DATA_SEAL_H
#define RSM_DATA_SEAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "rsm_data.h"

#define RSM_SEAL_REC_MAX	(64u << 10)
#define RSM_SEAL_HDR_LEN	4u
#define RSM_SEAL_TAG_LEN	16u
#define RSM_SEAL_OVERHEAD	(RSM_SEAL_HDR_LEN + RSM_SEAL_TAG_LEN)
#define RSM_SEAL_KEY_LABEL	"rsm-data-key-v1"

/* What rsm_seal_take() found wrong with the stream. */
#define RSM_SEAL_EBADLEN	-1	/* a record length out of range */
#define RSM_SEAL_EBADTAG	-2	/* a record failed authentication */

struct rsm_seal;

/*
 * The cipher a server offers: AES-256-GCM where this CPU runs it in
 * hardware (AES-NI and PCLMUL), else ChaCha20-Poly1305.
 */
uint8_t	 rsm_seal_cipher_pick(void);
/* Whether this machine can do cipher (RSM_DATA_CIPHER_NONE: no). */
int	 rsm_seal_cipher_usable(uint8_t cipher);
const char *rsm_seal_cipher_name(uint8_t cipher);

/*
 * Both directions of one connection: its CHALLENGE, the importer's nonce
 * from its HELLO, and which side this is.  NULL: out of memory, or a
 * cipher this machine cannot do.
 */
struct rsm_seal *rsm_seal_new(const uint8_t token[RSM_CAP_TOKEN_LEN],
	    const struct rsm_data_challenge *chal,
	    const uint8_t cnonce[RSM_DATA_NONCE_LEN], int server);
/* Forget the keys and the buffers. */
void	 rsm_seal_free(struct rsm_seal *);

/*
 * Sending.  rsm_seal_put() seals the next bytes of iov[0..niov), at most
 * RSM_SEAL_REC_MAX, as one record, and returns how many it took: 0 while
 * the last record is not all sent, or when there is nothing to take; -1
 * when the counter is spent (close the connection).  rsm_seal_out() is
 * what of the record is still to send, rsm_seal_sent() retires n of it.
 */
ssize_t	 rsm_seal_put(struct rsm_seal *, const struct iovec *iov, int niov);
const void *rsm_seal_out(const struct rsm_seal *, size_t *len);
void	 rsm_seal_sent(struct rsm_seal *, size_t n);

/*
 * Receiving.  rsm_seal_take() fills iov[0..niov) from the records
 * received so far, opening each as it is reached, and returns the bytes
 * it copied (0: a whole record is not in yet) or RSM_SEAL_E*.  Once it
 * returns less than asked, rsm_seal_in_space() says where up to *len
 * further bytes from the socket go, and rsm_seal_in_got() counts them.
 */
ssize_t	 rsm_seal_take(struct rsm_seal *, const struct iovec *iov, int niov);
void	*rsm_seal_in_space(struct rsm_seal *, size_t *len);
void	 rsm_seal_in_got(struct rsm_seal *, size_t n);
/* Bytes rsm_seal_take() can hand out without the socket: 1 if any. */
int	 rsm_seal_ready(const struct rsm_seal *);
/* Part of a record is buffered: an end of stream now cuts it short. */
int	 rsm_seal_partial(const struct rsm_seal *);

#endif /* RSM_DATA_SEAL_H */
