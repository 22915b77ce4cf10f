// Known call chains through the C++ standard library, built like Debian's programs (g++ -O2
// without frame pointers): a std::thread runs a std::function that sorts with std::sort, whose
// comparator spends the time in less_by_key.
//   std::thread -> worker -> std::function -> sort_work -> std::sort ... -> less_by_key
// Usage: unwind_cpp SECONDS
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <random>
#include <thread>
#include <vector>

namespace {
volatile unsigned long sink;
}

__attribute__((noinline)) bool less_by_key(unsigned a, unsigned b) {
  unsigned long x = a;
  for (int i = 0; i < 200; ++i) x = x * 6364136223846793005ul + 1442695040888963407ul;
  sink = sink + x;
  return a < b;
}

__attribute__((noinline)) void sort_work(std::chrono::steady_clock::time_point deadline) {
  std::mt19937 random(42);
  std::vector<unsigned> keys(4096);
  while (std::chrono::steady_clock::now() < deadline) {
    for (unsigned& key : keys) key = random();
    std::sort(keys.begin(), keys.end(), less_by_key);
  }
}

__attribute__((noinline)) void worker(std::chrono::steady_clock::time_point deadline) {
  std::function<void()> task = [deadline] { sort_work(deadline); };
  task();
}

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(seconds * 1000));
  std::thread thread(worker, deadline);
  thread.join();
  return 0;
}
