/*
 * peer_key.c - the cluster key and the MACs made with it.
 *
 * The key is the whole content of cluster_key_file, as munge's key is: any
 * bytes, at least RSM_PEER_KEY_MIN of them.  A key anyone but its owner can
 * read is no secret, so such a file is refused, as ssh refuses a private key
 * other users can read.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "peer_int.h"
#include "log.h"

static int
key_open(const char *path, struct stat *st)
{
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		log_errx("cluster_key_file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		log_errx("cluster_key_file %s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st->st_mode & (S_IRWXG | S_IRWXO)) {
		log_errx("cluster_key_file %s: mode %04o lets group or others "
		    "in; it must be 0600 or stricter", path,
		    (unsigned)(st->st_mode & 07777));
		close(fd);
		return -1;
	}
	if (st->st_size < (off_t)RSM_PEER_KEY_MIN ||
	    st->st_size > (off_t)RSM_PEER_KEY_MAX) {
		log_errx("cluster_key_file %s: %lld bytes; a key is %u to %u "
		    "bytes", path, (long long)st->st_size, RSM_PEER_KEY_MIN,
		    RSM_PEER_KEY_MAX);
		close(fd);
		return -1;
	}
	return fd;
}

int
peer_key_check(const char *path)
{
	struct stat st;
	int fd;

	if ((fd = key_open(path, &st)) == -1)
		return -1;
	close(fd);
	return 0;
}

int
peer_key_load(const char *path, uint8_t **key, size_t *len)
{
	struct stat st;
	uint8_t *k;
	size_t got = 0;
	ssize_t n;
	int fd;

	if ((fd = key_open(path, &st)) == -1)
		return -1;
	if ((k = malloc((size_t)st.st_size)) == NULL) {
		log_errx("cluster_key_file %s: out of memory", path);
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, k + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_errx("cluster_key_file %s: short read", path);
			sodium_memzero(k, (size_t)st.st_size);
			free(k);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	*key = k;
	*len = got;
	return 0;
}

void
peer_mac(const struct peers *P, const uint8_t *in, size_t len,
    uint8_t mac[RSM_PEER_MAC_LEN])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, P->key, P->keylen);
	crypto_auth_hmacsha256_update(&st, in, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
}

/* Constant time, so a forger learns nothing from how long a refusal takes. */
int
peer_mac_verify(const struct peers *P, const uint8_t *in, size_t len,
    const uint8_t mac[RSM_PEER_MAC_LEN])
{
	uint8_t want[RSM_PEER_MAC_LEN];
	int ok;

	peer_mac(P, in, len, want);
	ok = sodium_memcmp(want, mac, RSM_PEER_MAC_LEN) == 0;
	sodium_memzero(want, sizeof(want));
	return ok;
}
