// A CLI11 help formatter with a given usage line.
#include "cli/commands.h"

namespace kiln::cli {

namespace {

class UsageFormatter : public CLI::Formatter {
 public:
  explicit UsageFormatter(std::string arguments) : arguments_(std::move(arguments)) {}
  std::string make_usage(const CLI::App*, std::string name) const override {
    return get_label("Usage") + ": " + name + " " + arguments_ + "\n";
  }

 private:
  std::string arguments_;
};

}  // namespace

std::shared_ptr<CLI::Formatter> usage_formatter(std::string arguments) {
  return std::make_shared<UsageFormatter>(std::move(arguments));
}

}  // namespace kiln::cli
