/*
 * sha256.h — SHA-256 (FIPS 180-4) in portable C, with no dependencies.
 *
 *     struct sha256 h;
 *     uint8_t digest[SHA256_SIZE];
 *     sha256_init(&h);
 *     sha256_update(&h, data, len);   // any number of times
 *     sha256_final(&h, digest);
 */
#ifndef SHA256_H
#define SHA256_H

#include <stddef.h>
#include <stdint.h>

/* The size of a digest in bytes. */
#define SHA256_SIZE 32

/* sha256 is the state of a hash in progress. */
struct sha256 {
	uint32_t state[8];
	uint64_t len;       /* bytes hashed so far */
	uint8_t block[64];  /* a partial block of len % 64 bytes */
};

/* sha256_init starts a new hash in h. */
void sha256_init(struct sha256 *h);

/* sha256_update adds len bytes at data to the hash. */
void sha256_update(struct sha256 *h, const void *data, size_t len);

/* sha256_final finishes the hash and writes its digest to out; h must be
 * initialized again before it is reused. */
void sha256_final(struct sha256 *h, uint8_t out[SHA256_SIZE]);

#endif /* SHA256_H */
