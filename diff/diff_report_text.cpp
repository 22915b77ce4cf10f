// The human-readable reports of `kiln diff`: plain text (terminal) and markdown (a pull-request
// comment). Both show the top changes of total and self share, the functions only in BEFORE and
// the gate's verdict.
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>

#include "diff/diff.h"

namespace kiln::diff {
namespace {

std::string format(const char* pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, value);
  return buffer;
}

std::string format_points(double points) {
  return format("%+.2f", points);
}
std::string format_percent(double percent) {
  return format("%.2f%%", percent);
}

std::string format_significance(const ShareChange& share) {
  if (!share.p_value) return "untested";
  return (share.significant ? "yes p=" : "no p=") + format("%.2g", *share.p_value);
}

// "samples" for sample counts, else the unit both files name (off-CPU "us"), else "weight".
std::string unit_name(const DiffReport& report) {
  if (report.before.sample_counts && report.after.sample_counts) return "samples";
  const std::string& unit = report.before.count_name;
  return !unit.empty() && unit != "samples" && unit == report.after.count_name ? unit : "weight";
}

std::string method_sentence(const DiffReport& report) {
  std::string text = report.normalized
                         ? "Shares are percent of each profile's total"
                         : "Weights compared raw (--no-normalize): shares are percent of "
                           "BEFORE's total";
  text += "; changes in percentage points. ";
  if (report.untested.reason != Untested::Reason::kNone) {
    return text + "Not tested: " + to_string(report.untested) + ".";
  }
  return text +
         (report.normalized ? "Significance: two-proportion z-test"
                            : "Significance: Poisson rate test") +
         ", Bonferroni over " + std::to_string(report.tests) + " tests, alpha " +
         format("%g", report.alpha) + ".";
}

using Kind = GateRule::Share;

struct Row {
  const FunctionChange* change;
  const ShareChange* share;
};

std::vector<Row> top_rows(const DiffReport& report, Kind kind, std::size_t top) {
  std::vector<Row> rows;
  for (const FunctionChange& c : report.functions) {
    if (c.share(kind).change_points != 0) rows.push_back({&c, &c.share(kind)});
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::fabs(a.share->change_points) > std::fabs(b.share->change_points);
  });
  if (rows.size() > top) rows.resize(top);
  return rows;
}

// What is shared out: samples, or the time or weight of other units (off-CPU "us").
std::string kind_title(Kind kind, const std::string& unit) {
  const std::string what = unit == "samples" ? "samples" : unit == "us" ? "time" : "weight";
  return kind == Kind::kTotal ? "Total share (" + what + " with the function on the stack)"
                              : "Self share (" + what + " where the function is at the top)";
}

std::vector<const FunctionChange*> only_before(const DiffReport& report) {
  std::vector<const FunctionChange*> out;
  for (const FunctionChange& c : report.functions) {
    if (c.total.after == 0) out.push_back(&c);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](auto* a, auto* b) { return a->total.before > b->total.before; });
  return out;
}

// "(total +5.10 points > total:2, p=1e-08)"
std::string failure_detail(const GateFailure& failure) {
  const ShareChange& share = failure.function->share(failure.rule.share);
  return std::string("(") + (failure.rule.share == Kind::kTotal ? "total " : "self ") +
         format_points(share.change_points) + " points > " + to_string(failure.rule) +
         ", p=" + format("%.2g", share.p_value.value_or(1)) + ")";
}

std::string gate_rules(const GateResult& gate) {
  std::string text;
  for (const GateRule& rule : gate.rules) text += (text.empty() ? "" : " ") + to_string(rule);
  return text;
}

std::string markdown_code(const std::string& name) {
  std::string escaped;
  for (char ch : name) {
    if (ch == '|') escaped += '\\';
    escaped += ch == '`' ? '\'' : ch;
  }
  return "`" + escaped + "`";
}

}  // namespace

std::string format_diff_weight(double weight) {
  if (std::fabs(weight) >= 1e20) return format("%.6g", weight);
  return format(weight == std::floor(weight) ? "%.0f" : "%.2f", weight);
}

