/* A C reader for the cross-process tests: reads COUNT records from the segment NAME and checks
 * that each is the one the test writer made for its position (in order, untorn). Prints
 * "ok COUNT overruns=N" on success; a mismatch or 20 s without a record is an error. */
#define _POSIX_C_SOURCE 200809L
#include "patter_shm.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: reader NAME COUNT\n");
        return 2;
    }
    patter_shm_reader r;
    int rc = patter_shm_open(&r, argv[1]);
    if (rc != 0) {
        fprintf(stderr, "cannot open %s: %d\n", argv[1], rc);
        return 1;
    }
    unsigned long long count = strtoull(argv[2], NULL, 10);
    unsigned long long got = 0;
    uint64_t start = r.tail;
    double last = now_s();
    patter_shm_record rec;
    while (got < count) {
        if (!patter_shm_try_read(&r, &rec)) {
            if (now_s() - last > 20.0) {
                fprintf(stderr, "timed out after %llu records\n", got);
                return 1;
            }
            sched_yield();
            continue;
        }
        last = now_s();
        uint64_t pos = start + got;
        /* The test writer's pattern: every field is a function of the position. */
        if (rec.seq != (uint32_t)pos || rec.time_ns != pos * 1000u + 7u ||
            rec.player != (uint16_t)(pos % 65521u) || rec.kind != (uint8_t)(1u + pos % 7u) ||
            rec.note != (uint8_t)(pos % 128u) || rec.velocity != (uint8_t)((pos * 7u) % 128u) ||
            rec.duration_us != (uint32_t)(pos ^ 0x5a5a5a5au) || rec.value != (float)(pos % 1000u) * 0.5f) {
            fprintf(stderr, "record %llu is wrong: seq %u note %u time %llu\n",
                    (unsigned long long)pos, rec.seq, rec.note, (unsigned long long)rec.time_ns);
            return 1;
        }
        got++;
    }
    printf("ok %llu overruns=%llu\n", got, (unsigned long long)patter_shm_overruns(&r));
    patter_shm_close(&r);
    return 0;
}
