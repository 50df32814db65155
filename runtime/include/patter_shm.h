/* patter_shm.h — read patter's shared-memory event ring from C (C11 atomics) or C++ (std::atomic).
 *
 * The layout is documented in docs/shm.md and matches runtime/shm/src/layout.rs; the static
 * assertions below fail the build if either side drifts. Header-only: define nothing, include
 * it, and call patter_shm_open / patter_shm_try_read / patter_shm_close. Linux (/dev/shm).
 *
 * One reader per segment: the ring is single-producer single-consumer. patter_shm_try_read
 * never blocks, allocates or makes a system call, so it may run in an audio callback.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef PATTER_SHM_H
#define PATTER_SHM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __cplusplus
#include <atomic>
#define PATTER_ATOMIC(T) std::atomic<T>
#define PATTER_LOAD_ACQ(p) (p)->load(std::memory_order_acquire)
#define PATTER_STORE_REL(p, v) (p)->store((v), std::memory_order_release)
#define PATTER_STATIC_ASSERT static_assert
#else
#include <stdatomic.h>
#define PATTER_ATOMIC(T) _Atomic T
#define PATTER_LOAD_ACQ(p) atomic_load_explicit((p), memory_order_acquire)
#define PATTER_STORE_REL(p, v) atomic_store_explicit((p), (v), memory_order_release)
#define PATTER_STATIC_ASSERT _Static_assert
#endif

#define PATTER_SHM_MAGIC 0x4D48535254544150ULL /* "PATTRSHM" little-endian */
#define PATTER_SHM_VERSION 1u
#define PATTER_SHM_RECORD_SIZE 32u
#define PATTER_SHM_HEADER_SIZE 256u

/* Record kinds. */
enum patter_shm_kind {
    PATTER_SHM_NOTE_ON = 1,  /* note, velocity, duration_us, value = amp */
    PATTER_SHM_NOTE_OFF = 2, /* note */
    PATTER_SHM_CONTROL = 3,  /* note = controller, velocity = 7-bit value, value = as given */
    PATTER_SHM_TRIGGER = 4,  /* unpitched: note = General MIDI drum note or 0, value = amp */
    PATTER_SHM_PROGRAM = 5,  /* note = program */
    PATTER_SHM_BEND = 6,     /* value in -1..1 */
    PATTER_SHM_ALL_OFF = 7   /* release all, discard earlier records not yet played */
};

typedef struct patter_shm_header {
    PATTER_ATOMIC(uint64_t) magic;        /* PATTER_SHM_MAGIC once initialised */
    uint32_t version;              /* PATTER_SHM_VERSION */
    uint32_t record_size;          /* 32 */
    uint32_t capacity;             /* records, a power of two */
    uint32_t header_size;          /* 256 */
    PATTER_ATOMIC(uint32_t) writer_pid;   /* the writer's process id */
    PATTER_ATOMIC(uint32_t) writer_alive; /* 1 while the writer runs */
    uint64_t clock_monotonic_ns;   /* CLOCK_MONOTONIC at engine second 0 */
    uint64_t clock_realtime_ns;    /* CLOCK_REALTIME at engine second 0 */
    uint8_t pad0[16];
    PATTER_ATOMIC(uint64_t) write_pos; /* records published (free-running) */
    uint8_t pad1[56];
    PATTER_ATOMIC(uint64_t) read_pos; /* records consumed (free-running); the reader writes it */
    uint8_t pad2[56];
    PATTER_ATOMIC(uint64_t) overruns; /* records dropped because the ring was full */
    uint8_t pad3[56];
} patter_shm_header;

typedef struct patter_shm_record {
    uint64_t time_ns;     /* CLOCK_MONOTONIC nanoseconds (usually in the future) */
    uint32_t seq;         /* low 32 bits of the record's stream position */
    uint16_t player;      /* player index in the program */
    uint8_t kind;         /* enum patter_shm_kind */
    uint8_t channel;      /* MIDI channel 0-15 */
    uint8_t note;         /* note, controller or program */
    uint8_t velocity;     /* velocity or 7-bit control value */
    uint16_t flags;       /* reserved, 0 */
    uint32_t duration_us; /* note or trigger length */
    float value;          /* amp, control value or bend */
    float beat;           /* onset in beats (for display) */
} patter_shm_record;

