#!/usr/bin/env python3
"""Writes a large C++ program for the symbolize benchmark: many translation units, each with
structs used as keys and values of std::map, std::unordered_map, std::vector and std::sort,
templates over them and small functions inlined into bigger ones (-O2 -g gives deep inline
chains and a large DWARF). Usage: gen_symbolize_program.py OUT_DIR UNITS TYPES_PER_UNIT"""
import os
import sys

out, units, types = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(out, exist_ok=True)

HEADER = """#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>
namespace bench {
template <typename T> struct Stats {
  T total{}; int count = 0;
  inline void add(const T& x) { total += x; ++count; }
  inline T mean() const { return count ? total / T(count) : T(); }
};
template <typename K, typename V> inline V lookup_or(const std::map<K, V>& m, const K& k, V d) {
  auto it = m.find(k); return it == m.end() ? d : it->second;
}
}  // namespace bench
"""

for u in range(units):
    lines = [HEADER, f"namespace unit{u} {{"]
    for t in range(types):
        name = f"Record{t}"
        lines.append(f"""
struct {name} {{
  int64_t id; double weight; std::string label;
  bool operator<(const {name}& o) const {{ return id < o.id || (id == o.id && weight < o.weight); }}
}};
struct {name}Hash {{ size_t operator()(int64_t k) const {{ return std::hash<int64_t>()(k * {t + 3}); }} }};
namespace {{
inline double score_{t}(const {name}& r) {{ return r.weight * {t + 1} + double(r.label.size()); }}
template <typename C> inline double sum_scores_{t}(const C& c) {{
  double s = 0; for (const auto& r : c) s += score_{t}(r); return s;
}}
}}  // namespace
double process_{t}(int n) {{
  std::vector<{name}> v;
  for (int i = 0; i < n; ++i) v.push_back({{int64_t((i * 7919) % (n + 1)), i * 0.5, std::to_string(i)}});
  std::sort(v.begin(), v.end());
  std::map<int64_t, {name}> by_id;
  std::unordered_map<int64_t, double, {name}Hash> weights;
  bench::Stats<double> stats;
  for (const auto& r : v) {{ by_id[r.id] = r; weights[r.id] += r.weight; stats.add(score_{t}(r)); }}
  auto best = std::max_element(v.begin(), v.end(), [](const {name}& a, const {name}& b) {{
    return score_{t}(a) < score_{t}(b); }});
  double extra = bench::lookup_or(std::map<int64_t, double>{{{{1, 2.0}}}}, int64_t(n), 0.5);
  return stats.mean() + sum_scores_{t}(v) + (best == v.end() ? 0 : best->weight) +
         double(by_id.size() + weights.size()) + extra;
}}""")
    lines.append(f"}}  // namespace unit{u}\n")
    lines.append(f"double unit{u}_all(int n) {{ double s = 0;")
    for t in range(types):
        lines.append(f"  s += unit{u}::process_{t}(n);")
    lines.append("  return s; }\n")
    with open(os.path.join(out, f"unit{u}.cpp"), "w") as f:
        f.write("\n".join(lines))

with open(os.path.join(out, "main.cpp"), "w") as f:
    for u in range(units):
        f.write(f"double unit{u}_all(int n);\n")
    f.write("#include <cstdio>\nint main(int argc, char**) { double s = 0;\n")
    for u in range(units):
        f.write(f"  s += unit{u}_all(argc * 10);\n")
    f.write('  std::printf("%f\\n", s); return 0; }\n')