void write_diff_text(std::ostream& out, const DiffReport& report, const GateResult& gate,
                     std::size_t top) {
  const std::string unit = unit_name(report);
  out << "kiln diff: BEFORE " << report.before.name << " ("
      << format_diff_weight(report.before.total) << ' ' << unit << ") -> AFTER "
      << report.after.name << " (" << format_diff_weight(report.after.total) << ' ' << unit << ")\n"
      << method_sentence(report) << "\n";
  for (Kind kind : {Kind::kTotal, Kind::kSelf}) {
    const auto rows = top_rows(report, kind, top);
    out << "\n" << kind_title(kind, unit) << ", top " << rows.size() << " changes:\n";
    char line[256];
    std::snprintf(line, sizeof line, "  %9s %9s %9s %15s %15s  %-16s %s\n", "change", "before",
                  "after", ("before " + unit).c_str(), ("after " + unit).c_str(), "significant",
                  "function");
    out << line;
    for (const Row& row : rows) {
      const ShareChange& share = *row.share;
      std::snprintf(
          line, sizeof line, "  %9s %9s %9s %15s %15s  %-16s ",
          format_points(share.change_points).c_str(), format_percent(share.before_percent).c_str(),
          format_percent(share.after_percent).c_str(), format_diff_weight(share.before).c_str(),
          format_diff_weight(share.after).c_str(), format_significance(share).c_str());
      out << line << row.change->name << "\n";
    }
  }
  const auto removed = only_before(report);
  if (!removed.empty()) {
    out << "\nOnly in BEFORE (no frame in AFTER's graph; see --widths before):\n";
    for (std::size_t i = 0; i < removed.size() && i < top; ++i) {
      out << "  " << format_percent(removed[i]->total.before_percent) << " total, "
          << format_diff_weight(removed[i]->total.before) << ' ' << unit << "  " << removed[i]->name
          << "\n";
    }
    if (removed.size() > top) out << "  ... and " << removed.size() - top << " more\n";
  }
  if (!gate.rules.empty()) {
    out << "\nGate " << gate_rules(gate) << ": " << (gate.failures.empty() ? "passed" : "FAILED")
        << "\n";
    for (const GateFailure& failure : gate.failures) {
      out << "  " << failure.function->name << " " << failure_detail(failure) << "\n";
    }
  }
}

void write_diff_markdown(std::ostream& out, const DiffReport& report, const GateResult& gate,
                         std::size_t top) {
  const std::string unit = unit_name(report);
  out << "### kiln diff: `" << report.before.name << "` → `" << report.after.name << "`\n\n"
      << "BEFORE: " << format_diff_weight(report.before.total) << ' ' << unit
      << ", AFTER: " << format_diff_weight(report.after.total) << ' ' << unit << ". "
      << method_sentence(report) << "\n";
  if (!gate.rules.empty()) {
    out << "\n**Gate `" << gate_rules(gate)
        << "`: " << (gate.failures.empty() ? "passed" : "FAILED") << "**\n";
    for (const GateFailure& failure : gate.failures) {
      out << "- " << markdown_code(failure.function->name) << " " << failure_detail(failure)
          << "\n";
    }
  }
  for (Kind kind : {Kind::kTotal, Kind::kSelf}) {
    out << "\n#### " << kind_title(kind, unit) << "\n\n"
        << "| function | change (points) | before | after | before " << unit << " | after " << unit
        << " | significant |\n|---|--:|--:|--:|--:|--:|---|\n";
    for (const Row& row : top_rows(report, kind, top)) {
      const ShareChange& share = *row.share;
      out << "| " << markdown_code(row.change->name) << " | " << format_points(share.change_points)
          << " | " << format_percent(share.before_percent) << " | "
          << format_percent(share.after_percent) << " | " << format_diff_weight(share.before)
          << " | " << format_diff_weight(share.after) << " | " << format_significance(share)
          << " |\n";
    }
  }
  const auto removed = only_before(report);
  if (!removed.empty()) {
    out << "\n#### Only in BEFORE\n\n";
    for (std::size_t i = 0; i < removed.size() && i < top; ++i) {
      out << "- " << markdown_code(removed[i]->name) << ": "
          << format_percent(removed[i]->total.before_percent) << " total ("
          << format_diff_weight(removed[i]->total.before) << ' ' << unit << ")\n";
    }
    if (removed.size() > top) out << "- ... and " << removed.size() - top << " more\n";
  }
}

}  // namespace kiln::diff