PATTER_STATIC_ASSERT(sizeof(PATTER_ATOMIC(uint64_t)) == 8, "64-bit atomics must be plain 8-byte words");
PATTER_STATIC_ASSERT(sizeof(PATTER_ATOMIC(uint32_t)) == 4, "32-bit atomics must be plain 4-byte words");
PATTER_STATIC_ASSERT(sizeof(patter_shm_header) == PATTER_SHM_HEADER_SIZE, "header size");
PATTER_STATIC_ASSERT(offsetof(patter_shm_header, version) == 8, "version offset");
PATTER_STATIC_ASSERT(offsetof(patter_shm_header, capacity) == 16, "capacity offset");
PATTER_STATIC_ASSERT(offsetof(patter_shm_header, writer_pid) == 24, "writer_pid offset");
PATTER_STATIC_ASSERT(offsetof(patter_shm_header, clock_monotonic_ns) == 32, "clock offset");
PATTER_STATIC_ASSERT(offsetof(patter_shm_header, clock_realtime_ns) == 40, "clock offset");
PATTER_STATIC_ASSERT(offsetof(patter_shm_header, write_pos) == 64, "write_pos on its own line");
PATTER_STATIC_ASSERT(offsetof(patter_shm_header, read_pos) == 128, "read_pos on its own line");
PATTER_STATIC_ASSERT(offsetof(patter_shm_header, overruns) == 192, "overruns on its own line");
PATTER_STATIC_ASSERT(sizeof(patter_shm_record) == PATTER_SHM_RECORD_SIZE, "record size");
PATTER_STATIC_ASSERT(offsetof(patter_shm_record, seq) == 8, "seq offset");
PATTER_STATIC_ASSERT(offsetof(patter_shm_record, player) == 12, "player offset");
PATTER_STATIC_ASSERT(offsetof(patter_shm_record, kind) == 14, "kind offset");
PATTER_STATIC_ASSERT(offsetof(patter_shm_record, note) == 16, "note offset");
PATTER_STATIC_ASSERT(offsetof(patter_shm_record, duration_us) == 20, "duration offset");
PATTER_STATIC_ASSERT(offsetof(patter_shm_record, value) == 24, "value offset");
PATTER_STATIC_ASSERT(offsetof(patter_shm_record, beat) == 28, "beat offset");

typedef struct patter_shm_reader {
    patter_shm_header *header;
    const patter_shm_record *records;
    size_t map_len;
    uint64_t mask;
    uint64_t tail;
    uint64_t cached_head;
} patter_shm_reader;

/* Open /dev/shm/NAME. Returns 0, or -1 (no such segment, not readable) or -2 (not a
 * patter ring of this layout version). */
static inline int patter_shm_open(patter_shm_reader *r, const char *name) {
    char path[256] = "/dev/shm/";
    size_t n = strlen(name);
    if (n == 0 || n > 200 || strchr(name, '/') != NULL) return -1;
    memcpy(path + 9, name, n + 1);
    int fd = open(path, O_RDWR);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)PATTER_SHM_HEADER_SIZE) {
        close(fd);
        return -2;
    }
    size_t len = (size_t)st.st_size;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return -1;
    patter_shm_header *h = (patter_shm_header *)p;
    uint64_t cap = h->capacity;
    if (PATTER_LOAD_ACQ(&h->magic) != PATTER_SHM_MAGIC ||
        h->version != PATTER_SHM_VERSION || h->record_size != PATTER_SHM_RECORD_SIZE ||
        h->header_size != PATTER_SHM_HEADER_SIZE || cap == 0 || (cap & (cap - 1)) != 0 ||
        PATTER_SHM_HEADER_SIZE + cap * PATTER_SHM_RECORD_SIZE > len) {
        munmap(p, len);
        return -2;
    }
    r->header = h;
    r->records = (const patter_shm_record *)((const char *)p + PATTER_SHM_HEADER_SIZE);
    r->map_len = len;
    r->mask = cap - 1;
    r->tail = PATTER_LOAD_ACQ(&h->read_pos);
    r->cached_head = r->tail;
    return 0;
}

/* Copy the next record into *out and return 1, or return 0 when none is waiting. */
static inline int patter_shm_try_read(patter_shm_reader *r, patter_shm_record *out) {
    if (r->tail == r->cached_head) {
        r->cached_head = PATTER_LOAD_ACQ(&r->header->write_pos);
        if (r->tail == r->cached_head) return 0;
    }
    memcpy(out, &r->records[r->tail & r->mask], sizeof *out);
    r->tail += 1;
    PATTER_STORE_REL(&r->header->read_pos, r->tail);
    return 1;
}

/* Records the writer dropped because the ring was full. */
static inline uint64_t patter_shm_overruns(const patter_shm_reader *r) {
    return PATTER_LOAD_ACQ(&r->header->overruns);
}

/* 1 while the writer's alive flag is set (it is cleared on a clean exit). */
static inline int patter_shm_writer_alive(const patter_shm_reader *r) {
    return PATTER_LOAD_ACQ(&r->header->writer_alive) == 1;
}

static inline void patter_shm_close(patter_shm_reader *r) {
    if (r->header != NULL) munmap(r->header, r->map_len);
    r->header = NULL;
}

#endif /* PATTER_SHM_H */
