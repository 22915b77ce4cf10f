// The JSON report of `kiln diff` (--format json). The keys are a stable interface for CI
// scripts and are documented in README.md (section diff); add keys, never rename or remove them.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <string>

#include "diff/diff.h"

namespace kiln::diff {
namespace {

// A JSON string; bytes that are not valid UTF-8 (frame names may hold any bytes) become U+FFFD,
// so the report is always valid JSON.
std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char ch = static_cast<unsigned char>(text[i]);
    if (ch >= 0x80) {
      const std::size_t length = profile::utf8_sequence_length(text, i);
      out += length ? text.substr(i, length) : "\\ufffd";
      i += length ? length : 1;
      continue;
    }
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (ch < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", ch);
          out += buffer;
        } else {
          out += static_cast<char>(ch);
        }
    }
    ++i;
  }
  return out + "\"";
}

// The shortest of 15 or 17 significant digits that reads back as the same double: weights in
// microseconds pass 10 digits (a whole-machine off-CPU profile of hours) and stay exact.
std::string json_number(double value) {
  if (!std::isfinite(value)) return "null";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.15g", value);
  if (std::strtod(buffer, nullptr) != value) std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

std::string json_number(const std::optional<double>& value) {
  return value ? json_number(*value) : "null";
}

const char* json_bool(bool value) {
  return value ? "true" : "false";
}

std::string side_object(const DiffSide& side) {
  return "{\"file\": " + json_string(side.name) + ", \"total\": " + json_number(side.total) +
         ", \"sample_counts\": " + json_bool(side.sample_counts) +
         ", \"unit\": " + json_string(side.count_name) + "}";
}

std::string share_object(const FunctionShare& share) {
  return "{\"total\": " + json_number(share.total) + ", \"self\": " + json_number(share.self) +
         ", \"total_percent\": " + json_number(share.total_percent) +
         ", \"self_percent\": " + json_number(share.self_percent) + "}";
}

}  // namespace

void write_diff_json(std::ostream& out, const DiffReport& report, const GateResult& gate) {
  out << "{\n  \"format\": \"kiln-diff\",\n  \"version\": 1,\n"
      << "  \"before\": " << side_object(report.before) << ",\n"
      << "  \"after\": " << side_object(report.after) << ",\n"
      << "  \"normalized\": " << json_bool(report.normalized) << ",\n"
      << "  \"test\": \"" << (report.normalized ? "two-proportion z-test" : "poisson rate test")
      << "\",\n  \"correction\": \"bonferroni\",\n"
      << "  \"alpha\": " << json_number(report.alpha) << ",\n"
      << "  \"tests\": " << report.tests << ",\n"
      << "  \"untested_reason\": "
      << (report.untested_reason.empty() ? "null" : json_string(report.untested_reason))
      << ",\n  \"functions\": [";
  const char* separator = "\n";
  for (const FunctionChange& c : report.functions) {
    out << separator << "    {\"name\": " << json_string(c.name)
        << ", \"before\": " << share_object(c.before) << ", \"after\": " << share_object(c.after)
        << ", \"total_change_points\": " << json_number(c.total_change_points)
        << ", \"self_change_points\": " << json_number(c.self_change_points)
        << ", \"total_p_value\": " << json_number(c.total_p_value)
        << ", \"self_p_value\": " << json_number(c.self_p_value)
        << ", \"total_significant\": " << json_bool(c.total_significant)
        << ", \"self_significant\": " << json_bool(c.self_significant)
        << ", \"only_before\": " << json_bool(c.after.total == 0)
        << ", \"only_after\": " << json_bool(c.before.total == 0) << "}";
    separator = ",\n";
  }
  out << "\n  ],\n  \"gate\": {\"rules\": [";
  separator = "";
  for (const GateRule& rule : gate.rules) {
    out << separator << json_string(to_string(rule));
    separator = ", ";
  }
  out << "], \"passed\": " << json_bool(gate.failures.empty()) << ", \"failures\": [";
  separator = "\n";
  for (const GateFailure& failure : gate.failures) {
    const bool total = failure.rule.share == GateRule::Share::kTotal;
    const FunctionChange& c = *failure.function;
    out << separator << "    {\"function\": " << json_string(c.name)
        << ", \"rule\": " << json_string(to_string(failure.rule)) << ", \"change_points\": "
        << json_number(total ? c.total_change_points : c.self_change_points)
        << ", \"p_value\": " << json_number(total ? c.total_p_value : c.self_p_value) << "}";
    separator = ",\n";
  }
  out << (gate.failures.empty() ? "" : "\n  ") << "]}\n}\n";
}

}  // namespace kiln::diff
