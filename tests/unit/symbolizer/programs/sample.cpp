// Test program for the symbolizer's unit tests: C++ features whose names, inline chains and
// lines must come out right (templates, namespaces, operators, lambdas, an anonymous
// namespace, inlining, a shared library, PLT calls). Run with "addresses" it prints
// "LABEL 0xADDRESS" lines for its functions, "ready", then waits until stdin closes.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

extern "C" int kiln_lib_work(int x);
extern "C" void kiln_lib_print(int x);
extern "C" void* kiln_lib_code_address();

// Records its caller's return address: called from inlined code, that address lies inside the
// inlined function's instructions.
extern "C" __attribute__((noinline)) void* kiln_sample_return_address() {
  void* address = __builtin_return_address(0);
  asm volatile("" : : "r"(address) : "memory");
  return address;
}

namespace geometry {

template <typename T>
struct Shape {
  T side;
  __attribute__((noinline)) T area() const { return side * side + T(kiln_lib_work(int(side))); }
};

template <typename T>
__attribute__((noinline)) bool operator<(const Shape<T>& a, const Shape<T>& b) {
  return a.area() < b.area();
}

template <typename T>
__attribute__((noinline)) std::vector<T> repeat(T value, int n) {
  return std::vector<T>(size_t(n), value);
}

namespace detail {
struct Accumulator {
  long total = 0;
  __attribute__((noinline)) Accumulator& operator+=(long x) {
    total += x * 3;
    return *this;
  }
};
}  // namespace detail

}  // namespace geometry

namespace {
__attribute__((noinline)) int hidden_in_anonymous_namespace(int x) {
  return x * 7 + 1;
}
}  // namespace

static inline __attribute__((always_inline)) void* innermost_inline() {
  return kiln_sample_return_address();  // MARK:innermost_call
}

static inline __attribute__((always_inline)) void* middle_inline() {
  void* p = innermost_inline();  // MARK:middle_call
  asm volatile("" : : "r"(p) : "memory");
  return p;
}

__attribute__((noinline)) void* outer_function() {
  void* p = middle_inline();  // MARK:outer_call
  asm volatile("" : : "r"(p) : "memory");
  return p;
}

// Itanium ABI: a pointer to a non-virtual member function starts with its code address.
template <typename Member>
void* member_address(Member member) {
  void* address;
  static_assert(sizeof member >= sizeof address);
  memcpy(&address, &member, sizeof address);
  return address;
}

// A class local to a function: its member function's code must be found too.
__attribute__((noinline)) int uses_local_class(int x) {
  struct Local {
    int base;
    __attribute__((noinline)) int scaled(int k) const { return base * k + kiln_lib_work(k); }
  };
  Local local{x};
  return local.scaled(x + 1);
}

int main(int argc, char** argv) {
  auto lambda = [argc](int k) __attribute__((noinline)) {
    return k * argc + kiln_lib_work(k);
  };
  geometry::Shape<double> a{2.0}, b{3.0};
  geometry::detail::Accumulator acc;
  acc += hidden_in_anonymous_namespace(argc);
  bool less = a < b;
  std::vector<int> v = geometry::repeat(argc, 3);
  int sum = uses_local_class(argc) + lambda(argc) + int(v.size()) + (less ? 1 : 0) + int(acc.total);
  if (argc < 2 || strcmp(argv[1], "addresses") != 0) {
    kiln_lib_print(sum);
    return 0;
  }
  std::map<std::string, void*> addresses = {
      {"area", member_address(&geometry::Shape<double>::area)},
      {"operator_less",
       reinterpret_cast<void*>(
           static_cast<bool (*)(const geometry::Shape<double>&, const geometry::Shape<double>&)>(
               &geometry::operator<))},
      {"repeat", reinterpret_cast<void*>(&geometry::repeat<int>)},
      {"plus_assign", member_address(&geometry::detail::Accumulator::operator+=)},
      {"hidden", reinterpret_cast<void*>(&hidden_in_anonymous_namespace)},
      {"lambda", member_address(&decltype(lambda)::operator())},
      {"lib_work", reinterpret_cast<void*>(&kiln_lib_work)},
      {"lib_code", kiln_lib_code_address()},
      {"main", reinterpret_cast<void*>(&main)},
      {"inlined_return", outer_function()},
  };
  for (const auto& [label, address] : addresses) {
    printf("%s %#lx\n", label.c_str(),
           static_cast<unsigned long>(reinterpret_cast<uintptr_t>(address)));
  }
  printf("ready\n");
  fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  return sum == 12345 ? 1 : 0;
}
