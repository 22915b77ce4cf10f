// A CPU-bound program for the debuginfod tests: nearly all of its time is spent in mix(),
// called from checksum(); both are static, so a stripped copy has no name for either.
// GREETING changes the program (and its build-id) for a second copy the server lacks.
#include <stdio.h>
#include <stdlib.h>

#ifndef GREETING
#define GREETING "checksum"
#endif

static __attribute__((noinline)) unsigned mix(unsigned hash, unsigned value) {
  for (int round = 0; round < 64; ++round)
    hash = (hash ^ value) * 16777619u + (hash >> 7);  // MARK:mix
  return hash;
}

static __attribute__((noinline)) unsigned checksum(unsigned long count) {
  unsigned hash = 2166136261u;
  for (unsigned long i = 0; i < count; ++i) hash = mix(hash, (unsigned)i);
  return hash;
}

int main(int argc, char** argv) {
  unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
  printf("%s: %u\n", GREETING, checksum(count));
  return 0;
}
