#ifndef PINGATE_COPENSSL_SHIM_H
#define PINGATE_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

/*
 * OSSL_PARAM arrays hold raw pointers to their keys and values, so building them from
 * Swift would need nested pointer closures to keep everything alive for the derive call.
 * These helpers build the arrays on the C stack instead. They take a caller-owned
 * EVP_KDF_CTX (Swift owns and frees it) and return EVP_KDF_derive's result unchanged,
 * so Swift still checks every return code.
 */

/* scrypt (OpenSSL 3 "SCRYPT" KDF). maxmem must cover 128*r*(N+p+2) bytes. */
static inline int pingate_scrypt_derive(EVP_KDF_CTX *ctx,
                                        const unsigned char *pass, size_t pass_len,
                                        const unsigned char *salt, size_t salt_len,
                                        uint64_t n, uint32_t r, uint32_t p, uint64_t maxmem,
                                        unsigned char *out, size_t out_len) {
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)pass, pass_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
        OSSL_PARAM_construct_end(),
    };
    return EVP_KDF_derive(ctx, out, out_len, params);
}

/* PBKDF2-HMAC-SHA256 (OpenSSL 3 "PBKDF2" KDF). */
static inline int pingate_pbkdf2_sha256_derive(EVP_KDF_CTX *ctx,
                                               const unsigned char *pass, size_t pass_len,
                                               const unsigned char *salt, size_t salt_len,
                                               unsigned int iterations,
                                               unsigned char *out, size_t out_len) {
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)pass, pass_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len),
        OSSL_PARAM_construct_uint(OSSL_KDF_PARAM_ITER, &iterations),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    return EVP_KDF_derive(ctx, out, out_len, params);
}

/* EVP_CIPHER_CTX_ctrl takes a non-const void*; these wrappers keep the GCM ctrl codes in C. */
static inline int pingate_gcm_set_ivlen(EVP_CIPHER_CTX *ctx, int len) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, len, NULL);
}
static inline int pingate_gcm_get_tag(EVP_CIPHER_CTX *ctx, unsigned char *tag, int len) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, len, tag);
}
static inline int pingate_gcm_set_tag(EVP_CIPHER_CTX *ctx, const unsigned char *tag, int len) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, len, (void *)tag);
}

#endif
