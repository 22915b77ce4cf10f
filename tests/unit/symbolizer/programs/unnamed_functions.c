// Static functions that a stripped copy of this program leaves without a name anywhere
// (C, -O2): the symbolizer must still tell them apart by where their FDEs start. noipa keeps
// each one a separate function under its own name (no inlining, no clones).
#include <stdio.h>
#include <string.h>

// Data, not code: no FDE covers it.
const unsigned char kiln_unnamed_table[64] = {3, 1, 4, 1, 5, 9, 2, 6};

__attribute__((noipa)) static unsigned count_vowels(const char* text) {
  unsigned count = 0;
  for (; *text; ++text) count += strchr("aeiou", *text) != NULL;
  return count;
}

__attribute__((noipa)) static unsigned mix_bits(unsigned x) {
  for (int i = 0; i < 16; ++i) x = (x ^ (x >> 7)) * 0x9e3779b1u + kiln_unnamed_table[i & 63];
  return x;
}

__attribute__((noipa)) static unsigned sum_digits(const char* text) {
  unsigned sum = 0;
  for (; *text; ++text)
    if (*text >= '0' && *text <= '9') sum += (unsigned)(*text - '0');
  return sum;
}

int main(int argc, char** argv) {
  const char* text = argc > 1 ? argv[1] : "kiln 2026";
  printf("%u %u %u\n", count_vowels(text), mix_bits((unsigned)argc), sum_digits(text));
  return 0;
}
