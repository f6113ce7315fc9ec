#!/usr/bin/env python3
"""Reference decoder for pingate vault files (format version 1, README "Vault file format").

    PINGATE_PASSPHRASE=... python3 deploy/vault-decode.py secrets.vault

Prints every entry as `name<TAB>value`, one line per entry, in the order stored (sorted by name).
Values are written as the exact bytes stored; pingate's own values are single-line text.
The passphrase is read only from the environment variable PINGATE_PASSPHRASE (never from argv,
so it does not show up in `ps` or shell history), as raw bytes without normalisation.

Checks, before any key derivation: the file is a regular file of at most 1 MiB, the magic,
the version, the KDF id, the KDF parameters against pingate's accepted ranges (so a hostile
file cannot make this script burn CPU or memory), the reserved PBKDF2 bytes, and that the file
is exactly 59 + L + 16 bytes long. Then: scrypt (id 1) or PBKDF2-HMAC-SHA256 (id 2) to a 32-byte
key, AES-256-GCM with the 59 header bytes as associated data, and a strict payload parse.

Needs Python 3.8+ with the `cryptography` package (pip install cryptography).
Any error: one line on stderr naming the cause, exit status 1; nothing on stdout.
"""
import hashlib
import os
import stat
import struct
import sys

MAGIC = b"PINGATE-VAULT"
VERSION = 1
HEADER_SIZE = 59
TAG_SIZE = 16
MAX_FILE_SIZE = 1 << 20
KDF_SCRYPT, KDF_PBKDF2 = 1, 2
SCRYPT_N = (1 << 17, 1 << 20)
SCRYPT_R = (8, 32)
SCRYPT_P = (1, 16)
SCRYPT_MAX_MEMORY = 1 << 30
PBKDF2_ITERATIONS = (600_000, 100_000_000)
PASSPHRASE_VARIABLE = "PINGATE_PASSPHRASE"
PASSPHRASE_MAX_BYTES = 4096
NAME_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


class DecodeError(Exception):
    """A one-line reason the vault cannot be decoded; never contains secret material."""


def read_vault(path):
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise DecodeError(f"vault file not found: {path}")
    except OSError as error:
        raise DecodeError(f"cannot read {path}: {error.strerror}")
    if not stat.S_ISREG(info.st_mode):
        raise DecodeError(f"not a regular file: {path}")
    if info.st_size > MAX_FILE_SIZE:
        raise DecodeError(f"file {path} is too large ({info.st_size} bytes, limit {MAX_FILE_SIZE})")
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_SIZE + 1)
    except OSError as error:
        raise DecodeError(f"cannot read {path}: {error.strerror}")
    if len(data) > MAX_FILE_SIZE:
        raise DecodeError(f"file {path} is too large (more than {MAX_FILE_SIZE} bytes)")
    return data


def check_range(name, value, bounds):
    low, high = bounds
    if value < low:
        raise DecodeError(f"KDF parameter {name}={value} is below the minimum {low}; refusing to derive a key")
    if value > high:
        raise DecodeError(f"KDF parameter {name}={value} exceeds the maximum {high}; refusing to derive a key")


def parse_header(data):
    """Checks the header as pingate does; returns (kdf_id, parameters, salt, nonce, length)."""
    truncated = f"vault file is truncated ({len(data)} bytes, expected at least {HEADER_SIZE + TAG_SIZE})"
    if len(data) < len(MAGIC):
        raise DecodeError(truncated if MAGIC.startswith(data) else "not a pingate vault file (bad magic)")
    if data[:len(MAGIC)] != MAGIC:
        raise DecodeError("not a pingate vault file (bad magic)")
    if len(data) <= 13:
        raise DecodeError(truncated)
    if data[13] != VERSION:
        raise DecodeError(f"unsupported vault format version {data[13]} (this decoder reads version {VERSION})")
    if len(data) < HEADER_SIZE:
        raise DecodeError(truncated)
    kdf_id = data[14]
    if kdf_id == KDF_SCRYPT:
        n, r, p = struct.unpack(">III", data[15:27])
        check_range("N", n, SCRYPT_N)
        check_range("r", r, SCRYPT_R)
        check_range("p", p, SCRYPT_P)
        if 128 * n * r > SCRYPT_MAX_MEMORY:
            raise DecodeError(f"scrypt working set 128*N*r={128 * n * r} bytes exceeds {SCRYPT_MAX_MEMORY}; refusing to derive a key")
        if n & (n - 1):
            raise DecodeError(f"invalid KDF parameters: scrypt N={n} is not a power of two")
        parameters = (n, r, p)
    elif kdf_id == KDF_PBKDF2:
        (iterations,) = struct.unpack(">I", data[15:19])
        if any(data[19:27]):
            raise DecodeError("invalid KDF parameters: reserved PBKDF2 parameter bytes are not zero")
        check_range("iterations", iterations, PBKDF2_ITERATIONS)
        parameters = (iterations,)
    else:
        raise DecodeError(f"unknown key-derivation function id {kdf_id} in vault header")
    salt, nonce = data[27:43], data[43:55]
    (length,) = struct.unpack(">I", data[55:59])
    expected = HEADER_SIZE + length + TAG_SIZE
    if len(data) < expected:
        raise DecodeError(f"vault file is truncated ({len(data)} bytes, expected at least {expected})")
    if len(data) > expected:
        raise DecodeError(f"malformed vault file: {len(data) - expected} unexpected bytes after the tag")
    return kdf_id, parameters, salt, nonce, length


def derive_key(kdf_id, parameters, passphrase, salt):
    if kdf_id == KDF_SCRYPT:
        n, r, p = parameters
        # hashlib's (OpenSSL's) default limit of 32 MiB is below the 128·N·r working set.
        maxmem = 128 * r * (n + p + 2) + (16 << 20)
        return hashlib.scrypt(passphrase, salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=32)
    (iterations,) = parameters
    return hashlib.pbkdf2_hmac("sha256", passphrase, salt, iterations, dklen=32)


def decrypt(key, nonce, sealed, header):
    try:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        raise DecodeError("the Python package 'cryptography' is missing (pip install cryptography)")
    try:
        return AESGCM(key).decrypt(nonce, sealed, header)
    except InvalidTag:
        raise DecodeError("wrong passphrase or the vault file was modified")


def parse_payload(plain):
    """u32 count, then count × (u8 name_len, name, u32 value_len, value); sorted, unique, nothing after."""
    def need(offset, count):
        if len(plain) - offset < count:
            raise DecodeError("malformed vault file: payload ends inside an entry")

    need(0, 4)
    (count,) = struct.unpack(">I", plain[:4])
    offset, entries, previous = 4, [], None
    for _ in range(count):
        need(offset, 1)
        name_length = plain[offset]
        offset += 1
        if not 1 <= name_length <= 64:
            raise DecodeError(f"malformed vault file: entry name length {name_length} is outside 1-64")
        need(offset, name_length)
        name = plain[offset:offset + name_length]
        offset += name_length
        if not set(name) <= NAME_BYTES:
            raise DecodeError("malformed vault file: entry name has characters outside A-Z a-z 0-9 _ . -")
        if previous is not None and name <= previous:
            raise DecodeError("malformed vault file: entries are not sorted by name or a name repeats")
        need(offset, 4)
        (value_length,) = struct.unpack(">I", plain[offset:offset + 4])
        offset += 4
        need(offset, value_length)
        entries.append((name, plain[offset:offset + value_length]))
        offset += value_length
        previous = name
    if offset != len(plain):
        raise DecodeError(f"malformed vault file: {len(plain) - offset} bytes follow the last entry")
    return entries


def decode(path, passphrase):
    data = read_vault(path)
    kdf_id, parameters, salt, nonce, length = parse_header(data)
    key = derive_key(kdf_id, parameters, passphrase, salt)
    plain = decrypt(key, nonce, data[HEADER_SIZE:HEADER_SIZE + length + TAG_SIZE], data[:HEADER_SIZE])
    return parse_payload(plain)


def main(argv):
    if len(argv) != 1 or argv[0].startswith("-"):
        raise DecodeError(f"usage: {PASSPHRASE_VARIABLE}=... vault-decode.py VAULT_FILE")
    passphrase = os.environb.get(PASSPHRASE_VARIABLE.encode(), b"")
    if not passphrase:
        raise DecodeError(f"empty passphrase: set {PASSPHRASE_VARIABLE}")
    if len(passphrase) > PASSPHRASE_MAX_BYTES:
        raise DecodeError(f"passphrase is longer than {PASSPHRASE_MAX_BYTES} bytes")
    entries = decode(argv[0], passphrase)
    sys.stdout.buffer.write(b"".join(name + b"\t" + value + b"\n" for name, value in entries))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except DecodeError as error:
        print(f"vault-decode: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("vault-decode: interrupted", file=sys.stderr)
        sys.exit(1)
    except (MemoryError, ValueError, OSError) as error:
        print(f"vault-decode: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else 'failed'}", file=sys.stderr)
        sys.exit(1)
